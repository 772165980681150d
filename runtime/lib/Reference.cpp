//===- Reference.cpp - Scalar reference semantics for bnn ops -------------===//
//
// Deliberately simple scalar code: this is the oracle, so clarity wins over
// speed everywhere. See Reference.h for the contract of each function.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/Reference.h"

#include "bnn/runtime/Checked.h"

#include <algorithm>
#include <bitset>
#include <climits>
#include <cassert>
#include <cmath>
#include <vector>

namespace bnn::ref {

int64_t wordsPerRow(int64_t k) {
  assert(k >= 0 && "logical row length must be non-negative");
  // Not (k + 63) / 64, which overflows for k within 63 of INT64_MAX.
  return k / kBitsPerWord + (k % kBitsPerWord != 0);
}

std::optional<int64_t> packedWordCount(int64_t rows, int64_t k) {
  if (rows < 0 || k < 0)
    return std::nullopt;
  return checked::mul(rows, wordsPerRow(k));
}

std::optional<int64_t> packedByteCount(int64_t rows, int64_t k) {
  std::optional<int64_t> words = packedWordCount(rows, k);
  if (!words)
    return std::nullopt;
  return checked::mul<int64_t>(*words, sizeof(uint64_t));
}

std::optional<int64_t> elementCount(int64_t rows, int64_t k) {
  if (rows < 0 || k < 0)
    return std::nullopt;
  return checked::mul(rows, k);
}

float sign(float x) { return signBit(x) ? 1.0f : -1.0f; }

void signTensor(const float *x, int64_t n, float *y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = sign(x[i]);
}

namespace {
// Shared packing loop: `bitOf(r, e)` yields the bit of element e in row r.
// Every word is zeroed first, so padding bits past k are zero by construction.
template <typename BitFn>
void packRows(int64_t rows, int64_t k, uint64_t *words, BitFn bitOf) {
  const int64_t wpr = wordsPerRow(k);
  for (int64_t r = 0; r < rows; ++r) {
    uint64_t *row = words + r * wpr;
    for (int64_t w = 0; w < wpr; ++w)
      row[w] = 0;
    for (int64_t e = 0; e < k; ++e)
      if (bitOf(r, e)) // element 64*w + j -> bit j of word w (LSB first)
        row[e / kBitsPerWord] |= uint64_t{1} << (e % kBitsPerWord);
  }
}

// Reads the bit of element e from a packed row (ignores padding).
bool getBit(const uint64_t *row, int64_t e) {
  return (row[e / kBitsPerWord] >> (e % kBitsPerWord)) & 1u;
}
} // namespace

void packBitsLSBFirst(const float *x, int64_t rows, int64_t k,
                      uint64_t *words) {
  packRows(rows, k, words,
           [&](int64_t r, int64_t e) { return signBit(x[r * k + e]); });
}

void packBitsLSBFirst(const bool *x, int64_t rows, int64_t k,
                      uint64_t *words) {
  packRows(rows, k, words, [&](int64_t r, int64_t e) { return x[r * k + e]; });
}

void unpackBitsLSBFirst(const uint64_t *words, int64_t rows, int64_t k,
                        float *x) {
  const int64_t wpr = wordsPerRow(k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < k; ++e)
      x[r * k + e] = getBit(words + r * wpr, e) ? 1.0f : -1.0f;
}

void unpackBitsLSBFirst(const uint64_t *words, int64_t rows, int64_t k,
                        bool *x) {
  const int64_t wpr = wordsPerRow(k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < k; ++e)
      x[r * k + e] = getBit(words + r * wpr, e);
}

void xnorPopcount(const uint64_t *a, int64_t m, const uint64_t *b, int64_t n,
                  int64_t k, int32_t *out) {
  // For +-1 values a*b = +1 when the bits agree and -1 when they differ, so
  // the dot product is (#agree - #differ) = k - 2 * #differ, and #differ is
  // popcount(a XOR b). Padding bits are zero in both operands, so their XOR is
  // zero and they never add to #differ; that is why we can XOR whole words
  // without masking and still subtract from the logical k, not 64 * words.
  const int64_t wpr = wordsPerRow(k);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t differ = 0;
      for (int64_t w = 0; w < wpr; ++w)
        differ += std::bitset<64>(a[i * wpr + w] ^ b[j * wpr + w]).count();
      out[i * n + j] = static_cast<int32_t>(k - 2 * differ);
    }
  }
}

