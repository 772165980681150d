// The paged KV-cache of the C API (bnn/bnn_kv.h) and the scalar attention reference over it
// (bnn/runtime/PagedAttention.h). Every expectation is derived from docs/KVCache.md here in the
// test: the formats through the CPU's F16C conversions and a sign/mean|x| written below, the page
// layouts by their documented offsets, the window rule, and attention as a naive dense loop over
// the test's own copy of what was appended.
#include "bnn/bnn.h"
#include "bnn/runtime/KVFormat.h"
#include "bnn/runtime/PagedAttention.h"

#include <gtest/gtest.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

// The reference for f16 is the CPU's own IEEE binary16 conversion (F16C: vcvtps2ph with
// round-to-nearest-even, vcvtph2ps), not the runtime's software conversion. (The compilers'
// _Float16 is not usable here: clang 14, the sanitized build's compiler, lacks it on x86.)
__attribute__((target("f16c"))) uint16_t cpuFloatToHalf(float x) {
  return static_cast<uint16_t>(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float cpuHalfToFloat(uint16_t h) { return _cvtsh_ss(h); }
float cpuHalfRound(float x) { return cpuHalfToFloat(cpuFloatToHalf(x)); }

struct CachePtr {
  bnn_kv_cache *p = nullptr;
  ~CachePtr() { bnn_kv_cache_destroy(p); }
};

bnn_kv_config makeConfig(int64_t layers, int64_t heads, int64_t dim, int64_t pageSize,
                         int64_t pages, bnn_kv_format format, int64_t window = 0,
                         int64_t maxSeqs = 8) {
  bnn_kv_config c{};
  c.num_layers = layers;
  c.num_kv_heads = heads;
  c.head_dim = dim;
  c.page_size = pageSize;
  c.num_pages = pages;
  c.max_sequences = maxSeqs;
  c.sliding_window = window;
  c.format = format;
  return c;
}

bool hasText(const std::string &needle) {
  return std::string(bnn_last_error()).find(needle) != std::string::npos;
}
#define EXPECT_ERROR(call, status, needle)                                                         \
  do {                                                                                             \
    EXPECT_EQ((call), (status));                                                                   \
    EXPECT_TRUE(hasText(needle)) << "message: '" << bnn_last_error() << "' lacks '" << needle      \
                                 << "'";                                                           \
  } while (0)

// What the test appended: per sequence and layer, [position][heads][dim] floats of K and of V.
struct History {
  std::vector<std::vector<float>> k, v;
  explicit History(int64_t layers) : k(layers), v(layers) {}
};

std::vector<float> randomTokens(std::mt19937 &rng, int64_t n, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (float &e : x)
    e = dist(rng);
  return x;
}

// Reserve ntokens and append random K/V to every layer, recording them in h.
void appendTokens(bnn_kv_cache *cache, int64_t seq, const bnn_kv_config &c, int64_t ntokens,
                  std::mt19937 &rng, History &h) {
  int64_t first = -1;
  ASSERT_EQ(bnn_kv_seq_reserve(cache, seq, ntokens, &first), BNN_STATUS_OK) << bnn_last_error();
  const int64_t row = c.num_kv_heads * c.head_dim;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    std::vector<float> k = randomTokens(rng, ntokens * row), v = randomTokens(rng, ntokens * row);
    ASSERT_EQ(bnn_kv_append(cache, seq, l, ntokens, k.data(), v.data()), BNN_STATUS_OK)
        << bnn_last_error();
    h.k[l].insert(h.k[l].end(), k.begin(), k.end());
    h.v[l].insert(h.v[l].end(), v.begin(), v.end());
  }
}

// The element as the documented format stores it, read back (independent of the runtime).
float specStored(bnn_kv_format f, const float *headRow, int64_t dim, int64_t c) {
  switch (f) {
  case BNN_KV_F32: return headRow[c];
  case BNN_KV_F16: return cpuHalfRound(headRow[c]);
  default: {
    double sum = 0;
    for (int64_t i = 0; i < dim; ++i)
      sum += std::fabs(static_cast<double>(headRow[i]));
    const float scale = static_cast<float>(sum / static_cast<double>(dim));
    return headRow[c] < 0 ? -scale : scale;
  }
  }
}

std::vector<float> specStoredAll(const bnn_kv_config &c, const std::vector<float> &x) {
  std::vector<float> y(x.size());
  for (size_t r = 0; r < x.size() / c.head_dim; ++r)
    for (int64_t d = 0; d < c.head_dim; ++d)
      y[r * c.head_dim + d] =
          specStored(static_cast<bnn_kv_format>(c.format), &x[r * c.head_dim], c.head_dim, d);
  return y;
}

// Key centring by the specification: the mean per (head, channel) of the first `firstChunk`
// tokens, in double, rounded to float.
std::vector<float> specKeyMean(const bnn_kv_config &c, const std::vector<float> &keys,
                               int64_t firstChunk) {
  const int64_t row = c.num_kv_heads * c.head_dim;
  std::vector<float> m(static_cast<size_t>(row));
  for (int64_t i = 0; i < row; ++i) {
    double sum = 0;
    for (int64_t t = 0; t < firstChunk; ++t)
      sum += keys[t * row + i];
    m[i] = static_cast<float>(sum / static_cast<double>(firstChunk));
  }
  return m;
}
// Centred binary keys read back: mean + scale * sign(k - mean) (withMean), or without the mean
// (what XNOR-popcount scores see).
std::vector<float> specCentredKeys(const bnn_kv_config &c, const std::vector<float> &keys,
                                   const std::vector<float> &mean, bool withMean) {
  const int64_t row = c.num_kv_heads * c.head_dim;
  std::vector<float> centred(keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    centred[i] = keys[i] - mean[i % row];
  std::vector<float> y = specStoredAll(c, centred);
  if (withMean)
    for (size_t i = 0; i < y.size(); ++i)
      y[i] = mean[i % row] + y[i];
  return y;
}

struct Gathered {
  std::vector<float> k, v;
  int64_t n = -1;
};
Gathered gather(const bnn_kv_cache *cache, int64_t seq, int64_t layer, const bnn_kv_config &c) {
  Gathered g;
  bnn_kv_block_table_info info{};
  EXPECT_EQ(bnn_kv_block_table(cache, seq, nullptr, 0, &info), BNN_STATUS_OK);
  const int64_t room = info.length - info.first_position;
  g.k.resize(static_cast<size_t>(std::max<int64_t>(room, 1) * c.num_kv_heads * c.head_dim));
  g.v.resize(g.k.size());
  EXPECT_EQ(bnn_kv_gather(cache, seq, layer, room, g.k.data(), g.v.data(), &g.n), BNN_STATUS_OK)
      << bnn_last_error();
  g.k.resize(static_cast<size_t>(g.n * c.num_kv_heads * c.head_dim));
  g.v.resize(g.k.size());
  return g;
}

bnn_kv_stats stats(const bnn_kv_cache *cache) {
  bnn_kv_stats s{};
  EXPECT_EQ(bnn_kv_get_stats(cache, &s), BNN_STATUS_OK);
  return s;
}

std::vector<int64_t> blockTable(const bnn_kv_cache *cache, int64_t seq,
                                bnn_kv_block_table_info *infoOut = nullptr) {
  bnn_kv_block_table_info info{};
  EXPECT_EQ(bnn_kv_block_table(cache, seq, nullptr, 0, &info), BNN_STATUS_OK);
  std::vector<int64_t> ids(static_cast<size_t>(info.num_pages));
  EXPECT_EQ(bnn_kv_block_table(cache, seq, ids.data(), info.num_pages, &info), BNN_STATUS_OK);
  if (infoOut)
    *infoOut = info;
  return ids;
}

// Gathered layer == the spec's stored form of the history from `first` on.
void expectGatherMatches(const bnn_kv_cache *cache, int64_t seq, const bnn_kv_config &c,
                         const History &h, int64_t first) {
  const int64_t row = c.num_kv_heads * c.head_dim;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    Gathered g = gather(cache, seq, l, c);
    std::vector<float> k(h.k[l].begin() + first * row, h.k[l].end());
    std::vector<float> v(h.v[l].begin() + first * row, h.v[l].end());
    ASSERT_EQ(g.n * row, static_cast<int64_t>(k.size())) << "layer " << l;
    EXPECT_EQ(g.k, specStoredAll(c, k)) << "layer " << l;
    EXPECT_EQ(g.v, specStoredAll(c, v)) << "layer " << l;
  }
}

TEST(KVCache, ConfigErrors) {
  bnn_kv_cache *cache = nullptr;
  bnn_kv_config good = makeConfig(2, 2, 8, 4, 4, BNN_KV_F32);
  EXPECT_ERROR(bnn_kv_cache_create(nullptr, &cache), BNN_STATUS_INVALID_ARGUMENT, "null config");
  EXPECT_ERROR(bnn_kv_cache_create(&good, nullptr), BNN_STATUS_INVALID_ARGUMENT, "null out");
  struct Case {
    const char *field;
    void (*edit)(bnn_kv_config &);
  } cases[] = {
      {"num_layers", [](bnn_kv_config &c) { c.num_layers = 0; }},
      {"num_kv_heads", [](bnn_kv_config &c) { c.num_kv_heads = -1; }},
      {"head_dim", [](bnn_kv_config &c) { c.head_dim = 0; }},
      {"head_dim", [](bnn_kv_config &c) { c.head_dim = BNN_KV_MAX_HEAD_DIM + 1; }},
      {"page_size", [](bnn_kv_config &c) { c.page_size = 0; }},
      {"num_pages", [](bnn_kv_config &c) { c.num_pages = 0; }},
      {"max_sequences", [](bnn_kv_config &c) { c.max_sequences = 0; }},
      {"sliding_window", [](bnn_kv_config &c) { c.sliding_window = -3; }},
      {"format", [](bnn_kv_config &c) { c.format = 7; }},
      {"format", [](bnn_kv_config &c) { c.format = -1; }},
      {"center_keys", [](bnn_kv_config &c) { c.center_keys = 2; }},
      {"center_keys", [](bnn_kv_config &c) { c.center_keys = 1; }}, // f32 cache
  };
  for (const Case &k : cases) {
    bnn_kv_config c = good;
    k.edit(c);
    EXPECT_ERROR(bnn_kv_cache_create(&c, &cache), BNN_STATUS_INVALID_ARGUMENT,
                 std::string("config.") + k.field);
    EXPECT_EQ(cache, nullptr);
  }
  bnn_kv_config huge = makeConfig(1 << 20, 1 << 10, 1 << 10, 1 << 20, 1 << 20, BNN_KV_F32);
  EXPECT_ERROR(bnn_kv_cache_create(&huge, &cache), BNN_STATUS_INVALID_ARGUMENT, "overflows");
  EXPECT_EQ(cache, nullptr);

  CachePtr ok;
  ASSERT_EQ(bnn_kv_cache_create(&good, &ok.p), BNN_STATUS_OK) << bnn_last_error();
  bnn_kv_config back{};
  ASSERT_EQ(bnn_kv_cache_config(ok.p, &back), BNN_STATUS_OK);
  EXPECT_EQ(std::memcmp(&back, &good, sizeof good), 0);
  bnn_kv_cache_destroy(nullptr); // no-op
}

// Page sizes and the documented page layout: head-major rows of the format, K then V per layer.
TEST(KVCache, PageBytesFollowTheLayout) {
  struct Case {
    bnn_kv_format f;
    int64_t heads, dim, pageSize, contentBytes;
  } cases[] = {
      {BNN_KV_F32, 3, 5, 7, 3 * 7 * 5 * 4},
      {BNN_KV_F16, 3, 5, 7, 3 * 7 * 5 * 2},
      {BNN_KV_BINARY, 3, 70, 7, 3 * 7 * 2 * 8 + 3 * 7 * 4},
      {BNN_KV_BINARY, 2, 64, 16, 2 * 16 * 8 + 2 * 16 * 4},
  };
  for (const Case &k : cases) {
    bnn_kv_config c = makeConfig(3, k.heads, k.dim, k.pageSize, 2, k.f);
    CachePtr cache;
    ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
    int64_t page = 0, block = 0;
    ASSERT_EQ(bnn_kv_page_bytes(cache.p, &page, &block), BNN_STATUS_OK);
    EXPECT_EQ(block, (k.contentBytes + 63) / 64 * 64);
    EXPECT_EQ(page, 2 * 3 * block);
    const void *k0, *v0, *k2, *v2, *p1;
    ASSERT_EQ(bnn_kv_page_data(cache.p, 0, 0, &k0, &v0), BNN_STATUS_OK);
    ASSERT_EQ(bnn_kv_page_data(cache.p, 0, 2, &k2, &v2), BNN_STATUS_OK);
    ASSERT_EQ(bnn_kv_page_data(cache.p, 1, 0, &p1, nullptr), BNN_STATUS_OK);
    auto at = [&](const void *p) { return static_cast<const uint8_t *>(p) - (const uint8_t *)k0; };
    EXPECT_EQ(at(v0), block);
    EXPECT_EQ(at(k2), 4 * block);
    EXPECT_EQ(at(v2), 5 * block);
    EXPECT_EQ(at(p1), page);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(k0) % 64, 0u);
  }
}

