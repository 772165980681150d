// Round trip of the low-bit type and ops: custom form, then through the generic form.
// RUN: bnn-opt %s | bnn-opt | FileCheck %s
// RUN: bnn-opt %s --mlir-print-op-generic | bnn-opt | FileCheck %s

// CHECK-LABEL: func.func private @ternary_type
// CHECK-SAME: (!bnn.ternary<64x100>, !bnn.ternary<?x3x4096>)
func.func private @ternary_type(%a: !bnn.ternary<64x100>, %b: !bnn.ternary<?x3x4096>)

// CHECK-LABEL: func.func @pack_unpack_ternary
// CHECK: %[[T:.*]] = bnn.pack_ternary %{{.*}} : tensor<4x100xf32> -> !bnn.ternary<4x100>
// CHECK: bnn.unpack_ternary %[[T]] : !bnn.ternary<4x100> -> tensor<4x100xf16>
// CHECK: bnn.ternary_constant dense<{{\[\[\[}}1], [5]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
func.func @pack_unpack_ternary(%x: tensor<4x100xf32>) -> (tensor<4x100xf16>, !bnn.ternary<1x3>) {
  %t = bnn.pack_ternary %x : tensor<4x100xf32> -> !bnn.ternary<4x100>
  %u = bnn.unpack_ternary %t : !bnn.ternary<4x100> -> tensor<4x100xf16>
  %c = bnn.ternary_constant dense<[[[1], [5]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
  return %u, %c : tensor<4x100xf16>, !bnn.ternary<1x3>
}

// CHECK-LABEL: func.func @quantizers
// CHECK: bnn.quantize_absmean per_tensor %{{.*}} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<1xf32>
// CHECK: bnn.quantize_absmean per_channel %{{.*}} {eps = 0.000000e+00 : f32} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<64xf32>
// CHECK: bnn.quantize_threshold per_channel %{{.*}} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<64xf32>
// CHECK: bnn.quantize_threshold per_tensor %{{.*}} {ratio = 5.000000e-01 : f32} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<1xf32>
// CHECK: bnn.quantize_absmax %{{.*}} : tensor<2x8x256xf32> -> tensor<2x8x256xi8>, tensor<2x8xf32>
// CHECK: bnn.quantize_absmax %{{.*}} {eps = 1.000000e-03 : f32} : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?xf32>
func.func @quantizers(%w: tensor<64x256xf32>, %x: tensor<2x8x256xf32>, %d: tensor<?x256xf32>) {
  %q0, %s0 = bnn.quantize_absmean per_tensor %w : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<1xf32>
  %q1, %s1 = bnn.quantize_absmean per_channel %w {eps = 0.0 : f32} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<64xf32>
  %q2, %s2 = bnn.quantize_threshold per_channel %w : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<64xf32>
  %q3, %s3 = bnn.quantize_threshold per_tensor %w {ratio = 0.5 : f32} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<1xf32>
  %q4, %s4 = bnn.quantize_absmax %x : tensor<2x8x256xf32> -> tensor<2x8x256xi8>, tensor<2x8xf32>
  %q5, %s5 = bnn.quantize_absmax %d {eps = 1.0e-3 : f32} : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?xf32>
  return
}

// CHECK-LABEL: func.func @lowbit_matmul
// CHECK: bnn.lowbit_matmul %{{.*}}, %{{.*}} : !bnn.packed<8x100>, !bnn.ternary<64x100> -> tensor<8x64xi32>
// CHECK: bnn.lowbit_matmul %{{.*}}, %{{.*}} : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x64xi32>
// CHECK: bnn.lowbit_matmul %{{.*}}, %{{.*}} : tensor<2x?x100xi8>, !bnn.packed<64x100> -> tensor<2x?x64xi32>
// CHECK: bnn.lowbit_matmul %{{.*}}, %{{.*}} : tensor<100xi8>, !bnn.ternary<64x100> -> tensor<64xi32>
func.func @lowbit_matmul(%a: !bnn.packed<8x100>, %x: tensor<8x100xi8>, %d: tensor<2x?x100xi8>,
                         %v: tensor<100xi8>, %t: !bnn.ternary<64x100>, %b: !bnn.packed<64x100>) {
  %0 = bnn.lowbit_matmul %a, %t : !bnn.packed<8x100>, !bnn.ternary<64x100> -> tensor<8x64xi32>
  %1 = bnn.lowbit_matmul %x, %t : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x64xi32>
  %2 = bnn.lowbit_matmul %d, %b : tensor<2x?x100xi8>, !bnn.packed<64x100> -> tensor<2x?x64xi32>
  %3 = bnn.lowbit_matmul %v, %t : tensor<100xi8>, !bnn.ternary<64x100> -> tensor<64xi32>
  return
}

// CHECK-LABEL: func.func @lowbit_linear
// CHECK: bnn.lowbit_linear %{{.*}}, %{{.*}} weight_scale(%{{.*}} : tensor<1xf32>) row_scale(%{{.*}} : tensor<8xf32>) : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x64xf32>
// CHECK: bnn.lowbit_linear %{{.*}}, %{{.*}} weight_scale(%{{.*}} : tensor<64xf32>) bias(%{{.*}} : tensor<64xf32>) activation(relu) : !bnn.packed<8x100>, !bnn.ternary<64x100> -> tensor<8x64xf32>
// CHECK: bnn.lowbit_linear %{{.*}}, %{{.*}} : tensor<8x100xi8>, !bnn.packed<64x100> -> tensor<8x64xf32>
func.func @lowbit_linear(%a: !bnn.packed<8x100>, %x: tensor<8x100xi8>, %t: !bnn.ternary<64x100>,
                         %b: !bnn.packed<64x100>, %g: tensor<1xf32>, %s: tensor<8xf32>,
                         %c: tensor<64xf32>) {
  %0 = bnn.lowbit_linear %x, %t weight_scale(%g : tensor<1xf32>) row_scale(%s : tensor<8xf32>) : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x64xf32>
  %1 = bnn.lowbit_linear %a, %t weight_scale(%c : tensor<64xf32>) bias(%c : tensor<64xf32>) activation(relu) : !bnn.packed<8x100>, !bnn.ternary<64x100> -> tensor<8x64xf32>
  %2 = bnn.lowbit_linear %x, %b : tensor<8x100xi8>, !bnn.packed<64x100> -> tensor<8x64xf32>
  return
}
