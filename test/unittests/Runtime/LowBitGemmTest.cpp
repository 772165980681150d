// The int8 x low-bit GEMM micro-kernel (bnn/runtime/LowBitGemm.h) on its AMX and portable paths,
// against a reference written from the bit contract in this file: weights drawn as -1/0/+1
// values, packed here (sign plane then mask plane, LSB first; binary 1 = +1), products summed
// in int64. Ragged M, N, K (K not a multiple of 64 nor of 4, M and N not multiples of 16 or
// 32), extreme activations -128 / 127, row strides, garbage padding bits, 1 to 3 threads.
// The AMX cases skip, saying why, where the CPU or the kernel does not allow AMX.
#include "bnn/runtime/LowBitGemm.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using bnn::LowBitGemmPath;

struct Problem {
  int64_t m, n, k;
  bool ternary;
  int64_t xStride, wStride, outStride;
  std::vector<int8_t> x;      // m x xStride
  std::vector<int8_t> values; // n x k weight values
  std::vector<uint64_t> w;    // n x wStride packed
};

int64_t words(int64_t k) { return (k + 63) / 64; }

Problem makeProblem(int64_t m, int64_t n, int64_t k, bool ternary, std::mt19937_64 &rng,
                    int extremes, bool garbagePadding, int64_t extraStride = 0) {
  Problem p{m,
            n,
            k,
            ternary,
            k + extraStride,
            (ternary ? 2 : 1) * words(k) + extraStride,
            n + extraStride,
            {},
            {},
            {}};
  std::uniform_int_distribution<int> byte(-128, 127);
  p.x.resize(static_cast<size_t>(m * p.xStride));
  for (auto &v : p.x) {
    int r = byte(rng);
    // extremes: 1 = all -128, 2 = all 127, 3 = alternating -128 / 127, else random.
    v = static_cast<int8_t>(extremes == 1   ? -128
                            : extremes == 2 ? 127
                            : extremes == 3 ? (r & 1 ? 127 : -128)
                                            : r);
  }
  std::uniform_int_distribution<int> weight(ternary ? -1 : 0, 1);
  p.values.resize(static_cast<size_t>(n * k));
  for (auto &v : p.values) {
    int r = weight(rng);
    v = static_cast<int8_t>(ternary ? r : (r ? 1 : -1));
  }
  p.w.assign(static_cast<size_t>(n * p.wStride), 0);
  const int64_t wpr = words(k);
  for (int64_t j = 0; j < n; ++j) {
    uint64_t *row = p.w.data() + j * p.wStride;
    for (int64_t e = 0; e < k; ++e) {
      int8_t v = p.values[static_cast<size_t>(j * k + e)];
      uint64_t bit = uint64_t{1} << (e % 64);
      if (v == 1)
        row[e / 64] |= bit;
      if (ternary && v != 0)
        row[wpr + e / 64] |= bit;
    }
    if (garbagePadding && k % 64 != 0) {
      uint64_t pad = ~((uint64_t{1} << (k % 64)) - 1);
      row[wpr - 1] |= pad & rng();
      if (ternary) // a mask bit past k: the value there must still count as nothing
        row[2 * wpr - 1] |= pad & rng();
    }
  }
  return p;
}

std::vector<int32_t> reference(const Problem &p) {
  std::vector<int32_t> out(static_cast<size_t>(p.m * p.outStride), 0);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      int64_t sum = 0;
      for (int64_t e = 0; e < p.k; ++e)
        sum += int64_t{p.x[static_cast<size_t>(i * p.xStride + e)]} *
               p.values[static_cast<size_t>(j * p.k + e)];
      out[static_cast<size_t>(i * p.outStride + j)] = static_cast<int32_t>(sum);
    }
  return out;
}

void expectMatches(LowBitGemmPath path, const Problem &p, int threads) {
  std::vector<int32_t> expected = reference(p);
  // Outputs between rows (stride padding) must stay untouched: fill with a sentinel.
  std::vector<int32_t> got(expected.size(), 0);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.outStride; ++j)
      if (j >= p.n)
        got[static_cast<size_t>(i * p.outStride + j)] =
            expected[static_cast<size_t>(i * p.outStride + j)] = 12345;
  bnn::int8LowBitGemmWithPath(path, p.x.data(), p.m, p.xStride, p.w.data(), p.n, p.wStride, p.k,
                              p.ternary, got.data(), p.outStride, threads);
  int64_t mismatches = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != expected[i] && mismatches++ < 5)
      ADD_FAILURE() << bnn::lowBitGemmPathName(path) << (p.ternary ? " ternary" : " binary")
                    << " m=" << p.m << " n=" << p.n << " k=" << p.k << " threads=" << threads
                    << ": out[" << i / p.outStride << "][" << i % p.outStride << "] expected "
                    << expected[i] << ", found " << got[i];
  EXPECT_EQ(mismatches, 0);
}

void sweep(LowBitGemmPath path) {
  std::mt19937_64 rng(20261203);
  const int64_t ms[] = {1, 3, 16, 17, 31, 32, 33, 64, 65};
  const int64_t ns[] = {1, 3, 16, 17, 33, 257};
  const int64_t ks[] = {1, 3, 4, 63, 64, 65, 130, 257};
  for (bool ternary : {true, false})
    for (int64_t m : ms)
      for (int64_t n : ns)
        for (int64_t k : ks) {
          Problem p = makeProblem(m, n, k, ternary, rng, 0, /*garbagePadding=*/false);
          expectMatches(path, p, 1 + static_cast<int>((m + n + k) % 3));
        }
}