// A prompt of 7 tokens with 4-token pages, then decoding one token at a time: pages appear on
// the fly, the gathered K/V are exactly what was appended, and the raw pages hold each value at
// its documented offset.
TEST(KVCache, PagesAcrossBoundaries) {
  bnn_kv_config c = makeConfig(3, 2, 6, 4, 8, BNN_KV_F32);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t seq = -1;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  EXPECT_EQ(seq, 0);
  EXPECT_EQ(stats(cache.p).pages_used, 0);
  std::mt19937 rng(1);
  History h(c.num_layers);
  appendTokens(cache.p, seq, c, 7, rng, h);
  EXPECT_EQ(stats(cache.p).pages_used, 2);
  for (int64_t step = 0; step < 6; ++step) {
    appendTokens(cache.p, seq, c, 1, rng, h);
    const int64_t length = 8 + step;
    int64_t got = 0;
    ASSERT_EQ(bnn_kv_seq_length(cache.p, seq, &got), BNN_STATUS_OK);
    EXPECT_EQ(got, length);
    EXPECT_EQ(stats(cache.p).pages_used, (length + 3) / 4);
  }
  bnn_kv_block_table_info info{};
  std::vector<int64_t> ids = blockTable(cache.p, seq, &info);
  EXPECT_EQ(info.length, 13);
  EXPECT_EQ(info.first_position, 0);
  EXPECT_EQ(info.num_pages, 4);
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  expectGatherMatches(cache.p, seq, c, h, 0);
  bnn_kv_stats s = stats(cache.p);
  int64_t pageBytes = 0;
  ASSERT_EQ(bnn_kv_page_bytes(cache.p, &pageBytes, nullptr), BNN_STATUS_OK);
  EXPECT_EQ(s.bytes_used, 4 * pageBytes);
  EXPECT_EQ(s.pages_total, 8);
  EXPECT_EQ(s.sequences, 1);
  EXPECT_EQ(s.pages_shared, 0);

  // Raw pages: K of layer l, position p, head hd, channel d at [hd][p % 4][d] of block l.
  for (int64_t l = 0; l < c.num_layers; ++l)
    for (int64_t p = 0; p < 13; ++p)
      for (int64_t hd = 0; hd < 2; ++hd)
        for (int64_t d = 0; d < 6; ++d) {
          const void *kp, *vp;
          ASSERT_EQ(bnn_kv_page_data(cache.p, ids[p / 4], l, &kp, &vp), BNN_STATUS_OK);
          float kx, vx;
          std::memcpy(&kx, static_cast<const uint8_t *>(kp) + ((hd * 4 + p % 4) * 6 + d) * 4, 4);
          std::memcpy(&vx, static_cast<const uint8_t *>(vp) + ((hd * 4 + p % 4) * 6 + d) * 4, 4);
          ASSERT_EQ(kx, h.k[l][(p * 2 + hd) * 6 + d]);
          ASSERT_EQ(vx, h.v[l][(p * 2 + hd) * 6 + d]);
        }
}