void hammingTopK(const uint64_t *a, int64_t m, const uint64_t *b, int64_t n,
                 int64_t k, int64_t topK, int32_t *distances, int64_t *indices) {
  const int64_t wpr = wordsPerRow(k);
  std::vector<int32_t> distance(static_cast<size_t>(n));
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t differ = 0;
      for (int64_t w = 0; w < wpr; ++w)
        differ += std::bitset<64>(a[i * wpr + w] ^ b[j * wpr + w]).count();
      distance[j] = static_cast<int32_t>(differ);
      order[j] = j;
    }
    // Stable: equal distances keep ascending index order.
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
      return distance[x] < distance[y];
    });
    for (int64_t r = 0; r < topK; ++r) {
      distances[i * topK + r] = r < n ? distance[order[r]] : INT32_MAX;
      indices[i * topK + r] = r < n ? order[r] : -1;
    }
  }
}

float meanAbs(const float *x, int64_t n) {
  if (n == 0)
    return 0.0f;
  // Accumulate in double: the reference should not lose precision on long
  // rows, so kernels are compared against the best answer, not a rounded one.
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i)
    sum += std::fabs(static_cast<double>(x[i]));
  return static_cast<float>(sum / static_cast<double>(n));
}

void scaledSign(const float *x, int64_t channels, int64_t elemsPerChannel,
                ScaleGranularity g, const float *alpha, float *y) {
  const bool perChannel = g == ScaleGranularity::PerChannel;
  // Per-tensor scale computed once up front; per-channel scales row by row.
  float tensorAlpha = 0.0f;
  if (!perChannel)
    tensorAlpha = alpha ? alpha[0] : meanAbs(x, channels * elemsPerChannel);
  for (int64_t c = 0; c < channels; ++c) {
    const float *row = x + c * elemsPerChannel;
    float a = tensorAlpha;
    if (perChannel)
      a = alpha ? alpha[c] : meanAbs(row, elemsPerChannel);
    for (int64_t e = 0; e < elemsPerChannel; ++e)
      y[c * elemsPerChannel + e] = a * sign(row[e]);
  }
}

void steForward(const float *x, int64_t n, float *y) { signTensor(x, n, y); }

void steBackward(const float *x, const float *gradOut, int64_t n, float clip,
                 float gradScale, float *gradIn) {
  // Inclusive window (see header). fabs(NaN) <= clip is false -> zero.
  for (int64_t i = 0; i < n; ++i)
    gradIn[i] = std::fabs(x[i]) <= clip ? gradOut[i] * gradScale : 0.0f;
}

//===----------------------------------------------------------------------===//
// Low-bit values
//===----------------------------------------------------------------------===//

std::optional<int64_t> ternaryWordCount(int64_t rows, int64_t k) {
  std::optional<int64_t> words = packedWordCount(rows, k);
  if (!words)
    return std::nullopt;
  return checked::mul<int64_t>(*words, kTernaryPlanes);
}

float ternaryValue(float x) {
  if (x == 0.0f)
    return 0.0f;
  return x < 0.0f ? -1.0f : 1.0f;
}

namespace {
// The value of element e of ternary row r: the mask plane says whether it is
// non-zero, the sign plane which sign it has.
int ternaryAt(const uint64_t *storage, int64_t r, int64_t k, int64_t e) {
  const int64_t wpr = wordsPerRow(k);
  const uint64_t *sign = storage + (r * kTernaryPlanes + 0) * wpr;
  const uint64_t *mask = storage + (r * kTernaryPlanes + 1) * wpr;
  if (!getBit(mask, e))
    return 0;
  return getBit(sign, e) ? 1 : -1;
}

// Round to the nearest integer, ties to even (torch.round, what BitNet's
// quantizers use): nearbyint in the default floating-point environment.
float roundHalfToEven(float x) { return std::nearbyint(x); }

// The scopes a quantizer computes a scale over: the whole tensor, or each row.
template <typename ScopeFn>
void forEachScope(int64_t channels, int64_t elemsPerChannel, ScaleGranularity g,
                  ScopeFn scope) {
  if (g == ScaleGranularity::PerTensor) {
    scope(int64_t{0}, channels * elemsPerChannel);
    return;
  }
  for (int64_t c = 0; c < channels; ++c)
    scope(c * elemsPerChannel, elemsPerChannel);
}
} // namespace

