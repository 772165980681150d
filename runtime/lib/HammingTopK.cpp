//===- HammingTopK.cpp - the Hamming top-k micro-kernel -------------------===//
//
// Exact k-nearest-neighbour search by Hamming distance (bnn/runtime/HammingTopK.h), in three
// paths picked at run time (bnn/runtime/HammingTopKPaths.h): AVX-512 VPOPCNTDQ, AVX2 and
// generic C++. Shared by all of them:
//
//  - Selection: each query keeps its k best (distance, index) pairs sorted in its own rows of
//    the output, and a threshold (the k-th distance, or INT32_MAX while fewer than k are
//    held). Codes are visited in ascending index order, so a code is kept only when its
//    distance is strictly below the threshold (an equal distance loses to the smaller index
//    already held), and most codes are rejected by that one compare.
//  - Blocking: the database is streamed in blocks of about 256 KiB (L2-resident); every query
//    of a thread scans a block before the next block is read.
//  - Threads (std::thread): contiguous ranges of queries when there are at least 8 queries per
//    thread, else contiguous shards of the database, each with its own selections, merged
//    by (distance, index) afterwards. Both give exactly the single-threaded result.
//
// The AVX-512 path holds 8 queries transposed in one zmm per word (lane l = query l) and
// broadcasts each code word from memory: xor, vpopcntq and add give 8 distances per code, one
// compare against the 8 thresholds rejects it. Fewer than 4 remaining queries are scanned one
// by one, 8 codes at a time, with a horizontal reduction. Words 4 (256 bits) and 16 (1024 bits)
// have unrolled loops with the query in registers.
//
//===----------------------------------------------------------------------===//

#include "ParallelFor.h"
#include "bnn/runtime/HammingTopK.h"
#include "bnn/runtime/HammingTopKPaths.h"

#include <immintrin.h>

// GCC's AVX-512 intrinsic headers trip -Wmaybe-uninitialized (their _mm512_undefined_*).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

namespace {

using bnn::HammingPath;

/// The k best (distance, index) pairs of one query in caller-owned rows. Until k are held,
/// pairs are appended unsorted (every code is taken then, and sorting each insertion would be
/// quadratic in k); on the k-th they are sorted once, and from then on kept sorted.
struct Selection {
  int32_t *dist;
  int64_t *idx;
  int64_t size;
  int64_t cap;
  std::pair<int32_t, int64_t> *scratch; // cap entries, shared by the selections of a thread
  int32_t threshold() const { return size < cap ? INT32_MAX : dist[cap - 1]; }
  /// Inserts (d, i); requires d < threshold() and i greater than every index held.
  void push(int32_t d, int64_t i) {
    if (size < cap) {
      dist[size] = d;
      idx[size] = i;
      if (++size == cap)
        sortHeld();
      return;
    }
    int64_t pos = cap - 1;
    while (pos > 0 && dist[pos - 1] > d) {
      dist[pos] = dist[pos - 1];
      idx[pos] = idx[pos - 1];
      --pos;
    }
    dist[pos] = d;
    idx[pos] = i;
  }
  void offer(int32_t d, int64_t i) {
    if (d < threshold())
      push(d, i);
  }
  /// Sorts what is held by (distance, index): after the last code when fewer than k came.
  void sortHeld() {
    for (int64_t j = 0; j < size; ++j)
      scratch[j] = {dist[j], idx[j]};
    std::sort(scratch, scratch + size);
    for (int64_t j = 0; j < size; ++j) {
      dist[j] = scratch[j].first;
      idx[j] = scratch[j].second;
    }
  }
  void finish() {
    if (size < cap)
      sortHeld();
  }
};

/// What a path scans: queries [0, nq) (row-major) against codes [begin, end) of `codes`.
struct ScanArgs {
  const uint64_t *queries;
  int64_t nq;
  const uint64_t *codes;
  int64_t begin, end;
  int64_t words;
  Selection *sel; // nq selections
};

//===----------------------------------------------------------------------===//
// Generic path.
//===----------------------------------------------------------------------===//

int32_t distanceScalar(const uint64_t *a, const uint64_t *b, int64_t words) {
  int32_t d = 0;
  for (int64_t w = 0; w < words; ++w)
    d += __builtin_popcountll(a[w] ^ b[w]);
  return d;
}

void scanGeneric(const ScanArgs &a) {
  for (int64_t q = 0; q < a.nq; ++q) {
    const uint64_t *query = a.queries + q * a.words;
    Selection &s = a.sel[q];
    int32_t thr = s.threshold();
    for (int64_t c = a.begin; c < a.end; ++c) {
      int32_t d = distanceScalar(query, a.codes + c * a.words, a.words);
      if (d < thr) {
        s.push(d, c);
        thr = s.threshold();
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// AVX2 path: popcount by nibble table (vpshufb), bytes summed by vpsadbw.
//===----------------------------------------------------------------------===//

__attribute__((target("avx2,popcnt"))) inline int32_t
distanceAvx2(const uint64_t *a, const uint64_t *b, int64_t words) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                       1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i acc = _mm256_setzero_si256();
  int64_t w = 0;
  for (; w + 4 <= words; w += 4) {
    __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(a + w)),
                                 _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + w)));
    __m256i lo = _mm256_and_si256(x, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
    __m256i cnt = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(cnt, _mm256_setzero_si256()));
  }
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi64(s, _mm_unpackhi_epi64(s, s));
  int64_t d = _mm_cvtsi128_si64(s);
  for (; w < words; ++w)
    d += _mm_popcnt_u64(a[w] ^ b[w]);
  return static_cast<int32_t>(d);
}

