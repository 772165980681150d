//===- ReferenceTest.cpp - Tests for the bnn reference semantics ----------===//
//
// The reference library is the oracle for all kernels, so these tests check it
// against brute-force definitions written directly from the bit contract in
// docs/Architecture.md (and against literal hand-computed numbers), never against
// another copy of the same packed-word code.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/Reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

using namespace bnn::ref;

namespace {

// Ragged shapes around word boundaries, from the brief.
const int64_t kKs[] = {1, 63, 64, 65, 127, 128, 129, 1000};
const int64_t kMNs[] = {1, 3, 17};

// Brute-force +-1 value of a float, written independently of signBit():
// non-negative (including -0) and NaN are +1, everything else -1.
int bruteSign(float x) { return (x >= 0.0f || std::isnan(x)) ? 1 : -1; }

// Random floats with the awkward values (+0, -0, NaN) sprinkled in, so every
// test also exercises sign(0) = +1 at random positions.
std::vector<float> randomFloats(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 15);
  std::vector<float> v(n);
  for (float &f : v) {
    switch (pick(rng)) {
    case 0: f = 0.0f; break;
    case 1: f = -0.0f; break;
    case 2: f = std::numeric_limits<float>::quiet_NaN(); break;
    default: f = dist(rng); break;
    }
  }
  return v;
}

bool bitAt(const std::vector<uint64_t> &words, int64_t word, int64_t bit) {
  return (words[word] >> bit) & 1u;
}

} // namespace

TEST(ReferenceTest, WordsPerRow) {
  EXPECT_EQ(wordsPerRow(0), 0);
  EXPECT_EQ(wordsPerRow(1), 1);
  EXPECT_EQ(wordsPerRow(63), 1);
  EXPECT_EQ(wordsPerRow(64), 1);
  EXPECT_EQ(wordsPerRow(65), 2);
  EXPECT_EQ(wordsPerRow(128), 2);
  EXPECT_EQ(wordsPerRow(129), 3);
  EXPECT_EQ(wordsPerRow(1000), 16);
}

// Regression: wordsPerRow computed (k + 63) / 64, which overflows for k near 2^63 (a
// !bnn.packed<1x9223372036854775807> crashed the CPU and GPU lowerings).
TEST(ReferenceTest, WordsPerRowNearInt64Max) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(wordsPerRow(max), int64_t{1} << 57);
  EXPECT_EQ(wordsPerRow(max - 62), int64_t{1} << 57);
  EXPECT_EQ(wordsPerRow(max - 63), (int64_t{1} << 57) - 1);
  EXPECT_EQ(wordsPerRow(int64_t{1} << 40), int64_t{1} << 34);
  EXPECT_EQ(wordsPerRow((int64_t{1} << 40) + 1), (int64_t{1} << 34) + 1);
}

TEST(ReferenceTest, CheckedCounts) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(packedWordCount(3, 65), 6);
  EXPECT_EQ(packedByteCount(3, 65), 48);
  EXPECT_EQ(elementCount(3, 65), 195);
  EXPECT_EQ(packedWordCount(0, max), 0);
  EXPECT_EQ(packedWordCount(64, max), std::nullopt); // 2^63 words
  EXPECT_EQ(packedWordCount(63, max), 63 * (int64_t{1} << 57));
  EXPECT_EQ(packedByteCount(7, max), 7 * (int64_t{1} << 60));
  EXPECT_EQ(packedByteCount(8, max), std::nullopt); // 2^63 bytes
  EXPECT_EQ(packedByteCount(int64_t{1} << 20, int64_t{1} << 40), int64_t{1} << 57);
  EXPECT_EQ(packedByteCount(int64_t{1} << 26, int64_t{1} << 40), std::nullopt);
  EXPECT_EQ(elementCount(int64_t{1} << 32, int64_t{1} << 32), std::nullopt);
  EXPECT_EQ(elementCount(-1, 5), std::nullopt);
  EXPECT_EQ(packedWordCount(5, -1), std::nullopt);
  EXPECT_EQ(packedByteCount(-1, 64), std::nullopt);
}

TEST(ReferenceTest, SignSpecialValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float tinyNeg = -std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(sign(0.0f), 1.0f); // sign(0) = +1 by contract
  EXPECT_EQ(sign(-0.0f), 1.0f); // -0 is not < 0
  EXPECT_EQ(sign(nan), 1.0f);
  EXPECT_EQ(sign(inf), 1.0f);
  EXPECT_EQ(sign(-inf), -1.0f);
  EXPECT_EQ(sign(tinyNeg), -1.0f);
  EXPECT_EQ(sign(2.5f), 1.0f);
  EXPECT_EQ(sign(-2.5f), -1.0f);
  EXPECT_TRUE(signBit(0.0f) && signBit(-0.0f) && signBit(nan));
  EXPECT_FALSE(signBit(-1.0f));
}