void packTernary(const float *x, int64_t rows, int64_t k, uint64_t *storage) {
  const int64_t wpr = wordsPerRow(k);
  for (int64_t r = 0; r < rows; ++r) {
    // Packed one row at a time as two binary rows (the planes).
    uint64_t *sign = storage + (r * kTernaryPlanes + 0) * wpr;
    uint64_t *mask = storage + (r * kTernaryPlanes + 1) * wpr;
    packRows(1, k, sign, [&](int64_t, int64_t e) {
      return ternaryValue(x[r * k + e]) > 0.0f;
    });
    packRows(1, k, mask, [&](int64_t, int64_t e) {
      return ternaryValue(x[r * k + e]) != 0.0f;
    });
  }
}

void unpackTernary(const uint64_t *storage, int64_t rows, int64_t k, float *x) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < k; ++e)
      x[r * k + e] = static_cast<float>(ternaryAt(storage, r, k, e));
}

void quantizeAbsmeanTernary(const float *w, int64_t channels,
                            int64_t elemsPerChannel, ScaleGranularity g,
                            float eps, float *q, float *scales) {
  int64_t index = 0;
  forEachScope(channels, elemsPerChannel, g, [&](int64_t first, int64_t count) {
    float gamma = meanAbs(w + first, count);
    float divisor = gamma + eps;
    for (int64_t i = first; i < first + count; ++i) {
      float r = roundHalfToEven(w[i] / divisor);
      // clip(r, -1, 1) of an integer; NaN compares false both ways -> 0.
      q[i] = r > 0.0f ? 1.0f : (r < 0.0f ? -1.0f : 0.0f);
    }
    scales[index++] = gamma;
  });
}

void quantizeThresholdTernary(const float *w, int64_t channels,
                              int64_t elemsPerChannel, ScaleGranularity g,
                              float ratio, float *q, float *scales) {
  int64_t index = 0;
  forEachScope(channels, elemsPerChannel, g, [&](int64_t first, int64_t count) {
    float delta = ratio * meanAbs(w + first, count);
    double keptSum = 0.0;
    int64_t kept = 0;
    for (int64_t i = first; i < first + count; ++i) {
      bool zero = std::fabs(w[i]) < delta || w[i] == 0.0f;
      q[i] = zero ? 0.0f : sign(w[i]);
      if (!zero) {
        keptSum += std::fabs(static_cast<double>(w[i]));
        ++kept;
      }
    }
    scales[index++] =
        kept == 0 ? 0.0f : static_cast<float>(keptSum / static_cast<double>(kept));
  });
}

void quantizeAbsmaxInt8(const float *x, int64_t rows, int64_t k, float eps,
                        int8_t *q, float *scales) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x + r * k;
    float m = eps;
    for (int64_t e = 0; e < k; ++e)
      m = std::fmax(m, std::fabs(row[e])); // fmax ignores NaN
    float s = 127.0f / m;
    for (int64_t e = 0; e < k; ++e) {
      float v = roundHalfToEven(row[e] * s);
      if (std::isnan(v))
        v = 0.0f;
      v = std::fmin(std::fmax(v, -127.0f), 127.0f);
      q[r * k + e] = static_cast<int8_t>(v);
    }
    scales[r] = m / 127.0f;
  }
}

void ternaryBinaryMatmul(const uint64_t *a, int64_t m, const uint64_t *w,
                         int64_t n, int64_t k, int32_t *out) {
  const int64_t wpr = wordsPerRow(k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t sum = 0;
      for (int64_t e = 0; e < k; ++e)
        sum += (getBit(a + i * wpr, e) ? 1 : -1) * ternaryAt(w, j, k, e);
      out[i * n + j] = static_cast<int32_t>(sum);
    }
}

void int8TernaryMatmul(const int8_t *x, int64_t m, const uint64_t *w,
                       int64_t n, int64_t k, int32_t *out) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t sum = 0;
      for (int64_t e = 0; e < k; ++e)
        sum += int64_t{x[i * k + e]} * ternaryAt(w, j, k, e);
      out[i * n + j] = static_cast<int32_t>(sum);
    }
}

void int8BinaryMatmul(const int8_t *x, int64_t m, const uint64_t *w, int64_t n,
                      int64_t k, int32_t *out) {
  const int64_t wpr = wordsPerRow(k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t sum = 0;
      for (int64_t e = 0; e < k; ++e)
        sum += int64_t{x[i * k + e]} * (getBit(w + j * wpr, e) ? 1 : -1);
      out[i * n + j] = static_cast<int32_t>(sum);
    }
}

} // namespace bnn::ref
