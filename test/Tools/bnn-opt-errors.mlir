// Bad input to bnn-opt ends in a located diagnostic and a non-zero exit, never a crash
// (`not` fails on a crash as well as on a zero exit).
// RUN: not bnn-opt %s --split-input-file 2>&1 | FileCheck %s

// CHECK: bnn-opt-errors.mlir:[[# @LINE + 2]]:8: error: custom op 'bnn.frobnicate' is unknown
func.func @unknown_op(%x: tensor<4xf32>) {
  %0 = bnn.frobnicate %x : tensor<4xf32>
  return
}

// -----

// CHECK: bnn-opt-errors.mlir:[[# @LINE + 2]]:8: error: 'bnn.xnor_popcount' op K mismatch: lhs has K = 100 bits, rhs has K = 99 bits
func.func @k_mismatch(%a: !bnn.packed<8x100>, %b: !bnn.packed<16x99>) -> tensor<8x16xi32> {
  %0 = bnn.xnor_popcount %a, %b : !bnn.packed<8x100>, !bnn.packed<16x99> -> tensor<8x16xi32>
  return %0 : tensor<8x16xi32>
}

// -----

// CHECK: bnn-opt-errors.mlir:[[# @LINE + 2]]:17: error: use of value '%x' expects different type than prior uses: 'tensor<4xf32>' vs 'tensor<4xi32>'
func.func @wrong_type(%x: tensor<4xi32>) -> tensor<4xf32> {
  %0 = bnn.sign %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: bnn-opt-errors.mlir:[[# @LINE + 2]]:38: error: expected '->'
func.func @malformed(%x: tensor<4x64xf32>) {
  %0 = bnn.pack %x : tensor<4x64xf32> !bnn.packed<4x64>
  return
}

// -----

// CHECK: bnn-opt-errors.mlir:[[# @LINE + 1]]:37: error: unbalanced '<' character in pretty dialect name
func.func @truncated(%p: !bnn.packed<4x64
