// RUN: %{limit-memory} bnn-opt %s --bnn-pack-constants --split-input-file --mlir-disable-threading | FileCheck %s
// RUN: %{limit-memory} bnn-opt %s --bnn-pack-constants=inline-limit=0 --split-input-file --mlir-disable-threading | FileCheck %s --check-prefix=BLOB

// Small packed constants stay inline: [+1, -1, +1] -> 0b101 = 5; [-1, -1, 0] -> 0b100 = 4.
// The float constant is gone once its only user is packed.
// CHECK-LABEL: func.func @inline
// CHECK-NEXT: %[[C:.*]] = bnn.constant dense<{{\[}}[5], [4]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
// CHECK-NEXT: return %[[C]]
// BLOB-LABEL: func.func @inline
// BLOB-NEXT: bnn.constant dense_resource<bnn_packed_0> : tensor<2x1xi64> -> !bnn.packed<2x3>
// BLOB: bnn_packed_0: "0x0800000005000000000000000400000000000000"
func.func @inline() -> !bnn.packed<2x3> {
  %w = arith.constant dense<[[1.0, -1.0, 2.0], [-1.0, -3.0, 0.0]]> : tensor<2x3xf32>
  %p = bnn.pack %w : tensor<2x3xf32> -> !bnn.packed<2x3>
  return %p : !bnn.packed<2x3>
}

// -----

// Weights given as a blob (as the ONNX importer keeps initializers): 4 floats, +1 -1 -1 +1 -> 0b1001.
// CHECK-LABEL: func.func @resource
// CHECK-NEXT: bnn.constant dense<9> : tensor<1x1xi64> -> !bnn.packed<1x4>
func.func @resource() -> !bnn.packed<1x4> {
  %w = arith.constant dense_resource<weights> : tensor<1x4xf32>
  %p = bnn.pack %w : tensor<1x4xf32> -> !bnn.packed<1x4>
  return %p : !bnn.packed<1x4>
}

{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F000080BF000000C00000A040"
    }
  }
#-}


// -----

// A splat packs without being expanded (4e9 rows): all -1 is a splat of zero words, inline even
// below inline-limit, since a splat prints as one word.
// CHECK-LABEL: func.func @splat
// CHECK-NEXT: %[[C:.*]] = bnn.constant dense<0> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x100>
// CHECK-NEXT: return %[[C]]
// BLOB-LABEL: func.func @splat
// BLOB-NEXT: bnn.constant dense<0> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x100>
func.func @splat() -> !bnn.packed<4000000000x100> {
  %w = arith.constant dense<-0.5> : tensor<4000000000x100xf32>
  %p = bnn.pack %w : tensor<4000000000x100xf32> -> !bnn.packed<4000000000x100>
  return %p : !bnn.packed<4000000000x100>
}

// -----

// A splat whose rows are not one repeated word is materialised row by row: [-1, 0x3F] for K = 70.
// CHECK-LABEL: func.func @splat_rows
// CHECK-NEXT: bnn.constant dense<{{\[}}[-1, 63], [-1, 63]]> : tensor<2x2xi64> -> !bnn.packed<2x70>
func.func @splat_rows() -> !bnn.packed<2x70> {
  %w = arith.constant dense<2.0> : tensor<2x70xf32>
  %p = bnn.pack %w : tensor<2x70xf32> -> !bnn.packed<2x70>
  return %p : !bnn.packed<2x70>
}