// Per-layer writes in chunks: a layer's written count advances by its own appends, and the next
// reserve waits for every layer.
TEST(KVCache, ReserveThenAppendPerLayer) {
  bnn_kv_config c = makeConfig(2, 1, 4, 4, 8, BNN_KV_F32);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t seq, first = -1;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_seq_reserve(cache.p, seq, 5, &first), BNN_STATUS_OK);
  EXPECT_EQ(first, 0);
  std::vector<float> x(5 * 4, 1.5f);
  ASSERT_EQ(bnn_kv_append(cache.p, seq, 0, 2, x.data(), x.data()), BNN_STATUS_OK);
  int64_t w = -1;
  ASSERT_EQ(bnn_kv_seq_layer_length(cache.p, seq, 0, &w), BNN_STATUS_OK);
  EXPECT_EQ(w, 2);
  ASSERT_EQ(bnn_kv_seq_layer_length(cache.p, seq, 1, &w), BNN_STATUS_OK);
  EXPECT_EQ(w, 0);
  EXPECT_ERROR(bnn_kv_seq_reserve(cache.p, seq, 1, nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "layer 0 has 2 of its 5");
  EXPECT_ERROR(bnn_kv_append(cache.p, seq, 0, 4, x.data(), x.data()), BNN_STATUS_OUT_OF_RANGE,
               "3 reserved, unwritten");
  ASSERT_EQ(bnn_kv_append(cache.p, seq, 0, 3, x.data(), x.data()), BNN_STATUS_OK);
  EXPECT_ERROR(bnn_kv_seq_reserve(cache.p, seq, 1, nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "layer 1 has 0 of its 5");
  int64_t child;
  EXPECT_ERROR(bnn_kv_seq_fork(cache.p, seq, &child), BNN_STATUS_INVALID_ARGUMENT, "forking");
  ASSERT_EQ(bnn_kv_append(cache.p, seq, 1, 5, x.data(), x.data()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_seq_reserve(cache.p, seq, 1, &first), BNN_STATUS_OK);
  EXPECT_EQ(first, 5);
  // Gather stops at the layer's written positions.
  Gathered g = gather(cache.p, seq, 0, c);
  EXPECT_EQ(g.n, 5);
}

// Fork: the child shares every page (stats say so); appending into the shared partial last page
// copies it, the parent's data stays, and the child equals a sequence built independently.
TEST(KVCache, ForkSharesPagesAndCopiesOnWrite) {
  for (bnn_kv_format f : {BNN_KV_F32, BNN_KV_F16, BNN_KV_BINARY}) {
    SCOPED_TRACE(static_cast<int>(f));
    bnn_kv_config c = makeConfig(2, 2, 70, 4, 16, f);
    CachePtr cache;
    ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
    int64_t parent, child, twin;
    ASSERT_EQ(bnn_kv_seq_add(cache.p, &parent), BNN_STATUS_OK);
    std::mt19937 rng(7);
    History hp(c.num_layers);
    appendTokens(cache.p, parent, c, 10, rng, hp); // 2 full pages + 2 tokens
    ASSERT_EQ(stats(cache.p).pages_used, 3);
    ASSERT_EQ(bnn_kv_seq_fork(cache.p, parent, &child), BNN_STATUS_OK) << bnn_last_error();
    EXPECT_NE(child, parent);
    bnn_kv_stats s = stats(cache.p);
    EXPECT_EQ(s.pages_used, 3);
    EXPECT_EQ(s.pages_shared, 3);
    EXPECT_EQ(s.sequences, 2);
    EXPECT_EQ(blockTable(cache.p, child), blockTable(cache.p, parent));

    // The child appends 3 tokens: its partial page is copied and a fresh page follows (pages
    // 3 -> 5, shared 3 -> 2).
    History hc = hp;
    appendTokens(cache.p, child, c, 3, rng, hc);
    s = stats(cache.p);
    EXPECT_EQ(s.pages_used, 5);
    EXPECT_EQ(s.pages_shared, 2);
    std::vector<int64_t> tp = blockTable(cache.p, parent), tc = blockTable(cache.p, child);
    ASSERT_EQ(tp.size(), 3u);
    ASSERT_EQ(tc.size(), 4u);
    EXPECT_EQ(tp[0], tc[0]);
    EXPECT_EQ(tp[1], tc[1]);
    EXPECT_NE(tp[2], tc[2]);
    expectGatherMatches(cache.p, parent, c, hp, 0);
    expectGatherMatches(cache.p, child, c, hc, 0);

    // The parent now owns its partial page alone and appends in place: no new page.
    appendTokens(cache.p, parent, c, 1, rng, hp);
    EXPECT_EQ(stats(cache.p).pages_used, 5);
    EXPECT_EQ(blockTable(cache.p, parent), tp);
    expectGatherMatches(cache.p, parent, c, hp, 0);
    expectGatherMatches(cache.p, child, c, hc, 0);

    // An independent sequence appended with the child's data gathers the same.
    ASSERT_EQ(bnn_kv_seq_add(cache.p, &twin), BNN_STATUS_OK);
    ASSERT_EQ(bnn_kv_seq_reserve(cache.p, twin, 13, nullptr), BNN_STATUS_OK);
    for (int64_t l = 0; l < c.num_layers; ++l)
      ASSERT_EQ(bnn_kv_append(cache.p, twin, l, 13, hc.k[l].data(), hc.v[l].data()), BNN_STATUS_OK);
    for (int64_t l = 0; l < c.num_layers; ++l) {
      Gathered a = gather(cache.p, child, l, c), b = gather(cache.p, twin, l, c);
      EXPECT_EQ(a.k, b.k);
      EXPECT_EQ(a.v, b.v);
    }

    // Free: the child's own pages return, the shared ones stay with the parent.
    ASSERT_EQ(bnn_kv_seq_free(cache.p, twin), BNN_STATUS_OK);
    EXPECT_EQ(stats(cache.p).pages_used, 5);
    ASSERT_EQ(bnn_kv_seq_free(cache.p, parent), BNN_STATUS_OK);
    s = stats(cache.p);
    EXPECT_EQ(s.pages_used, 4); // the child holds all 4 of its pages (2 were shared)
    EXPECT_EQ(s.pages_shared, 0);
    expectGatherMatches(cache.p, child, c, hc, 0);
    ASSERT_EQ(bnn_kv_seq_free(cache.p, child), BNN_STATUS_OK);
    s = stats(cache.p);
    EXPECT_EQ(s.pages_used, 0);
    EXPECT_EQ(s.sequences, 0);
    EXPECT_EQ(s.bytes_used, 0);
  }
}

// A fork of a fork, and a fork at a page boundary (no partial page: nothing to copy).
TEST(KVCache, ForkAtPageBoundaryAndNestedForks) {
  bnn_kv_config c = makeConfig(1, 1, 8, 4, 16, BNN_KV_F16);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t a, b, d;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &a), BNN_STATUS_OK);
  std::mt19937 rng(3);
  History ha(1);
  appendTokens(cache.p, a, c, 8, rng, ha);
  ASSERT_EQ(bnn_kv_seq_fork(cache.p, a, &b), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_seq_fork(cache.p, b, &d), BNN_STATUS_OK);
  EXPECT_EQ(stats(cache.p).pages_shared, 2);
  History hb = ha, hd = ha;
  appendTokens(cache.p, b, c, 1, rng, hb);
  appendTokens(cache.p, d, c, 2, rng, hd);
  EXPECT_EQ(stats(cache.p).pages_used, 4); // 2 shared + one fresh page each
  expectGatherMatches(cache.p, a, c, ha, 0);
  expectGatherMatches(cache.p, b, c, hb, 0);
  expectGatherMatches(cache.p, d, c, hd, 0);
  ASSERT_EQ(bnn_kv_seq_free(cache.p, a), BNN_STATUS_OK);
  EXPECT_EQ(stats(cache.p).pages_shared, 2); // still held by b and d
  ASSERT_EQ(bnn_kv_seq_free(cache.p, b), BNN_STATUS_OK);
  EXPECT_EQ(stats(cache.p).pages_shared, 0);
  EXPECT_EQ(stats(cache.p).pages_used, 3);
  expectGatherMatches(cache.p, d, c, hd, 0);
}

// A full pool: CAPACITY with a message, and nothing changed (length, block table, data, stats).
TEST(KVCache, FullPoolIsCapacityAndChangesNothing) {
  bnn_kv_config c = makeConfig(2, 1, 8, 4, 3, BNN_KV_BINARY, 0, 2);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t seq, other;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  std::mt19937 rng(5);
  History h(2);
  appendTokens(cache.p, seq, c, 10, rng, h); // 3 pages, the last one partial
  auto snapshot = [&](int64_t s) {
    bnn_kv_block_table_info info{};
    std::vector<int64_t> ids = blockTable(cache.p, s, &info);
    return std::make_tuple(ids, info.length, info.first_position, stats(cache.p).pages_used,
                           stats(cache.p).pages_shared);
  };
  auto before = snapshot(seq);
  EXPECT_ERROR(bnn_kv_seq_reserve(cache.p, seq, 3, nullptr), BNN_STATUS_CAPACITY,
               "needs 1 free pages");
  EXPECT_TRUE(hasText("nothing was changed"));
  EXPECT_EQ(snapshot(seq), before);
  expectGatherMatches(cache.p, seq, c, h, 0);
  // Two more tokens fit the partial page without a new one.
  appendTokens(cache.p, seq, c, 2, rng, h);
  EXPECT_EQ(stats(cache.p).pages_used, 3);

  // A fork whose copy-on-write needs a page the pool does not have.
  History h2(2);
  ASSERT_EQ(bnn_kv_seq_free(cache.p, seq), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  appendTokens(cache.p, seq, c, 10, rng, h2);
  ASSERT_EQ(bnn_kv_seq_fork(cache.p, seq, &other), BNN_STATUS_OK);
  before = snapshot(other);
  EXPECT_ERROR(bnn_kv_seq_reserve(cache.p, other, 1, nullptr), BNN_STATUS_CAPACITY,
               "needs 1 free pages");
  EXPECT_EQ(snapshot(other), before);
  expectGatherMatches(cache.p, other, c, h2, 0);
  // Sequence slots: max_sequences = 2.
  int64_t third;
  EXPECT_ERROR(bnn_kv_seq_add(cache.p, &third), BNN_STATUS_CAPACITY, "max_sequences");
  EXPECT_ERROR(bnn_kv_seq_fork(cache.p, seq, &third), BNN_STATUS_CAPACITY, "max_sequences");
  // Freeing the parent makes the child the only holder: it appends in place now.
  ASSERT_EQ(bnn_kv_seq_free(cache.p, seq), BNN_STATUS_OK);
  History h3 = h2;
  appendTokens(cache.p, other, c, 1, rng, h3);
  expectGatherMatches(cache.p, other, c, h3, 0);
  // The freed id is reused (lowest free slot).
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &third), BNN_STATUS_OK);
  EXPECT_EQ(third, seq);
}

