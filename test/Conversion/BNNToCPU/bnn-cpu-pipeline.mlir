// The whole CPU pipeline ends in the LLVM dialect with a vector popcount of the target's width,
// the target's CPU/features on every function, and (with threads) OpenMP.
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=avx512" | FileCheck %s --check-prefix=AVX512
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=avx2 threads=false" | FileCheck %s --check-prefix=AVX2
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=generic threads=false" | FileCheck %s --check-prefix=GENERIC
// And LLVM turns it into vpopcntq on AVX-512 VPOPCNTDQ, the vpshufb sequence on AVX2.
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=avx512" | bnn-translate --mlir-to-llvmir | llc -O3 | FileCheck %s --check-prefix=ASM512
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=avx2 threads=false" | bnn-translate --mlir-to-llvmir | llc -O3 | FileCheck %s --check-prefix=ASM2

// AVX512: llvm.func @gemm(
// AVX512-SAME: target_cpu = "icelake-server"
// AVX512-SAME: "+avx512vpopcntdq"
// AVX512: omp.parallel
// AVX512: llvm.intr.ctpop(%{{.*}}) : (vector<8xi64>) -> vector<8xi64>
// AVX512: llvm.br ^{{.*}} {loop_annotation = #{{.*}}}
// AVX2: llvm.func @gemm(
// AVX2-SAME: target_cpu = "haswell"
// AVX2-NOT: omp.parallel
// AVX2: llvm.intr.ctpop(%{{.*}}) : (vector<4xi64>) -> vector<4xi64>
// GENERIC: llvm.func @gemm(
// GENERIC-SAME: target_cpu = "x86-64"
// GENERIC: llvm.intr.ctpop(%{{.*}}) : (vector<1xi64>) -> vector<1xi64>
// ASM512-DAG: vpopcntq %zmm
// ASM512-DAG: __kmpc_fork_call
// ASM2-NOT: vpopcntq
// ASM2: vpshufb %ymm
// ASM2: vpsadbw %ymm
func.func @gemm(%a: tensor<128x1000xf32>, %w: !bnn.packed<300x1000>) -> tensor<128x300xi32> {
  %p = bnn.pack %a : tensor<128x1000xf32> -> !bnn.packed<128x1000>
  %y = bnn.xnor_popcount %p, %w : !bnn.packed<128x1000>, !bnn.packed<300x1000> -> tensor<128x300xi32>
  return %y : tensor<128x300xi32>
}