TEST(ReferenceTest, SignTensorAndSteForward) {
  std::vector<float> x = randomFloats(1000, 1), y(x.size()), s(x.size());
  signTensor(x.data(), 1000, y.data());
  steForward(x.data(), 1000, s.data());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(y[i], static_cast<float>(bruteSign(x[i]))) << "i=" << i;
    EXPECT_EQ(s[i], y[i]) << "i=" << i;
  }
}

// Hand-computed: +1 -> bit 1, -1 -> bit 0, 0 -> bit 1, LSB first.
TEST(ReferenceTest, PackHandExample) {
  const float x[] = {1.0f, -1.0f, 0.0f, -2.0f, 3.0f}; // bits 1,0,1,0,1
  uint64_t w[1] = {~uint64_t{0}};                    // garbage must be cleared
  packBitsLSBFirst(x, 1, 5, w);
  EXPECT_EQ(w[0], uint64_t{0b10101});

  // Element 64 lands in bit 0 of word 1; element 63 in the top bit of word 0.
  std::vector<float> y(65, -1.0f);
  y[63] = 1.0f;
  y[64] = 1.0f;
  uint64_t v[2] = {0, 0};
  packBitsLSBFirst(y.data(), 1, 65, v);
  EXPECT_EQ(v[0], uint64_t{1} << 63);
  EXPECT_EQ(v[1], uint64_t{1});
}

// Every bit of every word checked against the contract: element 64*w + j of a
// row is bit j of word w; bits past k are zero. Float and i1 inputs agree.
TEST(ReferenceTest, PackBitByBit) {
  for (int64_t k : kKs) {
    for (int64_t rows : kMNs) {
      SCOPED_TRACE("k=" + std::to_string(k) + " rows=" + std::to_string(rows));
      const int64_t wpr = (k + 63) / 64;
      std::vector<float> x = randomFloats(rows * k, 100 + k * 7 + rows);
      std::unique_ptr<bool[]> xb(new bool[rows * k]);
      for (int64_t i = 0; i < rows * k; ++i)
        xb[i] = bruteSign(x[i]) > 0;
      std::vector<uint64_t> wf(rows * wpr, ~uint64_t{0});
      std::vector<uint64_t> wb(rows * wpr, ~uint64_t{0});
      packBitsLSBFirst(x.data(), rows, k, wf.data());
      packBitsLSBFirst(xb.get(), rows, k, wb.data());
      EXPECT_EQ(wf, wb);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t w = 0; w < wpr; ++w)
          for (int64_t j = 0; j < 64; ++j) {
            const int64_t e = 64 * w + j;
            const bool expected = e < k && bruteSign(x[r * k + e]) > 0;
            ASSERT_EQ(bitAt(wf, r * wpr + w, j), expected)
                << "r=" << r << " w=" << w << " j=" << j;
          }
    }
  }
}

// unpack(pack(x)) == sign(x), and unpack ignores whatever sits in padding.
TEST(ReferenceTest, UnpackRoundTrip) {
  for (int64_t k : kKs) {
    for (int64_t rows : kMNs) {
      SCOPED_TRACE("k=" + std::to_string(k) + " rows=" + std::to_string(rows));
      const int64_t wpr = (k + 63) / 64;
      std::vector<float> x = randomFloats(rows * k, 200 + k * 7 + rows);
      std::vector<uint64_t> w(rows * wpr);
      packBitsLSBFirst(x.data(), rows, k, w.data());
      if (k % 64 != 0) // dirty the padding bits of each row's last word
        for (int64_t r = 0; r < rows; ++r)
          w[r * wpr + wpr - 1] |= ~uint64_t{0} << (k % 64);
      std::vector<float> y(rows * k);
      std::unique_ptr<bool[]> yb(new bool[rows * k]);
      unpackBitsLSBFirst(w.data(), rows, k, y.data());
      unpackBitsLSBFirst(w.data(), rows, k, yb.get());
      for (int64_t i = 0; i < rows * k; ++i) {
        ASSERT_EQ(y[i], static_cast<float>(bruteSign(x[i]))) << "i=" << i;
        ASSERT_EQ(yb[i], bruteSign(x[i]) > 0) << "i=" << i;
      }
    }
  }
}

