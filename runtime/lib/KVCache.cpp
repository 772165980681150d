//===- KVCache.cpp - the paged KV-cache of the C API (bnn/bnn_kv.h) -------===//
//
// A pool of fixed-size pages in one anonymous mapping, a free list, reference counts, and per
// sequence a block table (the page ids of its kept positions, oldest first): creation,
// sequences, reserve and append here; the read side in KVCacheRead.cpp. The design, the
// page layouts byte by byte and the copy-on-write and sliding-window rules are specified in
// docs/KVCache.md; this file is their implementation.
//
// Invariant that makes bnn_kv_append safe without allocation or locking: every position a
// layer may still write (>= its written count, < the length) lies in a page whose reference
// count is 1. Reserve establishes it (the shared partial last page is copied there), fork needs
// every layer written (so the shared pages hold no writable position).
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/Checked.h"
#include "bnn/runtime/KVFormat.h"
#include "bnn/runtime/Reference.h"
#include "bnn/runtime/Status.h"

#include "KVCacheImpl.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using bnn::fail;

namespace {

using namespace bnn::kv::detail;

constexpr int64_t kBlockAlign = 64;

const char *formatName(int32_t f) {
  switch (f) {
  case BNN_KV_F32: return "f32";
  case BNN_KV_F16: return "f16";
  case BNN_KV_BINARY: return "binary";
  default: return "?";
  }
}

/// Every layer of `s` written up to its length, or a message naming the first that is not.
bnn_status checkAllWritten(const char *fn, const Sequence &s, int64_t id, const char *before) {
  for (size_t l = 0; l < s.written.size(); ++l)
    if (s.written[l] != s.length)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": sequence " + str(id) + " layer " + str(int64_t(l)) +
                      " has " + str(s.written[l]) + " of its " + str(s.length) +
                      " reserved positions written; write every layer (bnn_kv_append) before " +
                      before);
  return BNN_STATUS_OK;
}

/// Sizes of the config, or INVALID_ARGUMENT naming the first bad field.
bnn_status validateConfig(const char *fn, const bnn_kv_config &c, int64_t &blockBytes,
                          int64_t &pageBytes, int64_t &poolBytes) {
  auto bad = [&](const char *field, const std::string &expected, int64_t found) {
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": config." + field + " must be " +
                                                 expected + ", found " + str(found));
  };
  if (c.num_layers < 1)
    return bad("num_layers", ">= 1", c.num_layers);
  if (c.num_kv_heads < 1)
    return bad("num_kv_heads", ">= 1", c.num_kv_heads);
  if (c.head_dim < 1 || c.head_dim > BNN_KV_MAX_HEAD_DIM)
    return bad("head_dim", "1 to " + str(BNN_KV_MAX_HEAD_DIM), c.head_dim);
  if (c.page_size < 1)
    return bad("page_size", ">= 1", c.page_size);
  if (c.num_pages < 1 || c.num_pages > INT32_MAX)
    return bad("num_pages", "1 to " + str(INT32_MAX), c.num_pages);
  if (c.max_sequences < 1 || c.max_sequences > INT32_MAX)
    return bad("max_sequences", "1 to " + str(INT32_MAX), c.max_sequences);
  if (c.sliding_window < 0)
    return bad("sliding_window", ">= 0 (0 is off)", c.sliding_window);
  const int32_t format = c.format;
  if (format != BNN_KV_F32 && format != BNN_KV_F16 && format != BNN_KV_BINARY)
    return bad("format", "BNN_KV_F32 (0), BNN_KV_F16 (1) or BNN_KV_BINARY (2)", format);

  if (c.center_keys != 0 && c.center_keys != 1)
    return bad("center_keys", "0 or 1", c.center_keys);
  if (c.center_keys && format != BNN_KV_BINARY)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": config.center_keys needs format BNN_KV_BINARY, found " +
                    formatName(format));
  const int64_t words = bnn::ref::wordsPerRow(c.head_dim);
  std::optional<int64_t> rows = bnn::checked::mul(c.num_kv_heads, c.page_size);
  std::optional<int64_t> bytes;
  if (rows) {
    if (format == BNN_KV_BINARY) {
      std::optional<int64_t> signs = bnn::checked::mul(*rows, words * 8);
      std::optional<int64_t> scales = bnn::checked::mul(*rows, int64_t(4));
      if (signs && scales)
        bytes = bnn::checked::add(*signs, *scales);
    } else {
      std::optional<int64_t> elems = bnn::checked::mul(*rows, c.head_dim);
      if (elems)
        bytes = bnn::checked::mul(*elems, int64_t(format == BNN_KV_F32 ? 4 : 2));
    }
  }
  std::optional<int64_t> block = bytes ? bnn::checked::add(*bytes, kBlockAlign - 1) : bytes;
  std::optional<int64_t> page =
      block ? bnn::checked::mul(*block / kBlockAlign * kBlockAlign, 2 * c.num_layers) : block;
  std::optional<int64_t> pool = page ? bnn::checked::mul(*page, c.num_pages) : page;
  if (!pool || *pool > (int64_t(1) << 46))
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": the pool of " + str(c.num_pages) + " pages of " +
                    str(c.num_layers) + " layers x " + str(c.num_kv_heads) + " heads x " +
                    str(c.page_size) + " tokens x " + str(c.head_dim) + " channels (" +
                    formatName(c.format) + ") overflows the 64 TiB limit");
  blockBytes = *block / kBlockAlign * kBlockAlign;
  pageBytes = *page;
  poolBytes = *pool;
  return BNN_STATUS_OK;
}

} // namespace

