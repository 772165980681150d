// Round trip of every bnn op and type: custom form, then through the generic form.
// RUN: bnn-opt %s | bnn-opt | FileCheck %s
// RUN: bnn-opt %s --mlir-print-op-generic | bnn-opt | FileCheck %s
// RUN: bnn-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// CHECK-LABEL: func.func @sign
// CHECK-SAME: (%[[X:.*]]: tensor<4x100xf32>, %[[H:.*]]: tensor<7xf16>)
// CHECK: bnn.sign %[[X]] : tensor<4x100xf32>
// CHECK: bnn.sign %[[H]] : tensor<7xf16>
// GENERIC-LABEL: sym_name = "sign"
// GENERIC: "bnn.sign"(%{{.*}}) : (tensor<4x100xf32>) -> tensor<4x100xf32>
func.func @sign(%x: tensor<4x100xf32>, %h: tensor<7xf16>) -> (tensor<4x100xf32>, tensor<7xf16>) {
  %0 = bnn.sign %x : tensor<4x100xf32>
  %1 = bnn.sign %h : tensor<7xf16>
  return %0, %1 : tensor<4x100xf32>, tensor<7xf16>
}

// CHECK-LABEL: func.func @scaled_sign
// CHECK-SAME: (%[[W:.*]]: tensor<64x256xf32>, %[[A:.*]]: tensor<f32>, %[[C:.*]]: tensor<64xf32>, %[[A1:.*]]: tensor<1xf32>)
// CHECK: bnn.scaled_sign per_channel %[[W]] : tensor<64x256xf32>
// CHECK: bnn.scaled_sign per_tensor %[[W]] : tensor<64x256xf32>
// CHECK: bnn.scaled_sign per_tensor %[[W]] alpha(%[[A]] : tensor<f32>) : tensor<64x256xf32>
// CHECK: bnn.scaled_sign per_tensor %[[W]] alpha(%[[A1]] : tensor<1xf32>) : tensor<64x256xf32>
// CHECK: bnn.scaled_sign per_channel %[[W]] alpha(%[[C]] : tensor<64xf32>) : tensor<64x256xf32>
// GENERIC: "bnn.scaled_sign"(%{{.*}}) <{granularity = 1 : i32}> : (tensor<64x256xf32>) -> tensor<64x256xf32>
func.func @scaled_sign(%w: tensor<64x256xf32>, %a: tensor<f32>, %c: tensor<64xf32>, %a1: tensor<1xf32>)
    -> (tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>) {
  %0 = bnn.scaled_sign per_channel %w : tensor<64x256xf32>
  %1 = bnn.scaled_sign per_tensor %w : tensor<64x256xf32>
  %2 = bnn.scaled_sign per_tensor %w alpha(%a : tensor<f32>) : tensor<64x256xf32>
  %3 = bnn.scaled_sign per_tensor %w alpha(%a1 : tensor<1xf32>) : tensor<64x256xf32>
  %4 = bnn.scaled_sign per_channel %w alpha(%c : tensor<64xf32>) : tensor<64x256xf32>
  return %0, %1, %2, %3, %4 : tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>
}

// The default clip and grad_scale (1.0) are not printed.
// CHECK-LABEL: func.func @ste
// CHECK: bnn.ste %{{.*}} : tensor<16x256xf32>
// CHECK: bnn.ste %{{.*}} {clip = 2.500000e+00 : f32, grad_scale = 5.000000e-01 : f32} : tensor<16x256xf32>
// CHECK: bnn.ste %{{.*}} {clip = 0x7F800000 : f32} : tensor<16x256xf32>
// GENERIC: "bnn.ste"(%{{.*}}) <{clip = 2.500000e+00 : f32, grad_scale = 5.000000e-01 : f32}>
func.func @ste(%x: tensor<16x256xf32>) -> (tensor<16x256xf32>, tensor<16x256xf32>, tensor<16x256xf32>) {
  %0 = bnn.ste %x : tensor<16x256xf32>
  %1 = bnn.ste %x {clip = 2.5 : f32, grad_scale = 0.5 : f32} : tensor<16x256xf32>
  %2 = bnn.ste %x {clip = 0x7F800000 : f32} : tensor<16x256xf32>
  return %0, %1, %2 : tensor<16x256xf32>, tensor<16x256xf32>, tensor<16x256xf32>
}

