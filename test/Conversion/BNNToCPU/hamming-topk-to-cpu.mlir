// bnn.hamming_topk becomes a call of the runtime's bnn_ukernel_hamming_topk through the private
// wrapper @bnn_hamming_topk_call (buffers in, pointers and sizes out), with the results in fresh
// buffers and the pipeline's thread count (OpenMP's) unless the op is too small or runs serially.
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=avx512" --split-input-file | FileCheck %s
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=avx512 parallel=false" --split-input-file | FileCheck %s --check-prefix=SERIAL

// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2xi64>, %[[DB:.*]]: tensor<?x2xi64>)
// CHECK-DAG: %[[QB:.*]] = bufferization.to_buffer %[[Q]] read_only
// CHECK-DAG: %[[DBB:.*]] = bufferization.to_buffer %[[DB]] read_only
// CHECK: %[[ROWS:.*]] = memref.dim %[[QB]], %{{.*}}
// CHECK: %[[D:.*]] = memref.alloc(%[[ROWS]]) {alignment = 64 : i64} : memref<?x4xi32>
// CHECK: %[[I:.*]] = memref.alloc(%[[ROWS]]) {alignment = 64 : i64} : memref<?x4xi64>
// CHECK: %[[T:.*]] = call @omp_get_max_threads() : () -> i32
// CHECK: call @bnn_hamming_topk_call(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[T]])
// CHECK: %[[DT:.*]] = bufferization.to_tensor %[[D]] restrict writable
// CHECK: %[[IT:.*]] = bufferization.to_tensor %[[I]] restrict writable
// CHECK: return %[[DT]], %[[IT]]
// CHECK: func.func private @bnn_ukernel_hamming_topk(!llvm.ptr, i64, !llvm.ptr, i64, i64, i64, !llvm.ptr, !llvm.ptr, i32)
// CHECK: func.func private @bnn_hamming_topk_call(%{{.*}}: memref<?x?xi64, strided<[?, 1], offset: ?>>, %{{.*}}: memref<?x?xi64, strided<[?, 1], offset: ?>>, %{{.*}}: memref<?x?xi32, strided<[?, 1], offset: ?>>, %{{.*}}: memref<?x?xi64, strided<[?, 1], offset: ?>>, %{{.*}}: i32)
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: call @bnn_ukernel_hamming_topk(
// CHECK: func.func private @omp_get_max_threads() -> i32
// SERIAL-LABEL: func.func @dynamic
// SERIAL: %[[ONE:.*]] = arith.constant 1 : i32
// SERIAL: call @bnn_hamming_topk_call(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]])
// SERIAL-NOT: omp_get_max_threads
func.func @dynamic(%q: !bnn.packed<?x100>, %db: !bnn.packed<?x100>) -> (tensor<?x4xi32>, tensor<?x4xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<?x100>, !bnn.packed<?x100> -> tensor<?x4xi32>, tensor<?x4xi64>
  return %d, %i : tensor<?x4xi32>, tensor<?x4xi64>
}

// -----

// Too small to fork threads for; two ops share one wrapper and one declaration.
// CHECK-LABEL: func.func @small
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: call @bnn_hamming_topk_call(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]])
// CHECK: call @bnn_hamming_topk_call(
// CHECK-COUNT-1: func.func private @bnn_hamming_topk_call
// CHECK-NOT: func.func private @bnn_hamming_topk_call
// CHECK-NOT: omp_get_max_threads
func.func @small(%q: !bnn.packed<2x64>, %db: !bnn.packed<8x64>) -> (tensor<2x4xi32>, tensor<2x4xi64>, tensor<2x1xi32>, tensor<2x1xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<2x64>, !bnn.packed<8x64> -> tensor<2x4xi32>, tensor<2x4xi64>
  %d1, %i1 = bnn.hamming_topk %q, %db k(1) : !bnn.packed<2x64>, !bnn.packed<8x64> -> tensor<2x1xi32>, tensor<2x1xi64>
  return %d, %i, %d1, %i1 : tensor<2x4xi32>, tensor<2x4xi64>, tensor<2x1xi32>, tensor<2x1xi64>
}
