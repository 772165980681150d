// The Hamming index of the C API (bnn/bnn_index.h): argument errors, search against a brute
// force, the projection, and the file format of docs/HammingIndex.md, every error path of the
// loader (each a BNN_STATUS_BAD_FORMAT naming its field).
#include "bnn/bnn.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

struct IndexPtr {
  bnn_index *p = nullptr;
  ~IndexPtr() { bnn_index_destroy(p); }
};

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "bnn-index-test-" + std::to_string(::getpid()) + "-" + name;
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// The format's checksum, written from its specification: FNV-1a 64 over bytes 0..55 and 64..end.
uint64_t specChecksum(const std::vector<uint8_t> &f) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < f.size(); ++i) {
    if (i >= 56 && i < 64)
      continue;
    h = (h ^ f[i]) * 0x100000001b3ull;
  }
  return h;
}

void putU64(std::vector<uint8_t> &f, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t getU64(const std::vector<uint8_t> &f, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | f[at + i];
  return v;
}
void reseal(std::vector<uint8_t> &f) { putU64(f, 56, specChecksum(f)); }

/// Loads bytes both ways (file and buffer): both must give `status` with `needle` in the
/// message.
void expectLoadFails(const std::vector<uint8_t> &bytes, bnn_status status, const char *needle) {
  std::string path = tempPath("bad");
  writeFile(path, bytes);
  bnn_index *out = reinterpret_cast<bnn_index *>(0x1);
  EXPECT_EQ(bnn_index_load(path.c_str(), &out), status) << needle;
  EXPECT_NE(std::strstr(bnn_last_error(), needle), nullptr)
      << "message: " << bnn_last_error() << "\nexpected to contain: " << needle;
  EXPECT_EQ(out, reinterpret_cast<bnn_index *>(0x1)); // untouched on failure
  EXPECT_EQ(bnn_index_load_buffer(bytes.data(), static_cast<int64_t>(bytes.size()), &out), status)
      << needle;
  EXPECT_NE(std::strstr(bnn_last_error(), needle), nullptr) << bnn_last_error();
  std::remove(path.c_str());
}

std::vector<uint64_t> randomCodes(std::mt19937_64 &rng, int64_t n, int64_t bits) {
  int64_t words = (bits + 63) / 64;
  std::vector<uint64_t> c(n * words);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t w = 0; w < words; ++w) {
      uint64_t x = rng() % 4 == 0 ? 0 : rng(); // some equal words: ties
      if (w == words - 1 && bits % 64)
        x &= (uint64_t(1) << (bits % 64)) - 1;
      c[i * words + w] = x;
    }
  return c;
}

void bruteForce(const std::vector<uint64_t> &q, int64_t nq, const std::vector<uint64_t> &c,
                int64_t n, int64_t words, int64_t k, std::vector<int32_t> &dist,
                std::vector<int64_t> &idx) {
  dist.assign(nq * k, INT32_MAX);
  idx.assign(nq * k, -1);
  for (int64_t i = 0; i < nq; ++i) {
    std::vector<std::pair<int32_t, int64_t>> all;
    for (int64_t j = 0; j < n; ++j) {
      int32_t d = 0;
      for (int64_t w = 0; w < words; ++w)
        d += static_cast<int32_t>(std::bitset<64>(q[i * words + w] ^ c[j * words + w]).count());
      all.push_back({d, j});
    }
    std::sort(all.begin(), all.end());
    for (int64_t j = 0; j < k && j < n; ++j) {
      dist[i * k + j] = all[j].first;
      idx[i * k + j] = all[j].second;
    }
  }
}