extern "C" bnn_status bnn_kv_cache_create(const bnn_kv_config *config, bnn_kv_cache **out) {
  const char *fn = "bnn_kv_cache_create";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (bnn_status s = checkOut(fn, config, "config"))
      return s;
    if (bnn_status s = checkOut(fn, out, "out"))
      return s;
    int64_t blockBytes = 0, pageBytes = 0, poolBytes = 0;
    if (bnn_status s = validateConfig(fn, *config, blockBytes, pageBytes, poolBytes))
      return s;
    auto cache = std::make_unique<bnn_kv_cache>();
    cache->config = *config;
    cache->layout = bnn::kv::BlockLayout::of(*config);
    cache->blockBytes = blockBytes;
    cache->pageBytes = pageBytes;
    // An anonymous mapping: zeroed, page-aligned (so every block is 64-byte aligned), and only
    // touched memory is committed.
    void *pool = mmap(nullptr, static_cast<size_t>(poolBytes), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool == MAP_FAILED)
      return fail(BNN_STATUS_OUT_OF_MEMORY,
                  std::string(fn) + ": cannot map a pool of " + str(poolBytes) + " bytes (" +
                      str(config->num_pages) + " pages of " + str(pageBytes) + " bytes)");
    cache->pool = static_cast<uint8_t *>(pool);
    cache->poolBytes = static_cast<size_t>(poolBytes);
    cache->refcount.assign(static_cast<size_t>(config->num_pages), 0);
    cache->freeList.resize(static_cast<size_t>(config->num_pages));
    for (int64_t i = 0; i < config->num_pages; ++i)
      cache->freeList[i] = config->num_pages - 1 - i;
    cache->seqs.resize(static_cast<size_t>(config->max_sequences));
    *out = cache.release();
    return BNN_STATUS_OK;
  });
}

extern "C" void bnn_kv_cache_destroy(bnn_kv_cache *cache) { delete cache; }

extern "C" bnn_status bnn_kv_cache_config(const bnn_kv_cache *cache, bnn_kv_config *out) {
  const char *fn = "bnn_kv_cache_config";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (bnn_status s = checkOut(fn, out, "out"))
    return s;
  *out = cache->config;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_page_bytes(const bnn_kv_cache *cache, int64_t *pageBytes,
                                        int64_t *blockBytes) {
  const char *fn = "bnn_kv_page_bytes";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (!pageBytes && !blockBytes)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null page_bytes and block_bytes");
  if (pageBytes)
    *pageBytes = cache->pageBytes;
  if (blockBytes)
    *blockBytes = cache->blockBytes;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_seq_add(bnn_kv_cache *cache, int64_t *seq) {
  const char *fn = "bnn_kv_seq_add";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (bnn_status s = checkCache(fn, cache))
      return s;
    if (bnn_status s = checkOut(fn, seq, "seq"))
      return s;
    for (size_t i = 0; i < cache->seqs.size(); ++i) {
      Sequence &s = cache->seqs[i];
      if (s.live)
        continue;
      s.written.assign(static_cast<size_t>(cache->config.num_layers), 0);
      s.keyMean.assign(static_cast<size_t>(cache->config.num_layers), {});
      s.pages.clear();
      s.length = 0;
      s.firstPage = 0;
      s.live = true;
      ++cache->liveSeqs;
      *seq = static_cast<int64_t>(i);
      return BNN_STATUS_OK;
    }
    return fail(BNN_STATUS_CAPACITY, std::string(fn) + ": all " + str(cache->config.max_sequences) +
                                         " sequence slots (config.max_sequences) are in use");
  });
}

