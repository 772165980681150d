// bnn's Hamming index against FAISS IndexBinaryFlat: identical top-k (distances and indices,
// ties included: FAISS also orders equal distances by the smaller index) on 20000 codes x 100
// queries at 256 and 1024 bits, with many ties, for 1, 2 and 3 threads.
#include "bnn/bnn.h"

#include <faiss/IndexBinaryFlat.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace {

// Codes drawn near 8 centres (a few flipped bits each), so that many distances tie.
std::vector<uint64_t> tiedCodes(std::mt19937_64 &rng, int64_t n, int64_t words) {
  std::vector<uint64_t> centres(8 * words);
  for (uint64_t &x : centres)
    x = rng();
  std::vector<uint64_t> codes(n * words);
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = static_cast<int64_t>(rng() % 8);
    for (int64_t w = 0; w < words; ++w)
      codes[i * words + w] = centres[c * words + w];
    for (int flips = static_cast<int>(rng() % 3); flips > 0; --flips) {
      uint64_t bit = rng() % (words * 64);
      codes[i * words + bit / 64] ^= uint64_t(1) << (bit % 64);
    }
  }
  return codes;
}

void agree(int64_t bits, int64_t k) {
  const int64_t words = bits / 64, n = 20000, nq = 100;
  std::mt19937_64 rng(static_cast<uint64_t>(bits * 31 + k));
  std::vector<uint64_t> codes = tiedCodes(rng, n, words);
  std::vector<uint64_t> queries = tiedCodes(rng, nq, words);

  faiss::IndexBinaryFlat flat(static_cast<int>(bits));
  flat.add(n, reinterpret_cast<const uint8_t *>(codes.data()));
  std::vector<int32_t> fd(nq * k);
  std::vector<faiss::IndexBinary::idx_t> fi(nq * k);
  flat.search(nq, reinterpret_cast<const uint8_t *>(queries.data()), k, fd.data(), fi.data());

  bnn_index *index = nullptr;
  ASSERT_EQ(bnn_index_create(bits, &index), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_add(index, codes.data(), n), BNN_STATUS_OK);
  for (int32_t threads : {1, 2, 3}) {
    std::vector<int32_t> d(nq * k);
    std::vector<int64_t> i(nq * k);
    ASSERT_EQ(bnn_index_search(index, queries.data(), nq, k, threads, d.data(), i.data()),
              BNN_STATUS_OK);
    EXPECT_EQ(d, fd) << bits << " bits, k " << k << ", " << threads << " threads";
    std::vector<int64_t> fi64(fi.begin(), fi.end());
    EXPECT_EQ(i, fi64) << bits << " bits, k " << k << ", " << threads << " threads";
  }
  bnn_index_destroy(index);
}

TEST(FaissAgreement, Bits256) {
  agree(256, 10);
  agree(256, 1);
}
TEST(FaissAgreement, Bits1024) {
  agree(1024, 10);
  agree(1024, 37);
}

} // namespace