// Hand-computed K=3 dot products of +-1 vectors.
TEST(ReferenceTest, XnorPopcountHandExample) {
  const float a[] = {1.0f, -1.0f, 1.0f,   // a0 = [+1 -1 +1]
                     -3.0f, -0.5f, 0.0f}; // a1 = [-1 -1 +1]
  const float b[] = {1.0f, 1.0f, -1.0f,   // b0 = [+1 +1 -1]
                     1.0f, -1.0f, 1.0f,   // b1 = [+1 -1 +1]
                     -1.0f, 1.0f, -1.0f}; // b2 = [-1 +1 -1]
  uint64_t pa[2], pb[3];
  packBitsLSBFirst(a, 2, 3, pa);
  packBitsLSBFirst(b, 3, 3, pb);
  EXPECT_EQ(pa[0], uint64_t{0b101});
  EXPECT_EQ(pa[1], uint64_t{0b100});
  int32_t out[6];
  xnorPopcount(pa, 2, pb, 3, 3, out);
  // a0.b0 = 1-1-1 = -1, a0.b1 = 3, a0.b2 = -3
  // a1.b0 = -1-1-1 = -3, a1.b1 = -1+1+1 = 1, a1.b2 = 1-1-1 = -1
  const int32_t expected[] = {-1, 3, -3, -3, 1, -1};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(out[i], expected[i]) << "i=" << i;

  // K = 0: empty dot product.
  int32_t z = 42;
  xnorPopcount(nullptr, 1, nullptr, 1, 0, &z);
  EXPECT_EQ(z, 0);
}

// Against the float dot product of the +-1 values taken from the original
// floats (not from the packed words).
TEST(ReferenceTest, XnorPopcountMatchesDotProduct) {
  for (int64_t k : kKs) {
    for (int64_t m : kMNs) {
      for (int64_t n : kMNs) {
        SCOPED_TRACE("k=" + std::to_string(k) + " m=" + std::to_string(m) +
                     " n=" + std::to_string(n));
        const int64_t wpr = (k + 63) / 64;
        std::vector<float> a = randomFloats(m * k, 300 + k * 31 + m * 5 + n);
        std::vector<float> b = randomFloats(n * k, 400 + k * 31 + m * 5 + n);
        std::vector<uint64_t> pa(m * wpr), pb(n * wpr);
        packBitsLSBFirst(a.data(), m, k, pa.data());
        packBitsLSBFirst(b.data(), n, k, pb.data());
        std::vector<int32_t> out(m * n, 12345);
        xnorPopcount(pa.data(), m, pb.data(), n, k, out.data());
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            float dot = 0.0f; // exact: |dot| <= 1000 fits a float mantissa
            for (int64_t e = 0; e < k; ++e)
              dot += static_cast<float>(bruteSign(a[i * k + e]) *
                                        bruteSign(b[j * k + e]));
            ASSERT_EQ(out[i * n + j], static_cast<int32_t>(dot))
                << "i=" << i << " j=" << j;
          }
      }
    }
  }
}

TEST(ReferenceTest, MeanAbs) {
  const float x[] = {1.0f, -2.0f, 3.0f, -4.0f};
  EXPECT_FLOAT_EQ(meanAbs(x, 4), 2.5f);
  EXPECT_EQ(meanAbs(x, 0), 0.0f);
  EXPECT_EQ(meanAbs(nullptr, 0), 0.0f);
}

TEST(ReferenceTest, ScaledSignHandExamples) {
  // 2 channels x 3 elements; channel 0 mean|x| = 2, channel 1 mean|x| = 5,
  // whole tensor mean|x| = 21 / 6 = 3.5.
  const float x[] = {1.0f, -2.0f, 3.0f, -4.0f, 5.0f, -6.0f};
  float y[6];
  auto check = [&](const float(&expected)[6]) {
    for (int i = 0; i < 6; ++i)
      EXPECT_FLOAT_EQ(y[i], expected[i]) << "i=" << i;
  };

  scaledSign(x, 2, 3, ScaleGranularity::PerTensor, nullptr, y);
  check({3.5f, -3.5f, 3.5f, -3.5f, 3.5f, -3.5f});

  scaledSign(x, 2, 3, ScaleGranularity::PerChannel, nullptr, y);
  check({2.0f, -2.0f, 2.0f, -5.0f, 5.0f, -5.0f});

  const float alphaT = 0.5f;
  scaledSign(x, 2, 3, ScaleGranularity::PerTensor, &alphaT, y);
  check({0.5f, -0.5f, 0.5f, -0.5f, 0.5f, -0.5f});

  const float alphaC[] = {10.0f, 0.25f};
  scaledSign(x, 2, 3, ScaleGranularity::PerChannel, alphaC, y);
  check({10.0f, -10.0f, 10.0f, -0.25f, 0.25f, -0.25f});

  // Zeros map to +alpha (sign(0) = +1), and contribute 0 to the mean.
  const float zeros[] = {0.0f, -0.0f, -4.0f, 0.0f};
  float yz[4];
  scaledSign(zeros, 1, 4, ScaleGranularity::PerChannel, nullptr, yz);
  EXPECT_FLOAT_EQ(yz[0], 1.0f);
  EXPECT_FLOAT_EQ(yz[1], 1.0f);
  EXPECT_FLOAT_EQ(yz[2], -1.0f);
  EXPECT_FLOAT_EQ(yz[3], 1.0f);
}