TEST(RuntimeIndex, ArgumentErrors) {
  bnn_index *out = nullptr;
  EXPECT_EQ(bnn_index_create(0, &out), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(bnn_last_error(), "code_bits"), nullptr);
  EXPECT_EQ(bnn_index_create(BNN_INDEX_MAX_CODE_BITS + 1, &out), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_create(-5, &out), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_create(64, nullptr), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_create_projected(64, 0, 1, &out), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(bnn_last_error(), "input_dim"), nullptr);
  EXPECT_EQ(out, nullptr);

  IndexPtr index;
  ASSERT_EQ(bnn_index_create(100, &index.p), BNN_STATUS_OK);
  EXPECT_EQ(bnn_index_code_bits(index.p), 100);
  EXPECT_EQ(bnn_index_code_words(index.p), 2);
  EXPECT_EQ(bnn_index_size(index.p), 0);
  EXPECT_EQ(bnn_index_input_dim(index.p), 0);
  EXPECT_EQ(bnn_index_size(nullptr), 0);
  uint64_t code[2] = {1, 0};
  EXPECT_EQ(bnn_index_add(nullptr, code, 1), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_add(index.p, nullptr, 1), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_add(index.p, code, -1), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_add(index.p, code, INT64_MAX), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(bnn_last_error(), "overflow"), nullptr);
  uint64_t padded[2] = {0, uint64_t(1) << 40}; // bit 104: past 100 bits
  EXPECT_EQ(bnn_index_add(index.p, padded, 1), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(bnn_last_error(), "padding"), nullptr);
  EXPECT_EQ(bnn_index_size(index.p), 0);
  ASSERT_EQ(bnn_index_add(index.p, code, 1), BNN_STATUS_OK);
  EXPECT_EQ(bnn_index_add(index.p, nullptr, 0), BNN_STATUS_OK);

  int32_t d[4];
  int64_t i[4];
  EXPECT_EQ(bnn_index_search(index.p, code, 1, 0, 1, d, i), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(bnn_last_error(), "k must be"), nullptr);
  EXPECT_EQ(bnn_index_search(index.p, code, -1, 1, 1, d, i), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_search(index.p, nullptr, 1, 1, 1, d, i), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_search(index.p, code, 1, 1, 1, nullptr, i), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_search(nullptr, code, 1, 1, 1, d, i), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_search(index.p, code, INT64_MAX / 2, 4, 1, d, i),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_search(index.p, padded, 1, 1, 1, d, i), BNN_STATUS_INVALID_ARGUMENT);
  // No projection: floats are refused.
  float x[4] = {1, 2, 3, 4};
  EXPECT_EQ(bnn_index_add_floats(index.p, x, 1), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(bnn_last_error(), "no projection"), nullptr);
  EXPECT_EQ(bnn_index_search_floats(index.p, x, 1, 1, 1, d, i), BNN_STATUS_INVALID_ARGUMENT);

  // k beyond the size: padded with INT32_MAX / -1.
  ASSERT_EQ(bnn_index_search(index.p, code, 1, 3, 1, d, i), BNN_STATUS_OK);
  EXPECT_EQ(d[0], 0);
  EXPECT_EQ(i[0], 0);
  EXPECT_EQ(d[1], INT32_MAX);
  EXPECT_EQ(i[2], -1);

  EXPECT_EQ(bnn_index_save(index.p, nullptr), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_save(index.p, "/nonexistent-dir/x.bnnidx"), BNN_STATUS_IO_ERROR);
  EXPECT_NE(std::strstr(bnn_last_error(), "/nonexistent-dir/x.bnnidx"), nullptr);
  EXPECT_EQ(bnn_index_load("/nonexistent-dir/x.bnnidx", &out), BNN_STATUS_IO_ERROR);
  EXPECT_EQ(bnn_index_load(nullptr, &out), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_load_buffer(nullptr, 10, &out), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_index_load_buffer(code, -1, &out), BNN_STATUS_INVALID_ARGUMENT);
  bnn_index_destroy(nullptr);
}

TEST(RuntimeIndex, SearchMatchesBruteForceForEveryThreadCount) {
  std::mt19937_64 rng(11);
  for (int64_t bits : {64, 100, 256, 1024}) {
    const int64_t words = (bits + 63) / 64, n = 3001, nq = 13, k = 7;
    IndexPtr index;
    ASSERT_EQ(bnn_index_create(bits, &index.p), BNN_STATUS_OK);
    std::vector<uint64_t> codes = randomCodes(rng, n, bits);
    // Added in two batches: indices continue.
    ASSERT_EQ(bnn_index_add(index.p, codes.data(), 1000), BNN_STATUS_OK);
    ASSERT_EQ(bnn_index_add(index.p, codes.data() + 1000 * words, n - 1000), BNN_STATUS_OK);
    EXPECT_EQ(bnn_index_size(index.p), n);
    std::vector<uint64_t> queries = randomCodes(rng, nq, bits);
    std::vector<int32_t> wantD;
    std::vector<int64_t> wantI;
    bruteForce(queries, nq, codes, n, words, k, wantD, wantI);
    for (int32_t threads : {1, 2, 3, 0}) {
      std::vector<int32_t> d(nq * k);
      std::vector<int64_t> i(nq * k);
      ASSERT_EQ(bnn_index_search(index.p, queries.data(), nq, k, threads, d.data(), i.data()),
                BNN_STATUS_OK);
      EXPECT_EQ(d, wantD) << bits << " bits, " << threads << " threads";
      EXPECT_EQ(i, wantI) << bits << " bits, " << threads << " threads";
    }
  }
}

