// What reaches One-Shot Bufferize in bnn-cpu-pipeline, checked by structure (no timing); each
// property keeps compile time linear in the number of ops (benchmarks/compile-time).
//
// 1. Every destination has its own tensor.empty. The pipeline's CSE merges the identical empties
//    the frontend emits, and N destinations aliasing one empty made the bufferization analysis
//    grow with N^2 or worse (a chain of 1,000 elementwise ONNX nodes: 42 s, 97% bufferizing).
// RUN: bnn-opt %s --bnn-cpu-pipeline="threads=false" --mlir-print-ir-before=one-shot-bufferize \
// RUN:   --mlir-print-ir-after=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s
//
// 2. Elementwise chains are fused, into bodies of at most 64 ops: 200 single-op links become
//    4 loop nests (62 + 62 + 62 + 14 ops), not 200 (SCF-to-CF and buffer deallocation grow
//    faster than the number of loop nests in a function) and not 1 (fusing into one body copies
//    the growing body at every step).
// RUN: %python %S/Inputs/elementwise_chain.py 200 > %t.chain.mlir
// RUN: bnn-opt %t.chain.mlir --bnn-cpu-pipeline="threads=false" \
// RUN:   --mlir-print-ir-before=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHAIN

// CHECK-LABEL: IR Dump Before OneShotBufferizePass
// A value with two users is not fused into either; the three ops keep three destinations.
// CHECK-LABEL: func.func @shared(
// CHECK: linalg.generic {{.*}} outs(%[[O1:[0-9a-z_]+]] : tensor<16x64xf32>)
// CHECK-NOT: outs(%[[O1]] :
// CHECK: linalg.generic {{.*}} outs(%[[O2:[0-9a-z_]+]] : tensor<16x64xf32>)
// CHECK-NOT: outs(%[[O2]] :
// CHECK: linalg.generic {{.*}} outs(%{{[0-9a-z_]+}} : tensor<16x64xf32>)
// CHECK: return
// A Concat is one tensor.concat (a chain of insert_slice ops into one empty had the same cost).
// CHECK-LABEL: func.func @concat(
// CHECK: tensor.concat dim(0)
// CHECK-LABEL: IR Dump After OneShotBufferizePass
// CHECK-LABEL: func.func @shared(
// CHECK-NOT: memref.copy
// CHECK: return

// CHAIN-LABEL: IR Dump Before OneShotBufferizePass
// CHAIN-COUNT-4: linalg.generic
// CHAIN-NOT: linalg.generic
// CHAIN: return

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @shared(%x: tensor<16x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %c = arith.constant 5.000000e-01 : f32
  %e0 = tensor.empty() : tensor<16x64xf32>
  %t0 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x64xf32>) outs(%e0 : tensor<16x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<16x64xf32>
  %e1 = tensor.empty() : tensor<16x64xf32>
  %t1 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%t0 : tensor<16x64xf32>) outs(%e1 : tensor<16x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<16x64xf32>
  %e2 = tensor.empty() : tensor<16x64xf32>
  %t2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%t0 : tensor<16x64xf32>) outs(%e2 : tensor<16x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.subf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<16x64xf32>
  return %t1, %t2 : tensor<16x64xf32>, tensor<16x64xf32>
}

func.func @concat(%a: tensor<1x64xf32>, %b: tensor<2x64xf32>, %c: tensor<1x64xf32>) -> tensor<4x64xf32> {
  %r = tensor.concat dim(0) %a, %b, %c : (tensor<1x64xf32>, tensor<2x64xf32>, tensor<1x64xf32>) -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}
