// RUN: bnn-opt %s --bnn-check-buffer-sizes=max-buffer-bytes=4096 --split-input-file --verify-diagnostics
// RUN: bnn-opt %s --bnn-check-buffer-sizes --split-input-file | FileCheck %s --check-prefix=NOLIMIT
// RUN: not bnn-opt %s --bnn-check-buffer-sizes=max-buffer-bytes=-1 2>&1 | FileCheck %s --check-prefix=NEGATIVE

// NEGATIVE: error: bnn-check-buffer-sizes: max-buffer-bytes=-1: expected 0 (no limit) or a positive byte count
// NOLIMIT-LABEL: func.func @heap
// NOLIMIT: memref.alloc() : memref<33x32xi32>

// Heap buffers: at the limit passes, one row over fails; dynamic shapes are not judged here.
func.func @heap(%n: index) {
  %ok = memref.alloc() : memref<32x32xi32>
  // expected-error @+1 {{needs 4224 bytes for 'memref<33x32xi32>', more than max-buffer-bytes=4096 allows}}
  %big = memref.alloc() : memref<33x32xi32>
  %dyn = memref.alloc(%n) : memref<?x32xi32>
  return
}

// -----

// Stack buffers and constants too; a size past 2^63 bytes is named as such.
func.func @stack() {
  // expected-error @+1 {{needs 4104 bytes for 'memref<1026xf32>', more than max-buffer-bytes=4096 allows}}
  %a = memref.alloca() : memref<1026xf32>
  return
}
// expected-error @+1 {{needs more than 2^63 bytes for 'memref<4611686018427387904x4xf32>', more than max-buffer-bytes=4096 allows}}
memref.global "private" constant @huge : memref<4611686018427387904x4xf32>
