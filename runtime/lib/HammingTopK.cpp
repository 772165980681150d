//===- HammingTopK.cpp - the Hamming top-k micro-kernel -------------------===//
//
// Generic implementation: a bounded max-heap of (distance, index) per query. Target-specific
// forms (AVX-512 VPOPCNTDQ, AVX2, threads over queries and database shards) replace this body.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/HammingTopK.h"

#include <algorithm>
#include <climits>
#include <utility>
#include <vector>

extern "C" void bnn_ukernel_hamming_topk(const uint64_t *queries, int64_t numQueries,
                                         const uint64_t *codes, int64_t numCodes, int64_t words,
                                         int64_t k, int32_t *distances, int64_t *indices,
                                         int32_t /*numThreads*/) {
  using Entry = std::pair<int32_t, int64_t>; // (distance, index): lexicographic = FAISS order.
  std::vector<Entry> heap;
  heap.reserve(static_cast<size_t>(std::min(k, numCodes)));
  for (int64_t q = 0; q < numQueries; ++q) {
    const uint64_t *query = queries + q * words;
    heap.clear();
    for (int64_t c = 0; c < numCodes; ++c) {
      const uint64_t *code = codes + c * words;
      int32_t d = 0;
      for (int64_t w = 0; w < words; ++w)
        d += __builtin_popcountll(query[w] ^ code[w]);
      Entry e{d, c};
      if (static_cast<int64_t>(heap.size()) < k) {
        heap.push_back(e);
        std::push_heap(heap.begin(), heap.end());
      } else if (e < heap.front()) {
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = e;
        std::push_heap(heap.begin(), heap.end());
      }
    }
    std::sort_heap(heap.begin(), heap.end());
    for (int64_t j = 0; j < k; ++j) {
      bool have = j < static_cast<int64_t>(heap.size());
      distances[q * k + j] = have ? heap[j].first : INT32_MAX;
      indices[q * k + j] = have ? heap[j].second : -1;
    }
  }
}