__attribute__((target("avx2,popcnt"))) void scanAvx2(const ScanArgs &a) {
  for (int64_t q = 0; q < a.nq; ++q) {
    const uint64_t *query = a.queries + q * a.words;
    Selection &s = a.sel[q];
    int32_t thr = s.threshold();
    for (int64_t c = a.begin; c < a.end; ++c) {
      int32_t d = distanceAvx2(query, a.codes + c * a.words, a.words);
      if (d < thr) {
        s.push(d, c);
        thr = s.threshold();
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// AVX-512 VPOPCNTDQ path.
//===----------------------------------------------------------------------===//

#define BNN_AVX512 __attribute__((target("avx512f,avx512vpopcntdq")))

/// Lanes kernel: G groups of 8 queries, transposed (qT[g][w][lane]), against codes
/// [begin, end). W is the word count when known at compile time (0: `words`).
template <int W, int G>
BNN_AVX512 void lanesKernel(const uint64_t *qT, const uint64_t *codes, int64_t begin, int64_t end,
                            int64_t words, Selection *sel, int64_t lanesValid) {
  const int64_t nw = W ? W : words;
  alignas(64) int64_t th[G][8];
  __m512i thr[G];
  for (int g = 0; g < G; ++g) {
    for (int l = 0; l < 8; ++l) {
      int64_t q = g * 8 + l;
      th[g][l] = q < lanesValid ? sel[q].threshold() : -1; // padding lanes accept nothing
    }
    thr[g] = _mm512_load_si512(th[g]);
  }
  for (int64_t c = begin; c < end; ++c) {
    const uint64_t *code = codes + c * nw;
    __m512i acc[G];
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g)
      acc[g] = _mm512_setzero_si512();
    if (W) {
#pragma GCC unroll 16
      for (int64_t w = 0; w < nw; ++w) {
        __m512i b = _mm512_set1_epi64(static_cast<long long>(code[w]));
#pragma GCC unroll 4
        for (int g = 0; g < G; ++g)
          acc[g] = _mm512_add_epi64(acc[g], _mm512_popcnt_epi64(_mm512_xor_si512(
                                                _mm512_load_si512(qT + (g * nw + w) * 8), b)));
      }
    } else {
      for (int64_t w = 0; w < nw; ++w) {
        __m512i b = _mm512_set1_epi64(static_cast<long long>(code[w]));
        for (int g = 0; g < G; ++g)
          acc[g] = _mm512_add_epi64(acc[g], _mm512_popcnt_epi64(_mm512_xor_si512(
                                                _mm512_load_si512(qT + (g * nw + w) * 8), b)));
      }
    }
    __mmask8 m[G];
    unsigned any = 0;
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      m[g] = _mm512_cmplt_epi64_mask(acc[g], thr[g]);
      any |= m[g];
    }
    if (__builtin_expect(any != 0, 0)) {
      for (int g = 0; g < G; ++g) {
        if (!m[g])
          continue;
        alignas(64) int64_t d[8];
        _mm512_store_si512(d, acc[g]);
        for (int l = 0; l < 8; ++l)
          if (m[g] & (1u << l)) {
            sel[g * 8 + l].push(static_cast<int32_t>(d[l]), c);
            th[g][l] = sel[g * 8 + l].threshold();
          }
        thr[g] = _mm512_load_si512(th[g]);
      }
    }
  }
}

/// Sums the lanes of each of v[0..7] into lane i of the result.
BNN_AVX512 inline __m512i reduce8(const __m512i *v) {
  __m512i a[4];
  for (int i = 0; i < 4; ++i)
    a[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(v[2 * i], v[2 * i + 1]),
                            _mm512_unpackhi_epi64(v[2 * i], v[2 * i + 1]));
  // a[i], per 128-bit chunk j: (v[2i] lanes 2j..2j+1, v[2i+1] lanes 2j..2j+1).
  __m512i b0 = _mm512_add_epi64(_mm512_shuffle_i64x2(a[0], a[1], 0x88),
                                _mm512_shuffle_i64x2(a[0], a[1], 0xDD));
  __m512i b1 = _mm512_add_epi64(_mm512_shuffle_i64x2(a[2], a[3], 0x88),
                                _mm512_shuffle_i64x2(a[2], a[3], 0xDD));
  // b0 chunks: (v0, v1) lanes 0-3, (v0, v1) lanes 4-7, (v2, v3) lanes 0-3, (v2, v3) lanes 4-7.
  return _mm512_add_epi64(_mm512_shuffle_i64x2(b0, b1, 0x88), _mm512_shuffle_i64x2(b0, b1, 0xDD));
}

/// Hands 8 distances of codes c..c+7 (ascending) to the selection in index order.
inline void offer8(Selection &s, const int64_t *d, int64_t c, __mmask8 m) {
  for (int l = 0; l < 8; ++l)
    if (m & (1u << l))
      s.offer(static_cast<int32_t>(d[l]), c + l);
}

/// Rows kernel: one query against codes [begin, end), 8 codes per step.
template <int W>
BNN_AVX512 void rowsKernel(const uint64_t *query, const uint64_t *codes, int64_t begin, int64_t end,
                           int64_t words, Selection &s) {
  const int64_t nw = W ? W : words;
  int64_t c = begin;
  __m512i thr = _mm512_set1_epi64(s.threshold());
  if (W == 4) {
    const __m512i qq =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(query)));
    // After the two reduction steps the lanes hold codes 0,2,1,3,4,6,5,7.
    const __m512i order = _mm512_setr_epi64(0, 2, 1, 3, 4, 6, 5, 7);
    for (; c + 8 <= end; c += 8) {
      const uint64_t *p = codes + c * 4;
      __m512i x[4];
      for (int i = 0; i < 4; ++i)
        x[i] = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(p + 8 * i), qq));
      __m512i a0 =
          _mm512_add_epi64(_mm512_unpacklo_epi64(x[0], x[1]), _mm512_unpackhi_epi64(x[0], x[1]));
      __m512i a1 =
          _mm512_add_epi64(_mm512_unpacklo_epi64(x[2], x[3]), _mm512_unpackhi_epi64(x[2], x[3]));
      __m512i d =
          _mm512_add_epi64(_mm512_shuffle_i64x2(a0, a1, 0x88), _mm512_shuffle_i64x2(a0, a1, 0xDD));
      __mmask8 m = _mm512_cmplt_epi64_mask(d, thr);
      if (__builtin_expect(m != 0, 0)) {
        alignas(64) int64_t dd[8];
        _mm512_store_si512(dd, _mm512_permutexvar_epi64(order, d));
        offer8(s, dd, c, _mm512_cmplt_epi64_mask(_mm512_load_si512(dd), thr));
        thr = _mm512_set1_epi64(s.threshold());
      }
    }
  } else {
    const int64_t chunks = (nw + 7) / 8;
    const __mmask8 tailMask = static_cast<__mmask8>(0xFFu >> ((8 - nw % 8) % 8));
    for (; c + 8 <= end; c += 8) {
      __m512i v[8];
      for (int i = 0; i < 8; ++i) {
        const uint64_t *p = codes + (c + i) * nw;
        __m512i acc = _mm512_setzero_si512();
        for (int64_t j = 0; j < chunks; ++j) {
          __mmask8 m = j + 1 == chunks ? tailMask : 0xFF;
          __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi64(m, p + 8 * j),
                                       _mm512_maskz_loadu_epi64(m, query + 8 * j));
          acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
        }
        v[i] = acc;
      }
      __m512i d = reduce8(v);
      __mmask8 m = _mm512_cmplt_epi64_mask(d, thr);
      if (__builtin_expect(m != 0, 0)) {
        alignas(64) int64_t dd[8];
        _mm512_store_si512(dd, d);
        offer8(s, dd, c, m);
        thr = _mm512_set1_epi64(s.threshold());
      }
    }
  }
  for (; c < end; ++c)
    s.offer(distanceScalar(query, codes + c * nw, nw), c);
}