extern "C" bnn_status bnn_kv_seq_fork(bnn_kv_cache *cache, int64_t parent, int64_t *child) {
  const char *fn = "bnn_kv_seq_fork";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (bnn_status s = checkCache(fn, cache))
      return s;
    if (bnn_status s = checkOut(fn, child, "child"))
      return s;
    const Sequence *p = nullptr;
    if (bnn_status s = lookup(fn, static_cast<const bnn_kv_cache *>(cache), parent, p))
      return s;
    if (bnn_status s = checkAllWritten(fn, *p, parent, "forking"))
      return s;
    for (size_t i = 0; i < cache->seqs.size(); ++i) {
      Sequence &c = cache->seqs[i];
      if (c.live)
        continue;
      Sequence copy = cache->seqs[parent]; // may throw bad_alloc: nothing changed yet
      for (int64_t page : copy.pages)
        cache->retain(page);
      c = std::move(copy);
      ++cache->liveSeqs;
      *child = static_cast<int64_t>(i);
      return BNN_STATUS_OK;
    }
    return fail(BNN_STATUS_CAPACITY, std::string(fn) + ": all " + str(cache->config.max_sequences) +
                                         " sequence slots (config.max_sequences) are in use");
  });
}

extern "C" bnn_status bnn_kv_seq_free(bnn_kv_cache *cache, int64_t seq) {
  const char *fn = "bnn_kv_seq_free";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, cache, seq, s))
    return st;
  for (int64_t page : s->pages)
    cache->release(page);
  s->pages.clear();
  s->live = false;
  s->length = 0;
  s->firstPage = 0;
  --cache->liveSeqs;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_seq_reserve(bnn_kv_cache *cache, int64_t seq, int64_t ntokens,
                                         int64_t *firstPosition) {
  const char *fn = "bnn_kv_seq_reserve";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (bnn_status s = checkCache(fn, cache))
      return s;
    Sequence *s = nullptr;
    if (bnn_status st = lookup(fn, cache, seq, s))
      return st;
    if (ntokens < 1)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": ntokens must be >= 1, found " + str(ntokens));
    if (bnn_status st = checkAllWritten(fn, *s, seq, "reserving more"))
      return st;
    const int64_t P = cache->config.page_size, W = cache->config.sliding_window;
    const int64_t oldLength = s->length;
    std::optional<int64_t> newLength = bnn::checked::add(oldLength, ntokens);
    std::optional<int64_t> roundUp =
        newLength ? bnn::checked::add(*newLength, P - 1) : std::optional<int64_t>();
    if (!roundUp)
      return fail(BNN_STATUS_OUT_OF_RANGE, std::string(fn) + ": length " + str(oldLength) + " + " +
                                               str(ntokens) + " overflows");
    // Pages the window drops: those wholly below oldLength - W + 1 (the oldest key the first new
    // query sees). The partial last page is never among them.
    int64_t dropEnd = s->firstPage; // logical page index: drop [firstPage, dropEnd)
    if (W > 0 && oldLength - W + 1 > 0)
      dropEnd = std::max(dropEnd, (oldLength - W + 1) / P);
    const int64_t keptEnd = s->firstPage + static_cast<int64_t>(s->pages.size());
    dropEnd = std::min(dropEnd, keptEnd);
    int64_t freedByDrop = 0;
    for (int64_t i = s->firstPage; i < dropEnd; ++i)
      if (cache->refcount[s->pages[i - s->firstPage]] == 1)
        ++freedByDrop;
    // New pages: from the current end (firstPage + pages.size() == ceil(length / P) always) up
    // to the page of the last new position, and a private copy of a shared partial last page.
    const int64_t pagesNeeded = *roundUp / P; // logical pages after reserving
    const int64_t fresh = pagesNeeded - keptEnd;
    const bool copyLast =
        oldLength % P != 0 && keptEnd > dropEnd && cache->refcount[s->pages.back()] > 1;
    const int64_t need = fresh + (copyLast ? 1 : 0);
    const int64_t available = static_cast<int64_t>(cache->freeList.size()) + freedByDrop;
    if (need > available)
      return fail(BNN_STATUS_CAPACITY,
                  std::string(fn) + ": sequence " + str(seq) + " needs " + str(need) +
                      " free pages for " + str(ntokens) + " more positions (length " +
                      str(oldLength) + ", page_size " + str(P) + "), the pool has " +
                      str(int64_t(cache->freeList.size())) + " free of " +
                      str(cache->config.num_pages) +
                      (freedByDrop ? " (+" + str(freedByDrop) + " the window releases)" : "") +
                      "; nothing was changed");
    // Make room in the block table before changing anything (the only step that can throw).
    s->pages.reserve(s->pages.size() + static_cast<size_t>(fresh));
    for (int64_t i = s->firstPage; i < dropEnd; ++i)
      cache->release(s->pages[i - s->firstPage]);
    s->pages.erase(s->pages.begin(), s->pages.begin() + (dropEnd - s->firstPage));
    s->firstPage = dropEnd;
    if (copyLast) {
      const int64_t shared = s->pages.back();
      const int64_t own = cache->allocPage();
      std::memcpy(cache->page(own), cache->page(shared), static_cast<size_t>(cache->pageBytes));
      cache->release(shared);
      s->pages.back() = own;
    }
    while (s->firstPage + static_cast<int64_t>(s->pages.size()) < pagesNeeded)
      s->pages.push_back(cache->allocPage());
    s->length = *newLength;
    if (firstPosition)
      *firstPosition = oldLength;
    return BNN_STATUS_OK;
  });
}

