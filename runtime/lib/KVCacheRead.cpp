//===- KVCacheRead.cpp - the read side of the KV-cache (bnn/bnn_kv.h) -----===//
//
// Lengths, block tables, page pointers, the dense gather and statistics of the cache defined
// in KVCacheImpl.h (docs/KVCache.md). Nothing here changes the cache, so these may run
// concurrently with each other and with appends to other sequences.
//
//===----------------------------------------------------------------------===//

#include "KVCacheImpl.h"

#include <algorithm>
#include <string>

using bnn::fail;
using namespace bnn::kv::detail;

extern "C" bnn_status bnn_kv_seq_length(const bnn_kv_cache *cache, int64_t seq, int64_t *length) {
  const char *fn = "bnn_kv_seq_length";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (bnn_status s = checkOut(fn, length, "length"))
    return s;
  const Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, cache, seq, s))
    return st;
  *length = s->length;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_seq_layer_length(const bnn_kv_cache *cache, int64_t seq, int64_t layer,
                                              int64_t *written) {
  const char *fn = "bnn_kv_seq_layer_length";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (bnn_status s = checkOut(fn, written, "written"))
    return s;
  const Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, cache, seq, s))
    return st;
  if (bnn_status st = checkLayer(fn, cache, layer))
    return st;
  *written = s->written[layer];
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_seq_key_mean(const bnn_kv_cache *cache, int64_t seq, int64_t layer,
                                          const float **mean) {
  const char *fn = "bnn_kv_seq_key_mean";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (bnn_status s = checkOut(fn, mean, "mean"))
    return s;
  const Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, cache, seq, s))
    return st;
  if (bnn_status st = checkLayer(fn, cache, layer))
    return st;
  *mean = s->keyMean[layer].empty() ? nullptr : s->keyMean[layer].data();
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_block_table(const bnn_kv_cache *cache, int64_t seq, int64_t *pageIds,
                                         int64_t capacity, bnn_kv_block_table_info *info) {
  const char *fn = "bnn_kv_block_table";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (bnn_status s = checkOut(fn, info, "info"))
    return s;
  const Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, cache, seq, s))
    return st;
  const int64_t n = static_cast<int64_t>(s->pages.size());
  if (pageIds && capacity < n)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": page_ids has room for " +
                                                 str(capacity) + " ids, sequence " + str(seq) +
                                                 " has " + str(n) + " pages");
  if (pageIds)
    for (int64_t i = 0; i < n; ++i)
      pageIds[i] = s->pages[i];
  info->length = s->length;
  info->first_position = s->firstPage * cache->config.page_size;
  info->num_pages = n;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_page_data(const bnn_kv_cache *cache, int64_t page, int64_t layer,
                                       const void **k, const void **v) {
  const char *fn = "bnn_kv_page_data";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (!k && !v)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null k and v");
  if (page < 0 || page >= cache->config.num_pages)
    return fail(BNN_STATUS_OUT_OF_RANGE, std::string(fn) + ": page must be 0 to " +
                                             str(cache->config.num_pages - 1) + ", found " +
                                             str(page));
  if (bnn_status st = checkLayer(fn, cache, layer))
    return st;
  if (k)
    *k = cache->block(page, layer, 0);
  if (v)
    *v = cache->block(page, layer, 1);
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_gather(const bnn_kv_cache *cache, int64_t seq, int64_t layer,
                                    int64_t maxTokens, float *kOut, float *vOut,
                                    int64_t *numTokens) {
  const char *fn = "bnn_kv_gather";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  const Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, cache, seq, s))
    return st;
  if (bnn_status st = checkLayer(fn, cache, layer))
    return st;
  const int64_t P = cache->config.page_size;
  const int64_t first = s->firstPage * P;
  const int64_t n = std::max<int64_t>(0, s->written[layer] - first);
  if (maxTokens < n)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": max_tokens is " + str(maxTokens) + ", sequence " + str(seq) +
                    " layer " + str(layer) + " has " + str(n) + " kept, written positions (" +
                    str(first) + " to " + str(s->written[layer] - 1) + ")");
  if (n > 0 && (!kOut || !vOut))
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": null " + (kOut ? "v_out" : "k_out"));
  const int64_t H = cache->config.num_kv_heads, D = cache->config.head_dim, row = H * D;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = first + t;
    const int64_t page = s->pages[pos / P - s->firstPage];
    for (int kv = 0; kv < 2; ++kv)
      for (int64_t h = 0; h < H; ++h)
        cache->layout.load(cache->block(page, layer, kv), h, pos % P,
                           (kv ? vOut : kOut) + t * row + h * D);
    if (!s->keyMean[layer].empty())
      for (int64_t i = 0; i < row; ++i)
        kOut[t * row + i] = s->keyMean[layer][i] + kOut[t * row + i];
  }
  if (numTokens)
    *numTokens = n;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_kv_get_stats(const bnn_kv_cache *cache, bnn_kv_stats *out) {
  const char *fn = "bnn_kv_get_stats";
  if (bnn_status s = checkCache(fn, cache))
    return s;
  if (bnn_status s = checkOut(fn, out, "out"))
    return s;
  out->pages_total = cache->config.num_pages;
  out->pages_used = cache->config.num_pages - static_cast<int64_t>(cache->freeList.size());
  out->pages_shared = cache->pagesShared;
  out->bytes_used = out->pages_used * cache->pageBytes;
  out->sequences = cache->liveSeqs;
  return BNN_STATUS_OK;
}
