//===- PagedAttention.h - Scalar reference of attention over the KV-cache -*- C++ -*-===//
//
// The oracle for the compiled attention op over bnn's paged KV-cache (bnn/bnn_kv.h): plain,
// deliberately naive scalar C++ (double accumulation) that reads the cache the way compiled
// code must, through bnn_kv_block_table and bnn_kv_page_data, and decodes the pages by the
// layouts of bnn/runtime/KVFormat.h. Semantics (docs/KVCache.md#attention):
//
//   Queries q: [T][num_heads][head_dim] floats, RoPE already applied (as it was to the keys
//   before bnn_kv_append). Query i has position p_i = n - T + i, where n is the number of
//   positions of `layer` written so far (bnn_kv_seq_layer_length): the T newest positions.
//   Head h reads KV head h / (num_heads / num_kv_heads) (GQA; num_heads a multiple of it).
//   Query i sees keys j with lo_i <= j <= p_i, lo_i = max(0, p_i - W + 1) for a sliding window
//   W > 0, else 0 (causal). With d = head_dim:
//     Float:        s_ij = dot(q_i, k^_j) / sqrt(d)
//     XnorPopcount: s_ij = scale_q * scale_k_j * (d - 2 * popcount(sign(q_i) XOR sign(k_j)))
//                          / sqrt(d)     (binary caches only)
//   where k^_j is the stored key read back as floats (f32: itself; f16: its binary16 value;
//   binary: scale_k_j * sign(k_j); with center_keys: mean + scale_k_j * sign(k_j - mean), and
//   XnorPopcount then uses the signs of k_j - mean and leaves out q . mean, a constant per query
//   that softmax does not see), sign(q_i) is packed by the bit contract (bnn::ref::
//   packBitsLSBFirst) and scale_q = bnn::ref::meanAbs(q_i's head row). Note that
//   d - 2 * popcount(...) = sum_c sign(q_c) * sign(k_c), so XnorPopcount is Float with the
//   query binarized as scale_q * sign(q).
//     out_i = sum_j softmax_j(s_ij) * v^_j   (max-subtracted softmax; v^ read back as k^)
//   out: [T][num_heads][head_dim] floats.
//
//===----------------------------------------------------------------------===//
#ifndef BNN_RUNTIME_PAGEDATTENTION_H
#define BNN_RUNTIME_PAGEDATTENTION_H

#include "bnn/bnn.h"

#include <cstdint>

namespace bnn::ref {

/// How a query meets a key.
enum class KVScore {
  Float,        ///< float dot product with the stored key read back as floats
  XnorPopcount, ///< binary caches: binarized query, XNOR-popcount with the key's signs
};

/// Causal GQA attention of `numQueries` query tokens of `seq` at `layer` (above). Returns
/// INVALID_ARGUMENT / OUT_OF_RANGE / NOT_FOUND with a message (bnn_last_error) for bad
/// arguments: a null pointer, a head count that is not a multiple of num_kv_heads, more queries
/// than written positions, a query whose window reaches below the block table's first kept
/// position, XnorPopcount on a float cache.
bnn_status pagedAttention(const bnn_kv_cache *cache, int64_t seq, int64_t layer, const float *q,
                          int64_t numQueries, int64_t numHeads, KVScore score, float *out);

} // namespace bnn::ref

#endif // BNN_RUNTIME_PAGEDATTENTION_H
