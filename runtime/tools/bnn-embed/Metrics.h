//===- Metrics.h - bnn-embed's quality metrics of binary codes -*- C++ -*-===//
//
// How well packed binary codes preserve the neighbourhoods and classes of the float embeddings
// they were hashed from (BinaryLLM Phase 1's evaluation). The definitions, exactly, are in
// docs/Embedding.md; every result is independent of the thread count (per-query values are
// computed in parallel into their own slots and summed in query order).
//
//===----------------------------------------------------------------------===//

#ifndef BNN_TOOLS_EMBED_METRICS_H
#define BNN_TOOLS_EMBED_METRICS_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace bnn::embed {

/// Float embeddings (rows x dim, row-major, finite, no zero row) and their packed codes
/// (rows x words, `bits` significant bits each).
struct Embeddings {
  const float *vectors = nullptr;
  int64_t rows = 0, dim = 0;
  const uint64_t *codes = nullptr;
  int64_t words = 0, bits = 0;
};

/// Runs body(begin, end) over contiguous ranges of [0, count) on up to `threads` threads.
void parallelFor(int threads, int64_t count, const std::function<void(int64_t, int64_t)> &body);

/// Counts finished work items; the caller polls it for progress lines.
using ProgressCounter = std::atomic<int64_t>;

struct RetrievalMetrics {
  double spearman = 0;           // tie-averaged ranks (scipy.stats.spearmanr), mean over queries
  double spearmanOrdinal = 0;    // ties ordered by index (BinaryLLM Phase 1), mean over queries
  int64_t spearmanUndefined = 0; // queries whose float or binary ranks are all tied (count 0)
  double meanCosine = 0, meanHamming = 0;    // over query x database pairs; Hamming / bits
  std::vector<double> overlap, ndcg, recall; // one per k
};

/// Writes, for the `count` queries from row `first` on, the kmax = max(ks) nearest other rows of
/// each by Hamming distance (ties by the smaller index) into topK (count x kmax).
using BinarySearch = std::function<void(int64_t first, int64_t count, int64_t *topK)>;

/// Queries per call of the BinarySearch: bounds the top-k buffer to kQueryBlock x kmax.
constexpr int64_t kQueryBlock = 4096;

/// Queries are rows [0, queries); each is compared with every other row (itself excluded).
RetrievalMetrics evaluateRetrieval(const Embeddings &e, int64_t queries,
                                   const std::vector<int64_t> &ks, const BinarySearch &search,
                                   int threads, ProgressCounter *progress);

struct ClassificationMetrics {
  int64_t classes = 0;
  double floatAccuracy = 0, binaryAccuracy = 0, accuracyDelta = 0;
  double floatMacroF1 = 0, binaryMacroF1 = 0;
};

/// The nearest-centroid classifier on every row, with float embeddings and with codes.
ClassificationMetrics evaluateClassification(const Embeddings &e,
                                             const std::vector<int64_t> &labels, int threads);

} // namespace bnn::embed

#endif // BNN_TOOLS_EMBED_METRICS_H
