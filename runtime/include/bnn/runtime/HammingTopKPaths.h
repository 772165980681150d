//===- HammingTopKPaths.h - the Hamming kernel's target paths ---*- C++ -*-===//
//
// The instruction-set paths of bnn_ukernel_hamming_topk (bnn/runtime/HammingTopK.h) and the one
// place that picks among them. The public entry point uses selectedHammingPath(); tests and
// benchmarks call hammingTopKWithPath to run each path that the machine supports. All paths
// give identical results (exact distances, ties by the smaller index) for any thread count.
//
//===----------------------------------------------------------------------===//
#ifndef BNN_RUNTIME_HAMMINGTOPKPATHS_H
#define BNN_RUNTIME_HAMMINGTOPKPATHS_H

#include <cstdint>

namespace bnn {

enum class HammingPath {
  Generic, ///< portable C++ (scalar popcount), any machine
  AVX2,    ///< AVX2 nibble-table popcount (vpshufb + vpsadbw)
  AVX512,  ///< AVX-512F + VPOPCNTDQ: 8 queries per zmm, codes broadcast from memory
};

/// "generic", "avx2", "avx512".
const char *hammingPathName(HammingPath path);

/// Whether this CPU can run `path` (__builtin_cpu_supports).
bool hammingPathSupported(HammingPath path);

/// The path bnn_ukernel_hamming_topk uses: the environment variable BNN_HAMMING_PATH
/// (generic, avx2 or avx512) when set to a path this CPU supports, else the fastest supported
/// one. Decided once per process.
HammingPath selectedHammingPath();

/// bnn_ukernel_hamming_topk on the given path (which must be supported).
void hammingTopKWithPath(HammingPath path, const uint64_t *queries, int64_t numQueries,
                         const uint64_t *codes, int64_t numCodes, int64_t words, int64_t k,
                         int32_t *distances, int64_t *indices, int32_t numThreads);

} // namespace bnn

#endif // BNN_RUNTIME_HAMMINGTOPKPATHS_H
