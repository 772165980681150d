// Every kind of kernel convert-bnn-to-gpu writes, compiled for each supported chip and
// assembled by ptxas (from the CUDA toolkit; unsupported where it is not installed). ptxas
// must accept the PTX without warnings (a wgmma serialization warning would show here) and
// without register spills.
// REQUIRES: ptxas
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a" | bnn-translate --bnn-gpu-to-ptx -o %t.sm_90a.ptx
// RUN: %ptxas -arch=sm_90a -v %t.sm_90a.ptx -o %t.sm_90a.cubin 2>&1 | FileCheck %s --check-prefixes=PTXAS,WGMMA --implicit-check-not=warning
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a mma=sync" | bnn-translate --bnn-gpu-to-ptx -o %t.sync.ptx
// RUN: %ptxas -arch=sm_90a -v %t.sync.ptx -o %t.sync.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not=warning
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90" | bnn-translate --bnn-gpu-to-ptx -o %t.sm_90.ptx
// RUN: %ptxas -arch=sm_90 -v %t.sm_90.ptx -o %t.sm_90.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not=warning
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_80" | bnn-translate --bnn-gpu-to-ptx -o %t.sm_80.ptx
// RUN: %ptxas -arch=sm_80 -v %t.sm_80.ptx -o %t.sm_80.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not=warning
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_86" | bnn-translate --bnn-gpu-to-ptx -o %t.sm_86.ptx
// RUN: %ptxas -arch=sm_86 -v %t.sm_86.ptx -o %t.sm_86.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not=warning
// No XOR+POPC (emulated on sm_90) anywhere.
// RUN: cat %t.sm_90a.ptx %t.sync.ptx %t.sm_90.ptx %t.sm_80.ptx %t.sm_86.ptx | FileCheck %s --check-prefix=NOXOR
// The bundle carries a cubin next to the PTX when asked to.
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a" | bnn-translate --bnn-gpu-to-bundle --bnn-cubin=always --bnn-ptxas=%ptxas | bnn-gpu-bundle-info - | FileCheck %s --check-prefix=CUBIN

// PTXAS: Compiling entry function
// PTXAS-NOT: {{[1-9][0-9]*}} bytes spill
// WGMMA: Compiling entry function 'bnn_gemm_wgmma_
// NOXOR-NOT: xor.popc
// NOXOR: mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc
// NOXOR-NOT: xor.popc
// CUBIN: code bnn_kernels ptx sm_90a
// CUBIN: code bnn_kernels cubin sm_90a

// Pack: 16-byte vector loads (f32, f16, bf16), scalar loads (odd K), f64 and i1.
func.func @pack_f32(%x: tensor<257x4096xf32>) -> !bnn.packed<257x4096> {
  %p = bnn.pack %x : tensor<257x4096xf32> -> !bnn.packed<257x4096>
  return %p : !bnn.packed<257x4096>
}
func.func @pack_f32_odd(%x: tensor<3x65xf32>) -> !bnn.packed<3x65> {
  %p = bnn.pack %x : tensor<3x65xf32> -> !bnn.packed<3x65>
  return %p : !bnn.packed<3x65>
}
func.func @pack_f16(%x: tensor<3x256xf16>) -> !bnn.packed<3x256> {
  %p = bnn.pack %x : tensor<3x256xf16> -> !bnn.packed<3x256>
  return %p : !bnn.packed<3x256>
}
func.func @pack_bf16(%x: tensor<1x255xbf16>) -> !bnn.packed<1x255> {
  %p = bnn.pack %x : tensor<1x255xbf16> -> !bnn.packed<1x255>
  return %p : !bnn.packed<1x255>
}
func.func @pack_f64(%x: tensor<4x64xf64>) -> !bnn.packed<4x64> {
  %p = bnn.pack %x : tensor<4x64xf64> -> !bnn.packed<4x64>
  return %p : !bnn.packed<4x64>
}
func.func @pack_i1(%x: tensor<5x130xi1>) -> !bnn.packed<5x130> {
  %p = bnn.pack %x : tensor<5x130xi1> -> !bnn.packed<5x130>
  return %p : !bnn.packed<5x130>
}

