// A module that already defines the kernel's symbol with another type is refused with a message,
// not miscompiled.
// RUN: bnn-opt %s --convert-bnn-to-cpu --split-input-file --verify-diagnostics

func.func private @bnn_ukernel_hamming_topk(i32)

func.func @clash(%q: !bnn.packed<2x64>, %db: !bnn.packed<8x64>) -> (tensor<2x4xi32>, tensor<2x4xi64>) {
  // expected-error @+2 {{failed to legalize operation 'bnn.hamming_topk'}}
  // expected-error @+1 {{'bnn.hamming_topk' op cannot call the runtime kernel: the module already defines @bnn_ukernel_hamming_topk, @bnn_hamming_topk_call or @omp_get_max_threads with another type}}
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<2x64>, !bnn.packed<8x64> -> tensor<2x4xi32>, tensor<2x4xi64>
  return %d, %i : tensor<2x4xi32>, tensor<2x4xi64>
}

// -----

func.func @omp_get_max_threads() -> i64 {
  %c = arith.constant 1 : i64
  return %c : i64
}

func.func @clash_threads(%q: !bnn.packed<?x64>, %db: !bnn.packed<?x64>) -> (tensor<?x4xi32>, tensor<?x4xi64>) {
  // expected-error @+2 {{failed to legalize operation 'bnn.hamming_topk'}}
  // expected-error @+1 {{'bnn.hamming_topk' op cannot call the runtime kernel: the module already defines @omp_get_max_threads with another type}}
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<?x64>, !bnn.packed<?x64> -> tensor<?x4xi32>, tensor<?x4xi64>
  return %d, %i : tensor<?x4xi32>, tensor<?x4xi64>
}
