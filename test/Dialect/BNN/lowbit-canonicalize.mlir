// Constant folds of the low-bit ops, evaluated through the reference library.
// RUN: bnn-opt %s --canonicalize --split-input-file | FileCheck %s

// [+1, 0, -1]: sign 0b001, mask 0b101; -0.0 is 0 and 0.5 is +1 (any float by its ternary value).
// CHECK-LABEL: func.func @pack_ternary_constant
// CHECK-DAG: bnn.ternary_constant dense<{{\[\[\[}}1], [5]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
// CHECK-DAG: bnn.ternary_constant dense<{{\[\[\[}}4], [6]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
// CHECK-NOT: bnn.pack_ternary
func.func @pack_ternary_constant() -> (!bnn.ternary<1x3>, !bnn.ternary<1x3>) {
  %c = arith.constant dense<[[1.0, 0.0, -1.0]]> : tensor<1x3xf32>
  %t = bnn.pack_ternary %c : tensor<1x3xf32> -> !bnn.ternary<1x3>
  %d = arith.constant dense<[[-0.0, -2.0, 0.5]]> : tensor<1x3xf32>
  %u = bnn.pack_ternary %d : tensor<1x3xf32> -> !bnn.ternary<1x3>
  return %t, %u : !bnn.ternary<1x3>, !bnn.ternary<1x3>
}

// -----

// CHECK-LABEL: func.func @unpack_ternary_constant
// CHECK: arith.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00, -1.000000e+00]]> : tensor<1x3xf32>
// CHECK-NOT: bnn.unpack_ternary
func.func @unpack_ternary_constant() -> tensor<1x3xf32> {
  %c = bnn.ternary_constant dense<[[[1], [5]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
  %u = bnn.unpack_ternary %c : !bnn.ternary<1x3> -> tensor<1x3xf32>
  return %u : tensor<1x3xf32>
}

// -----

// gamma = mean |w| = 2; w / gamma = [0.5, 1.5] rounds half to even to [0, 2], clipped to [0, 1].
// CHECK-LABEL: func.func @absmean_constant
// CHECK-DAG: bnn.ternary_constant dense<2> : tensor<1x2x1xi64> -> !bnn.ternary<1x2>
// CHECK-DAG: arith.constant dense<2.000000e+00> : tensor<1xf32>
// CHECK-NOT: bnn.quantize_absmean
func.func @absmean_constant() -> (!bnn.ternary<1x2>, tensor<1xf32>) {
  %w = arith.constant dense<[[1.0, 3.0]]> : tensor<1x2xf32>
  %q, %s = bnn.quantize_absmean per_tensor %w {eps = 0.0 : f32} : tensor<1x2xf32> -> !bnn.ternary<1x2>, tensor<1xf32>
  return %q, %s : !bnn.ternary<1x2>, tensor<1xf32>
}

// -----

// Per channel: row 0 as above; row 1 = [-4, 0]: gamma 2, q = [-1, 0] (sign 0, mask 0b01).
// CHECK-LABEL: func.func @absmean_per_channel
// CHECK-DAG: bnn.ternary_constant dense<{{\[\[\[}}2], [2]], {{\[\[}}0], [1]]]> : tensor<2x2x1xi64> -> !bnn.ternary<2x2>
// CHECK-DAG: arith.constant dense<2.000000e+00> : tensor<2xf32>
func.func @absmean_per_channel() -> (!bnn.ternary<2x2>, tensor<2xf32>) {
  %w = arith.constant dense<[[1.0, 3.0], [-4.0, 0.0]]> : tensor<2x2xf32>
  %q, %s = bnn.quantize_absmean per_channel %w {eps = 0.0 : f32} : tensor<2x2xf32> -> !bnn.ternary<2x2>, tensor<2xf32>
  return %q, %s : !bnn.ternary<2x2>, tensor<2xf32>
}

// -----

// mean |w| = 0.375, delta = 0.2625: q = [0, -1, +1, 0] (sign 0b0100, mask 0b0110);
// alpha = mean of the kept |w| = (0.9 + 0.5) / 2.
// CHECK-LABEL: func.func @threshold_constant
// CHECK-DAG: bnn.ternary_constant dense<{{\[\[\[}}4], [6]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x4>
// CHECK-DAG: arith.constant dense<0.699999988> : tensor<1xf32>
// CHECK-NOT: bnn.quantize_threshold
func.func @threshold_constant() -> (!bnn.ternary<1x4>, tensor<1xf32>) {
  %w = arith.constant dense<[[0.1, -0.9, 0.5, 0.0]]> : tensor<1x4xf32>
  %q, %s = bnn.quantize_threshold per_tensor %w : tensor<1x4xf32> -> !bnn.ternary<1x4>, tensor<1xf32>
  return %q, %s : !bnn.ternary<1x4>, tensor<1xf32>
}

// -----

// max |x| = 1, s = 127: [63.5, -127, 31.75, 0] rounds (ties to even) to [64, -127, 32, 0];
// the scale is 1 / 127.
// CHECK-LABEL: func.func @absmax_constant
// CHECK-DAG: arith.constant dense<{{\[\[}}64, -127, 32, 0]]> : tensor<1x4xi8>
// CHECK-DAG: arith.constant dense<0.00787401571> : tensor<1xf32>
// CHECK-NOT: bnn.quantize_absmax
func.func @absmax_constant() -> (tensor<1x4xi8>, tensor<1xf32>) {
  %x = arith.constant dense<[[0.5, -1.0, 0.25, 0.0]]> : tensor<1x4xf32>
  %q, %s = bnn.quantize_absmax %x : tensor<1x4xf32> -> tensor<1x4xi8>, tensor<1xf32>
  return %q, %s : tensor<1x4xi8>, tensor<1xf32>
}

// -----

// More than 2^22 elements: left to run, not materialised at compile time.
// CHECK-LABEL: func.func @huge_constants_stay
// CHECK: bnn.pack_ternary
// CHECK: bnn.quantize_absmean
// CHECK: bnn.quantize_absmax
func.func @huge_constants_stay() -> (!bnn.ternary<4096x1025>, !bnn.ternary<4096x1025>, tensor<1xf32>, tensor<4096x1025xi8>, tensor<4096xf32>) {
  %c = arith.constant dense<1.0> : tensor<4096x1025xf32>
  %t = bnn.pack_ternary %c : tensor<4096x1025xf32> -> !bnn.ternary<4096x1025>
  %q, %s = bnn.quantize_absmean per_tensor %c : tensor<4096x1025xf32> -> !bnn.ternary<4096x1025>, tensor<1xf32>
  %x, %r = bnn.quantize_absmax %c : tensor<4096x1025xf32> -> tensor<4096x1025xi8>, tensor<4096xf32>
  return %t, %q, %s, %x, %r : !bnn.ternary<4096x1025>, !bnn.ternary<4096x1025>, tensor<1xf32>, tensor<4096x1025xi8>, tensor<4096xf32>
}
