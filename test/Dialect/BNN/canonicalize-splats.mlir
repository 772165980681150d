// Splat constants whose declared size is far beyond memory (4e9 rows) verify and fold in time
// and memory independent of that size: a splat folds to a splat, and a fold that would have to
// materialise a non-uniform result is left alone. Before, the verifier and the sign/pack/unpack
// folds expanded splats element by element; the address-space cap (ulimit -v) of the RUN line
// makes that fail at once.
// RUN: %{limit-memory} bnn-opt %s --canonicalize --split-input-file --mlir-disable-threading | FileCheck %s

// CHECK-LABEL: func.func @sign_of_splat
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<-1.000000e+00> : tensor<4000000000x100xf32>
// CHECK-NEXT: return %[[C]]
func.func @sign_of_splat() -> tensor<4000000000x100xf32> {
  %c = arith.constant dense<-2.5> : tensor<4000000000x100xf32>
  %0 = bnn.sign %c : tensor<4000000000x100xf32>
  return %0 : tensor<4000000000x100xf32>
}

// -----

// sign(0) = +1, in any float type.
// CHECK-LABEL: func.func @sign_of_zero_splat_f16
// CHECK-NEXT: arith.constant dense<1.000000e+00> : tensor<4000000000x3xf16>
func.func @sign_of_zero_splat_f16() -> tensor<4000000000x3xf16> {
  %c = arith.constant dense<0.0> : tensor<4000000000x3xf16>
  %0 = bnn.sign %c : tensor<4000000000x3xf16>
  return %0 : tensor<4000000000x3xf16>
}

// -----

// All -1: every word is zero, padding included.
// CHECK-LABEL: func.func @pack_of_negative_splat
// CHECK-NEXT: %[[C:.*]] = bnn.constant dense<0> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x100>
// CHECK-NEXT: return %[[C]]
func.func @pack_of_negative_splat() -> !bnn.packed<4000000000x100> {
  %c = arith.constant dense<-1.0> : tensor<4000000000x100xf32>
  %0 = bnn.pack %c : tensor<4000000000x100xf32> -> !bnn.packed<4000000000x100>
  return %0 : !bnn.packed<4000000000x100>
}

// -----

// All +1 with K a multiple of 64: every word is all ones.
// CHECK-LABEL: func.func @pack_of_positive_splat_whole_words
// CHECK-NEXT: bnn.constant dense<-1> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x128>
func.func @pack_of_positive_splat_whole_words() -> !bnn.packed<4000000000x128> {
  %c = arith.constant dense<true> : tensor<4000000000x128xi1>
  %0 = bnn.pack %c : tensor<4000000000x128xi1> -> !bnn.packed<4000000000x128>
  return %0 : !bnn.packed<4000000000x128>
}

// -----

// All +1 in one word per row: the K = 5 low bits, 0b11111.
// CHECK-LABEL: func.func @pack_of_positive_splat_one_word
// CHECK-NEXT: bnn.constant dense<31> : tensor<4000000000x1xi64> -> !bnn.packed<4000000000x5>
func.func @pack_of_positive_splat_one_word() -> !bnn.packed<4000000000x5> {
  %c = arith.constant dense<3.0> : tensor<4000000000x5xf32>
  %0 = bnn.pack %c : tensor<4000000000x5xf32> -> !bnn.packed<4000000000x5>
  return %0 : !bnn.packed<4000000000x5>
}

// -----

// All +1 with padding: rows are [-1, 0xF], not a splat; 8e9 words are not materialised.
// CHECK-LABEL: func.func @pack_of_positive_splat_with_padding
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[P:.*]] = bnn.pack %[[C]] : tensor<4000000000x68xf32> -> !bnn.packed<4000000000x68>
// CHECK-NEXT: return %[[P]]
func.func @pack_of_positive_splat_with_padding() -> !bnn.packed<4000000000x68> {
  %c = arith.constant dense<1.0> : tensor<4000000000x68xf32>
  %0 = bnn.pack %c : tensor<4000000000x68xf32> -> !bnn.packed<4000000000x68>
  return %0 : !bnn.packed<4000000000x68>
}

// -----

// CHECK-LABEL: func.func @unpack_of_zero_splat
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<-1.000000e+00> : tensor<4000000000x100xf32>
// CHECK-NEXT: return %[[C]]
func.func @unpack_of_zero_splat() -> tensor<4000000000x100xf32> {
  %p = bnn.constant dense<0> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x100>
  %0 = bnn.unpack %p : !bnn.packed<4000000000x100> -> tensor<4000000000x100xf32>
  return %0 : tensor<4000000000x100xf32>
}

// -----

// CHECK-LABEL: func.func @unpack_of_ones_splat
// CHECK-NEXT: arith.constant dense<true> : tensor<4000000000x128xi1>
func.func @unpack_of_ones_splat() -> tensor<4000000000x128xi1> {
  %p = bnn.constant dense<-1> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x128>
  %0 = bnn.unpack %p : !bnn.packed<4000000000x128> -> tensor<4000000000x128xi1>
  return %0 : tensor<4000000000x128xi1>
}

// -----

// One word per row: the used bits decide (0b111 for K = 3 is all +1).
// CHECK-LABEL: func.func @unpack_of_single_word_splat
// CHECK-NEXT: arith.constant dense<1.000000e+00> : tensor<4000000000x3xf32>
func.func @unpack_of_single_word_splat() -> tensor<4000000000x3xf32> {
  %p = bnn.constant dense<7> : tensor<4000000000x1xi64> -> !bnn.packed<4000000000x3>
  %0 = bnn.unpack %p : !bnn.packed<4000000000x3> -> tensor<4000000000x3xf32>
  return %0 : tensor<4000000000x3xf32>
}

// -----

// Mixed bits in every row: the result is not a splat, and 4e11 values are not materialised.
// CHECK-LABEL: func.func @unpack_of_mixed_splat
// CHECK-NEXT: %[[P:.*]] = bnn.constant dense<5> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x128>
// CHECK-NEXT: %[[U:.*]] = bnn.unpack %[[P]]
// CHECK-NEXT: return %[[U]]
func.func @unpack_of_mixed_splat() -> tensor<4000000000x128xf32> {
  %p = bnn.constant dense<5> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x128>
  %0 = bnn.unpack %p : !bnn.packed<4000000000x128> -> tensor<4000000000x128xf32>
  return %0 : tensor<4000000000x128xf32>
}

// -----

// A small non-uniform splat is still materialised.
// CHECK-LABEL: func.func @unpack_of_small_mixed_splat
// CHECK-NEXT: arith.constant dense<{{\[}}[true, false, true, false], [true, false, true, false]]> : tensor<2x4xi1>
func.func @unpack_of_small_mixed_splat() -> tensor<2x4xi1> {
  %p = bnn.constant dense<5> : tensor<2x1xi64> -> !bnn.packed<2x4>
  %0 = bnn.unpack %p : !bnn.packed<2x4> -> tensor<2x4xi1>
  return %0 : tensor<2x4xi1>
}
