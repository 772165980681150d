//===- LowBitReferenceTest.cpp - ternary, quantizer and low-bit matmul refs -===//
//
// Hand-computed examples from the definitions (BitNet b1.58's absmean and absmax quantizers,
// the TWN / OneBit-LLM threshold, the ternary planes of the bit contract), and the low-bit
// products against the plane formula of docs/Architecture.md.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/Reference.h"

#include <gtest/gtest.h>

#include <bitset>
#include <cmath>
#include <random>
#include <vector>

namespace {

using bnn::ref::ScaleGranularity;

TEST(LowBitReferenceTest, TernaryValue) {
  EXPECT_EQ(bnn::ref::ternaryValue(0.0f), 0.0f);
  EXPECT_EQ(bnn::ref::ternaryValue(-0.0f), 0.0f);
  EXPECT_EQ(bnn::ref::ternaryValue(-0.25f), -1.0f);
  EXPECT_EQ(bnn::ref::ternaryValue(3.0f), 1.0f);
  EXPECT_EQ(bnn::ref::ternaryValue(std::nanf("")), 1.0f);
}

TEST(LowBitReferenceTest, PackTernaryHandExample) {
  // Row 0: [+1, 0, -1, 0.5, -0.0, NaN] -> values [+1, 0, -1, +1, 0, +1]:
  // sign bits 0, 3, 5 = 0x29; mask bits 0, 2, 3, 5 = 0x2D. Row 1: all -1: sign 0, mask 0x3F.
  const float x[] = {1.0f, 0.0f, -1.0f, 0.5f, -0.0f, std::nanf(""),
                     -1.0f, -2.0f, -3.0f, -4.0f, -5.0f, -6.0f};
  ASSERT_EQ(bnn::ref::ternaryWordCount(2, 6), 4);
  uint64_t storage[4] = {~0ull, ~0ull, ~0ull, ~0ull};
  bnn::ref::packTernary(x, 2, 6, storage);
  EXPECT_EQ(storage[0], 0x29u); // row 0 sign
  EXPECT_EQ(storage[1], 0x2Du); // row 0 mask
  EXPECT_EQ(storage[2], 0x0u);  // row 1 sign
  EXPECT_EQ(storage[3], 0x3Fu); // row 1 mask
  float back[12];
  bnn::ref::unpackTernary(storage, 2, 6, back);
  const float expected[] = {1, 0, -1, 1, 0, 1, -1, -1, -1, -1, -1, -1};
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(back[i], expected[i]) << i;
}

TEST(LowBitReferenceTest, PackTernaryPlanesAcrossWords) {
  // K = 130: three words per plane, element 129 is bit 1 of word 2; padding stays zero.
  std::vector<float> x(130, 0.0f);
  x[0] = -1.0f;
  x[64] = 1.0f;
  x[129] = 1.0f;
  std::vector<uint64_t> storage(*bnn::ref::ternaryWordCount(1, 130), ~0ull);
  bnn::ref::packTernary(x.data(), 1, 130, storage.data());
  const uint64_t sign[] = {0, 1, 2}, mask[] = {1, 1, 2};
  for (int w = 0; w < 3; ++w) {
    EXPECT_EQ(storage[w], sign[w]) << w;
    EXPECT_EQ(storage[3 + w], mask[w]) << w;
  }
  EXPECT_FALSE(bnn::ref::ternaryWordCount(-1, 4));
  EXPECT_FALSE(bnn::ref::ternaryWordCount(INT64_MAX / 2 + 1, 64));
}

TEST(LowBitReferenceTest, AbsmeanHandExamples) {
  // gamma = mean(|w|) = 1.025; w / (gamma + 1e-5) = [0.49, -1.46, 0.098, 1.95] -> [0, -1, 0, 1].
  const float w[] = {0.5f, -1.5f, 0.1f, 2.0f};
  float q[4], gamma;
  bnn::ref::quantizeAbsmeanTernary(w, 1, 4, ScaleGranularity::PerTensor,
                                   bnn::ref::kAbsmeanEpsilon, q, &gamma);
  EXPECT_FLOAT_EQ(gamma, 1.025f);
  const float expected[] = {0, -1, 0, 1};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(q[i], expected[i]) << i;
  // Ties round to even: with eps = 0, [1, 3] / 2 = [0.5, 1.5] -> [0, 2] -> clipped [0, 1].
  const float ties[] = {1.0f, 3.0f, -1.0f, -3.0f};
  float tq[4], scales[2];
  bnn::ref::quantizeAbsmeanTernary(ties, 2, 2, ScaleGranularity::PerChannel, 0.0f, tq, scales);
  EXPECT_EQ(scales[0], 2.0f);
  EXPECT_EQ(scales[1], 2.0f);
  EXPECT_EQ(tq[0], 0.0f);
  EXPECT_EQ(tq[1], 1.0f);
  EXPECT_EQ(tq[2], 0.0f); // -0.5 -> -0 -> 0
  EXPECT_EQ(tq[3], -1.0f);
  // All zero weights: gamma = 0, the divisor is eps, every q is 0.
  const float zeros[] = {0.0f, -0.0f};
  float zq[2], zg;
  bnn::ref::quantizeAbsmeanTernary(zeros, 1, 2, ScaleGranularity::PerTensor, 1e-5f, zq, &zg);
  EXPECT_EQ(zg, 0.0f);
  EXPECT_EQ(zq[0], 0.0f);
  EXPECT_EQ(zq[1], 0.0f);
}

TEST(LowBitReferenceTest, ThresholdHandExamples) {
  // mean |w| = 0.375, delta = 0.2625: [0.1, -0.9, 0.5, 0] -> [0, -1, 1, 0], alpha = 0.7.
  const float w[] = {0.1f, -0.9f, 0.5f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  float q[8], scales[2];
  bnn::ref::quantizeThresholdTernary(w, 2, 4, ScaleGranularity::PerChannel,
                                     bnn::ref::kThresholdRatio, q, scales);
  const float expected[] = {0, -1, 1, 0, 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(q[i], expected[i]) << i;
  EXPECT_FLOAT_EQ(scales[0], 0.7f);
  EXPECT_EQ(scales[1], 1.0f);
  // Per tensor, all zeros: nothing is kept, alpha = 0.
  const float zeros[] = {0.0f, 0.0f, 0.0f};
  float zq[3], alpha = -1.0f;
  bnn::ref::quantizeThresholdTernary(zeros, 1, 3, ScaleGranularity::PerTensor, 0.7f, zq, &alpha);
  EXPECT_EQ(alpha, 0.0f);
  for (float v : zq)
    EXPECT_EQ(v, 0.0f);
}

TEST(LowBitReferenceTest, AbsmaxHandExamples) {
  // Row 0: max 1, s = 127: [63.5, -127, 31.75, 0.4953] -> [64 (tie to even), -127, 32, 0].
  // Row 1: all zero -> max = eps, every q 0, scale eps / 127.
  // Row 2: NaN is ignored by the maximum and quantizes to 0; max 2 -> [0, 127, -64].
  const float x[] = {0.5f, -1.0f, 0.25f, 0.0039f, 0.0f, 0.0f, 0.0f, 0.0f,
                     std::nanf(""), 2.0f, -1.0f, 0.0f};
  int8_t q[12];
  float scales[3];
  bnn::ref::quantizeAbsmaxInt8(x, 3, 4, bnn::ref::kAbsmaxEpsilon, q, scales);
  const int8_t expected[] = {64, -127, 32, 0, 0, 0, 0, 0, 0, 127, -64, 0};
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(q[i], expected[i]) << i;
  EXPECT_EQ(scales[0], 1.0f / 127.0f);
  EXPECT_EQ(scales[1], 1e-5f / 127.0f);
  EXPECT_EQ(scales[2], 2.0f / 127.0f);
}

TEST(LowBitReferenceTest, MatmulHandExamples) {
  // Weights [+1, 0, -1] and [-1, -1, -1]; activations a = [+1, -1, +1], x = [3, -2, 5].
  const float t[] = {1, 0, -1, -1, -1, -1};
  uint64_t w[4];
  bnn::ref::packTernary(t, 2, 3, w);
  const uint64_t a[] = {0b101};
  int32_t out[2];
  bnn::ref::ternaryBinaryMatmul(a, 1, w, 2, 3, out);
  EXPECT_EQ(out[0], 0);  // 1 + 0 - 1
  EXPECT_EQ(out[1], -1); // -1 + 1 - 1
  const int8_t x[] = {3, -2, 5};
  bnn::ref::int8TernaryMatmul(x, 1, w, 2, 3, out);
  EXPECT_EQ(out[0], -2); // 3 - 5
  EXPECT_EQ(out[1], -6); // -3 + 2 - 5
  const uint64_t b[] = {0b001, 0b110}; // [+1, -1, -1] and [-1, +1, +1]
  bnn::ref::int8BinaryMatmul(x, 1, b, 2, 3, out);
  EXPECT_EQ(out[0], 0); // 3 + 2 - 5
  EXPECT_EQ(out[1], 0); // -3 - 2 + 5
  // The extremes: -128 x -1 over K elements is 128 * K.
  const int8_t lowest[] = {-128, -128, -128};
  const float minus[] = {-1, -1, -1};
  uint64_t wm[2];
  bnn::ref::packTernary(minus, 1, 3, wm);
  bnn::ref::int8TernaryMatmul(lowest, 1, wm, 1, 3, out);
  EXPECT_EQ(out[0], 384);
}

TEST(LowBitReferenceTest, TernaryBinaryMatchesPlaneFormula) {
  // dot = popcount(mask) - 2 * popcount(mask AND (a XOR sign)), the bit contract's formula.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> value(-1, 1);
  for (int64_t k : {1, 63, 64, 65, 200}) {
    int64_t m = 3, n = 4, words = bnn::ref::wordsPerRow(k);
    std::vector<float> a(m * k), t(n * k);
    for (float &v : a)
      v = value(rng) < 0 ? -1.0f : 1.0f;
    for (float &v : t)
      v = static_cast<float>(value(rng));
    std::vector<uint64_t> ap(m * words), tp(*bnn::ref::ternaryWordCount(n, k));
    bnn::ref::packBitsLSBFirst(a.data(), m, k, ap.data());
    bnn::ref::packTernary(t.data(), n, k, tp.data());
    std::vector<int32_t> out(m * n);
    bnn::ref::ternaryBinaryMatmul(ap.data(), m, tp.data(), n, k, out.data());
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int64_t nonzero = 0, differ = 0;
        for (int64_t w = 0; w < words; ++w) {
          uint64_t sign = tp[(j * 2) * words + w], mask = tp[(j * 2 + 1) * words + w];
          nonzero += std::bitset<64>(mask).count();
          differ += std::bitset<64>(mask & (ap[i * words + w] ^ sign)).count();
        }
        EXPECT_EQ(out[i * n + j], nonzero - 2 * differ) << "k " << k << " at " << i << "," << j;
      }
  }
}

} // namespace