// The sliding window: after each reserve starting at L, the first kept position is the start of
// the page of max(0, L - W + 1) (never going back), pages below it return to the pool unless
// another sequence holds them, and gather returns exactly the kept positions.
TEST(KVCache, SlidingWindowReleasesPages) {
  for (int64_t W : {1, 3, 4, 5, 9}) {
    SCOPED_TRACE("window " + std::to_string(W));
    const int64_t P = 4;
    bnn_kv_config c = makeConfig(2, 2, 3, P, 6, BNN_KV_F32, W);
    CachePtr cache;
    ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
    int64_t seq;
    ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
    std::mt19937 rng(11);
    History h(2);
    int64_t expectedFirst = 0, length = 0;
    for (int64_t step = 0; step < 40; ++step) {
      const int64_t n = step == 0 ? 6 : 1 + step % 2; // a prompt of 6, then 1 or 2 tokens
      if (length - W + 1 > 0)
        expectedFirst = std::max(expectedFirst, (length - W + 1) / P * P);
      appendTokens(cache.p, seq, c, n, rng, h);
      length += n;
      bnn_kv_block_table_info info{};
      blockTable(cache.p, seq, &info);
      ASSERT_EQ(info.length, length);
      ASSERT_EQ(info.first_position, expectedFirst) << "step " << step;
      ASSERT_EQ(info.num_pages, (length - expectedFirst + P - 1) / P);
      ASSERT_EQ(stats(cache.p).pages_used, info.num_pages);
      // Every query of this step still has its window.
      ASSERT_LE(info.first_position, std::max<int64_t>(0, length - n - W + 1));
      expectGatherMatches(cache.p, seq, c, h, expectedFirst);
    }
    // Refcount-aware: a fork keeps the pages its parent's window drops.
    int64_t child;
    ASSERT_EQ(bnn_kv_seq_fork(cache.p, seq, &child), BNN_STATUS_OK);
    const int64_t usedAtFork = stats(cache.p).pages_used;
    History hc = h;
    bnn_kv_block_table_info before{};
    blockTable(cache.p, seq, &before);
    for (int i = 0; i < 2 * P && stats(cache.p).pages_used < c.num_pages; ++i)
      appendTokens(cache.p, child, c, 1, rng, hc);
    bnn_kv_block_table_info after{};
    blockTable(cache.p, child, &after);
    if (after.first_position > before.first_position) {
      EXPECT_GE(stats(cache.p).pages_used, usedAtFork); // dropped by the child, kept by parent
    }
    expectGatherMatches(cache.p, seq, c, h, before.first_position);
    expectGatherMatches(cache.p, child, c, hc, after.first_position);
  }
}

// The window's released pages count towards a reserve: a pool of 2 pages serves an endless
// sequence when the window is at most one page.
TEST(KVCache, SlidingWindowReusesReleasedPages) {
  bnn_kv_config c = makeConfig(1, 1, 4, 4, 2, BNN_KV_F16, 4);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t seq;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  std::mt19937 rng(2);
  History h(1);
  for (int step = 0; step < 50; ++step)
    appendTokens(cache.p, seq, c, 1, rng, h);
  EXPECT_LE(stats(cache.p).pages_used, 2);
  bnn_kv_block_table_info info{};
  blockTable(cache.p, seq, &info);
  expectGatherMatches(cache.p, seq, c, h, info.first_position);
}

// f16: the stored value is the IEEE binary16 rounding of the input (the CPU's F16C conversion is
// the reference), for random values, ties, subnormals, overflow and the extremes.
TEST(KVCache, HalfConversionMatchesFloat16) {
  std::mt19937 rng(9);
  std::vector<float> xs = {0.0f,
                           -0.0f,
                           1.0f,
                           -2.5f,
                           65504.0f,
                           65519.0f,
                           65520.0f,
                           -65520.0f,
                           1e-8f,
                           5.96e-8f,
                           2.98e-8f,
                           2.99e-8f,
                           6.1e-5f,
                           6.097e-5f,
                           1.0f + 1.0f / 2048,
                           1.0f + 3.0f / 2048,
                           1e30f,
                           -1e-30f};
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    uint32_t b = bits(rng);
    if (i % 2)
      b = (b & 0x80ffffffu) | ((100u + b % 50u) << 23); // concentrate on half's range
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isfinite(f))
      xs.push_back(f);
  }
  for (float x : xs) {
    ASSERT_EQ(bnn::kv::floatToHalf(x), cpuFloatToHalf(x)) << x;
  }
  EXPECT_TRUE(std::isnan(bnn::kv::halfToFloat(bnn::kv::floatToHalf(NAN))));
  // Every half converts to float and back to itself.
  for (uint32_t hbits = 0; hbits < 0x10000; ++hbits) {
    const auto h = static_cast<uint16_t>(hbits);
    const float ref = cpuHalfToFloat(h);
    const float f = bnn::kv::halfToFloat(h);
    if (std::isnan(ref)) {
      ASSERT_TRUE(std::isnan(f));
      continue;
    }
    ASSERT_TRUE(f == ref && std::signbit(f) == std::signbit(ref)) << hbits;
    ASSERT_EQ(bnn::kv::floatToHalf(f), h) << hbits;
  }
}

// f16 and binary pages through the cache: gather gives the format's value exactly, and the raw
// pages hold the documented bytes (binary: sign words by the bit contract, padding zero, the
// scales after all rows).
TEST(KVCache, FormatsRoundTripThroughPages) {
  for (bnn_kv_format f : {BNN_KV_F16, BNN_KV_BINARY}) {
    for (int64_t dim : {1, 5, 64, 70, 130}) {
      SCOPED_TRACE("format " + std::to_string(f) + " dim " + std::to_string(dim));
      const int64_t H = 3, P = 5;
      bnn_kv_config c = makeConfig(2, H, dim, P, 4, f);
      CachePtr cache;
      ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
      int64_t seq;
      ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
      std::mt19937 rng(static_cast<uint32_t>(dim));
      History h(2);
      appendTokens(cache.p, seq, c, 7, rng, h);
      for (float &x : h.k[1]) // include exact zeros: sign(0) = +1
        if (std::fabs(x) < 0.05f)
          x = 0.0f;
      // Rewrite layer 1 of a fresh sequence with the zeros in.
      int64_t s2;
      ASSERT_EQ(bnn_kv_seq_add(cache.p, &s2), BNN_STATUS_OK);
      ASSERT_EQ(bnn_kv_seq_reserve(cache.p, s2, 7, nullptr), BNN_STATUS_OK);
      for (int64_t l = 0; l < 2; ++l)
        ASSERT_EQ(bnn_kv_append(cache.p, s2, l, 7, h.k[l].data(), h.v[l].data()), BNN_STATUS_OK);
      expectGatherMatches(cache.p, s2, c, h, 0);
      std::vector<int64_t> ids = blockTable(cache.p, s2);
      const int64_t words = (dim + 63) / 64;
      for (int64_t p = 0; p < 7; ++p)
        for (int64_t hd = 0; hd < H; ++hd) {
          const void *kp;
          ASSERT_EQ(bnn_kv_page_data(cache.p, ids[p / P], 1, &kp, nullptr), BNN_STATUS_OK);
          const auto *base = static_cast<const uint8_t *>(kp);
          const float *x = &h.k[1][(p * H + hd) * dim];
          const int64_t row = hd * P + p % P;
          if (f == BNN_KV_F16) {
            for (int64_t d = 0; d < dim; ++d) {
              uint16_t v;
              std::memcpy(&v, base + (row * dim + d) * 2, 2);
              ASSERT_EQ(v, cpuFloatToHalf(x[d]));
            }
            continue;
          }
          for (int64_t w = 0; w < words; ++w) {
            uint64_t word, expected = 0;
            std::memcpy(&word, base + (row * words + w) * 8, 8);
            for (int64_t j = 0; j < 64 && w * 64 + j < dim; ++j)
              if (!(x[w * 64 + j] < 0))
                expected |= uint64_t(1) << j;
            ASSERT_EQ(word, expected) << "p " << p << " head " << hd << " word " << w;
          }
          float scale;
          std::memcpy(&scale, base + H * P * words * 8 + row * 4, 4);
          double sum = 0; // mean |x| over the head's channels
          for (int64_t d = 0; d < dim; ++d)
            sum += std::fabs(static_cast<double>(x[d]));
          EXPECT_EQ(scale, static_cast<float>(sum / static_cast<double>(dim)));
        }
    }
  }
}