/// Transposes queries [q0, q0 + n) (n <= 8) into qT[w][lane], lanes past n zero.
void transposeGroup(const uint64_t *queries, int64_t q0, int64_t n, int64_t words, uint64_t *qT) {
  for (int64_t w = 0; w < words; ++w)
    for (int64_t l = 0; l < 8; ++l)
      qT[w * 8 + l] = l < n ? queries[(q0 + l) * words + w] : 0;
}

BNN_AVX512 void scanAvx512(const ScanArgs &a) {
  const int64_t words = a.words;
  int64_t q = 0;
  // Groups of 8 queries (a last group of 4 to 7 is padded); two groups per pass at 256 bits.
  const int64_t groupWords = words * 8;
  std::vector<uint64_t> buf(static_cast<size_t>(2 * groupWords + 8));
  uint64_t *qT = buf.data();
  while (reinterpret_cast<uintptr_t>(qT) % 64)
    ++qT;
  while (a.nq - q >= 4) {
    int64_t n = std::min<int64_t>(a.nq - q, 16);
    if (words == 4 && n >= 12) {
      transposeGroup(a.queries, q, 8, words, qT);
      transposeGroup(a.queries, q + 8, n - 8, words, qT + groupWords);
      lanesKernel<4, 2>(qT, a.codes, a.begin, a.end, words, a.sel + q, n);
      q += n;
      continue;
    }
    n = std::min<int64_t>(n, 8);
    transposeGroup(a.queries, q, n, words, qT);
    if (words == 4)
      lanesKernel<4, 1>(qT, a.codes, a.begin, a.end, words, a.sel + q, n);
    else if (words == 16)
      lanesKernel<16, 1>(qT, a.codes, a.begin, a.end, words, a.sel + q, n);
    else
      lanesKernel<0, 1>(qT, a.codes, a.begin, a.end, words, a.sel + q, n);
    q += n;
  }
  for (; q < a.nq; ++q) {
    const uint64_t *query = a.queries + q * words;
    if (words == 4)
      rowsKernel<4>(query, a.codes, a.begin, a.end, words, a.sel[q]);
    else if (words == 16)
      rowsKernel<16>(query, a.codes, a.begin, a.end, words, a.sel[q]);
    else
      rowsKernel<0>(query, a.codes, a.begin, a.end, words, a.sel[q]);
  }
}

