//===- Metrics.cpp - bnn-embed's quality metrics of binary codes ----------===//
//
// Definitions: docs/Embedding.md. Similarity ranks: rank 1 is the most similar row (largest
// cosine, smallest Hamming distance). Every per-query value lands in its own slot and the means
// are summed in query order, so the thread count never changes a bit of the result.
//
//===----------------------------------------------------------------------===//

#include "Metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <thread>

namespace bnn::embed {

void parallelFor(int threads, int64_t count, const std::function<void(int64_t, int64_t)> &body) {
  if (count <= 0)
    return;
  int64_t n = threads < 1 ? 1 : threads;
  if (n > count)
    n = count;
  if (n == 1) {
    body(0, count);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(n - 1));
  for (int64_t t = 1; t < n; ++t)
    workers.emplace_back([&, t] { body(count * t / n, count * (t + 1) / n); });
  body(0, count / n);
  for (std::thread &w : workers)
    w.join();
}

namespace {

int hamming(const uint64_t *a, const uint64_t *b, int64_t words) {
  int d = 0;
  for (int64_t w = 0; w < words; ++w)
    d += __builtin_popcountll(a[w] ^ b[w]);
  return d;
}

double dot(const float *a, const float *b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}

/// Pearson correlation of two rank vectors with the same mean; 0 and `undefined` when either
/// is constant.
double rankCorrelation(const std::vector<double> &a, const std::vector<double> &b,
                       bool &undefined) {
  const double mean = (static_cast<double>(a.size()) + 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double da = a[i] - mean, db = b[i] - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  undefined = saa == 0 || sbb == 0;
  return undefined ? 0.0 : sab / std::sqrt(saa * sbb);
}

/// The per-query values before averaging.
struct QueryValues {
  double spearman, spearmanOrdinal, meanCosine, meanHamming;
  bool undefined;
};

} // namespace

RetrievalMetrics evaluateRetrieval(const Embeddings &e, int64_t queries,
                                   const std::vector<int64_t> &ks, const BinarySearch &search,
                                   int threads, ProgressCounter *progress) {
  const int64_t rows = e.rows, others = rows - 1;
  const int64_t kmax = *std::max_element(ks.begin(), ks.end());
  const size_t numK = ks.size();
  std::vector<double> norms(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = e.vectors + r * e.dim;
    norms[r] = std::sqrt(dot(x, x, e.dim));
  }
  std::vector<QueryValues> values(static_cast<size_t>(queries));
  // Per query and k: overlap, nDCG, recall.
  std::vector<double> overlap(queries * numK), ndcg(queries * numK), recall(queries * numK);
  std::vector<double> idealDcg(numK);
  for (size_t ki = 0; ki < numK; ++ki)
    for (int64_t r = 1; r <= ks[ki]; ++r)
      idealDcg[ki] += 1.0 / std::log2(static_cast<double>(r + 1));

  // Queries go in blocks of a fixed size (not a function of the thread count): the binary top-k
  // of a block, then its queries on the threads.
  const int64_t blockSize = std::min<int64_t>(queries, kQueryBlock);
  std::vector<int64_t> blockTopK(static_cast<size_t>(blockSize * kmax));
  for (int64_t first = 0; first < queries; first += blockSize) {
    const int64_t count = std::min(blockSize, queries - first);
    search(first, count, blockTopK.data());
    parallelFor(threads, count, [&](int64_t blockBegin, int64_t blockEnd) {
      const int64_t begin = first + blockBegin, end = first + blockEnd;
      std::vector<double> cosine(static_cast<size_t>(others));
      std::vector<int> distance(static_cast<size_t>(others));
      std::vector<int64_t> other(static_cast<size_t>(others)), order(static_cast<size_t>(others));
      std::vector<double> floatRank(others), binaryRank(others), floatOrd(others),
          binaryOrd(others);
      std::vector<int64_t> histogram(static_cast<size_t>(e.bits + 2));
      std::vector<char> inFloatTop(static_cast<size_t>(rows));
      for (int64_t q = begin; q < end; ++q) {
        const float *xq = e.vectors + q * e.dim;
        const uint64_t *cq = e.codes + q * e.words;
        double sumCos = 0, sumHam = 0;
        for (int64_t j = 0, slot = 0; j < rows; ++j) {
          if (j == q)
            continue;
          other[slot] = j;
          cosine[slot] = dot(xq, e.vectors + j * e.dim, e.dim) / (norms[q] * norms[j]);
          distance[slot] = hamming(cq, e.codes + j * e.words, e.words);
          sumCos += cosine[slot];
          sumHam += distance[slot];
          ++slot;
        }
        // Float ranks: cosine descending, ties by the smaller index (slots are in index order).
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
          return cosine[a] != cosine[b] ? cosine[a] > cosine[b] : a < b;
        });
        for (int64_t p = 0; p < others;) {
          int64_t run = p;
          while (run + 1 < others && cosine[order[run + 1]] == cosine[order[p]])
            ++run;
          const double average = (static_cast<double>(p + 1) + static_cast<double>(run + 1)) / 2;
          for (int64_t t = p; t <= run; ++t) {
            floatRank[order[t]] = average;
            floatOrd[order[t]] = static_cast<double>(t + 1);
          }
          p = run + 1;
        }
        // Binary ranks: distance ascending, ties by the smaller index (a counting sort).
        std::fill(histogram.begin(), histogram.end(), 0);
        for (int64_t s = 0; s < others; ++s)
          ++histogram[distance[s] + 1];
        for (size_t d = 1; d < histogram.size(); ++d)
          histogram[d] += histogram[d - 1]; // histogram[d] = rows with distance < d
        std::vector<int64_t> next(histogram.begin(), histogram.end() - 1);
        for (int64_t s = 0; s < others; ++s) {
          const int d = distance[s];
          const int64_t below = histogram[d], tied = histogram[d + 1] - histogram[d];
          binaryRank[s] = static_cast<double>(below) + (static_cast<double>(tied) + 1) / 2;
          binaryOrd[s] = static_cast<double>(++next[d]);
        }
        QueryValues &v = values[q];
        v.spearman = rankCorrelation(floatRank, binaryRank, v.undefined);
        // Ordinal ranks are permutations: 1 - 6 sum(d^2) / (M (M^2 - 1)), exact in integers.
        unsigned __int128 squares = 0;
        for (int64_t s = 0; s < others; ++s) {
          const int64_t diff =
              static_cast<int64_t>(floatOrd[s]) - static_cast<int64_t>(binaryOrd[s]);
          squares += static_cast<unsigned __int128>(diff * diff);
        }
        const unsigned __int128 m = static_cast<unsigned __int128>(others);
        const unsigned __int128 denominator = m * (m * m - 1);
        v.spearmanOrdinal = denominator == 0 ? 0.0
                                             : 1.0 - 6.0 * static_cast<long double>(squares) /
                                                         static_cast<long double>(denominator);
        v.meanCosine = sumCos / static_cast<double>(others);
        v.meanHamming = sumHam / static_cast<double>(others) / static_cast<double>(e.bits);
        // Top-k sets: the float top-k from the sorted order, the binary top-k from the index.
        const int64_t *binary = blockTopK.data() + (q - first) * kmax;
        const int64_t nearest = other[order[0]];
        for (size_t ki = 0; ki < numK; ++ki) {
          const int64_t k = ks[ki];
          for (int64_t t = 0; t < k; ++t)
            inFloatTop[other[order[t]]] = 1;
          int64_t hits = 0;
          double dcg = 0;
          bool found = false;
          for (int64_t r = 0; r < k; ++r) {
            if (inFloatTop[binary[r]]) {
              ++hits;
              dcg += 1.0 / std::log2(static_cast<double>(r + 2));
            }
            found = found || binary[r] == nearest;
          }
          for (int64_t t = 0; t < k; ++t)
            inFloatTop[other[order[t]]] = 0;
          overlap[q * numK + ki] = static_cast<double>(hits) / static_cast<double>(k);
          ndcg[q * numK + ki] = dcg / idealDcg[ki];
          recall[q * numK + ki] = found ? 1.0 : 0.0;
        }
        if (progress)
          progress->fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  RetrievalMetrics result;
  result.overlap.assign(numK, 0);
  result.ndcg.assign(numK, 0);
  result.recall.assign(numK, 0);
  for (int64_t q = 0; q < queries; ++q) {
    const QueryValues &v = values[q];
    result.spearman += v.spearman;
    result.spearmanOrdinal += v.spearmanOrdinal;
    result.spearmanUndefined += v.undefined ? 1 : 0;
    result.meanCosine += v.meanCosine;
    result.meanHamming += v.meanHamming;
    for (size_t ki = 0; ki < numK; ++ki) {
      result.overlap[ki] += overlap[q * numK + ki];
      result.ndcg[ki] += ndcg[q * numK + ki];
      result.recall[ki] += recall[q * numK + ki];
    }
  }
  const double n = static_cast<double>(queries);
  result.spearman /= n;
  result.spearmanOrdinal /= n;
  result.meanCosine /= n;
  result.meanHamming /= n;
  for (size_t ki = 0; ki < numK; ++ki) {
    result.overlap[ki] /= n;
    result.ndcg[ki] /= n;
    result.recall[ki] /= n;
  }
  return result;
}

namespace {

/// Macro-averaged F1 over the classes (BinaryLLM Phase 1: a class never predicted and never
/// true cannot occur, since every class has a row; 0 where precision + recall is 0).
double macroF1(const std::vector<int64_t> &truth, const std::vector<int64_t> &predicted,
               int64_t classes) {
  std::vector<int64_t> tp(classes), fp(classes), fn(classes);
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] == predicted[i]) {
      ++tp[truth[i]];
    } else {
      ++fp[predicted[i]];
      ++fn[truth[i]];
    }
  }
  double sum = 0;
  for (int64_t c = 0; c < classes; ++c) {
    double precision = tp[c] + fp[c] ? static_cast<double>(tp[c]) / (tp[c] + fp[c]) : 0.0;
    double recall = tp[c] + fn[c] ? static_cast<double>(tp[c]) / (tp[c] + fn[c]) : 0.0;
    sum += precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  }
  return sum / static_cast<double>(classes);
}

double accuracy(const std::vector<int64_t> &truth, const std::vector<int64_t> &predicted) {
  int64_t right = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    right += truth[i] == predicted[i];
  return static_cast<double>(right) / static_cast<double>(truth.size());
}

} // namespace

ClassificationMetrics evaluateClassification(const Embeddings &e,
                                             const std::vector<int64_t> &labels, int threads) {
  // Classes are the distinct labels in ascending order; class ids index them.
  std::map<int64_t, int64_t> classOf;
  for (int64_t label : labels)
    classOf.emplace(label, 0);
  int64_t id = 0;
  for (auto &entry : classOf)
    entry.second = id++;
  const int64_t classes = id, rows = e.rows, dim = e.dim, bits = e.bits;
  std::vector<int64_t> truth(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    truth[r] = classOf[labels[r]];

  // Float centroids: the mean of the unit rows of a class, scaled to unit length (left as is
  // when zero). Binary centroids: the same over the +-1 codes; every code has length
  // sqrt(bits), so the class sums of the +-1 values (integers) give the same directions.
  // Unit rows are x / |x| element by element, formed where used (no rows x dim copy).
  std::vector<double> norm(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = e.vectors + r * dim;
    norm[r] = std::sqrt(dot(x, x, dim));
  }
  std::vector<double> floatCentroid(static_cast<size_t>(classes * dim), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(classes), 0);
  std::vector<int64_t> signSum(static_cast<size_t>(classes * bits), 0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = truth[r];
    ++count[c];
    const float *x = e.vectors + r * dim;
    for (int64_t i = 0; i < dim; ++i)
      floatCentroid[c * dim + i] += static_cast<double>(x[i]) / norm[r];
    const uint64_t *code = e.codes + r * e.words;
    for (int64_t j = 0; j < bits; ++j)
      signSum[c * bits + j] += (code[j / 64] >> (j % 64)) & 1 ? 1 : -1;
  }
  std::vector<double> binaryNorm(static_cast<size_t>(classes));
  for (int64_t c = 0; c < classes; ++c) {
    double length = 0;
    for (int64_t i = 0; i < dim; ++i) {
      floatCentroid[c * dim + i] /= static_cast<double>(count[c]);
      length += floatCentroid[c * dim + i] * floatCentroid[c * dim + i];
    }
    length = std::sqrt(length);
    if (length > 0)
      for (int64_t i = 0; i < dim; ++i)
        floatCentroid[c * dim + i] /= length;
    double squares = 0;
    for (int64_t j = 0; j < bits; ++j)
      squares += static_cast<double>(signSum[c * bits + j] * signSum[c * bits + j]);
    binaryNorm[c] = std::sqrt(squares);
  }

  std::vector<int64_t> floatPred(static_cast<size_t>(rows)), binaryPred(static_cast<size_t>(rows));
  parallelFor(threads, rows, [&](int64_t begin, int64_t end) {
    std::vector<int> sign(static_cast<size_t>(bits));
    for (int64_t r = begin; r < end; ++r) {
      // The first class with the largest score wins (numpy's argmax).
      const float *x = e.vectors + r * dim;
      double best = -INFINITY;
      for (int64_t c = 0; c < classes; ++c) {
        double score = 0;
        for (int64_t i = 0; i < dim; ++i)
          score += static_cast<double>(x[i]) / norm[r] * floatCentroid[c * dim + i];
        if (score > best) {
          best = score;
          floatPred[r] = c;
        }
      }
      const uint64_t *code = e.codes + r * e.words;
      for (int64_t j = 0; j < bits; ++j)
        sign[j] = (code[j / 64] >> (j % 64)) & 1 ? 1 : -1;
      best = -INFINITY;
      for (int64_t c = 0; c < classes; ++c) {
        int64_t inner = 0;
        for (int64_t j = 0; j < bits; ++j)
          inner += sign[j] * signSum[c * bits + j];
        // cos(code, centroid) = inner / (sqrt(bits) * |sum|); sqrt(bits) is common to all.
        double score = binaryNorm[c] > 0 ? static_cast<double>(inner) / binaryNorm[c] : 0.0;
        if (score > best) {
          best = score;
          binaryPred[r] = c;
        }
      }
    }
  });

  ClassificationMetrics m;
  m.classes = classes;
  m.floatAccuracy = accuracy(truth, floatPred);
  m.binaryAccuracy = accuracy(truth, binaryPred);
  m.accuracyDelta = m.binaryAccuracy - m.floatAccuracy;
  m.floatMacroF1 = macroF1(truth, floatPred, classes);
  m.binaryMacroF1 = macroF1(truth, binaryPred, classes);
  return m;
}

} // namespace bnn::embed
