// RUN: bnn-opt %s --bnn-fuse --split-input-file | FileCheck %s

// The MLP layer shape: scale per column, bias, then re-binarized for the next layer.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[A:.*]]: !bnn.packed<4x64>, %[[W:.*]]: !bnn.packed<32x64>, %[[S:.*]]: tensor<32xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK-NEXT: %[[Y:.*]] = bnn.xnor_linear %[[A]], %[[W]] col_scale(%[[S]] : tensor<32xf32>) bias(%[[B]] : tensor<32xf32>) : !bnn.packed<4x64>, !bnn.packed<32x64> -> !bnn.packed<4x32>
// CHECK-NEXT: return %[[Y]]
func.func @layer(%a: !bnn.packed<4x64>, %w: !bnn.packed<32x64>, %s: tensor<32xf32>, %b: tensor<32xf32>) -> !bnn.packed<4x32> {
  %acc = bnn.xnor_popcount %a, %w : !bnn.packed<4x64>, !bnn.packed<32x64> -> tensor<4x32xi32>
  %init = tensor.empty() : tensor<4x32xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%acc, %s, %b : tensor<4x32xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<4x32xf32>) {
  ^bb0(%d: i32, %scale: f32, %bias: f32, %o: f32):
    %f = arith.sitofp %d : i32 to f32
    %1 = arith.mulf %scale, %f : f32
    %2 = arith.addf %1, %bias : f32
    linalg.yield %2 : f32
  } -> tensor<4x32xf32>
  %hs = bnn.sign %h : tensor<4x32xf32>
  %hp = bnn.pack %hs : tensor<4x32xf32> -> !bnn.packed<4x32>
  return %hp : !bnn.packed<4x32>
}

// -----

// All stages, float result kept.
// CHECK-LABEL: func.func @all_stages
// CHECK: bnn.xnor_linear %{{.*}}, %{{.*}} col_scale(%{{.*}} : tensor<8xf32>) row_scale(%{{.*}} : tensor<2xf32>) bias(%{{.*}} : tensor<8xf32>) activation(relu) : !bnn.packed<2x100>, !bnn.packed<8x100> -> tensor<2x8xf32>
// CHECK-NOT: linalg.generic
func.func @all_stages(%a: !bnn.packed<2x100>, %w: !bnn.packed<8x100>, %s: tensor<8xf32>, %r: tensor<2xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %acc = bnn.xnor_popcount %a, %w : !bnn.packed<2x100>, !bnn.packed<8x100> -> tensor<2x8xi32>
  %init = tensor.empty() : tensor<2x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m)>, affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%acc, %s, %r, %b : tensor<2x8xi32>, tensor<8xf32>, tensor<2xf32>, tensor<8xf32>) outs(%init : tensor<2x8xf32>) {
  ^bb0(%d: i32, %cs: f32, %rs: f32, %bias: f32, %o: f32):
    %f = arith.sitofp %d : i32 to f32
    %1 = arith.mulf %f, %cs : f32
    %2 = arith.mulf %1, %rs : f32
    %3 = arith.addf %2, %bias : f32
    %zero = arith.constant 0.0 : f32
    %4 = arith.maximumf %3, %zero : f32
    linalg.yield %4 : f32
  } -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Bias before scale is a different expression: not fused.
// CHECK-LABEL: func.func @wrong_order
// CHECK: bnn.xnor_popcount
// CHECK: linalg.generic
func.func @wrong_order(%a: !bnn.packed<2x64>, %w: !bnn.packed<8x64>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %acc = bnn.xnor_popcount %a, %w : !bnn.packed<2x64>, !bnn.packed<8x64> -> tensor<2x8xi32>
  %init = tensor.empty() : tensor<2x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%acc, %s, %b : tensor<2x8xi32>, tensor<8xf32>, tensor<8xf32>) outs(%init : tensor<2x8xf32>) {
  ^bb0(%d: i32, %scale: f32, %bias: f32, %o: f32):
    %f = arith.sitofp %d : i32 to f32
    %1 = arith.addf %f, %bias : f32
    %2 = arith.mulf %1, %scale : f32
    linalg.yield %2 : f32
  } -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// The i32 dot products have another user: fusing would compute them twice.
// CHECK-LABEL: func.func @shared_dots
// CHECK: %[[ACC:.*]] = bnn.xnor_popcount
// CHECK: linalg.generic
// CHECK: return %{{.*}}, %[[ACC]]
func.func @shared_dots(%a: !bnn.packed<2x64>, %w: !bnn.packed<8x64>) -> (tensor<2x8xf32>, tensor<2x8xi32>) {
  %acc = bnn.xnor_popcount %a, %w : !bnn.packed<2x64>, !bnn.packed<8x64> -> tensor<2x8xi32>
  %init = tensor.empty() : tensor<2x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%acc : tensor<2x8xi32>) outs(%init : tensor<2x8xf32>) {
  ^bb0(%d: i32, %o: f32):
    %f = arith.sitofp %d : i32 to f32
    linalg.yield %f : f32
  } -> tensor<2x8xf32>
  return %y, %acc : tensor<2x8xf32>, tensor<2x8xi32>
}

// -----

// Sign then pack is one pack.
// CHECK-LABEL: func.func @sign_pack
// CHECK-SAME: (%[[X:.*]]: tensor<4x70xf32>)
// CHECK-NEXT: %[[P:.*]] = bnn.pack %[[X]]
// CHECK-NEXT: return %[[P]]
func.func @sign_pack(%x: tensor<4x70xf32>) -> !bnn.packed<4x70> {
  %s = bnn.sign %x : tensor<4x70xf32>
  %p = bnn.pack %s : tensor<4x70xf32> -> !bnn.packed<4x70>
  return %p : !bnn.packed<4x70>
}
