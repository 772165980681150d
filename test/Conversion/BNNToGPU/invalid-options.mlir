// Pass options that cannot work for any shape are reported where they are parsed, naming the
// option, the value and the valid range; those that cannot work for the chip or the shape are
// reported on the op they would lower.
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
// Out of every kernel's range, whatever the module holds (negative sizes used to abort or grow
// memory without bound).
// RUN: not bnn-opt %s --convert-bnn-to-gpu="tile-m=-16" 2>&1 | FileCheck %s --check-prefix=NEG-M
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=sync tile-m=-16" 2>&1 | FileCheck %s --check-prefix=NEG-M
// RUN: not bnn-opt %s --convert-bnn-to-gpu="tile-n=-64" 2>&1 | FileCheck %s --check-prefix=NEG-N
// RUN: not bnn-opt %s --convert-bnn-to-gpu="mma=sync tile-n=-64" 2>&1 | FileCheck %s --check-prefix=NEG-N
// RUN: not bnn-opt %s --convert-bnn-to-gpu="stages=-1" 2>&1 | FileCheck %s --check-prefix=NEG-STAGES
// RUN: not bnn-opt %s --convert-bnn-to-gpu="tile-m=4096" 2>&1 | FileCheck %s --check-prefix=BIG-M
// RUN: not bnn-opt %s --pass-pipeline="builtin.module(convert-bnn-to-gpu{tile-n=-64})" 2>&1 | FileCheck %s --check-prefix=NEG-N
// The same checks in bnn-gpu-pipeline, plus its NVPTX options: the PTX ISA version must be one
// LLVM knows and the chip accepts (a fatal LLVM error before).
// RUN: not bnn-opt %s --bnn-gpu-pipeline="tile-m=-16" 2>&1 | FileCheck %s --check-prefix=PIPE-NEG-M
// RUN: not bnn-opt %s --bnn-gpu-pipeline="chip=sm_70" 2>&1 | FileCheck %s --check-prefix=PIPE-CHIP
// RUN: not bnn-opt %s --bnn-gpu-pipeline="ptx-features=+ptx60" 2>&1 | FileCheck %s --check-prefix=PTX60
// RUN: not bnn-opt %s --bnn-gpu-pipeline="chip=sm_89 ptx-features=+ptx77" 2>&1 | FileCheck %s --check-prefix=PTX77
// RUN: not bnn-opt %s --bnn-gpu-pipeline="chip=sm_80 ptx-features=+ptx70" 2>&1 | FileCheck %s --check-prefix=PTX70
// RUN: not bnn-opt %s --bnn-gpu-pipeline="ptx-features=ptx80" 2>&1 | FileCheck %s --check-prefix=PTX-SYNTAX
// RUN: not bnn-opt %s --bnn-gpu-pipeline="ptx-features=+ptx99" 2>&1 | FileCheck %s --check-prefix=PTX-SYNTAX
// RUN: not bnn-opt %s --bnn-gpu-pipeline="ptx-features=+ptx80,+sm_90a" 2>&1 | FileCheck %s --check-prefix=PTX-SYNTAX
// RUN: not bnn-opt %s --bnn-gpu-pipeline="opt-level=9" 2>&1 | FileCheck %s --check-prefix=OPT
// A valid override is used as given; the least PTX version of a chip is accepted.
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_80 ptx-features=+ptx71" | FileCheck %s --check-prefix=PTX71
// RUN: bnn-opt %s --convert-bnn-to-gpu="mma=sync tile-m=64 tile-n=64 stages=3" | FileCheck %s --check-prefix=OK

// CHIP: error: convert-bnn-to-gpu: chip='sm_70': expected sm_80, sm_86, sm_89, sm_90 or sm_90a
// MMA: error: convert-bnn-to-gpu: mma='xor': expected auto, sync or wgmma
// WGMMA: error: convert-bnn-to-gpu: mma=wgmma needs chip sm_90a, found sm_80
// TILEM: error: convert-bnn-to-gpu: tile-m=24: expected 0 (chip default) or a multiple of 16 from 16 to 256
// TILEN-WG: error: convert-bnn-to-gpu: tile-n=96: expected 0 (chip default), 64, 128, 192 or 256
// TILEN-SYNC: error: convert-bnn-to-gpu: tile-n=96: expected 0 (chip default), 64, 128, 192 or 256
// STAGES: error: 'bnn.xnor_popcount' op stages must be between 3 and 8 for wgmma, found 2
// SMEM: error: 'bnn.xnor_popcount' op tile 128x256 with 4 stages needs 196608 bytes of shared memory, but sm_86 allows 101376 per block
// WARPS: error: 'bnn.xnor_popcount' op tile-m 208 cannot be split over 4 warps of 16-row MMAs
// REGS: error: 'bnn.xnor_popcount' op tile 256x256 needs 512 threads with 128 accumulator registers each, more than a multiprocessor's 65536 registers
// NEG-M: error: convert-bnn-to-gpu: tile-m=-16: expected 0 (chip default) or a multiple of 16 from 16 to 256
// NEG-N: error: convert-bnn-to-gpu: tile-n=-64: expected 0 (chip default), 64, 128, 192 or 256
// NEG-STAGES: error: convert-bnn-to-gpu: stages=-1: expected 0 (chip default) or 2 to 8
// BIG-M: error: convert-bnn-to-gpu: tile-m=4096: expected 0 (chip default) or a multiple of 16 from 16 to 256
// PIPE-NEG-M: error: bnn-gpu-pipeline: tile-m=-16: expected 0 (chip default) or a multiple of 16 from 16 to 256
// PIPE-CHIP: error: bnn-gpu-pipeline: chip='sm_70': expected sm_80, sm_86, sm_89, sm_90 or sm_90a
// PTX60: error: bnn-gpu-pipeline: ptx-features='+ptx60': PTX 6.0 is too old for sm_90a, which needs at least +ptx80 (PTX 8.0)
// PTX77: error: bnn-gpu-pipeline: ptx-features='+ptx77': PTX 7.7 is too old for sm_89, which needs at least +ptx78 (PTX 7.8)
// PTX70: error: bnn-gpu-pipeline: ptx-features='+ptx70': PTX 7.0 is too old for sm_80, which needs at least +ptx71 (PTX 7.1)
// PTX-SYNTAX: error: bnn-gpu-pipeline: ptx-features='{{.*}}': expected one '+ptxNN' feature, PTX ISA N.N, with NN one of 32, 40-43, 50, 60-65, 70-78, 80-88 or 90 (e.g. +ptx80)
// OPT: error: bnn-gpu-pipeline: opt-level=9: expected 0 to 3
// PTX71: gpu.binary @bnn_kernels
// OK: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m256_n256_k4096_t64x64x3_i32_256x64xi64

func.func @gemm(%a: !bnn.packed<256x4096>, %w: !bnn.packed<256x4096>) -> tensor<256x256xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<256x4096>, !bnn.packed<256x4096> -> tensor<256x256xi32>
  return %y : tensor<256x256xi32>
}
