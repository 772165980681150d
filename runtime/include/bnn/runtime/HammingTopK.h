/*===- HammingTopK.h - the Hamming top-k micro-kernel ----------------*- C -*-===*
 *
 * Exact k-nearest-neighbour search over packed binary codes by Hamming distance: the one kernel
 * behind both the runtime's index (bnn/bnn_index.h) and compiled `bnn.hamming_topk` ops (the CPU
 * lowering calls it, as IREE calls its ukernels), so the two can never disagree.
 *
 * Codes follow the bit contract (docs/Architecture.md): `words` uint64 words per code, LSB
 * first, padding bits zero. For every query q, the k codes with the smallest
 * popcount(q XOR c) are written in ascending distance, ties broken by the smaller code index
 * (FAISS IndexBinaryFlat's order). When k > numCodes the entries past numCodes get distance
 * INT32_MAX and index -1.
 *
 *===----------------------------------------------------------------------===*/

#ifndef BNN_RUNTIME_HAMMINGTOPK_H
#define BNN_RUNTIME_HAMMINGTOPK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* queries: numQueries x words; codes: numCodes x words (row-major, contiguous);
 * distances/indices: numQueries x k. numThreads <= 0 means all hardware threads.
 * Preconditions (checked by callers: the C API and the op's verifier): numQueries, numCodes >= 0,
 * 1 <= words, 1 <= k, words * 64 <= INT32_MAX. */
void bnn_ukernel_hamming_topk(const uint64_t *queries, int64_t numQueries, const uint64_t *codes,
                              int64_t numCodes, int64_t words, int64_t k, int32_t *distances,
                              int64_t *indices, int32_t numThreads);

#ifdef __cplusplus
}
#endif

#endif /* BNN_RUNTIME_HAMMINGTOPK_H */