// CHECK-LABEL: func.func @pack_unpack
// CHECK: %[[P:.*]] = bnn.pack %{{.*}} : tensor<4x100xf32> -> !bnn.packed<4x100>
// CHECK: %[[Q:.*]] = bnn.pack %{{.*}} : tensor<2x3x65xi1> -> !bnn.packed<2x3x65>
// CHECK: %[[V:.*]] = bnn.pack %{{.*}} : tensor<1xbf16> -> !bnn.packed<1>
// CHECK: bnn.unpack %[[P]] : !bnn.packed<4x100> -> tensor<4x100xf32>
// CHECK: bnn.unpack %[[Q]] : !bnn.packed<2x3x65> -> tensor<2x3x65xi1>
// CHECK: bnn.unpack %[[P]] : !bnn.packed<4x100> -> tensor<4x100xf16>
// GENERIC: "bnn.pack"(%{{.*}}) : (tensor<4x100xf32>) -> !bnn.packed<4x100>
// GENERIC: "bnn.unpack"(%{{.*}}) : (!bnn.packed<4x100>) -> tensor<4x100xf32>
func.func @pack_unpack(%x: tensor<4x100xf32>, %b: tensor<2x3x65xi1>, %s: tensor<1xbf16>)
    -> (tensor<4x100xf32>, tensor<2x3x65xi1>, tensor<4x100xf16>, !bnn.packed<1>) {
  %p = bnn.pack %x : tensor<4x100xf32> -> !bnn.packed<4x100>
  %q = bnn.pack %b : tensor<2x3x65xi1> -> !bnn.packed<2x3x65>
  %v = bnn.pack %s : tensor<1xbf16> -> !bnn.packed<1>
  %0 = bnn.unpack %p : !bnn.packed<4x100> -> tensor<4x100xf32>
  %1 = bnn.unpack %q : !bnn.packed<2x3x65> -> tensor<2x3x65xi1>
  %2 = bnn.unpack %p : !bnn.packed<4x100> -> tensor<4x100xf16>
  return %0, %1, %2, %v : tensor<4x100xf32>, tensor<2x3x65xi1>, tensor<4x100xf16>, !bnn.packed<1>
}

// CHECK-LABEL: func.func @constant
// CHECK: bnn.constant dense<{{\[}}[5], [4]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
// CHECK: bnn.constant dense<-1> : tensor<3x2xi64> -> !bnn.packed<3x128>
// GENERIC: "bnn.constant"() <{value = dense<{{\[}}[5], [4]]> : tensor<2x1xi64>}> : () -> !bnn.packed<2x3>
func.func @constant() -> (!bnn.packed<2x3>, !bnn.packed<3x128>) {
  %0 = bnn.constant dense<[[5], [4]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
  %1 = bnn.constant dense<-1> : tensor<3x2xi64> -> !bnn.packed<3x128>
  return %0, %1 : !bnn.packed<2x3>, !bnn.packed<3x128>
}

// CHECK-LABEL: func.func @xnor_popcount
// CHECK-SAME: (%[[A:.*]]: !bnn.packed<8x1000>, %[[W:.*]]: !bnn.packed<64x1000>, %[[V:.*]]: !bnn.packed<1000>, %[[B:.*]]: !bnn.packed<2x5x1000>)
// CHECK: bnn.xnor_popcount %[[A]], %[[W]] : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xi32>
// CHECK: bnn.xnor_popcount %[[V]], %[[W]] : !bnn.packed<1000>, !bnn.packed<64x1000> -> tensor<64xi32>
// CHECK: bnn.xnor_popcount %[[B]], %[[W]] : !bnn.packed<2x5x1000>, !bnn.packed<64x1000> -> tensor<2x5x64xi32>
// GENERIC: "bnn.xnor_popcount"(%{{.*}}, %{{.*}}) : (!bnn.packed<8x1000>, !bnn.packed<64x1000>) -> tensor<8x64xi32>
func.func @xnor_popcount(%a: !bnn.packed<8x1000>, %w: !bnn.packed<64x1000>, %v: !bnn.packed<1000>,
                         %b: !bnn.packed<2x5x1000>) -> (tensor<8x64xi32>, tensor<64xi32>, tensor<2x5x64xi32>) {
  %0 = bnn.xnor_popcount %a, %w : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xi32>
  %1 = bnn.xnor_popcount %v, %w : !bnn.packed<1000>, !bnn.packed<64x1000> -> tensor<64xi32>
  %2 = bnn.xnor_popcount %b, %w : !bnn.packed<2x5x1000>, !bnn.packed<64x1000> -> tensor<2x5x64xi32>
  return %0, %1, %2 : tensor<8x64xi32>, tensor<64xi32>, tensor<2x5x64xi32>
}

// CHECK-LABEL: func.func @dynamic_rows
// CHECK: bnn.pack %{{.*}} : tensor<?x100xf32> -> !bnn.packed<?x100>
// CHECK: bnn.xnor_popcount %{{.*}}, %{{.*}} : !bnn.packed<?x100>, !bnn.packed<8x100> -> tensor<?x8xi32>
func.func @dynamic_rows(%x: tensor<?x100xf32>, %w: !bnn.packed<8x100>) -> tensor<?x8xi32> {
  %p = bnn.pack %x : tensor<?x100xf32> -> !bnn.packed<?x100>
  %y = bnn.xnor_popcount %p, %w : !bnn.packed<?x100>, !bnn.packed<8x100> -> tensor<?x8xi32>
  return %y : tensor<?x8xi32>
}

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[P:.*]]: !bnn.packed<100x3x1000>, %[[I:.*]]: index, %[[S:.*]]: index)
// CHECK: bnn.slice %[[P]] [%[[I]], 1] [%[[S]], 2] : !bnn.packed<100x3x1000> -> !bnn.packed<?x2x1000>
// CHECK: bnn.slice %[[P]] [0, 0] [64, 3] : !bnn.packed<100x3x1000> -> !bnn.packed<64x3x1000>
// GENERIC: "bnn.slice"(%{{.*}}, %{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 1>, static_offsets = array<i64: -9223372036854775808, 1>, static_sizes = array<i64: -9223372036854775808, 2>}>
func.func @slice(%p: !bnn.packed<100x3x1000>, %i: index, %s: index) -> (!bnn.packed<?x2x1000>, !bnn.packed<64x3x1000>) {
  %0 = bnn.slice %p [%i, 1] [%s, 2] : !bnn.packed<100x3x1000> -> !bnn.packed<?x2x1000>
  %1 = bnn.slice %p [0, 0] [64, 3] : !bnn.packed<100x3x1000> -> !bnn.packed<64x3x1000>
  return %0, %1 : !bnn.packed<?x2x1000>, !bnn.packed<64x3x1000>
}