//===----------------------------------------------------------------------===//
// Driver: blocks, threads, shards.
//===----------------------------------------------------------------------===//

using ScanFn = void (*)(const ScanArgs &);

ScanFn scanFor(HammingPath path) {
  switch (path) {
  case HammingPath::AVX512: return scanAvx512;
  case HammingPath::AVX2: return scanAvx2;
  case HammingPath::Generic: break;
  }
  return scanGeneric;
}

/// Queries [0, nq) against codes [begin, end), block by block.
void scanRange(ScanFn scan, const uint64_t *queries, int64_t nq, const uint64_t *codes,
               int64_t begin, int64_t end, int64_t words, Selection *sel) {
  const int64_t blockCodes = std::max<int64_t>(64, (int64_t(256) << 10) / (words * 8));
  for (int64_t b = begin; b < end; b += blockCodes) {
    ScanArgs args{queries, nq, codes, b, std::min(end, b + blockCodes), words, sel};
    scan(args);
  }
}

using bnn::detail::parallelFor;

void run(HammingPath path, const uint64_t *queries, int64_t numQueries, const uint64_t *codes,
         int64_t numCodes, int64_t words, int64_t k, int32_t *distances, int64_t *indices,
         int32_t numThreads) {
  const int64_t kEff = std::min(k, numCodes);
  for (int64_t q = 0; q < numQueries; ++q)
    for (int64_t j = kEff; j < k; ++j) {
      distances[q * k + j] = INT32_MAX;
      indices[q * k + j] = -1;
    }
  if (kEff == 0 || numQueries == 0)
    return;
  ScanFn scan = scanFor(path);

  int64_t threads = numThreads > 0 ? numThreads : std::max(1u, std::thread::hardware_concurrency());
  // At least about a million word comparisons per thread, else threads cost more than they save.
  const int64_t workWords =
      numQueries * std::min<int64_t>(numCodes, INT64_MAX / numQueries / words) * words;
  threads = std::max<int64_t>(1, std::min<int64_t>(threads, workWords >> 20));

  // Per thread: its selections and their sort scratch, allocated here, before any thread
  // starts (an allocation failure then falls back to one thread).
  struct Work {
    std::vector<Selection> sel;
    std::vector<std::pair<int32_t, int64_t>> scratch;
  };
  auto selectionsFor = [&](Work &work, int64_t q0, int64_t nq, int32_t *d, int64_t *i,
                           int64_t stride) {
    work.scratch.resize(static_cast<size_t>(kEff));
    work.sel.resize(static_cast<size_t>(nq));
    for (int64_t q = 0; q < nq; ++q)
      work.sel[q] =
          Selection{d + (q0 + q) * stride, i + (q0 + q) * stride, 0, kEff, work.scratch.data()};
  };
  auto scanAll = [&](Work &work, const uint64_t *qs, int64_t c0, int64_t c1) {
    scanRange(scan, qs, static_cast<int64_t>(work.sel.size()), codes, c0, c1, words,
              work.sel.data());
    for (Selection &s : work.sel)
      s.finish();
  };

  std::vector<Work> work;
  if (threads > 1) {
    try {
      work.resize(static_cast<size_t>(threads));
    } catch (const std::bad_alloc &) {
      threads = 1;
    }
  }
  if (threads > 1 && numQueries >= 8 * threads) {
    // Contiguous query ranges, multiples of 8 (whole AVX-512 groups).
    int64_t groups = (numQueries + 7) / 8;
    auto range = [&](int64_t t) {
      return std::make_pair(std::min(numQueries, groups * t / threads * 8),
                            std::min(numQueries, groups * (t + 1) / threads * 8));
    };
    try {
      for (int64_t t = 0; t < threads; ++t)
        selectionsFor(work[t], range(t).first, range(t).second - range(t).first, distances, indices,
                      k);
    } catch (const std::bad_alloc &) {
      threads = 1;
    }
    if (threads > 1) {
      parallelFor(threads, [&](int64_t t) {
        if (!work[t].sel.empty())
          scanAll(work[t], queries + range(t).first * words, 0, numCodes);
      });
      return;
    }
  }
  if (threads > 1) {
    // Few queries: contiguous shards of the database, merged by (distance, index).
    std::vector<int32_t> shardDist;
    std::vector<int64_t> shardIdx;
    try {
      shardDist.resize(static_cast<size_t>(threads * numQueries * kEff));
      shardIdx.resize(shardDist.size());
      for (int64_t t = 0; t < threads; ++t)
        selectionsFor(work[t], t * numQueries, numQueries, shardDist.data(), shardIdx.data(), kEff);
    } catch (const std::bad_alloc &) {
      threads = 1;
    }
    if (threads > 1) {
      parallelFor(threads, [&](int64_t t) {
        scanAll(work[t], queries, numCodes * t / threads, numCodes * (t + 1) / threads);
      });
      std::vector<int64_t> head(static_cast<size_t>(threads));
      for (int64_t q = 0; q < numQueries; ++q) {
        std::fill(head.begin(), head.end(), 0);
        for (int64_t j = 0; j < kEff; ++j) {
          int64_t best = -1;
          int32_t bestD = 0;
          int64_t bestI = 0;
          for (int64_t t = 0; t < threads; ++t) {
            if (head[t] >= work[t].sel[q].size)
              continue;
            size_t at = static_cast<size_t>((t * numQueries + q) * kEff + head[t]);
            if (best < 0 || shardDist[at] < bestD ||
                (shardDist[at] == bestD && shardIdx[at] < bestI)) {
              best = t;
              bestD = shardDist[at];
              bestI = shardIdx[at];
            }
          }
          ++head[best]; // the shards hold at least kEff entries together
          distances[q * k + j] = bestD;
          indices[q * k + j] = bestI;
        }
      }
      return;
    }
  }
  Work single;
  selectionsFor(single, 0, numQueries, distances, indices, k);
  scanAll(single, queries, 0, numCodes);
}

} // namespace

