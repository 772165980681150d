//===- Reference.h - Scalar reference semantics for bnn ops ------*- C++ -*-===//
//
// The oracle that every compiled kernel (CPU and GPU) is tested against. It
// implements the bit contract of docs/Architecture.md with plain,
// deliberately naive scalar C++17 so that it is easy to convince oneself it is
// correct. It must never depend on MLIR or LLVM: the runtime builds alone.
//
// Bit contract summary:
//   * +1 is bit 1, -1 is bit 0, sign(0) = +1.
//   * Packing runs along the last (reduction) axis, LSB first in 64-bit words:
//     element 64*w + j of a row is bit j of word w. Rows are padded to whole
//     words with zero bits.
//   * xnor_popcount(a, b)[m, n] = sum_k a[m,k]*b[n,k]
//                               = K - 2*popcount(a_m XOR b_n).
//   * Ternary rows are two planes of such words, sign then mask: +1 is
//     (sign 1, mask 1), -1 is (sign 0, mask 1), 0 is (sign 0, mask 0).
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_REFERENCE_H
#define BNN_RUNTIME_REFERENCE_H

#include <cstdint>
#include <optional>

namespace bnn::ref {

/// Number of logical elements stored in one packed word.
constexpr int64_t kBitsPerWord = 64;

/// Number of 64-bit words holding one packed row of \p k elements, i.e.
/// ceil(k / 64). \p k must be >= 0; every k up to INT64_MAX is exact (the
/// rounding never overflows).
int64_t wordsPerRow(int64_t k);

/// Sizes of a packed rows x k buffer, or std::nullopt if rows or k is negative
/// or the count does not fit in int64_t. Callers that derive an allocation or a
/// loop bound from sizes they did not choose (a type, a file, a flag) use these,
/// never rows * wordsPerRow(k) by hand.
std::optional<int64_t> packedWordCount(int64_t rows, int64_t k);
std::optional<int64_t> packedByteCount(int64_t rows, int64_t k);
/// rows * k elements of the unpacked tensor, with the same checks.
std::optional<int64_t> elementCount(int64_t rows, int64_t k);

// Preconditions of the functions below: every buffer holds the number of
// elements or words its comment names (so those counts exist in memory and the
// index arithmetic inside cannot overflow; compute them with the checked
// helpers above). xnorPopcount writes int32 dot products in [-k, k], so it
// needs k <= INT32_MAX as well.

/// The packed bit of \p x: true (+1) unless x is strictly negative. Written as
/// !(x < 0) rather than (x >= 0) so that +0, -0 and NaN all map to +1; every
/// backend must agree on NaN, and "not negative" is the cheapest rule to copy.
inline bool signBit(float x) { return !(x < 0.0f); }

/// +1.0f if signBit(x), else -1.0f.
float sign(float x);

/// y[i] = sign(x[i]) for i in [0, n). \p y may alias \p x.
void signTensor(const float *x, int64_t n, float *y);

/// Packs a row-major rows x k float tensor by sign along the last axis.
/// Writes rows * wordsPerRow(k) words; element 64*w + j of a row becomes bit j
/// of word w of that row, and padding bits past k are zero.
void packBitsLSBFirst(const float *x, int64_t rows, int64_t k, uint64_t *words);

/// Same as above for i1 input: true is +1 (bit 1), false is -1 (bit 0).
void packBitsLSBFirst(const bool *x, int64_t rows, int64_t k, uint64_t *words);

/// Inverse of packing: reads rows * wordsPerRow(k) words and writes a
/// row-major rows x k tensor, bit 1 -> +1.0f, bit 0 -> -1.0f. Padding bits
/// are ignored.
void unpackBitsLSBFirst(const uint64_t *words, int64_t rows, int64_t k,
                        float *x);

/// Same as above producing i1 values (bit 1 -> true).
void unpackBitsLSBFirst(const uint64_t *words, int64_t rows, int64_t k,
                        bool *x);

/// Binary GEMM on packed operands. \p a holds m packed rows, \p b holds n
/// packed rows (a weight matrix N x K, i.e. already "transposed"), both with
/// logical length \p k. Writes the row-major m x n int32 result
///   out[i*n + j] = sum_k a[i,k] * b[j,k] = k - 2 * popcount(a_i XOR b_j).
void xnorPopcount(const uint64_t *a, int64_t m, const uint64_t *b, int64_t n,
                  int64_t k, int32_t *out);

/// Exact k-nearest-neighbour search by Hamming distance (bnn.hamming_topk,
/// bnn_ukernel_hamming_topk): for each of the \p m packed query rows of \p a,
/// the \p topK rows of \p b (\p n rows) with the smallest popcount(a_i XOR b_j),
/// in ascending distance, ties broken by the smaller row index (FAISS order).
/// Writes m x topK distances and indices; entries past n are INT32_MAX and -1.
/// Computed the naive way: all n distances of a query, then a stable sort.
void hammingTopK(const uint64_t *a, int64_t m, const uint64_t *b, int64_t n,
                 int64_t k, int64_t topK, int32_t *distances, int64_t *indices);

/// How many scale factors scaledSign uses.
enum class ScaleGranularity {
  PerTensor,  ///< One alpha for the whole tensor.
  PerChannel, ///< One alpha per output channel (leading dimension).
};

/// mean(|x[i]|) over i in [0, n); 0 when n == 0.
float meanAbs(const float *x, int64_t n);

/// y = alpha * sign(x) for a row-major channels x elemsPerChannel tensor whose
/// leading dimension is the output channel. If \p alpha is nullptr the scale
/// is computed as meanAbs over the whole tensor (PerTensor) or over each
/// channel's row (PerChannel); otherwise \p alpha points to 1 value
/// (PerTensor) or \p channels values (PerChannel).
void scaledSign(const float *x, int64_t channels, int64_t elemsPerChannel,
                ScaleGranularity g, const float *alpha, float *y);

/// Straight-through estimator, forward pass: y = sign(x).
void steForward(const float *x, int64_t n, float *y);

/// Straight-through estimator, backward pass:
///   gradIn[i] = (|x[i]| <= clip) ? gradOut[i] * gradScale : 0.
/// The window is inclusive: x = +-clip still passes the gradient (this matches
/// the usual hardtanh derivative convention and means a latent weight clipped
/// exactly to +-clip keeps learning). NaN inputs get zero gradient.
void steBackward(const float *x, const float *gradOut, int64_t n, float clip,
                 float gradScale, float *gradIn);

//===----------------------------------------------------------------------===//
// Low-bit values: ternary planes, quantizers, low-bit matrix products
//===----------------------------------------------------------------------===//

/// Bit planes of a packed ternary row (sign, then mask) and their order in the
/// storage: row r, plane p, word w is word (r * 2 + p) * wordsPerRow(k) + w.
constexpr int64_t kTernaryPlanes = 2;

/// rows * 2 * wordsPerRow(k) storage words of a packed ternary rows x k tensor,
/// or std::nullopt if rows or k is negative or the count overflows int64_t.
std::optional<int64_t> ternaryWordCount(int64_t rows, int64_t k);

/// The ternary value of \p x: 0 for +0 and -0, -1 for x < 0, +1 otherwise (so
/// NaN is +1, as under the sign rule).
float ternaryValue(float x);

/// Packs a row-major rows x k float tensor into ternary planes by ternaryValue:
/// writes ternaryWordCount(rows, k) words (sign bit where the value is +1, mask
/// bit where it is not 0; padding zero in both planes).
void packTernary(const float *x, int64_t rows, int64_t k, uint64_t *storage);

/// Inverse of packTernary: -1.0f, 0.0f or +1.0f per element; padding ignored,
/// and a sign bit under a clear mask bit reads as 0.
void unpackTernary(const uint64_t *storage, int64_t rows, int64_t k, float *x);

/// The epsilon of the absmean quantizer's divisor (BitNet b1.58).
constexpr float kAbsmeanEpsilon = 1e-5f;
/// The threshold ratio of the dynamic-threshold ternary quantizer (TWN,
/// OneBit-LLM): zero where |w| < 0.7 * mean|w|.
constexpr float kThresholdRatio = 0.7f;
/// The floor of the absmax int8 quantizer's row maximum (BitNet's clamp).
constexpr float kAbsmaxEpsilon = 1e-5f;

/// Absmean ternary quantization (BitNet b1.58) of a row-major channels x
/// elemsPerChannel tensor: per scope (the whole tensor for PerTensor, each row
/// for PerChannel) gamma = meanAbs(scope) and
///   q = clip(roundHalfToEven(w / (gamma + eps)), -1, 1)
/// with the division in f32. Writes q (-1.0f, 0.0f or +1.0f; NaN weights
/// quantize to 0) and the dequantization scales gamma (1 for PerTensor,
/// channels for PerChannel): w ~ gamma * q.
void quantizeAbsmeanTernary(const float *w, int64_t channels,
                            int64_t elemsPerChannel, ScaleGranularity g,
                            float eps, float *q, float *scales);

/// Dynamic-threshold ternary quantization (TWN, as OneBit-LLM uses it): per
/// scope delta = ratio * meanAbs(scope) (in f32), q = 0 where |w| < delta or
/// w == 0, else sign(w) (NaN: +1). The scale is the mean |w| (summed in
/// double) over the elements with q != 0 of the scope, 0 when there are none.
void quantizeThresholdTernary(const float *w, int64_t channels,
                              int64_t elemsPerChannel, ScaleGranularity g,
                              float ratio, float *q, float *scales);

/// Absmax int8 quantization per row (per token, BitNet): with
/// m = max(max_k |x[r,k]|, eps) (NaN elements ignored) and s = 127 / m (f32),
///   q = clip(roundHalfToEven(x * s), -127, 127)
/// (symmetric, -128 is never produced; NaN quantizes to 0), and the row's
/// dequantization scale m / 127 (f32): x ~ q * scale.
void quantizeAbsmaxInt8(const float *x, int64_t rows, int64_t k, float eps,
                        int8_t *q, float *scales);

/// out[i*n + j] = sum_e a[i,e] * w[j,e] for binary activations \p a (m packed
/// rows of k bits) and ternary weights \p w (n packed ternary rows).
void ternaryBinaryMatmul(const uint64_t *a, int64_t m, const uint64_t *w,
                         int64_t n, int64_t k, int32_t *out);

/// out[i*n + j] = sum_e x[i*k + e] * w[j,e] for int8 activations and ternary
/// weights; every |dot| <= 128 * k, so k <= (2^31 - 1) / 128 keeps it in int32.
void int8TernaryMatmul(const int8_t *x, int64_t m, const uint64_t *w,
                       int64_t n, int64_t k, int32_t *out);

/// out[i*n + j] = sum_e x[i*k + e] * w[j,e] for int8 activations and binary
/// (+1/-1) weights (n packed rows); the same bound on k.
void int8BinaryMatmul(const int8_t *x, int64_t m, const uint64_t *w, int64_t n,
                      int64_t k, int32_t *out);

} // namespace bnn::ref

#endif // BNN_RUNTIME_REFERENCE_H