// CHECK-LABEL: func.func @xnor_linear
// CHECK: bnn.xnor_linear %{{.*}}, %{{.*}} : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xf32>
// CHECK: bnn.xnor_linear %{{.*}}, %{{.*}} col_scale(%{{.*}} : tensor<64xf32>) row_scale(%{{.*}} : tensor<8xf32>) bias(%{{.*}} : tensor<64xf32>) activation(relu) : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xf32>
// CHECK: bnn.xnor_linear %{{.*}}, %{{.*}} col_scale(%{{.*}} : tensor<64xf32>) : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> !bnn.packed<8x64>
// GENERIC: "bnn.xnor_linear"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{activation = 1 : i32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}>
func.func @xnor_linear(%a: !bnn.packed<8x1000>, %w: !bnn.packed<64x1000>, %s: tensor<64xf32>, %r: tensor<8xf32>, %b: tensor<64xf32>)
    -> (tensor<8x64xf32>, tensor<8x64xf32>, !bnn.packed<8x64>) {
  %0 = bnn.xnor_linear %a, %w : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xf32>
  %1 = bnn.xnor_linear %a, %w col_scale(%s : tensor<64xf32>) row_scale(%r : tensor<8xf32>) bias(%b : tensor<64xf32>) activation(relu)
         : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xf32>
  %2 = bnn.xnor_linear %a, %w col_scale(%s : tensor<64xf32>) : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> !bnn.packed<8x64>
  return %0, %1, %2 : tensor<8x64xf32>, tensor<8x64xf32>, !bnn.packed<8x64>
}

// CHECK-LABEL: func.func @hamming_topk
// CHECK: %{{.*}}, %{{.*}} = bnn.hamming_topk %{{.*}}, %{{.*}} k(10) : !bnn.packed<8x256>, !bnn.packed<1000x256> -> tensor<8x10xi32>, tensor<8x10xi64>
// CHECK: bnn.hamming_topk %{{.*}}, %{{.*}} k(3) : !bnn.packed<?x100>, !bnn.packed<?x100> -> tensor<?x3xi32>, tensor<?x3xi64>
// GENERIC: "bnn.hamming_topk"(%{{.*}}, %{{.*}}) <{k = 10 : i64}> : (!bnn.packed<8x256>, !bnn.packed<1000x256>) -> (tensor<8x10xi32>, tensor<8x10xi64>)
func.func @hamming_topk(%q: !bnn.packed<8x256>, %db: !bnn.packed<1000x256>, %dq: !bnn.packed<?x100>, %ddb: !bnn.packed<?x100>)
    -> (tensor<8x10xi32>, tensor<8x10xi64>, tensor<?x3xi32>, tensor<?x3xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(10) : !bnn.packed<8x256>, !bnn.packed<1000x256> -> tensor<8x10xi32>, tensor<8x10xi64>
  %dd, %di = bnn.hamming_topk %dq, %ddb k(3) : !bnn.packed<?x100>, !bnn.packed<?x100> -> tensor<?x3xi32>, tensor<?x3xi64>
  return %d, %i, %dd, %di : tensor<8x10xi32>, tensor<8x10xi64>, tensor<?x3xi32>, tensor<?x3xi64>
}