const char *bnn::hammingPathName(HammingPath path) {
  switch (path) {
  case HammingPath::AVX512: return "avx512";
  case HammingPath::AVX2: return "avx2";
  case HammingPath::Generic: break;
  }
  return "generic";
}

bool bnn::hammingPathSupported(HammingPath path) {
  switch (path) {
  case HammingPath::AVX512:
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  case HammingPath::AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  case HammingPath::Generic: break;
  }
  return true;
}

bnn::HammingPath bnn::selectedHammingPath() {
  static const HammingPath selected = [] {
    if (const char *env = std::getenv("BNN_HAMMING_PATH")) {
      for (HammingPath p : {HammingPath::Generic, HammingPath::AVX2, HammingPath::AVX512})
        if (std::strcmp(env, hammingPathName(p)) == 0 && hammingPathSupported(p))
          return p;
    }
    for (HammingPath p : {HammingPath::AVX512, HammingPath::AVX2})
      if (hammingPathSupported(p))
        return p;
    return HammingPath::Generic;
  }();
  return selected;
}

void bnn::hammingTopKWithPath(HammingPath path, const uint64_t *queries, int64_t numQueries,
                              const uint64_t *codes, int64_t numCodes, int64_t words, int64_t k,
                              int32_t *distances, int64_t *indices, int32_t numThreads) {
  if (!hammingPathSupported(path))
    path = HammingPath::Generic;
  run(path, queries, numQueries, codes, numCodes, words, k, distances, indices, numThreads);
}

extern "C" void bnn_ukernel_hamming_topk(const uint64_t *queries, int64_t numQueries,
                                         const uint64_t *codes, int64_t numCodes, int64_t words,
                                         int64_t k, int32_t *distances, int64_t *indices,
                                         int32_t numThreads) {
  run(bnn::selectedHammingPath(), queries, numQueries, codes, numCodes, words, k, distances,
      indices, numThreads);
}
