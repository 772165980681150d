// Folds and canonicalizations of the bnn ops.
// RUN: bnn-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @sign_of_sign
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[S:.*]] = bnn.sign %[[X]] : tensor<4x8xf32>
// CHECK-NEXT: return %[[S]]
func.func @sign_of_sign(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = bnn.sign %x : tensor<4x8xf32>
  %1 = bnn.sign %0 : tensor<4x8xf32>
  %2 = bnn.sign %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// ste and unpack already produce +1/-1 floats.
// CHECK-LABEL: func.func @sign_of_binary_values
// CHECK-NEXT: %[[T:.*]] = bnn.ste
// CHECK-NEXT: %[[U:.*]] = bnn.unpack
// CHECK-NEXT: return %[[T]], %[[U]]
func.func @sign_of_binary_values(%x: tensor<4x8xf32>, %p: !bnn.packed<4x8>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %t = bnn.ste %x {clip = 2.0 : f32} : tensor<4x8xf32>
  %0 = bnn.sign %t : tensor<4x8xf32>
  %u = bnn.unpack %p : !bnn.packed<4x8> -> tensor<4x8xf32>
  %1 = bnn.sign %u : tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// sign(0) = sign(-0) = sign(NaN) = +1; only negative numbers map to -1.
// CHECK-LABEL: func.func @sign_of_constant
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<[1.000000e+00, 1.000000e+00, -1.000000e+00, 1.000000e+00, -1.000000e+00, 1.000000e+00]> : tensor<6xf32>
// CHECK-NEXT: return %[[C]]
func.func @sign_of_constant() -> tensor<6xf32> {
  %c = arith.constant dense<[0.0, -0.0, -2.5, 3.0, -1.0e-40, 0x7FC00000]> : tensor<6xf32>
  %0 = bnn.sign %c : tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func.func @sign_of_constant_f16
// CHECK-NEXT: arith.constant dense<[-1.000000e+00, 1.000000e+00]> : tensor<2xf16>
func.func @sign_of_constant_f16() -> tensor<2xf16> {
  %c = arith.constant dense<[-65504.0, 0.5]> : tensor<2xf16>
  %0 = bnn.sign %c : tensor<2xf16>
  return %0 : tensor<2xf16>
}

// -----

// CHECK-LABEL: func.func @pack_of_sign
// CHECK-SAME: (%[[X:.*]]: tensor<4x100xf32>)
// CHECK-NEXT: %[[P:.*]] = bnn.pack %[[X]] : tensor<4x100xf32> -> !bnn.packed<4x100>
// CHECK-NEXT: return %[[P]]
func.func @pack_of_sign(%x: tensor<4x100xf32>) -> !bnn.packed<4x100> {
  %0 = bnn.sign %x : tensor<4x100xf32>
  %1 = bnn.pack %0 : tensor<4x100xf32> -> !bnn.packed<4x100>
  return %1 : !bnn.packed<4x100>
}

// -----

// CHECK-LABEL: func.func @pack_of_unpack
// CHECK-SAME: (%[[P:.*]]: !bnn.packed<3x65>)
// CHECK-NEXT: return %[[P]]
func.func @pack_of_unpack(%p: !bnn.packed<3x65>) -> !bnn.packed<3x65> {
  %0 = bnn.unpack %p : !bnn.packed<3x65> -> tensor<3x65xf32>
  %1 = bnn.pack %0 : tensor<3x65xf32> -> !bnn.packed<3x65>
  return %1 : !bnn.packed<3x65>
}

// -----

// [+1, -1, +1] -> 0b101 = 5; [-1, -1, 0] -> 0b100 = 4 (zero packs as +1).
// CHECK-LABEL: func.func @pack_of_constant
// CHECK-NEXT: %[[C:.*]] = bnn.constant dense<{{\[}}[5], [4]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
// CHECK-NEXT: return %[[C]]
func.func @pack_of_constant() -> !bnn.packed<2x3> {
  %c = arith.constant dense<[[1.0, -1.0, 2.0], [-1.0, -3.0, 0.0]]> : tensor<2x3xf32>
  %0 = bnn.pack %c : tensor<2x3xf32> -> !bnn.packed<2x3>
  return %0 : !bnn.packed<2x3>
}

// -----

// 65 bits: element 64 is bit 0 of the second word; all -1 except elements 0, 2 and 64.
// CHECK-LABEL: func.func @pack_of_constant_two_words
// CHECK-NEXT: bnn.constant dense<{{\[}}[5, 1]]> : tensor<1x2xi64> -> !bnn.packed<1x65>
func.func @pack_of_constant_two_words() -> !bnn.packed<1x65> {
  %c = arith.constant dense<[[1.0, -1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0]]> : tensor<1x65xf32>
  %0 = bnn.pack %c : tensor<1x65xf32> -> !bnn.packed<1x65>
  return %0 : !bnn.packed<1x65>
}

// -----

// A splat i1 constant: all ones fill bits 0..69, i.e. a full first word and 6 bits of the second.
// CHECK-LABEL: func.func @pack_of_bool_splat
// CHECK-NEXT: bnn.constant dense<{{\[}}[-1, 63]]> : tensor<1x2xi64> -> !bnn.packed<1x70>
func.func @pack_of_bool_splat() -> !bnn.packed<1x70> {
  %c = arith.constant dense<true> : tensor<1x70xi1>
  %0 = bnn.pack %c : tensor<1x70xi1> -> !bnn.packed<1x70>
  return %0 : !bnn.packed<1x70>
}

// -----

// CHECK-LABEL: func.func @unpack_of_pack_float
// CHECK-SAME: (%[[X:.*]]: tensor<4x100xf32>)
// CHECK-NEXT: %[[S:.*]] = bnn.sign %[[X]] : tensor<4x100xf32>
// CHECK-NEXT: return %[[S]]
func.func @unpack_of_pack_float(%x: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %0 = bnn.pack %x : tensor<4x100xf32> -> !bnn.packed<4x100>
  %1 = bnn.unpack %0 : !bnn.packed<4x100> -> tensor<4x100xf32>
  return %1 : tensor<4x100xf32>
}

// -----

// CHECK-LABEL: func.func @unpack_of_pack_bool
// CHECK-SAME: (%[[X:.*]]: tensor<4x100xi1>)
// CHECK-NEXT: return %[[X]]
func.func @unpack_of_pack_bool(%x: tensor<4x100xi1>) -> tensor<4x100xi1> {
  %0 = bnn.pack %x : tensor<4x100xi1> -> !bnn.packed<4x100>
  %1 = bnn.unpack %0 : !bnn.packed<4x100> -> tensor<4x100xi1>
  return %1 : tensor<4x100xi1>
}

// -----

// Different element types: the round trip is a sign plus a conversion, left alone.
// CHECK-LABEL: func.func @unpack_of_pack_other_type
// CHECK-NEXT: bnn.pack
// CHECK-NEXT: bnn.unpack
func.func @unpack_of_pack_other_type(%x: tensor<4x100xf32>) -> tensor<4x100xf16> {
  %0 = bnn.pack %x : tensor<4x100xf32> -> !bnn.packed<4x100>
  %1 = bnn.unpack %0 : !bnn.packed<4x100> -> tensor<4x100xf16>
  return %1 : tensor<4x100xf16>
}

// -----

// CHECK-LABEL: func.func @unpack_of_constant
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<{{\[}}[1.000000e+00, -1.000000e+00, 1.000000e+00], [-1.000000e+00, -1.000000e+00, 1.000000e+00]]> : tensor<2x3xf32>
// CHECK-NEXT: %[[B:.*]] = arith.constant dense<{{\[}}[true, false, true], [false, false, true]]> : tensor<2x3xi1>
// CHECK-NEXT: return %[[C]], %[[B]]
func.func @unpack_of_constant() -> (tensor<2x3xf32>, tensor<2x3xi1>) {
  %p = bnn.constant dense<[[5], [4]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
  %0 = bnn.unpack %p : !bnn.packed<2x3> -> tensor<2x3xf32>
  %1 = bnn.unpack %p : !bnn.packed<2x3> -> tensor<2x3xi1>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xi1>
}

// -----

// A scale can be negative when given, so sign(scaled_sign(x)) is not sign(x) in general.
// CHECK-LABEL: func.func @sign_of_scaled_sign_kept
// CHECK-NEXT: bnn.scaled_sign
// CHECK-NEXT: bnn.sign
func.func @sign_of_scaled_sign_kept(%x: tensor<4xf32>, %a: tensor<f32>) -> tensor<4xf32> {
  %0 = bnn.scaled_sign per_tensor %x alpha(%a : tensor<f32>) : tensor<4xf32>
  %1 = bnn.sign %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Unused pure ops disappear.
// CHECK-LABEL: func.func @dead
// CHECK-NEXT: return
func.func @dead(%x: tensor<4x64xf32>, %w: !bnn.packed<8x64>) {
  %0 = bnn.pack %x : tensor<4x64xf32> -> !bnn.packed<4x64>
  %1 = bnn.xnor_popcount %0, %w : !bnn.packed<4x64>, !bnn.packed<8x64> -> tensor<4x8xi32>
  return
}

// -----

// Slicing every row is the identity.
// CHECK-LABEL: func.func @full_slice
// CHECK-SAME: (%[[P:.*]]: !bnn.packed<8x70>, %[[V:.*]]: !bnn.packed<70>)
// CHECK-NEXT: return %[[P]], %[[V]]
func.func @full_slice(%p: !bnn.packed<8x70>, %v: !bnn.packed<70>) -> (!bnn.packed<8x70>, !bnn.packed<70>) {
  %0 = bnn.slice %p [0] [8] : !bnn.packed<8x70> -> !bnn.packed<8x70>
  %1 = bnn.slice %v [] [] : !bnn.packed<70> -> !bnn.packed<70>
  return %0, %1 : !bnn.packed<8x70>, !bnn.packed<70>
}
