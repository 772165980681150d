// Pass options that cannot work for the chip or the shape are reported on the op they would
// lower (or on the module for the chip itself).
// RUN: not bnn-opt %s --convert-bnn-to-gpu="chip=sm_70" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=xor" 2>&1 | FileCheck %s --check-prefix=MMA
// RUN: not bnn-opt %s --convert-bnn-to-gpu="chip=sm_80 mma=wgmma" 2>&1 | FileCheck %s --check-prefix=WGMMA
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=sync tile-m=24" 2>&1 | FileCheck %s --check-prefix=TILEM
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=wgmma tile-n=96" 2>&1 | FileCheck %s --check-prefix=TILEN-WG
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=sync tile-n=96" 2>&1 | FileCheck %s --check-prefix=TILEN-SYNC
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=wgmma stages=2" 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not bnn-opt %s --convert-bnn-to-gpu="chip=sm_86 mma=sync tile-m=128 tile-n=256 stages=4" 2>&1 | FileCheck %s --check-prefix=SMEM
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=sync tile-m=208 tile-n=128" 2>&1 | FileCheck %s --check-prefix=WARPS
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=wgmma tile-m=256 tile-n=256 stages=3" 2>&1 | FileCheck %s --check-prefix=REGS
// A valid override is used as given.
// RUN: bnn-opt %s --convert-bnn-to-gpu="mma=sync tile-m=64 tile-n=64 stages=3" | FileCheck %s --check-prefix=OK

// CHIP: error: convert-bnn-to-gpu: unsupported chip 'sm_70' (expected sm_80, sm_86, sm_89, sm_90 or sm_90a)
// MMA: error: 'bnn.xnor_popcount' op unknown mma kind 'xor' (expected auto, sync or wgmma)
// WGMMA: error: 'bnn.xnor_popcount' op mma=wgmma needs chip sm_90a, found sm_80
// TILEM: error: 'bnn.xnor_popcount' op tile-m must be a multiple of 16 and at most 256 for mma_sync, found 24
// TILEN-WG: error: 'bnn.xnor_popcount' op tile-n must be 64, 128 or 256 for wgmma, found 96
// TILEN-SYNC: error: 'bnn.xnor_popcount' op tile-n must be a multiple of 64 and at most 256 for mma_sync, found 96
// STAGES: error: 'bnn.xnor_popcount' op stages must be between 3 and 8 for wgmma, found 2
// SMEM: error: 'bnn.xnor_popcount' op tile 128x256 with 4 stages needs 196608 bytes of shared memory, but sm_86 allows 101376 per block
// WARPS: error: 'bnn.xnor_popcount' op tile-m 208 cannot be split over 4 warps of 16-row MMAs
// REGS: error: 'bnn.xnor_popcount' op tile 256x256 needs 512 threads with 128 accumulator registers each, more than a multiprocessor's 65536 registers
// OK: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m256_n256_k4096_t64x64x3_i32_256x64xi64

func.func @gemm(%a: !bnn.packed<256x4096>, %w: !bnn.packed<256x4096>) -> tensor<256x256xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<256x4096>, !bnn.packed<256x4096> -> tensor<256x256xi32>
  return %y : tensor<256x256xi32>
}
