//===- bnn-bench-hamming.cpp - bnn's Hamming index against FAISS ----------===//
//
// Prints, for 256- and 1024-bit codes, 1 and 2 threads: the time of a batch search (k nearest
// of every query among the database codes) by bnn (bnn_index_search, i.e. the runtime's
// bnn_ukernel_hamming_topk) and by FAISS IndexBinaryFlat, measured in the same run; query-code
// comparisons per second; bnn's speedup; single-query latency of both; the top-k agreement;
// and two rooflines measured in the same run: the xor+popcount peak (an L1-resident AVX-512
// kernel, as G comparisons/s at this code length) and the read bandwidth over a buffer the size
// of the database (the bound of a single query). Every time is the median of --repeats runs.
//
// Debian's FAISS is slow enough here that a full batch would take minutes, so FAISS searches
// the first --faiss-queries queries (its rate is per comparison, and the agreement check covers
// those queries).
//
//   bnn-bench-hamming [--codes=N] [--queries=N] [--faiss-queries=N] [--k=N] [--repeats=N]
//                     [--quick]
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/HammingTopKPaths.h"

#include <faiss/IndexBinaryFlat.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename F> double medianSeconds(F &&run, int reps) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    double start = now();
    run();
    t.push_back(now() - start);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

template <typename Body> void onThreads(int n, Body body) {
  std::vector<std::thread> ts;
  for (int t = 1; t < n; ++t)
    ts.emplace_back(body, t);
  body(0);
  for (auto &t : ts)
    t.join();
}

// The xor+popcount peak: 4 x 4 zmm accumulators over L1-resident operands (as bnn-bench-cpu).
__attribute__((target("avx512f,avx512vpopcntdq"), noinline)) uint64_t
peakKernel(const uint64_t *a, const uint64_t *b, int64_t words, int64_t reps) {
  __m512i acc[4][4];
  for (auto &row : acc)
    for (auto &v : row)
      v = _mm512_setzero_si512();
  for (int64_t r = 0; r < reps; ++r)
    for (int64_t w = 0; w < words; w += 8) {
      __m512i av[4], bv[4];
      for (int i = 0; i < 4; ++i) {
        av[i] = _mm512_load_si512(a + i * words + w);
        bv[i] = _mm512_load_si512(b + i * words + w);
      }
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
          acc[i][j] =
              _mm512_add_epi64(acc[i][j], _mm512_popcnt_epi64(_mm512_xor_si512(av[i], bv[j])));
    }
  uint64_t sum = 0;
  for (auto &row : acc)
    for (auto &v : row)
      sum += _mm512_reduce_add_epi64(v);
  return sum;
}

/// Bits compared (xor + popcount + add) per second on `threads` threads, 0 without AVX-512.
double peakBitsPerSecond(int threads, int reps) {
  if (!bnn::hammingPathSupported(bnn::HammingPath::AVX512))
    return 0;
  const int64_t words = 64, iters = 200000;
  std::vector<uint64_t> sink(threads);
  double s = medianSeconds(
      [&] {
        onThreads(threads, [&](int t) {
          alignas(64) uint64_t a[4 * words], b[4 * words];
          for (int64_t i = 0; i < 4 * words; ++i) {
            a[i] = 0x9E3779B97F4A7C15ull * (i + 1 + t);
            b[i] = 0xC2B2AE3D27D4EB4Full * (i + 3);
          }
          sink[t] = peakKernel(a, b, words, iters);
        });
      },
      reps);
  if (sink[0] == 42)
    std::printf(" ");
  return double(threads) * iters * words * 64 * 16 / s;
}

/// Bytes per second read by `threads` threads summing `words` words (the database's size).
double readBandwidth(const std::vector<uint64_t> &buf, int threads, int reps) {
  std::vector<uint64_t> sink(threads);
  const int64_t n = static_cast<int64_t>(buf.size());
  double s = medianSeconds(
      [&] {
        onThreads(threads, [&](int t) {
          int64_t b = n * t / threads, e = n * (t + 1) / threads;
          uint64_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
          for (int64_t i = b; i + 4 <= e; i += 4) {
            acc0 += buf[i];
            acc1 += buf[i + 1];
            acc2 += buf[i + 2];
            acc3 += buf[i + 3];
          }
          sink[t] = acc0 + acc1 + acc2 + acc3;
        });
      },
      reps);
  if (sink[0] == 42)
    std::printf(" ");
  return double(n) * 8 / s;
}