// center_keys: the mean of a layer's first append is frozen (per layer, inherited by forks),
// keys read back as mean + scale * sign(k - mean), values are untouched.
TEST(KVCache, CentredKeysRoundTrip) {
  bnn_kv_config c = makeConfig(2, 2, 70, 4, 16, BNN_KV_BINARY);
  c.center_keys = 1;
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK) << bnn_last_error();
  int64_t seq, child, twin;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  const float *mean = reinterpret_cast<const float *>(1);
  ASSERT_EQ(bnn_kv_seq_key_mean(cache.p, seq, 0, &mean), BNN_STATUS_OK);
  EXPECT_EQ(mean, nullptr);
  std::mt19937 rng(31);
  History h(2);
  // Layer 0's first append is 3 of the 7 reserved positions, layer 1's all 7.
  const int64_t row = 2 * 70;
  std::vector<float> k = randomTokens(rng, 7 * row), v = randomTokens(rng, 7 * row);
  for (size_t i = 0; i < k.size(); ++i)
    k[i] += (i % row < 5) ? 6.0f : 0.0f; // biased channels
  ASSERT_EQ(bnn_kv_seq_reserve(cache.p, seq, 7, nullptr), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_append(cache.p, seq, 0, 3, k.data(), v.data()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_append(cache.p, seq, 0, 4, k.data() + 3 * row, v.data() + 3 * row),
            BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_append(cache.p, seq, 1, 7, k.data(), v.data()), BNN_STATUS_OK);
  for (int64_t l = 0; l < 2; ++l) {
    h.k[l] = k;
    h.v[l] = v;
  }
  appendTokens(cache.p, seq, c, 2, rng, h); // decode steps use the frozen mean
  for (int64_t l = 0; l < 2; ++l) {
    SCOPED_TRACE("layer " + std::to_string(l));
    const std::vector<float> m = specKeyMean(c, h.k[l], l == 0 ? 3 : 7);
    ASSERT_EQ(bnn_kv_seq_key_mean(cache.p, seq, l, &mean), BNN_STATUS_OK);
    ASSERT_NE(mean, nullptr);
    EXPECT_EQ(std::vector<float>(mean, mean + row), m);
    Gathered g = gather(cache.p, seq, l, c);
    EXPECT_EQ(g.k, specCentredKeys(c, h.k[l], m, true));
    EXPECT_NE(g.k, specStoredAll(c, h.k[l])); // centring changed something
    EXPECT_EQ(g.v, specStoredAll(c, h.v[l]));
  }
  // A fork keeps the mean; a sequence built with the same first chunks matches it exactly.
  ASSERT_EQ(bnn_kv_seq_fork(cache.p, seq, &child), BNN_STATUS_OK);
  History hc = h;
  appendTokens(cache.p, child, c, 3, rng, hc);
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &twin), BNN_STATUS_OK);
  const int64_t n = static_cast<int64_t>(hc.k[0].size()) / row;
  ASSERT_EQ(bnn_kv_seq_reserve(cache.p, twin, n, nullptr), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_append(cache.p, twin, 0, 3, hc.k[0].data(), hc.v[0].data()), BNN_STATUS_OK);
  ASSERT_EQ(
      bnn_kv_append(cache.p, twin, 0, n - 3, hc.k[0].data() + 3 * row, hc.v[0].data() + 3 * row),
      BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_append(cache.p, twin, 1, 7, hc.k[1].data(), hc.v[1].data()), BNN_STATUS_OK);
  ASSERT_EQ(
      bnn_kv_append(cache.p, twin, 1, n - 7, hc.k[1].data() + 7 * row, hc.v[1].data() + 7 * row),
      BNN_STATUS_OK);
  for (int64_t l = 0; l < 2; ++l) {
    Gathered a = gather(cache.p, child, l, c), b = gather(cache.p, twin, l, c);
    EXPECT_EQ(a.k, b.k);
    EXPECT_EQ(a.v, b.v);
  }
  EXPECT_ERROR(bnn_kv_seq_key_mean(cache.p, seq, 0, nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "null mean");
  EXPECT_ERROR(bnn_kv_seq_key_mean(cache.p, seq, 2, &mean), BNN_STATUS_OUT_OF_RANGE, "layer");
  EXPECT_ERROR(bnn_kv_seq_key_mean(nullptr, seq, 0, &mean), BNN_STATUS_INVALID_ARGUMENT,
               "null cache");
}

