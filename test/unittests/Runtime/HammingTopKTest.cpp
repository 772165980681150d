// The Hamming top-k kernel (bnn/runtime/HammingTopK.h) on every path this machine supports and
// thread counts 1, 2, 3, against a brute force written from the spec: every distance, a stable
// sort by (distance, index), the first k, padding past the database size.
#include "bnn/runtime/HammingTopK.h"
#include "bnn/runtime/HammingTopKPaths.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bitset>
#include <climits>
#include <random>
#include <string>
#include <vector>

namespace {

using bnn::HammingPath;

struct TopK {
  std::vector<int32_t> dist;
  std::vector<int64_t> idx;
};

int bitsSet(uint64_t x) { return static_cast<int>(std::bitset<64>(x).count()); }

TopK bruteForce(const std::vector<uint64_t> &q, int64_t nq, const std::vector<uint64_t> &c,
                int64_t n, int64_t words, int64_t k) {
  TopK r{std::vector<int32_t>(nq * k), std::vector<int64_t>(nq * k)};
  for (int64_t i = 0; i < nq; ++i) {
    std::vector<std::pair<int32_t, int64_t>> all;
    for (int64_t j = 0; j < n; ++j) {
      int32_t d = 0;
      for (int64_t w = 0; w < words; ++w)
        d += bitsSet(q[i * words + w] ^ c[j * words + w]);
      all.push_back({d, j});
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    for (int64_t j = 0; j < k; ++j) {
      r.dist[i * k + j] = j < n ? all[j].first : INT32_MAX;
      r.idx[i * k + j] = j < n ? all[j].second : -1;
    }
  }
  return r;
}

std::vector<HammingPath> supportedPaths() {
  std::vector<HammingPath> paths;
  for (HammingPath p : {HammingPath::Generic, HammingPath::AVX2, HammingPath::AVX512})
    if (bnn::hammingPathSupported(p))
      paths.push_back(p);
  return paths;
}

/// Codes: random, or (tiny) drawn from 3 random codes so that most distances tie.
std::vector<uint64_t> makeCodes(std::mt19937_64 &rng, int64_t n, int64_t words, bool tiny) {
  std::vector<uint64_t> pool(3 * words);
  for (uint64_t &x : pool)
    x = rng();
  std::vector<uint64_t> codes(n * words);
  for (int64_t i = 0; i < n; ++i) {
    int64_t pick = static_cast<int64_t>(rng() % 3);
    for (int64_t w = 0; w < words; ++w)
      codes[i * words + w] = tiny ? pool[pick * words + w] : rng();
  }
  return codes;
}

TEST(HammingTopK, GenericPathAlwaysSupported) {
  EXPECT_TRUE(bnn::hammingPathSupported(HammingPath::Generic));
  EXPECT_TRUE(bnn::hammingPathSupported(bnn::selectedHammingPath()));
  EXPECT_STREQ(bnn::hammingPathName(HammingPath::AVX512), "avx512");
}

TEST(HammingTopK, AllPathsAndThreadsMatchBruteForce) {
  std::mt19937_64 rng(20261202);
  int64_t cases = 0;
  for (int64_t words : {1, 3, 4, 16})
    for (int64_t n : {0, 1, 7, 1000, 4097})
      for (int64_t nq : {1, 3, 5, 8, 21})
        for (bool tiny : {false, true}) {
          if (n == 4097 && nq == 21 && words == 16)
            continue; // the brute force is slow; the other 4097 cases cover the shape
          std::vector<uint64_t> codes = makeCodes(rng, n, words, tiny);
          std::vector<uint64_t> queries = makeCodes(rng, nq, words, false);
          for (int64_t k : {int64_t(1), int64_t(5), int64_t(10), n + 3}) {
            TopK want = bruteForce(queries, nq, codes, n, words, k);
            for (HammingPath path : supportedPaths())
              for (int32_t threads : {1, 2, 3}) {
                std::vector<int32_t> dist(nq * k, 12345);
                std::vector<int64_t> idx(nq * k, 12345);
                bnn::hammingTopKWithPath(path, queries.data(), nq, codes.data(), n, words, k,
                                         dist.data(), idx.data(), threads);
                std::string where = std::string(bnn::hammingPathName(path)) + " threads " +
                                    std::to_string(threads) + " words " + std::to_string(words) +
                                    " codes " + std::to_string(n) + " queries " +
                                    std::to_string(nq) + " k " + std::to_string(k) +
                                    (tiny ? " tied" : "");
                ASSERT_EQ(dist, want.dist) << where;
                ASSERT_EQ(idx, want.idx) << where;
                ++cases;
              }
          }
        }
  EXPECT_GT(cases, 0);
}

// Large enough that the kernel really starts threads (its work threshold) and shards the
// database (few queries) or splits the queries (many), with ties everywhere.
TEST(HammingTopK, ThreadedShardsAndQueryRangesMatchBruteForce) {
  std::mt19937_64 rng(7);
  for (int64_t words : {4, 16})
    for (int64_t nq : {2, 40}) {
      const int64_t n = 20000, k = 10;
      std::vector<uint64_t> codes = makeCodes(rng, n, words, true);
      // Some random codes among the tied ones.
      for (int64_t i = 0; i < n; i += 97)
        for (int64_t w = 0; w < words; ++w)
          codes[i * words + w] = rng();
      std::vector<uint64_t> queries = makeCodes(rng, nq, words, false);
      TopK want = bruteForce(queries, nq, codes, n, words, k);
      for (HammingPath path : supportedPaths())
        for (int32_t threads : {1, 2, 3, 0}) {
          std::vector<int32_t> dist(nq * k);
          std::vector<int64_t> idx(nq * k);
          bnn::hammingTopKWithPath(path, queries.data(), nq, codes.data(), n, words, k, dist.data(),
                                   idx.data(), threads);
          EXPECT_EQ(dist, want.dist) << bnn::hammingPathName(path) << " " << threads;
          EXPECT_EQ(idx, want.idx) << bnn::hammingPathName(path) << " " << threads;
        }
    }
}

TEST(HammingTopK, PublicEntryPointMatchesBruteForce) {
  std::mt19937_64 rng(3);
  const int64_t n = 777, nq = 9, words = 4, k = 6;
  std::vector<uint64_t> codes = makeCodes(rng, n, words, true);
  std::vector<uint64_t> queries = makeCodes(rng, nq, words, false);
  TopK want = bruteForce(queries, nq, codes, n, words, k);
  std::vector<int32_t> dist(nq * k);
  std::vector<int64_t> idx(nq * k);
  bnn_ukernel_hamming_topk(queries.data(), nq, codes.data(), n, words, k, dist.data(), idx.data(),
                           2);
  EXPECT_EQ(dist, want.dist);
  EXPECT_EQ(idx, want.idx);
}

} // namespace
