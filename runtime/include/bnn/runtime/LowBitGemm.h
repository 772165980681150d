/*===- LowBitGemm.h - int8 x low-bit GEMM micro-kernel (AMX-INT8) ----*- C -*-===*
 *
 * Exact int8 activations x ternary or binary weights, i32 results: the kernel that compiled
 * `bnn.lowbit_matmul` / `bnn.lowbit_linear` products of many rows (GEMM, prefill) call on
 * CPUs with AMX-INT8 (the CPU target table decides, lib/Target/CPU/CPUTarget.cpp), as
 * bnn.hamming_topk calls bnn_ukernel_hamming_topk.
 *
 * out[i * outStride + j] = sum_e x[i * xStride + e] * w_j[e] for 0 <= i < m, 0 <= j < n,
 * 0 <= e < k. Weights follow the bit contract (docs/Dialect.md): ternary rows are a sign plane
 * of ceil(k/64) LSB-first uint64 words (1 = +1) then a mask plane of as many words (1 = non-zero);
 * binary rows are ceil(k/64) words (1 = +1, 0 = -1). wStride is the distance in words between
 * rows. Padding bits past k are ignored in both kinds.
 *
 * On AMX the weights stay bits in memory: each thread unpacks a panel of up to 256 weight rows
 * to +-1/0 int8 tiles (VNNI layout, zero past k) once and reuses it for every block of 32
 * activation rows. Without AMX (CPU or kernel refuses the tile state) it runs a portable path
 * with the same results, never fails.
 *
 *===----------------------------------------------------------------------===*/

#ifndef BNN_RUNTIME_LOWBITGEMM_H
#define BNN_RUNTIME_LOWBITGEMM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Preconditions (checked by the op's verifier): m, n >= 0, 1 <= k <= 16777215, strides at
 * least the row sizes. numThreads <= 0 means all hardware threads. */
void bnn_ukernel_int8_lowbit_gemm(const int8_t *x, int64_t m, int64_t xStride, const uint64_t *w,
                                  int64_t n, int64_t wStride, int64_t k, int32_t ternary,
                                  int32_t *out, int64_t outStride, int32_t numThreads);

/* Binary x binary (bnn.xnor_popcount's product): out[i * outStride + j] = sum_e a_i[e] * w_j[e]
 * with both operands +1 / -1 (bit 1 = +1), i.e. k - 2 * popcount(a_i XOR w_j) over k bits.
 * x: m rows of ceil(k/64) words, xStride words apart; w as the binary weights above. The
 * activations are unpacked to +-1 int8 tiles once per call. Not called by compiled code yet
 * (docs/CPU.md says why); for benchmarks and tests. */
void bnn_ukernel_binary_gemm(const uint64_t *x, int64_t m, int64_t xStride, const uint64_t *w,
                             int64_t n, int64_t wStride, int64_t k, int32_t *out, int64_t outStride,
                             int32_t numThreads);

/* 1 when this process can run the AMX path: the CPU has AMX-TILE, AMX-INT8, AVX-512BW and
 * BITALG, and Linux granted the tile data state (arch_prctl(ARCH_REQ_XCOMP_PERM,
 * XFEATURE_XTILEDATA), requested once per process on the first call). */
int32_t bnn_ukernel_amx_available(void);

#ifdef __cplusplus
}

namespace bnn {

enum class LowBitGemmPath {
  Portable, ///< plain C++: each weight row unpacked to int8, then int8 dot products
  Amx,      ///< AMX-INT8 tiles fed by unpacked weight panels
};

/// "portable" or "amx".
const char *lowBitGemmPathName(LowBitGemmPath path);

/// Whether this process can run `path` (Amx: bnn_ukernel_amx_available()).
bool lowBitGemmPathSupported(LowBitGemmPath path);

/// bnn_ukernel_int8_lowbit_gemm on `path`; an unsupported Amx runs the portable path.
void int8LowBitGemmWithPath(LowBitGemmPath path, const int8_t *x, int64_t m, int64_t xStride,
                            const uint64_t *w, int64_t n, int64_t wStride, int64_t k, bool ternary,
                            int32_t *out, int64_t outStride, int32_t numThreads);

/// bnn_ukernel_binary_gemm on `path`; an unsupported Amx runs the portable path.
void binaryGemmWithPath(LowBitGemmPath path, const uint64_t *x, int64_t m, int64_t xStride,
                        const uint64_t *w, int64_t n, int64_t wStride, int64_t k, int32_t *out,
                        int64_t outStride, int32_t numThreads);

/// The AMX-INT8 peak of one core measured by a register-resident loop (tile dot products on
/// tiles already loaded, no memory traffic): int8 multiply-accumulates per second, or 0 where
/// AMX is unavailable. For benchmarks.
double amxInt8PeakMacsPerSecond(int64_t iterations);

} // namespace bnn
#endif

#endif /* BNN_RUNTIME_LOWBITGEMM_H */