// Random shapes: computed per-channel alpha equals a brute-force row mean.
TEST(ReferenceTest, ScaledSignPerChannelRandom) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  for (int64_t k : kKs) {
    for (int64_t c : kMNs) {
      std::vector<float> x(c * k), y(c * k);
      for (float &f : x)
        f = dist(rng);
      scaledSign(x.data(), c, k, ScaleGranularity::PerChannel, nullptr,
                 y.data());
      for (int64_t ch = 0; ch < c; ++ch) {
        double sum = 0.0;
        for (int64_t e = 0; e < k; ++e)
          sum += std::fabs(x[ch * k + e]);
        const float alpha = static_cast<float>(sum / k);
        for (int64_t e = 0; e < k; ++e)
          ASSERT_FLOAT_EQ(y[ch * k + e], alpha * bruteSign(x[ch * k + e]))
              << "k=" << k << " c=" << c << " ch=" << ch << " e=" << e;
      }
    }
  }
}

TEST(ReferenceTest, SteBackwardBoundaries) {
  const float clip = 1.0f, scale = 0.5f;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float justOut = std::nextafter(1.0f, 2.0f);
  const float justIn = std::nextafter(1.0f, 0.0f);
  const float x[] = {-1.5f, -justOut, -1.0f, -justIn, 0.0f,
                     justIn, 1.0f,     justOut, 1.5f,   nan};
  const float g[] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f,
                     6.0f, 7.0f, 8.0f, 9.0f, 10.0f};
  // Inclusive window [-clip, clip]; gradScale applied inside, zero outside.
  const float expected[] = {0.0f, 0.0f, 1.5f, 2.0f, 2.5f,
                            3.0f, 3.5f, 0.0f, 0.0f, 0.0f};
  float gi[10];
  steBackward(x, g, 10, clip, scale, gi);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(gi[i], expected[i]) << "i=" << i;
}

// Hand-computed: codes 0b000, 0b001, 0b011, 0b111, 0b001 (K = 3). Query 0b101 is at distance
// 2, 1, 2, 1, 1 from them: the three 1s in index order, then the two 2s.
TEST(ReferenceTest, HammingTopKOrdersTiesByIndex) {
  const uint64_t codes[] = {0, 1, 3, 7, 1};
  const uint64_t queries[] = {5, 0};
  int32_t distances[2 * 4];
  int64_t indices[2 * 4];
  bnn::ref::hammingTopK(queries, 2, codes, 5, 3, 4, distances, indices);
  EXPECT_EQ(std::vector<int32_t>(distances, distances + 8),
            (std::vector<int32_t>{1, 1, 1, 2, 0, 1, 1, 2}));
  EXPECT_EQ(std::vector<int64_t>(indices, indices + 8),
            (std::vector<int64_t>{1, 3, 4, 0, 0, 1, 4, 2}));
}

// k > N: the entries past N are INT32_MAX / -1; with two words the distance sums both.
TEST(ReferenceTest, HammingTopKPastTheDatabase) {
  const uint64_t codes[] = {~uint64_t{0}, 1, 0, 0};     // 2 rows of K = 65 (2 words)
  const uint64_t queries[] = {0, 0};
  int32_t distances[3];
  int64_t indices[3];
  bnn::ref::hammingTopK(queries, 1, codes, 2, 65, 3, distances, indices);
  EXPECT_EQ(std::vector<int32_t>(distances, distances + 3),
            (std::vector<int32_t>{0, 65, INT32_MAX}));
  EXPECT_EQ(std::vector<int64_t>(indices, indices + 3), (std::vector<int64_t>{1, 0, -1}));
}
