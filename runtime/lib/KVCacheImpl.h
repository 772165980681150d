//===- KVCacheImpl.h - the KV-cache's state, shared by its sources -*- C++ -*-===//
//
// Private to runtime/lib: the definition of the opaque bnn_kv_cache (bnn/bnn_kv.h) and the
// argument checks shared by KVCache.cpp (pool, sequences, writing) and KVCacheRead.cpp (block
// tables, pages, gather, statistics). docs/KVCache.md specifies the behaviour.
//
//===----------------------------------------------------------------------===//
#ifndef BNN_RUNTIME_LIB_KVCACHEIMPL_H
#define BNN_RUNTIME_LIB_KVCACHEIMPL_H

#include "bnn/bnn.h"
#include "bnn/runtime/KVFormat.h"
#include "bnn/runtime/Status.h"

#include <sys/mman.h>

#include <cstring>
#include <string>
#include <vector>

namespace bnn::kv::detail {

struct Sequence {
  bool live = false;
  int64_t length = 0;
  int64_t firstPage = 0;        // logical page index of pages[0] (sliding window)
  std::vector<int64_t> pages;   // kept pages, oldest first
  std::vector<int64_t> written; // per layer
  // center_keys: per layer, the key mean [kv_heads][head_dim] frozen at the layer's first
  // append (empty until then).
  std::vector<std::vector<float>> keyMean;
};

} // namespace bnn::kv::detail

struct bnn_kv_cache {
  using Sequence = bnn::kv::detail::Sequence;
  bnn_kv_config config{};
  bnn::kv::BlockLayout layout;
  int64_t blockBytes = 0; // one layer's K block (= V block) in a page
  int64_t pageBytes = 0;
  uint8_t *pool = nullptr;
  size_t poolBytes = 0;
  std::vector<int32_t> refcount; // per page
  std::vector<int64_t> freeList; // a stack; the lowest id on top at the start
  std::vector<Sequence> seqs;
  int64_t liveSeqs = 0;
  int64_t pagesShared = 0;

  ~bnn_kv_cache() {
    if (pool)
      munmap(pool, poolBytes);
  }

  uint8_t *page(int64_t p) { return pool + p * pageBytes; }
  const uint8_t *page(int64_t p) const { return pool + p * pageBytes; }
  uint8_t *kBlock(int64_t p, int64_t layer) { return page(p) + (2 * layer) * blockBytes; }
  uint8_t *vBlock(int64_t p, int64_t layer) { return page(p) + (2 * layer + 1) * blockBytes; }
  const uint8_t *block(int64_t p, int64_t layer, int kv) const {
    return page(p) + (2 * layer + kv) * blockBytes;
  }

  /// A zeroed page off the free list (the caller checked that one is there).
  int64_t allocPage() {
    int64_t p = freeList.back();
    freeList.pop_back();
    std::memset(page(p), 0, static_cast<size_t>(pageBytes));
    refcount[p] = 1;
    return p;
  }
  void retain(int64_t p) {
    if (++refcount[p] == 2)
      ++pagesShared;
  }
  void release(int64_t p) {
    if (refcount[p]-- == 2)
      --pagesShared;
    if (refcount[p] == 0)
      freeList.push_back(p);
  }
};

namespace bnn::kv::detail {

inline std::string str(int64_t v) { return std::to_string(v); }

inline bnn_status checkCache(const char *fn, const bnn_kv_cache *cache) {
  if (!cache)
    return bnn::fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null cache");
  return BNN_STATUS_OK;
}

inline bnn_status checkOut(const char *fn, const void *out, const char *what) {
  if (!out)
    return bnn::fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null " + what);
  return BNN_STATUS_OK;
}

/// The live sequence `id` of `cache` (checked non-null before).
inline bnn_status lookup(const char *fn, const bnn_kv_cache *cache, int64_t id,
                         const Sequence *&out) {
  const int64_t slots = cache->config.max_sequences;
  if (id < 0 || id >= slots)
    return bnn::fail(BNN_STATUS_OUT_OF_RANGE, std::string(fn) + ": sequence id must be 0 to " +
                                                  str(slots - 1) + ", found " + str(id));
  if (!cache->seqs[id].live)
    return bnn::fail(BNN_STATUS_NOT_FOUND, std::string(fn) + ": sequence " + str(id) +
                                               " is not live (freed or never added)");
  out = &cache->seqs[id];
  return BNN_STATUS_OK;
}
inline bnn_status lookup(const char *fn, bnn_kv_cache *cache, int64_t id, Sequence *&out) {
  const Sequence *s = nullptr;
  if (bnn_status st = lookup(fn, static_cast<const bnn_kv_cache *>(cache), id, s))
    return st;
  out = &cache->seqs[id];
  return BNN_STATUS_OK;
}

inline bnn_status checkLayer(const char *fn, const bnn_kv_cache *cache, int64_t layer) {
  if (layer < 0 || layer >= cache->config.num_layers)
    return bnn::fail(BNN_STATUS_OUT_OF_RANGE, std::string(fn) + ": layer must be 0 to " +
                                                  str(cache->config.num_layers - 1) + ", found " +
                                                  str(layer));
  return BNN_STATUS_OK;
}

} // namespace bnn::kv::detail

#endif // BNN_RUNTIME_LIB_KVCACHEIMPL_H
