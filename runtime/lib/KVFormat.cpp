//===- KVFormat.cpp - Element formats and page layout of the KV-cache -----===//
//
// The conversions and offsets of bnn/runtime/KVFormat.h, as docs/KVCache.md specifies them.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/KVFormat.h"
#include "bnn/runtime/Reference.h"

#include <cmath>
#include <cstring>

using namespace bnn::kv;

uint16_t bnn::kv::floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) // NaN: quiet, keep the top payload bits
    return static_cast<uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) // >= 65520 (halfway past 65504, ties to even): infinity
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (a < 0x38800000u) { // below 2^-14: a subnormal half (or zero), in units of 2^-24
    float mag;
    std::memcpy(&mag, &a, 4);
    // Exact scaling by a power of two, then round to nearest even (the default mode).
    const auto m = static_cast<uint32_t>(std::nearbyint(mag * 16777216.0f));
    return static_cast<uint16_t>(sign | m); // m == 0x400 is the smallest normal: correct
  }
  uint32_t h = (((a >> 23) - 127 + 15) << 10) | ((a >> 13) & 0x3ffu);
  const uint32_t rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h; // a carry into the exponent is the correct result
  return static_cast<uint16_t>(sign | h);
}

float bnn::kv::halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  const uint32_t bits =
      exp == 31 ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112) << 23) | (mant << 13));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void bnn::kv::binarizeRow(const float *x, int64_t headDim, uint64_t *signs, float *scale) {
  bnn::ref::packBitsLSBFirst(x, 1, headDim, signs);
  *scale = bnn::ref::meanAbs(x, headDim);
}

BlockLayout BlockLayout::of(const bnn_kv_config &config) {
  BlockLayout l;
  l.format = static_cast<bnn_kv_format>(config.format); // validated by the cache
  l.heads = config.num_kv_heads;
  l.pageSize = config.page_size;
  l.headDim = config.head_dim;
  l.words = bnn::ref::wordsPerRow(config.head_dim);
  return l;
}

int64_t BlockLayout::contentBytes() const {
  const int64_t rows = heads * pageSize;
  switch (format) {
  case BNN_KV_F32: return rows * headDim * 4;
  case BNN_KV_F16: return rows * headDim * 2;
  default: return rows * words * 8 + rows * 4;
  }
}

int64_t BlockLayout::rowOffset(int64_t head, int64_t slot) const {
  const int64_t row = head * pageSize + slot;
  switch (format) {
  case BNN_KV_F32: return row * headDim * 4;
  case BNN_KV_F16: return row * headDim * 2;
  default: return row * words * 8;
  }
}

int64_t BlockLayout::scaleOffset(int64_t head, int64_t slot) const {
  return heads * pageSize * words * 8 + (head * pageSize + slot) * 4;
}

void BlockLayout::store(uint8_t *block, int64_t slot, const float *token) const {
  for (int64_t h = 0; h < heads; ++h) {
    const float *x = token + h * headDim;
    uint8_t *dst = block + rowOffset(h, slot);
    switch (format) {
    case BNN_KV_F32: std::memcpy(dst, x, static_cast<size_t>(headDim) * 4); break;
    case BNN_KV_F16:
      for (int64_t d = 0; d < headDim; ++d) {
        const uint16_t v = floatToHalf(x[d]);
        std::memcpy(dst + d * 2, &v, 2);
      }
      break;
    default: {
      // Sign rows start at multiples of 8 bytes in a 64-byte aligned block: aligned words.
      float scale;
      binarizeRow(x, headDim, reinterpret_cast<uint64_t *>(dst), &scale);
      std::memcpy(block + scaleOffset(h, slot), &scale, 4);
      break;
    }
    }
  }
}

void BlockLayout::load(const uint8_t *block, int64_t head, int64_t slot, float *row) const {
  const uint8_t *src = block + rowOffset(head, slot);
  switch (format) {
  case BNN_KV_F32: std::memcpy(row, src, static_cast<size_t>(headDim) * 4); break;
  case BNN_KV_F16:
    for (int64_t d = 0; d < headDim; ++d) {
      uint16_t v;
      std::memcpy(&v, src + d * 2, 2);
      row[d] = halfToFloat(v);
    }
    break;
  default: {
    float scale;
    std::memcpy(&scale, block + scaleOffset(head, slot), 4);
    for (int64_t d = 0; d < headDim; ++d) {
      uint64_t word;
      std::memcpy(&word, src + (d / 64) * 8, 8);
      row[d] = ((word >> (d % 64)) & 1u) ? scale : -scale;
    }
    break;
  }
  }
}