// GEMV: even and odd word counts, int32, f32 and packed epilogues.
func.func @gemv_i32(%a: !bnn.packed<4096>, %w: !bnn.packed<257x4096>) -> tensor<257xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<4096>, !bnn.packed<257x4096> -> tensor<257xi32>
  return %y : tensor<257xi32>
}
func.func @gemv_f32(%a: !bnn.packed<1x65>, %w: !bnn.packed<3x65>, %cs: tensor<3xf32>,
                    %rs: tensor<1xf32>, %b: tensor<3xf32>) -> tensor<1x3xf32> {
  %y = bnn.xnor_linear %a, %w col_scale(%cs : tensor<3xf32>) row_scale(%rs : tensor<1xf32>)
         bias(%b : tensor<3xf32>) activation(relu) : !bnn.packed<1x65>, !bnn.packed<3x65> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
func.func @gemv_bits(%a: !bnn.packed<1x300>, %w: !bnn.packed<100x300>) -> !bnn.packed<1x100> {
  %y = bnn.xnor_linear %a, %w : !bnn.packed<1x300>, !bnn.packed<100x300> -> !bnn.packed<1x100>
  return %y : !bnn.packed<1x100>
}

// GEMM: small-M and large-M tiles, even/odd words, all epilogues, constant weights.
func.func @gemm_small_m(%a: !bnn.packed<3x257>, %w: !bnn.packed<64x257>) -> tensor<3x64xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<3x257>, !bnn.packed<64x257> -> tensor<3x64xi32>
  return %y : tensor<3x64xi32>
}
func.func @gemm_mid_m(%a: !bnn.packed<64x4096>, %w: !bnn.packed<257x4096>) -> tensor<64x257xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<64x4096>, !bnn.packed<257x4096> -> tensor<64x257xi32>
  return %y : tensor<64x257xi32>
}
func.func @gemm_large(%a: !bnn.packed<257x4096>, %w: !bnn.packed<257x4096>) -> tensor<257x257xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<257x4096>, !bnn.packed<257x4096> -> tensor<257x257xi32>
  return %y : tensor<257x257xi32>
}
func.func @gemm_f32(%a: !bnn.packed<257x65>, %w: !bnn.packed<100x65>, %cs: tensor<100xf32>,
                    %rs: tensor<257xf32>, %b: tensor<100xf32>) -> tensor<257x100xf32> {
  %y = bnn.xnor_linear %a, %w col_scale(%cs : tensor<100xf32>) row_scale(%rs : tensor<257xf32>)
         bias(%b : tensor<100xf32>) activation(relu) : !bnn.packed<257x65>, !bnn.packed<100x65> -> tensor<257x100xf32>
  return %y : tensor<257x100xf32>
}
func.func @gemm_bits(%a: !bnn.packed<257x300>, %w: !bnn.packed<100x300>, %cs: tensor<100xf32>)
    -> !bnn.packed<257x100> {
  %y = bnn.xnor_linear %a, %w col_scale(%cs : tensor<100xf32>) : !bnn.packed<257x300>, !bnn.packed<100x300> -> !bnn.packed<257x100>
  return %y : !bnn.packed<257x100>
}
func.func @gemm_bits_small(%a: !bnn.packed<3x300>, %w: !bnn.packed<100x300>) -> !bnn.packed<3x100> {
  %y = bnn.xnor_linear %a, %w : !bnn.packed<3x300>, !bnn.packed<100x300> -> !bnn.packed<3x100>
  return %y : !bnn.packed<3x100>
}
func.func @gemm_constant(%x: tensor<3x70xf32>) -> tensor<3x2xi32> {
  %w = bnn.constant dense<[[5, 1], [-1, 63]]> : tensor<2x2xi64> -> !bnn.packed<2x70>
  %xp = bnn.pack %x : tensor<3x70xf32> -> !bnn.packed<3x70>
  %y = bnn.xnor_popcount %xp, %w : !bnn.packed<3x70>, !bnn.packed<2x70> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// Hamming top-k: query words in registers (W = 4), re-read (W = 64), the largest k (32), and
// one query over a sharded database (scan + merge kernels).
func.func @hamming_topk_w4(%q: !bnn.packed<1000x256>, %db: !bnn.packed<100000x256>) -> (tensor<1000x10xi32>, tensor<1000x10xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(10) : !bnn.packed<1000x256>, !bnn.packed<100000x256> -> tensor<1000x10xi32>, tensor<1000x10xi64>
  return %d, %i : tensor<1000x10xi32>, tensor<1000x10xi64>
}
func.func @hamming_topk_w64(%q: !bnn.packed<3x4096>, %db: !bnn.packed<257x4096>) -> (tensor<3x32xi32>, tensor<3x32xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(32) : !bnn.packed<3x4096>, !bnn.packed<257x4096> -> tensor<3x32xi32>, tensor<3x32xi64>
  return %d, %i : tensor<3x32xi32>, tensor<3x32xi64>
}
func.func @hamming_topk_sharded(%q: !bnn.packed<1x256>, %db: !bnn.packed<1000000x256>) -> (tensor<1x10xi32>, tensor<1x10xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(10) : !bnn.packed<1x256>, !bnn.packed<1000000x256> -> tensor<1x10xi32>, tensor<1x10xi64>
  return %d, %i : tensor<1x10xi32>, tensor<1x10xi64>
}
