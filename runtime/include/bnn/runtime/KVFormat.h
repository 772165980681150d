//===- KVFormat.h - Element formats and page layout of the KV-cache -*- C++ -*-===//
//
// How one layer's K (or V) block of a KV-cache page (bnn/bnn_kv.h) stores its tokens, shared by
// the cache, its scalar attention reference and the tests' decoders. The layout byte by byte
// is in docs/KVCache.md; in short, rows are head-major, [num_kv_heads][page_size], and a row is
//   f32    head_dim floats
//   f16    head_dim IEEE binary16 values (uint16, round to nearest even)
//   binary ceil(head_dim/64) uint64 words of sign bits (bit contract), all rows first, then
//          one float scale per row (mean |x| over the row) after the last row's words.
//
//===----------------------------------------------------------------------===//
#ifndef BNN_RUNTIME_KVFORMAT_H
#define BNN_RUNTIME_KVFORMAT_H

#include "bnn/bnn.h"

#include <cstdint>

namespace bnn::kv {

/// IEEE binary16 from float, rounded to nearest even (overflow -> +-inf, NaN stays NaN).
uint16_t floatToHalf(float f);
/// The float of an IEEE binary16 value (exact).
float halfToFloat(uint16_t h);

/// The binary form of one head's row: sign bits by the bit contract (bnn::ref::
/// packBitsLSBFirst, ceil(headDim/64) words, padding zero) and scale = bnn::ref::meanAbs(x).
void binarizeRow(const float *x, int64_t headDim, uint64_t *signs, float *scale);

/// Offsets inside one layer's K or V block of a page.
struct BlockLayout {
  bnn_kv_format format = BNN_KV_F32;
  int64_t heads = 0, pageSize = 0, headDim = 0;
  int64_t words = 0; ///< uint64 words per binary row

  static BlockLayout of(const bnn_kv_config &config);

  /// Bytes of the block's content (before padding to 64 bytes).
  int64_t contentBytes() const;
  /// Byte offset of row (head, slot): its floats, halves or sign words.
  int64_t rowOffset(int64_t head, int64_t slot) const;
  /// Byte offset of the float scale of row (head, slot); binary only.
  int64_t scaleOffset(int64_t head, int64_t slot) const;

  /// Stores token `slot` (heads x headDim floats) in the block, converting to the format.
  void store(uint8_t *block, int64_t slot, const float *token) const;
  /// Reads row (head, slot) back as headDim floats (binary: +-scale).
  void load(const uint8_t *block, int64_t head, int64_t slot, float *row) const;
};

} // namespace bnn::kv

#endif // BNN_RUNTIME_KVFORMAT_H
