// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a" -o %t.mlir
// RUN: not bnn-translate %t.mlir --bnn-gpu-to-bundle --bnn-cubin=never -o %t.bundle 2>&1 | FileCheck %s
// RUN: not ls %t.bundle
// RUN: not bnn-translate %t.mlir --bnn-gpu-to-bundle --bnn-cubin=never --bnn-bundle-max-constant-mb=0 -o %t.bundle 2>&1 | FileCheck %s --check-prefix=ZERO

// A bundle embeds its constants byte by byte, splats too: this 300-byte function declared a
// 16 GB constant, which --bnn-gpu-to-bundle wrote out (1.6 GB took 27 s). Constants are
// bounded by --bnn-bundle-max-constant-mb (4096 by default) before anything is written.
// CHECK: error: would make the bundle's constants 16000000000 bytes, more than --bnn-bundle-max-constant-mb=4096 allows
// ZERO: error: --bnn-bundle-max-constant-mb=0: expected 1 to 2^43
func.func @c() -> !bnn.packed<1000000000x128> {
  %1 = bnn.constant dense<-1> : tensor<1000000000x2xi64> -> !bnn.packed<1000000000x128>
  return %1 : !bnn.packed<1000000000x128>
}