TEST(RuntimeIndex, ProjectionIsSeededSignOfHyperplanes) {
  const int64_t bits = 70, dim = 9;
  IndexPtr a, b, c;
  ASSERT_EQ(bnn_index_create_projected(bits, dim, 42, &a.p), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_create_projected(bits, dim, 42, &b.p), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_create_projected(bits, dim, 43, &c.p), BNN_STATUS_OK);
  EXPECT_EQ(bnn_index_input_dim(a.p), dim);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> x(20 * dim);
  for (float &v : x)
    v = normal(rng);
  std::vector<uint64_t> ca(20 * 2), cb(20 * 2), cc(20 * 2);
  ASSERT_EQ(bnn_index_encode(a.p, x.data(), 20, ca.data()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_encode(b.p, x.data(), 20, cb.data()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_encode(c.p, x.data(), 20, cc.data()), BNN_STATUS_OK);
  EXPECT_EQ(ca, cb);
  EXPECT_NE(ca, cc);
  for (int v = 0; v < 20; ++v)
    EXPECT_EQ(ca[v * 2 + 1] >> 6, 0u) << "padding bits past 70 are zero";
  // sign(P x) is invariant under positive scaling and flips every nonzero bit under negation.
  std::vector<float> scaled(x), negated(x);
  for (size_t i = 0; i < x.size(); ++i) {
    scaled[i] = 3.5f * x[i];
    negated[i] = -x[i];
  }
  std::vector<uint64_t> cs(40), cn(40);
  ASSERT_EQ(bnn_index_encode(a.p, scaled.data(), 20, cs.data()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_encode(a.p, negated.data(), 20, cn.data()), BNN_STATUS_OK);
  EXPECT_EQ(cs, ca);
  for (int v = 0; v < 20; ++v) {
    EXPECT_EQ(cn[v * 2], ~ca[v * 2]);
    EXPECT_EQ(cn[v * 2 + 1], ~ca[v * 2 + 1] & 0x3F);
  }
  // A vector's own code is its nearest neighbour at distance 0.
  ASSERT_EQ(bnn_index_add_floats(a.p, x.data(), 20), BNN_STATUS_OK);
  int32_t d[20];
  int64_t i[20];
  ASSERT_EQ(bnn_index_search_floats(a.p, x.data(), 20, 1, 2, d, i), BNN_STATUS_OK);
  for (int v = 0; v < 20; ++v)
    EXPECT_EQ(d[v], 0);
  // Non-finite input is refused.
  x[3] = NAN;
  EXPECT_EQ(bnn_index_encode(a.p, x.data(), 20, ca.data()), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(bnn_last_error(), "not finite"), nullptr);
}

TEST(RuntimeIndex, SaveLoadRoundTripAndByteLayout) {
  std::mt19937_64 rng(2);
  const int64_t bits = 130, words = 3, n = 500;
  IndexPtr index;
  ASSERT_EQ(bnn_index_create_projected(bits, 5, 9, &index.p), BNN_STATUS_OK);
  std::vector<uint64_t> codes = randomCodes(rng, n, bits);
  ASSERT_EQ(bnn_index_add(index.p, codes.data(), n), BNN_STATUS_OK);
  std::string path = tempPath("roundtrip");
  ASSERT_EQ(bnn_index_save(index.p, path.c_str()), BNN_STATUS_OK);

  std::vector<uint8_t> f = readFile(path);
  ASSERT_EQ(f.size(), 64 + n * words * 8 + bits * 5 * 4);
  EXPECT_EQ(std::memcmp(f.data(), "BNNHIDX\0", 8), 0);
  EXPECT_EQ(f[8], 1);  // version
  EXPECT_EQ(f[12], 1); // flags: projection
  EXPECT_EQ(getU64(f, 16), uint64_t(bits));
  EXPECT_EQ(getU64(f, 24), uint64_t(n));
  EXPECT_EQ(getU64(f, 32), 5u);
  EXPECT_EQ(getU64(f, 40), 9u);
  EXPECT_EQ(getU64(f, 48), f.size() - 64);
  EXPECT_EQ(getU64(f, 56), specChecksum(f));
  EXPECT_EQ(getU64(f, 64), codes[0]);

  IndexPtr loaded;
  ASSERT_EQ(bnn_index_load(path.c_str(), &loaded.p), BNN_STATUS_OK) << bnn_last_error();
  EXPECT_EQ(bnn_index_size(loaded.p), n);
  EXPECT_EQ(bnn_index_code_bits(loaded.p), bits);
  EXPECT_EQ(bnn_index_input_dim(loaded.p), 5);
  std::vector<uint64_t> queries = randomCodes(rng, 4, bits);
  std::vector<int32_t> d1(40), d2(40);
  std::vector<int64_t> i1(40), i2(40);
  ASSERT_EQ(bnn_index_search(index.p, queries.data(), 4, 10, 1, d1.data(), i1.data()),
            BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_search(loaded.p, queries.data(), 4, 10, 1, d2.data(), i2.data()),
            BNN_STATUS_OK);
  EXPECT_EQ(d1, d2);
  EXPECT_EQ(i1, i2);
  // The projection travels: float queries encode the same.
  float x[10] = {1, -2, 3, -4, 5, 0.5f, 0.25f, -1, 2, 9};
  std::vector<uint64_t> e1(2 * words), e2(2 * words);
  ASSERT_EQ(bnn_index_encode(index.p, x, 2, e1.data()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_encode(loaded.p, x, 2, e2.data()), BNN_STATUS_OK);
  EXPECT_EQ(e1, e2);
  // Adding to a mapped index copies it first; the file is untouched.
  ASSERT_EQ(bnn_index_add(loaded.p, codes.data(), 2), BNN_STATUS_OK);
  EXPECT_EQ(bnn_index_size(loaded.p), n + 2);
  ASSERT_EQ(bnn_index_encode(loaded.p, x, 2, e2.data()), BNN_STATUS_OK);
  EXPECT_EQ(e1, e2);
  EXPECT_EQ(readFile(path), f);
  // From a buffer, the same.
  IndexPtr fromBuffer;
  ASSERT_EQ(bnn_index_load_buffer(f.data(), static_cast<int64_t>(f.size()), &fromBuffer.p),
            BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_search(fromBuffer.p, queries.data(), 4, 10, 3, d2.data(), i2.data()),
            BNN_STATUS_OK);
  EXPECT_EQ(d1, d2);
  EXPECT_EQ(i1, i2);
  std::remove(path.c_str());

  // An empty index without a projection round-trips too.
  IndexPtr empty, emptyLoaded;
  ASSERT_EQ(bnn_index_create(8, &empty.p), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_save(empty.p, path.c_str()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_index_load(path.c_str(), &emptyLoaded.p), BNN_STATUS_OK) << bnn_last_error();
  EXPECT_EQ(bnn_index_size(emptyLoaded.p), 0);
  EXPECT_EQ(readFile(path).size(), 64u);
  std::remove(path.c_str());
}

TEST(RuntimeIndex, LoaderRejectsEveryBadField) {
  std::mt19937_64 rng(4);
  IndexPtr index;
  ASSERT_EQ(bnn_index_create_projected(100, 3, 1, &index.p), BNN_STATUS_OK);
  std::vector<uint64_t> codes = randomCodes(rng, 10, 100);
  ASSERT_EQ(bnn_index_add(index.p, codes.data(), 10), BNN_STATUS_OK);
  std::string path = tempPath("good");
  ASSERT_EQ(bnn_index_save(index.p, path.c_str()), BNN_STATUS_OK);
  const std::vector<uint8_t> good = readFile(path);
  std::remove(path.c_str());
  ASSERT_EQ(good.size(), 64u + 10 * 16 + 100 * 3 * 4);

  auto edit = [&](auto change) {
    std::vector<uint8_t> f = good;
    change(f);
    return f;
  };
  expectLoadFails({}, BNN_STATUS_BAD_FORMAT, "truncated header");
  expectLoadFails(std::vector<uint8_t>(good.begin(), good.begin() + 63), BNN_STATUS_BAD_FORMAT,
                  "truncated header");
  expectLoadFails(edit([](auto &f) { f[0] = 'X'; }), BNN_STATUS_BAD_FORMAT, "bad magic");
  expectLoadFails(edit([](auto &f) { f[8] = 2; }), BNN_STATUS_BAD_FORMAT,
                  "version: expected 1, found 2");
  expectLoadFails(edit([](auto &f) { f[13] = 1; }), BNN_STATUS_BAD_FORMAT, "flags");
  expectLoadFails(edit([](auto &f) { putU64(f, 16, 0); }), BNN_STATUS_BAD_FORMAT,
                  "code_bits must be 1 to 65536, found 0");
  expectLoadFails(edit([](auto &f) { putU64(f, 16, uint64_t(1) << 40); }), BNN_STATUS_BAD_FORMAT,
                  "code_bits");
  expectLoadFails(edit([](auto &f) { putU64(f, 16, ~uint64_t(0)); }), BNN_STATUS_BAD_FORMAT,
                  "code_bits");
  expectLoadFails(edit([](auto &f) { putU64(f, 32, 0); }), BNN_STATUS_BAD_FORMAT, "input_dim");
  expectLoadFails(edit([](auto &f) { putU64(f, 32, ~uint64_t(0)); }), BNN_STATUS_BAD_FORMAT,
                  "input_dim");
  expectLoadFails(edit([](auto &f) {
                    f[12] = 0; // no projection, but a dimension
                  }),
                  BNN_STATUS_BAD_FORMAT, "input_dim must be 0");
  expectLoadFails(edit([](auto &f) { putU64(f, 24, ~uint64_t(0)); }), BNN_STATUS_BAD_FORMAT,
                  "count");
  expectLoadFails(edit([](auto &f) { putU64(f, 24, 11); }), BNN_STATUS_BAD_FORMAT, "payload_bytes");
  expectLoadFails(edit([](auto &f) { putU64(f, 48, 12345); }), BNN_STATUS_BAD_FORMAT,
                  "payload_bytes is 12345");
  expectLoadFails(std::vector<uint8_t>(good.begin(), good.end() - 4), BNN_STATUS_BAD_FORMAT,
                  "truncated file");
  expectLoadFails(edit([](auto &f) { f.push_back(0); }), BNN_STATUS_BAD_FORMAT, "trailing bytes");
  expectLoadFails(edit([](auto &f) { f[100] ^= 1; }), BNN_STATUS_BAD_FORMAT, "checksum mismatch");
  expectLoadFails(edit([](auto &f) { f[40] ^= 1; }), BNN_STATUS_BAD_FORMAT,
                  "checksum mismatch"); // the header's seed is covered too
  // Consistent sizes and checksum, but bad contents.
  expectLoadFails(edit([](auto &f) {
                    f[64 + 8 + 7] = 0x80; // code 0, bit 127: past 100 bits
                    reseal(f);
                  }),
                  BNN_STATUS_BAD_FORMAT, "code 0 has padding bits set");
  expectLoadFails(edit([](auto &f) {
                    const float nan = NAN;
                    std::memcpy(f.data() + 64 + 160, &nan, 4);
                    reseal(f);
                  }),
                  BNN_STATUS_BAD_FORMAT, "projection element 0 is not finite");
  // A resealed, consistent edit loads.
  std::vector<uint8_t> ok = edit([](auto &f) {
    f[64] ^= 1;
    reseal(f);
  });
  bnn_index *out = nullptr;
  ASSERT_EQ(bnn_index_load_buffer(ok.data(), static_cast<int64_t>(ok.size()), &out), BNN_STATUS_OK)
      << bnn_last_error();
  bnn_index_destroy(out);
}

} // namespace
