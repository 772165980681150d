// RUN: bnn-opt %s --bnn-set-cpu-target="target=avx512" | FileCheck %s --check-prefix=AVX512
// RUN: bnn-opt %s --bnn-set-cpu-target="target=avx2" | FileCheck %s --check-prefix=AVX2
// RUN: bnn-opt %s --bnn-set-cpu-target="target=generic" | FileCheck %s --check-prefix=GENERIC
// RUN: not bnn-opt %s --bnn-set-cpu-target="target=m68k" 2>&1 | FileCheck %s --check-prefix=BAD

// Every llvm.func gets the target's CPU and features; a loop annotation that scf-to-cf left as
// a discardable attribute on the latch branch becomes the branch's loop metadata.
// AVX512-LABEL: llvm.func @f
// AVX512-SAME: target_cpu = "icelake-server"
// AVX512-SAME: target_features = #llvm.target_features<[{{.*}}"+avx512vpopcntdq"
// AVX2-LABEL: llvm.func @f
// AVX2-SAME: target_cpu = "haswell"
// AVX2-SAME: "+avx2"
// GENERIC-LABEL: llvm.func @f
// GENERIC-SAME: target_cpu = "x86-64"
// AVX512: llvm.br ^bb1 {loop_annotation = #[[ANN:.*]]}
// AVX512-NOT: llvm.loop_annotation =
// BAD: error: bnn-set-cpu-target: {{.*}}m68k
#ann = #llvm.loop_annotation<unroll = <disable = true>>
module {
  llvm.func @f() {
    llvm.br ^bb1 {llvm.loop_annotation = #ann}
  ^bb1:
    llvm.return
  }
}