bool parse(const char *arg, const char *name, int64_t &value) {
  size_t len = std::strlen(name);
  if (std::strncmp(arg, name, len) != 0 || arg[len] != '=')
    return false;
  char *end = nullptr;
  long long v = std::strtoll(arg + len + 1, &end, 10);
  if (*end || v < 1 || v > (1ll << 31)) {
    std::fprintf(stderr, "bnn-bench-hamming: %s must be 1 to 2^31, found '%s'\n", name,
                 arg + len + 1);
    std::exit(2);
  }
  value = v;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  int64_t numCodes = 1000000, numQueries = 1000, faissQueries = 100, k = 10, repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      std::printf("bnn-bench-hamming: bnn's Hamming index (bnn_index_search) against FAISS "
                  "IndexBinaryFlat,\nwith the xor+popcount peak and the read bandwidth measured "
                  "in the same run.\n\n"
                  "  --codes=N    database codes (default 1000000)\n"
                  "  --queries=N  queries per batch (default 1000)\n"
                  "  --faiss-queries=N  queries of the batch FAISS searches (default 100)\n"
                  "  --k=N        neighbours per query (default 10)\n"
                  "  --repeats=N  runs per measurement, the median is printed (default 5)\n"
                  "  --quick      100000 codes, 100 queries, 3 repeats (smoke test)\n");
      return 0;
    }
    if (!std::strcmp(a, "--quick")) {
      numCodes = 100000;
      numQueries = 100;
      faissQueries = 20;
      repeats = 3;
      continue;
    }
    if (parse(a, "--codes", numCodes) || parse(a, "--queries", numQueries) ||
        parse(a, "--faiss-queries", faissQueries) || parse(a, "--k", k) ||
        parse(a, "--repeats", repeats))
      continue;
    std::fprintf(stderr, "bnn-bench-hamming: unknown argument '%s' (see --help)\n", a);
    return 2;
  }
  const int reps = static_cast<int>(repeats);
  faissQueries = std::min(faissQueries, numQueries);
  const int faissReps = std::min(reps, 3);
  std::printf("bnn-bench-hamming: %lld codes, %lld queries (FAISS: the first %lld), k = %lld; "
              "median of %d runs (FAISS: %d); bnn path %s; FAISS IndexBinaryFlat (OpenMP "
              "threads)\n",
              (long long)numCodes, (long long)numQueries, (long long)faissQueries, (long long)k,
              reps, faissReps, bnn::hammingPathName(bnn::selectedHammingPath()));
  std::printf("Gcmp/s = queries x codes / s; peak = xor+popcount roofline (L1, AVX-512) at this "
              "code length; latency = one query, read = database bytes / read bandwidth\n\n");
  std::printf("%5s %3s %9s %9s %7s %7s %7s %6s %7s | %9s %9s %9s %6s | %s\n", "bits", "thr",
              "bnn ms", "faiss ms", "bnn", "faiss", "peak", "xfaiss", "%peak", "bnn1 ms",
              "faiss1 ms", "read ms", "x", "top-k agree");
  std::printf("%5s %3s %9s %9s %7s %7s %7s %6s %7s | %9s %9s %9s %6s |\n", "", "", "", "", "Gcmp/s",
              "Gcmp/s", "Gcmp/s", "", "", "latency", "latency", "bound", "faiss");

  std::mt19937_64 rng(1);
  bool allAgree = true;
  for (int64_t bits : {256, 1024}) {
    const int64_t words = bits / 64;
    std::vector<uint64_t> codes(numCodes * words), queries(numQueries * words);
    for (uint64_t &x : codes)
      x = rng();
    for (uint64_t &x : queries)
      x = rng();
    bnn_index *index = nullptr;
    if (bnn_index_create(bits, &index) != BNN_STATUS_OK ||
        bnn_index_add(index, codes.data(), numCodes) != BNN_STATUS_OK) {
      std::fprintf(stderr, "bnn-bench-hamming: %s\n", bnn_last_error());
      return 1;
    }
    faiss::IndexBinaryFlat flat(static_cast<int>(bits));
    flat.add(numCodes, reinterpret_cast<const uint8_t *>(codes.data()));

    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      std::vector<int32_t> bd(numQueries * k), fd(numQueries * k);
      std::vector<int64_t> bi(numQueries * k);
      std::vector<faiss::IndexBinary::idx_t> fi(numQueries * k);
      auto bnnBatch = [&] {
        bnn_index_search(index, queries.data(), numQueries, k, threads, bd.data(), bi.data());
      };
      auto faissBatch = [&] {
        flat.search(faissQueries, reinterpret_cast<const uint8_t *>(queries.data()), k, fd.data(),
                    fi.data());
      };
      bnnBatch(); // warm-up (page faults of the outputs)
      double bnnS = medianSeconds(bnnBatch, reps);
      double faissS = medianSeconds(faissBatch, faissReps) * double(numQueries) / faissQueries;
      const int64_t compared = faissQueries * k;
      bool agree = std::equal(bd.begin(), bd.begin() + compared, fd.begin()) &&
                   std::equal(bi.begin(), bi.begin() + compared, fi.begin());
      allAgree = allAgree && agree;

      // Single-query latency: median over the first queries, one at a time.
      int q1 = 0;
      auto bnnOne = [&] {
        bnn_index_search(index, queries.data() + (q1 % numQueries) * words, 1, k, threads,
                         bd.data(), bi.data());
        ++q1;
      };
      int q2 = 0;
      auto faissOne = [&] {
        flat.search(1,
                    reinterpret_cast<const uint8_t *>(queries.data() + (q2 % numQueries) * words),
                    k, fd.data(), fi.data());
        ++q2;
      };
      double bnn1 = medianSeconds(bnnOne, std::max(reps, 9));
      double faiss1 = medianSeconds(faissOne, 5);
      double peak = peakBitsPerSecond(threads, reps) / double(bits);
      double read = readBandwidth(codes, threads, reps);
      double cmp = double(numQueries) * double(numCodes);
      std::printf("%5lld %3d %9.1f %9.1f %7.2f %7.2f %7.2f %6.2f %6.0f%% | %9.3f %9.3f %9.3f "
                  "%6.2f | %s\n",
                  (long long)bits, threads, bnnS * 1e3, faissS * 1e3, cmp / bnnS / 1e9,
                  cmp / faissS / 1e9, peak / 1e9, faissS / bnnS,
                  peak > 0 ? 100.0 * cmp / bnnS / peak : 0.0, bnn1 * 1e3, faiss1 * 1e3,
                  double(numCodes) * words * 8 / read * 1e3, faiss1 / bnn1,
                  agree ? "identical" : "DIFFERENT");
      std::fflush(stdout);
    }
    bnn_index_destroy(index);
  }
  return allAgree ? 0 : 1;
}