// Every bad argument: a status and a message that says what was expected and found.
TEST(KVCache, ArgumentErrors) {
  bnn_kv_config c = makeConfig(2, 1, 4, 4, 4, BNN_KV_F32, 0, 2);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  bnn_kv_cache *C = cache.p;
  int64_t seq = -1, out = 0;
  std::vector<float> x(64, 1.0f);
  const void *ptr;
  bnn_kv_block_table_info info;
  bnn_kv_stats st;
  bnn_kv_config cfg;
  // Null cache everywhere.
  EXPECT_ERROR(bnn_kv_cache_config(nullptr, &cfg), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_page_bytes(nullptr, &out, &out), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_seq_add(nullptr, &seq), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_seq_fork(nullptr, 0, &seq), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_seq_free(nullptr, 0), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_seq_length(nullptr, 0, &out), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_seq_layer_length(nullptr, 0, 0, &out), BNN_STATUS_INVALID_ARGUMENT,
               "null cache");
  EXPECT_ERROR(bnn_kv_seq_reserve(nullptr, 0, 1, &out), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_append(nullptr, 0, 0, 1, x.data(), x.data()), BNN_STATUS_INVALID_ARGUMENT,
               "null cache");
  EXPECT_ERROR(bnn_kv_block_table(nullptr, 0, nullptr, 0, &info), BNN_STATUS_INVALID_ARGUMENT,
               "null cache");
  EXPECT_ERROR(bnn_kv_page_data(nullptr, 0, 0, &ptr, &ptr), BNN_STATUS_INVALID_ARGUMENT,
               "null cache");
  EXPECT_ERROR(bnn_kv_gather(nullptr, 0, 0, 1, x.data(), x.data(), &out),
               BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(bnn_kv_get_stats(nullptr, &st), BNN_STATUS_INVALID_ARGUMENT, "null cache");
  // Null outputs.
  EXPECT_ERROR(bnn_kv_cache_config(C, nullptr), BNN_STATUS_INVALID_ARGUMENT, "null out");
  EXPECT_ERROR(bnn_kv_page_bytes(C, nullptr, nullptr), BNN_STATUS_INVALID_ARGUMENT, "null");
  EXPECT_ERROR(bnn_kv_seq_add(C, nullptr), BNN_STATUS_INVALID_ARGUMENT, "null seq");
  EXPECT_ERROR(bnn_kv_get_stats(C, nullptr), BNN_STATUS_INVALID_ARGUMENT, "null out");
  // Unknown sequences: out of range, and a free slot.
  for (int64_t bad : {int64_t(-1), int64_t(2), std::numeric_limits<int64_t>::max()}) {
    EXPECT_ERROR(bnn_kv_seq_length(C, bad, &out), BNN_STATUS_OUT_OF_RANGE,
                 "sequence id must be 0 to 1, found " + std::to_string(bad));
    EXPECT_ERROR(bnn_kv_seq_free(C, bad), BNN_STATUS_OUT_OF_RANGE, "sequence id");
  }
  EXPECT_ERROR(bnn_kv_seq_length(C, 1, &out), BNN_STATUS_NOT_FOUND, "sequence 1 is not live");
  EXPECT_ERROR(bnn_kv_seq_fork(C, 0, &seq), BNN_STATUS_NOT_FOUND, "not live");
  EXPECT_ERROR(bnn_kv_seq_reserve(C, 0, 1, nullptr), BNN_STATUS_NOT_FOUND, "not live");
  EXPECT_ERROR(bnn_kv_append(C, 0, 0, 1, x.data(), x.data()), BNN_STATUS_NOT_FOUND, "not live");
  EXPECT_ERROR(bnn_kv_block_table(C, 0, nullptr, 0, &info), BNN_STATUS_NOT_FOUND, "not live");
  EXPECT_ERROR(bnn_kv_gather(C, 0, 0, 1, x.data(), x.data(), &out), BNN_STATUS_NOT_FOUND,
               "not live");
  ASSERT_EQ(bnn_kv_seq_add(C, &seq), BNN_STATUS_OK);
  EXPECT_ERROR(bnn_kv_seq_length(C, seq, nullptr), BNN_STATUS_INVALID_ARGUMENT, "null length");
  EXPECT_ERROR(bnn_kv_seq_fork(C, seq, nullptr), BNN_STATUS_INVALID_ARGUMENT, "null child");
  EXPECT_ERROR(bnn_kv_seq_layer_length(C, seq, 0, nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "null written");
  EXPECT_ERROR(bnn_kv_block_table(C, seq, nullptr, 0, nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "null info");
  // Layers.
  for (int64_t bad : {int64_t(-1), int64_t(2)}) {
    EXPECT_ERROR(bnn_kv_seq_layer_length(C, seq, bad, &out), BNN_STATUS_OUT_OF_RANGE,
                 "layer must be 0 to 1, found " + std::to_string(bad));
    EXPECT_ERROR(bnn_kv_append(C, seq, bad, 1, x.data(), x.data()), BNN_STATUS_OUT_OF_RANGE,
                 "layer must be");
    EXPECT_ERROR(bnn_kv_page_data(C, 0, bad, &ptr, &ptr), BNN_STATUS_OUT_OF_RANGE, "layer must be");
    EXPECT_ERROR(bnn_kv_gather(C, seq, bad, 1, x.data(), x.data(), &out), BNN_STATUS_OUT_OF_RANGE,
                 "layer must be");
  }
  // Reserve sizes.
  for (int64_t bad : {int64_t(0), int64_t(-5)})
    EXPECT_ERROR(bnn_kv_seq_reserve(C, seq, bad, nullptr), BNN_STATUS_INVALID_ARGUMENT,
                 "ntokens must be >= 1, found " + std::to_string(bad));
  EXPECT_ERROR(bnn_kv_seq_reserve(C, seq, std::numeric_limits<int64_t>::max(), nullptr),
               BNN_STATUS_OUT_OF_RANGE, "overflows");
  EXPECT_ERROR(bnn_kv_seq_reserve(C, seq, 17, nullptr), BNN_STATUS_CAPACITY, "needs 5");
  // Append before reserving, too many, null or non-finite data: nothing written.
  EXPECT_ERROR(bnn_kv_append(C, seq, 0, 1, x.data(), x.data()), BNN_STATUS_OUT_OF_RANGE,
               "reserve first");
  ASSERT_EQ(bnn_kv_seq_reserve(C, seq, 3, nullptr), BNN_STATUS_OK);
  EXPECT_ERROR(bnn_kv_append(C, seq, 0, 4, x.data(), x.data()), BNN_STATUS_OUT_OF_RANGE,
               "asked to write 4");
  EXPECT_ERROR(bnn_kv_append(C, seq, 0, 0, x.data(), x.data()), BNN_STATUS_OUT_OF_RANGE,
               "asked to write 0");
  EXPECT_ERROR(bnn_kv_append(C, seq, 0, 1, nullptr, x.data()), BNN_STATUS_INVALID_ARGUMENT,
               "null k");
  EXPECT_ERROR(bnn_kv_append(C, seq, 0, 1, x.data(), nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "null v");
  std::vector<float> bad = x;
  bad[6] = std::numeric_limits<float>::infinity();
  EXPECT_ERROR(bnn_kv_append(C, seq, 0, 3, x.data(), bad.data()), BNN_STATUS_INVALID_ARGUMENT,
               "v of token 1 head 0 channel 2 is not finite");
  bad[6] = NAN;
  EXPECT_ERROR(bnn_kv_append(C, seq, 0, 3, bad.data(), x.data()), BNN_STATUS_INVALID_ARGUMENT,
               "k of token 1");
  ASSERT_EQ(bnn_kv_seq_layer_length(C, seq, 0, &out), BNN_STATUS_OK);
  EXPECT_EQ(out, 0);
  // Block table room, page ids, gather room.
  ASSERT_EQ(bnn_kv_append(C, seq, 0, 3, x.data(), x.data()), BNN_STATUS_OK);
  int64_t ids[1];
  ASSERT_EQ(bnn_kv_block_table(C, seq, ids, 1, &info), BNN_STATUS_OK);
  EXPECT_ERROR(bnn_kv_seq_reserve(C, seq, 1, nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "layer 1 has 0 of its 3");
  ASSERT_EQ(bnn_kv_append(C, seq, 1, 3, x.data(), x.data()), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_seq_reserve(C, seq, 2, nullptr), BNN_STATUS_OK);
  EXPECT_ERROR(bnn_kv_block_table(C, seq, ids, 1, &info), BNN_STATUS_INVALID_ARGUMENT,
               "room for 1 ids, sequence 0 has 2 pages");
  for (int64_t bad : {int64_t(-1), int64_t(4)})
    EXPECT_ERROR(bnn_kv_page_data(C, bad, 0, &ptr, &ptr), BNN_STATUS_OUT_OF_RANGE,
                 "page must be 0 to 3, found " + std::to_string(bad));
  EXPECT_ERROR(bnn_kv_page_data(C, 0, 0, nullptr, nullptr), BNN_STATUS_INVALID_ARGUMENT,
               "null k and v");
  EXPECT_ERROR(bnn_kv_gather(C, seq, 0, 2, x.data(), x.data(), &out), BNN_STATUS_INVALID_ARGUMENT,
               "max_tokens is 2");
  EXPECT_ERROR(bnn_kv_gather(C, seq, 0, 3, nullptr, x.data(), &out), BNN_STATUS_INVALID_ARGUMENT,
               "null k_out");
  // Freed twice.
  ASSERT_EQ(bnn_kv_seq_free(C, seq), BNN_STATUS_OK);
  EXPECT_ERROR(bnn_kv_seq_free(C, seq), BNN_STATUS_NOT_FOUND, "not live");
  EXPECT_EQ(stats(C).pages_used, 0);
}

//===----------------------------------------------------------------------===//
// Attention over the cache against a naive dense attention written here.
//===----------------------------------------------------------------------===//

// softmax(q k^T / sqrt(d)) v for the queries at positions [n - T, n), keys stored as the format
// stores them (specStored), causal, window W, head h on KV head h / (heads / kvHeads).
// centreChunk > 0: keys centred by the mean of the first centreChunk tokens (center_keys).
std::vector<float> denseAttention(const bnn_kv_config &c, const History &h, int64_t layer,
                                  const std::vector<float> &q, int64_t T, int64_t heads, bool xnor,
                                  int64_t window, int64_t centreChunk = 0) {
  const int64_t H = c.num_kv_heads, D = c.head_dim, n = h.k[layer].size() / (H * D);
  std::vector<float> k = specStoredAll(c, h.k[layer]), v = specStoredAll(c, h.v[layer]);
  if (centreChunk > 0)
    k = specCentredKeys(c, h.k[layer], specKeyMean(c, h.k[layer], centreChunk), !xnor);
  std::vector<float> out(static_cast<size_t>(T * heads * D));
  for (int64_t i = 0; i < T; ++i) {
    const int64_t p = n - T + i;
    for (int64_t hd = 0; hd < heads; ++hd) {
      const int64_t kvh = hd * H / heads;
      const float *qi = &q[(i * heads + hd) * D];
      double qScale = 0;
      for (int64_t d = 0; d < D; ++d)
        qScale += std::fabs(static_cast<double>(qi[d]));
      qScale = static_cast<float>(qScale / D);
      std::vector<double> s;
      std::vector<int64_t> js;
      for (int64_t j = 0; j <= p; ++j) {
        if (window > 0 && p - j >= window)
          continue;
        const float *kj = &k[(j * H + kvh) * D];
        double dot = 0;
        for (int64_t d = 0; d < D; ++d)
          dot += xnor ? (qi[d] < 0 ? -qScale : qScale) * static_cast<double>(kj[d])
                      : static_cast<double>(qi[d]) * kj[d];
        s.push_back(dot / std::sqrt(static_cast<double>(D)));
        js.push_back(j);
      }
      double m = *std::max_element(s.begin(), s.end()), z = 0;
      for (double &e : s)
        z += (e = std::exp(e - m));
      for (int64_t d = 0; d < D; ++d) {
        double acc = 0;
        for (size_t t = 0; t < js.size(); ++t)
          acc += s[t] / z * v[(js[t] * H + kvh) * D + d];
        out[(i * heads + hd) * D + d] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

double maxRelError(const std::vector<float> &a, const std::vector<float> &b) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return err / std::max(scale, 1e-30);
}

struct AttentionCase {
  bnn_kv_format format;
  bool xnor;
  int64_t heads, kvHeads, dim, window;
  bool centre = false; // center_keys
};

class KVAttention : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(KVAttention, MatchesDenseAttention) {
  const AttentionCase a = GetParam();
  const int64_t P = 4, layers = 2;
  bnn_kv_config c = makeConfig(layers, a.kvHeads, a.dim, P, 32, a.format, a.window);
  c.center_keys = a.centre;
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t seq;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  std::mt19937 rng(static_cast<uint32_t>(a.heads * 100 + a.dim + a.window));
  History h(layers);
  const bnn::ref::KVScore mode =
      a.xnor ? bnn::ref::KVScore::XnorPopcount : bnn::ref::KVScore::Float;
  // A prompt of 11 (T = 11 queries: causal inside the prompt), then 5 decode steps.
  for (int64_t T : {11, 1, 1, 1, 1, 1}) {
    appendTokens(cache.p, seq, c, T, rng, h);
    for (int64_t l = 0; l < layers; ++l) {
      std::vector<float> q = randomTokens(rng, T * a.heads * a.dim, 2.0f);
      std::vector<float> out(q.size());
      ASSERT_EQ(bnn::ref::pagedAttention(cache.p, seq, l, q.data(), T, a.heads, mode, out.data()),
                BNN_STATUS_OK)
          << bnn_last_error();
      std::vector<float> want =
          denseAttention(c, h, l, q, T, a.heads, a.xnor, a.window, a.centre ? 11 : 0);
      EXPECT_LT(maxRelError(out, want), 2e-6) << "T " << T << " layer " << l;
      if (a.window > 0 && h.k[l].size() / (a.kvHeads * a.dim) > static_cast<size_t>(a.window)) {
        // The window matters: attention without it is measurably different.
        std::vector<float> full =
            denseAttention(c, h, l, q, T, a.heads, a.xnor, 0, a.centre ? 11 : 0);
        EXPECT_GT(maxRelError(out, full), 1e-3);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(KVFormats, KVAttention,
                         ::testing::Values(AttentionCase{BNN_KV_F32, false, 2, 2, 8, 0},
                                           AttentionCase{BNN_KV_F32, false, 8, 2, 16, 0},
                                           AttentionCase{BNN_KV_F32, false, 8, 2, 16, 6},
                                           AttentionCase{BNN_KV_F16, false, 4, 1, 32, 0},
                                           AttentionCase{BNN_KV_F16, false, 8, 2, 12, 5},
                                           AttentionCase{BNN_KV_BINARY, false, 4, 4, 70, 0},
                                           AttentionCase{BNN_KV_BINARY, false, 8, 2, 64, 7},
                                           AttentionCase{BNN_KV_BINARY, true, 4, 4, 70, 0},
                                           AttentionCase{BNN_KV_BINARY, true, 8, 2, 130, 6},
                                           AttentionCase{BNN_KV_BINARY, true, 4, 1, 3, 0},
                                           AttentionCase{BNN_KV_BINARY, false, 8, 2, 70, 0, true},
                                           AttentionCase{BNN_KV_BINARY, false, 4, 4, 64, 6, true},
                                           AttentionCase{BNN_KV_BINARY, true, 8, 2, 130, 0, true},
                                           AttentionCase{BNN_KV_BINARY, true, 4, 1, 5, 5, true}),
                         [](const ::testing::TestParamInfo<AttentionCase> &info) {
                           const AttentionCase &a = info.param;
                           std::string f = a.format == BNN_KV_F32   ? "f32"
                                           : a.format == BNN_KV_F16 ? "f16"
                                                                    : "binary";
                           return f + (a.xnor ? "_xnor" : "") + "_h" + std::to_string(a.heads) +
                                  "_kv" + std::to_string(a.kvHeads) + "_d" + std::to_string(a.dim) +
                                  "_w" + std::to_string(a.window);
                         });

// A fork attends exactly like an independent sequence with the same tokens.
TEST(KVAttentionFork, ForkAttendsLikeIndependentSequence) {
  bnn_kv_config c = makeConfig(1, 2, 16, 4, 32, BNN_KV_BINARY);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t parent, child, twin;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &parent), BNN_STATUS_OK);
  std::mt19937 rng(21);
  History hp(1);
  appendTokens(cache.p, parent, c, 9, rng, hp);
  ASSERT_EQ(bnn_kv_seq_fork(cache.p, parent, &child), BNN_STATUS_OK);
  History hc = hp;
  appendTokens(cache.p, child, c, 4, rng, hc);
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &twin), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_seq_reserve(cache.p, twin, 13, nullptr), BNN_STATUS_OK);
  ASSERT_EQ(bnn_kv_append(cache.p, twin, 0, 13, hc.k[0].data(), hc.v[0].data()), BNN_STATUS_OK);
  std::vector<float> q = randomTokens(rng, 4 * 4 * 16), o1(q.size()), o2(q.size());
  for (auto mode : {bnn::ref::KVScore::Float, bnn::ref::KVScore::XnorPopcount}) {
    ASSERT_EQ(bnn::ref::pagedAttention(cache.p, child, 0, q.data(), 4, 4, mode, o1.data()),
              BNN_STATUS_OK);
    ASSERT_EQ(bnn::ref::pagedAttention(cache.p, twin, 0, q.data(), 4, 4, mode, o2.data()),
              BNN_STATUS_OK);
    EXPECT_EQ(o1, o2);
  }
}

TEST(KVAttentionErrors, BadArguments) {
  bnn_kv_config c = makeConfig(1, 2, 8, 4, 8, BNN_KV_F32, 3);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  int64_t seq;
  ASSERT_EQ(bnn_kv_seq_add(cache.p, &seq), BNN_STATUS_OK);
  std::mt19937 rng(4);
  History h(1);
  appendTokens(cache.p, seq, c, 10, rng, h);
  std::vector<float> q(64 * 8 * 8, 0.5f), out(q.size());
  using bnn::ref::KVScore;
  using bnn::ref::pagedAttention;
  EXPECT_ERROR(pagedAttention(nullptr, seq, 0, q.data(), 1, 2, KVScore::Float, out.data()),
               BNN_STATUS_INVALID_ARGUMENT, "null cache");
  EXPECT_ERROR(pagedAttention(cache.p, 5, 0, q.data(), 1, 2, KVScore::Float, out.data()),
               BNN_STATUS_NOT_FOUND, "not live");
  EXPECT_ERROR(pagedAttention(cache.p, seq, 1, q.data(), 1, 2, KVScore::Float, out.data()),
               BNN_STATUS_OUT_OF_RANGE, "layer");
  EXPECT_ERROR(pagedAttention(cache.p, seq, 0, q.data(), 1, 3, KVScore::Float, out.data()),
               BNN_STATUS_INVALID_ARGUMENT, "multiple of num_kv_heads 2, found 3");
  EXPECT_ERROR(pagedAttention(cache.p, seq, 0, q.data(), 0, 2, KVScore::Float, out.data()),
               BNN_STATUS_OUT_OF_RANGE, "num_queries must be 1 to the 10");
  EXPECT_ERROR(pagedAttention(cache.p, seq, 0, q.data(), 11, 2, KVScore::Float, out.data()),
               BNN_STATUS_OUT_OF_RANGE, "found 11");
  EXPECT_ERROR(pagedAttention(cache.p, seq, 0, nullptr, 1, 2, KVScore::Float, out.data()),
               BNN_STATUS_INVALID_ARGUMENT, "null q");
  EXPECT_ERROR(pagedAttention(cache.p, seq, 0, q.data(), 1, 2, KVScore::Float, nullptr),
               BNN_STATUS_INVALID_ARGUMENT, "null out");
  EXPECT_ERROR(pagedAttention(cache.p, seq, 0, q.data(), 1, 2, KVScore::XnorPopcount, out.data()),
               BNN_STATUS_INVALID_ARGUMENT, "BNN_KV_BINARY");
  // Decode once more: the reserve from L = 10 with W = 3 releases the pages wholly below
  // 10 - 3 + 1 = 8, so the query at 10 still has its keys but queries at 8 and 9 do not.
  appendTokens(cache.p, seq, c, 1, rng, h);
  bnn_kv_block_table_info info{};
  blockTable(cache.p, seq, &info);
  ASSERT_EQ(info.first_position, 8);
  EXPECT_EQ(pagedAttention(cache.p, seq, 0, q.data(), 1, 2, KVScore::Float, out.data()),
            BNN_STATUS_OK);
  EXPECT_ERROR(pagedAttention(cache.p, seq, 0, q.data(), 3, 2, KVScore::Float, out.data()),
               BNN_STATUS_OUT_OF_RANGE, "released everything below 8");
}

// The documented thread rule: after the (exclusive) reserves of a decode step, appends to
// different sequences run concurrently, as a batched decode step would issue them.
TEST(KVCacheThreads, ConcurrentAppendsToDifferentSequences) {
  const int64_t seqs = 4, layers = 3;
  bnn_kv_config c = makeConfig(layers, 2, 40, 4, 64, BNN_KV_BINARY, 0, seqs);
  CachePtr cache;
  ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
  std::vector<History> h(seqs, History(layers));
  std::vector<std::mt19937> rngs;
  for (int64_t i = 0; i < seqs; ++i) {
    int64_t id;
    ASSERT_EQ(bnn_kv_seq_add(cache.p, &id), BNN_STATUS_OK);
    rngs.emplace_back(static_cast<uint32_t>(50 + i));
  }
  const int64_t row = 2 * 40;
  for (int step = 0; step < 30; ++step) {
    const int64_t T = step == 0 ? 9 : 1;
    for (int64_t i = 0; i < seqs; ++i)
      ASSERT_EQ(bnn_kv_seq_reserve(cache.p, i, T, nullptr), BNN_STATUS_OK);
    std::vector<int> failures(seqs, 0);
    std::vector<std::thread> threads;
    for (int64_t i = 0; i < seqs; ++i)
      threads.emplace_back([&, i] {
        for (int64_t l = 0; l < layers; ++l) {
          std::vector<float> k = randomTokens(rngs[i], T * row), v = randomTokens(rngs[i], T * row);
          failures[i] += bnn_kv_append(cache.p, i, l, T, k.data(), v.data()) != BNN_STATUS_OK;
          h[i].k[l].insert(h[i].k[l].end(), k.begin(), k.end());
          h[i].v[l].insert(h[i].v[l].end(), v.begin(), v.end());
        }
      });
    for (std::thread &t : threads)
      t.join();
    for (int64_t i = 0; i < seqs; ++i)
      ASSERT_EQ(failures[i], 0);
  }
  for (int64_t i = 0; i < seqs; ++i)
    expectGatherMatches(cache.p, i, c, h[i], 0);
}

//===----------------------------------------------------------------------===//
// Random operation sequences against a model of the specification.
//===----------------------------------------------------------------------===//

// Seeded random add / fork / free / reserve+append on small pools, checked after every operation
// against a model that knows only docs/KVCache.md: each sequence's tokens, its first kept
// position by the window rule, the lowest-free-slot ids, reserve succeeding exactly when the
// pages it needs (new pages, plus a copy of a partial last page that another table names) fit in
// the free pages plus those the window releases that no other table names, and nothing changing
// when it fails. Stats must agree with the block tables (used = distinct pages named, shared =
// pages named by two or more tables).
TEST(KVCacheRandom, OperationsAgreeWithModel) {
  struct ModelSeq {
    bool live = false;
    int64_t first = 0;
    History h{0};
  };
  const bnn_kv_format formats[] = {BNN_KV_F32, BNN_KV_F16, BNN_KV_BINARY};
  for (int trial = 0; trial < 12; ++trial) {
    std::mt19937 rng(1000 + trial);
    const int64_t P = 1 + trial % 4, W = trial % 3 == 0 ? 0 : 2 + trial % 5;
    const int64_t layers = 1 + trial % 2, slots = 4;
    bnn_kv_config c = makeConfig(layers, 1 + trial % 2, 3 + trial, P, 6 + trial % 5,
                                 formats[trial % 3], W, slots);
    SCOPED_TRACE("trial " + std::to_string(trial) + " page " + std::to_string(P) + " window " +
                 std::to_string(W));
    CachePtr cache;
    ASSERT_EQ(bnn_kv_cache_create(&c, &cache.p), BNN_STATUS_OK);
    std::vector<ModelSeq> model(slots);
    auto tables = [&]() {
      std::vector<std::vector<int64_t>> t(slots);
      for (int64_t i = 0; i < slots; ++i)
        if (model[i].live)
          t[i] = blockTable(cache.p, i);
      return t;
    };
    auto timesNamed = [&](const std::vector<std::vector<int64_t>> &t, int64_t page) {
      int64_t n = 0;
      for (const auto &ids : t)
        n += std::count(ids.begin(), ids.end(), page);
      return n;
    };
    auto lowestFree = [&]() {
      for (int64_t i = 0; i < slots; ++i)
        if (!model[i].live)
          return i;
      return int64_t(-1);
    };
    auto randomLive = [&]() {
      std::vector<int64_t> live;
      for (int64_t i = 0; i < slots; ++i)
        if (model[i].live)
          live.push_back(i);
      return live.empty() ? int64_t(-1) : live[rng() % live.size()];
    };
    for (int op = 0; op < 300; ++op) {
      const int kind = static_cast<int>(rng() % 10);
      if (kind == 0) { // add
        int64_t id = -1, expected = lowestFree();
        bnn_status st = bnn_kv_seq_add(cache.p, &id);
        if (expected < 0) {
          ASSERT_EQ(st, BNN_STATUS_CAPACITY);
        } else {
          ASSERT_EQ(st, BNN_STATUS_OK);
          ASSERT_EQ(id, expected);
          model[id] = ModelSeq();
          model[id].live = true;
          model[id].h = History(layers);
        }
      } else if (kind == 1) { // fork
        const int64_t parent = randomLive();
        if (parent < 0)
          continue;
        int64_t id = -1, expected = lowestFree();
        bnn_status st = bnn_kv_seq_fork(cache.p, parent, &id);
        if (expected < 0) {
          ASSERT_EQ(st, BNN_STATUS_CAPACITY);
        } else {
          ASSERT_EQ(st, BNN_STATUS_OK) << bnn_last_error();
          ASSERT_EQ(id, expected);
          model[id] = model[parent];
        }
      } else if (kind == 2) { // free
        const int64_t id = randomLive();
        if (id < 0)
          continue;
        ASSERT_EQ(bnn_kv_seq_free(cache.p, id), BNN_STATUS_OK);
        model[id].live = false;
      } else { // reserve T positions and append every layer
        const int64_t id = randomLive();
        if (id < 0)
          continue;
        ModelSeq &m = model[id];
        const int64_t T = 1 + static_cast<int64_t>(rng() % (2 * P + 1));
        const int64_t L = static_cast<int64_t>(m.h.k[0].size()) / (c.num_kv_heads * c.head_dim);
        // What the specification says the reserve needs and has.
        auto t = tables();
        const std::vector<int64_t> &mine = t[id];
        int64_t newFirst = m.first;
        if (W > 0 && L - W + 1 > 0)
          newFirst = std::max(newFirst, (L - W + 1) / P * P);
        const int64_t dropped = (newFirst - m.first) / P;
        int64_t released = 0;
        for (int64_t i = 0; i < dropped; ++i)
          released += timesNamed(t, mine[i]) == 1;
        int64_t need = (L + T + P - 1) / P - (L + P - 1) / P;
        if (L % P != 0 && timesNamed(t, mine.back()) > 1)
          ++need;
        const int64_t freePages = c.num_pages - stats(cache.p).pages_used;
        const bool fits = need <= freePages + released;
        bnn_kv_stats before = stats(cache.p);
        int64_t first = -1;
        bnn_status st = bnn_kv_seq_reserve(cache.p, id, T, &first);
        if (!fits) {
          ASSERT_EQ(st, BNN_STATUS_CAPACITY) << "need " << need << " free " << freePages;
          ASSERT_EQ(tables(), t);
          bnn_kv_stats after = stats(cache.p);
          ASSERT_EQ(after.pages_used, before.pages_used);
          ASSERT_EQ(after.pages_shared, before.pages_shared);
        } else {
          ASSERT_EQ(st, BNN_STATUS_OK) << bnn_last_error() << " need " << need;
          ASSERT_EQ(first, L);
          m.first = newFirst;
          const int64_t row = c.num_kv_heads * c.head_dim;
          for (int64_t l = 0; l < layers; ++l) {
            std::vector<float> k = randomTokens(rng, T * row), v = randomTokens(rng, T * row);
            ASSERT_EQ(bnn_kv_append(cache.p, id, l, T, k.data(), v.data()), BNN_STATUS_OK)
                << bnn_last_error();
            m.h.k[l].insert(m.h.k[l].end(), k.begin(), k.end());
            m.h.v[l].insert(m.h.v[l].end(), v.begin(), v.end());
          }
        }
      }
      // Invariants after every operation.
      auto t = tables();
      std::vector<int64_t> named;
      int64_t live = 0;
      for (int64_t i = 0; i < slots; ++i) {
        if (!model[i].live)
          continue;
        ++live;
        const int64_t row = c.num_kv_heads * c.head_dim;
        const int64_t len = static_cast<int64_t>(model[i].h.k[0].size()) / row;
        bnn_kv_block_table_info info{};
        blockTable(cache.p, i, &info);
        ASSERT_EQ(info.length, len);
        ASSERT_EQ(info.first_position, model[i].first);
        ASSERT_EQ(info.num_pages, (len - model[i].first + P - 1) / P);
        std::vector<int64_t> sorted = t[i];
        std::sort(sorted.begin(), sorted.end());
        ASSERT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
        named.insert(named.end(), t[i].begin(), t[i].end());
        expectGatherMatches(cache.p, i, c, model[i].h, model[i].first);
        if (::testing::Test::HasFailure())
          return;
      }
      std::sort(named.begin(), named.end());
      const int64_t distinct = std::unique(named.begin(), named.end()) - named.begin();
      int64_t shared = 0;
      for (int64_t i = 0; i < distinct; ++i)
        shared += timesNamed(t, named[i]) > 1;
      bnn_kv_stats s = stats(cache.p);
      ASSERT_EQ(s.pages_used, distinct);
      ASSERT_EQ(s.pages_shared, shared);
      ASSERT_EQ(s.sequences, live);
    }
  }
}

} // namespace