extern "C" bnn_status bnn_kv_append(bnn_kv_cache *cache, int64_t seq, int64_t layer,
                                    int64_t ntokens, const float *k, const float *v) {
  const char *fn = "bnn_kv_append";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, cache, seq, s))
    return st;
  if (bnn_status st = checkLayer(fn, cache, layer))
    return st;
  const int64_t from = s->written[layer];
  if (ntokens < 1 || ntokens > s->length - from)
    return fail(BNN_STATUS_OUT_OF_RANGE,
                std::string(fn) + ": sequence " + str(seq) + " layer " + str(layer) + " has " +
                    str(s->length - from) + " reserved, unwritten positions (" + str(from) +
                    " of " + str(s->length) + " written), asked to write " + str(ntokens) +
                    (ntokens > 0 ? "; call bnn_kv_seq_reserve first" : ""));
  if (!k || !v)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null " + (k ? "v" : "k"));
  const int64_t row = cache->config.num_kv_heads * cache->config.head_dim;
  const int64_t count = ntokens * row; // <= length * row: fits (the pages exist)
  for (int kv = 0; kv < 2; ++kv) {
    const float *x = kv ? v : k;
    for (int64_t i = 0; i < count; ++i)
      if (!std::isfinite(x[i]))
        return fail(BNN_STATUS_INVALID_ARGUMENT,
                    std::string(fn) + ": " + (kv ? "v" : "k") + " of token " + str(i / row) +
                        " head " + str(i % row / cache->config.head_dim) + " channel " +
                        str(i % cache->config.head_dim) + " is not finite");
  }
  const int64_t P = cache->config.page_size;
  for (int64_t pos = from; pos < from + ntokens; ++pos) {
    const int64_t entry = pos / P - s->firstPage;
    if (entry < 0 || entry >= static_cast<int64_t>(s->pages.size()) ||
        cache->refcount[s->pages[entry]] != 1)
      return fail(BNN_STATUS_INTERNAL, std::string(fn) + ": position " + str(pos) +
                                           " is not in a page the sequence owns alone");
  }
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    // Key centring: the mean of this layer's first append, frozen; keys are stored centred.
    std::vector<float> centred;
    std::vector<float> mean;
    const bool centre = cache->config.center_keys != 0;
    if (centre) {
      mean = s->keyMean[layer];
      if (mean.empty()) {
        std::vector<double> sum(static_cast<size_t>(row), 0.0);
        for (int64_t t = 0; t < ntokens; ++t)
          for (int64_t i = 0; i < row; ++i)
            sum[i] += static_cast<double>(k[t * row + i]);
        mean.resize(static_cast<size_t>(row));
        for (int64_t i = 0; i < row; ++i)
          mean[i] = static_cast<float>(sum[i] / static_cast<double>(ntokens));
      }
      centred.resize(static_cast<size_t>(row));
    }
    for (int64_t t = 0; t < ntokens; ++t) {
      const int64_t pos = from + t;
      const int64_t page = s->pages[pos / P - s->firstPage];
      const float *key = k + t * row;
      if (centre) {
        for (int64_t i = 0; i < row; ++i)
          centred[i] = key[i] - mean[i];
        key = centred.data();
      }
      cache->layout.store(cache->kBlock(page, layer), pos % P, key);
      cache->layout.store(cache->vBlock(page, layer), pos % P, v + t * row);
    }
    if (centre && s->keyMean[layer].empty())
      s->keyMean[layer] = std::move(mean);
    s->written[layer] = from + ntokens;
    return BNN_STATUS_OK;
  });
}
