// RUN: bnn-opt %s --bnn-copy-repeated-results --split-input-file | FileCheck %s

// A tensor returned twice: the second occurrence becomes a copy into a fresh tensor, so each
// result bufferizes to a buffer (and out-parameter) of its own.
// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[C:.*]] = linalg.copy ins(%[[X]] : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK: return %[[X]], %[[C]]
func.func @twice(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  return %x, %x : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Dynamic sizes of the copy come from the returned value.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xi32>)
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xi32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x8xi32>
// CHECK: %[[C:.*]] = linalg.copy ins(%[[X]] : tensor<?x8xi32>) outs(%[[E]] : tensor<?x8xi32>)
// CHECK: return %[[X]], %[[C]]
func.func @dynamic(%x: tensor<?x8xi32>) -> (tensor<?x8xi32>, tensor<?x8xi32>) {
  return %x, %x : tensor<?x8xi32>, tensor<?x8xi32>
}

// -----

// Distinct results and non-tensor results are left alone.
// CHECK-LABEL: func.func @distinct
// CHECK-NOT: linalg.copy
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<2xf32>, tensor<3xf32>, index, index
func.func @distinct(%a: tensor<2xf32>, %b: tensor<3xf32>, %i: index) -> (tensor<2xf32>, tensor<3xf32>, index, index) {
  return %a, %b, %i, %i : tensor<2xf32>, tensor<3xf32>, index, index
}