void edgeCases(LowBitGemmPath path) {
  std::mt19937_64 rng(7);
  for (bool ternary : {true, false})
    for (int extremes : {1, 2, 3}) {
      // Large K: |sum| reaches 128 * K; 4100 = 64 blocks + a tail of 4.
      Problem p = makeProblem(35, 40, 4100, ternary, rng, extremes, false);
      expectMatches(path, p, 2);
    }
  for (bool ternary : {true, false}) {
    Problem garbage = makeProblem(33, 19, 100, ternary, rng, 0, /*garbagePadding=*/true);
    expectMatches(path, garbage, 1);
    Problem strided = makeProblem(45, 37, 128, ternary, rng, 0, false, /*extraStride=*/5);
    expectMatches(path, strided, 3);
    Problem stridedTail = makeProblem(18, 290, 70, ternary, rng, 3, true, /*extraStride=*/3);
    expectMatches(path, stridedTail, 2);
    // Several panels per thread (N > threads x 256) and several row blocks.
    Problem wide = makeProblem(70, 1100, 192, ternary, rng, 0, false);
    expectMatches(path, wide, 2);
  }
}

TEST(LowBitGemm, PortableSweep) { sweep(LowBitGemmPath::Portable); }
TEST(LowBitGemm, PortableEdgeCases) { edgeCases(LowBitGemmPath::Portable); }

TEST(LowBitGemm, AmxSweep) {
  if (!bnn::lowBitGemmPathSupported(LowBitGemmPath::Amx))
    GTEST_SKIP() << "AMX-INT8 unavailable here (CPU lacks amx-tile/amx-int8/avx512bw/bitalg, or "
                    "Linux refused ARCH_REQ_XCOMP_PERM for XTILEDATA): the AMX path is untested";
  sweep(LowBitGemmPath::Amx);
}

TEST(LowBitGemm, AmxEdgeCases) {
  if (!bnn::lowBitGemmPathSupported(LowBitGemmPath::Amx))
    GTEST_SKIP() << "AMX-INT8 unavailable here: the AMX path is untested";
  edgeCases(LowBitGemmPath::Amx);
}

/// Binary x binary: activations drawn as +-1, packed here (bit 1 = +1), garbage padding.
void binarySweep(LowBitGemmPath path) {
  std::mt19937_64 rng(99);
  for (int64_t m : {1, 17, 33, 70})
    for (int64_t n : {1, 16, 35})
      for (int64_t k : {1, 4, 63, 64, 65, 200, 4100}) {
        Problem p = makeProblem(m, n, k, /*ternary=*/false, rng, 0, /*garbagePadding=*/true, 2);
        const int64_t words = (k + 63) / 64, xStride = words + 1;
        std::vector<uint64_t> bits(static_cast<size_t>(m * xStride), 0);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t e = 0; e < k; ++e) {
            bool plus = rng() & 1;
            p.x[static_cast<size_t>(i * p.xStride + e)] = plus ? 1 : -1;
            if (plus)
              bits[static_cast<size_t>(i * xStride + e / 64)] |= uint64_t{1} << (e % 64);
          }
        if (k % 64)
          for (int64_t i = 0; i < m; ++i)
            bits[static_cast<size_t>(i * xStride + words - 1)] |= ~((uint64_t{1} << (k % 64)) - 1);
        std::vector<int32_t> expected = reference(p), got(expected.size(), 0);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = n; j < p.outStride; ++j)
            expected[static_cast<size_t>(i * p.outStride + j)] = 0;
        bnn::binaryGemmWithPath(path, bits.data(), m, xStride, p.w.data(), n, p.wStride, k,
                                got.data(), p.outStride, 2);
        EXPECT_EQ(got, expected) << bnn::lowBitGemmPathName(path) << " binary x binary m=" << m
                                 << " n=" << n << " k=" << k;
      }
}

TEST(LowBitGemm, PortableBinaryBinary) { binarySweep(LowBitGemmPath::Portable); }

TEST(LowBitGemm, AmxBinaryBinary) {
  if (!bnn::lowBitGemmPathSupported(LowBitGemmPath::Amx))
    GTEST_SKIP() << "AMX-INT8 unavailable here: the AMX path is untested";
  binarySweep(LowBitGemmPath::Amx);
}

TEST(LowBitGemm, CEntryPointMatches) {
  // The C entry point uses AMX where available, else the portable path: same results.
  std::mt19937_64 rng(11);
  Problem p = makeProblem(40, 50, 200, true, rng, 0, false);
  std::vector<int32_t> expected = reference(p), got(expected.size(), -1);
  bnn_ukernel_int8_lowbit_gemm(p.x.data(), p.m, p.xStride, p.w.data(), p.n, p.wStride, p.k, 1,
                               got.data(), p.outStride, 2);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(bnn_ukernel_amx_available() != 0, bnn::lowBitGemmPathSupported(LowBitGemmPath::Amx));
}

} // namespace
