// RUN: bnn-opt %s --bnn-lower-ste --split-input-file | FileCheck %s
// RUN: bnn-opt %s --bnn-lower-ste --canonicalize --split-input-file | FileCheck %s --check-prefix=CANON

// CHECK-LABEL: func.func @ste_to_sign
// CHECK-SAME: (%[[X:.*]]: tensor<16x256xf32>)
// CHECK-NEXT: %[[S:.*]] = bnn.sign %[[X]] : tensor<16x256xf32>
// CHECK-NOT: bnn.ste
// CHECK: return %[[S]]
func.func @ste_to_sign(%x: tensor<16x256xf32>) -> tensor<16x256xf32> {
  %0 = bnn.ste %x {clip = 2.0 : f32, grad_scale = 0.5 : f32} : tensor<16x256xf32>
  return %0 : tensor<16x256xf32>
}

// -----

// After lowering, canonicalization sees pack(sign(x)) and packs x directly.
// CHECK-LABEL: func.func @ste_then_pack
// CHECK: bnn.sign
// CANON-LABEL: func.func @ste_then_pack
// CANON-SAME: (%[[X:.*]]: tensor<4x64xf32>)
// CANON-NEXT: %[[P:.*]] = bnn.pack %[[X]]
// CANON-NEXT: return %[[P]]
func.func @ste_then_pack(%x: tensor<4x64xf32>) -> !bnn.packed<4x64> {
  %0 = bnn.ste %x : tensor<4x64xf32>
  %1 = bnn.pack %0 : tensor<4x64xf32> -> !bnn.packed<4x64>
  return %1 : !bnn.packed<4x64>
}

// -----

// Nested regions are walked too.
// CHECK-LABEL: func.func @nested
// CHECK: scf.if
// CHECK: bnn.sign
// CHECK-NOT: bnn.ste
func.func @nested(%c: i1, %x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = scf.if %c -> tensor<4xf32> {
    %1 = bnn.ste %x : tensor<4xf32>
    scf.yield %1 : tensor<4xf32>
  } else {
    scf.yield %x : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
