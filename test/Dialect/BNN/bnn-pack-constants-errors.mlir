// RUN: %{limit-memory} bnn-opt %s --bnn-pack-constants=max-bytes=1024 --split-input-file --verify-diagnostics --mlir-disable-threading -o /dev/null
// RUN: not bnn-opt %s --bnn-pack-constants=max-bytes=-1 2>&1 >/dev/null | FileCheck %s --check-prefix=OPTION

// An elided blob cannot be packed: a diagnostic, not a crash.
func.func @elided() -> !bnn.packed<1x4> {
  %w = arith.constant dense_resource<__elided__> : tensor<1x4xf32>
  // expected-error @+1 {{bnn-pack-constants: cannot read the constant's values (only dense elements and f32/i1 dense_resource blobs are supported)}}
  %p = bnn.pack %w : tensor<1x4xf32> -> !bnn.packed<1x4>
  return %p : !bnn.packed<1x4>
}

// -----

// A splat of +1 with padding packs to rows [-1, 0xF] that are not a splat: 4e9 rows would be
// 64 GB of words, more than max-bytes. The pass says so instead of allocating them.
func.func @splat_too_large() -> !bnn.packed<4000000000x68> {
  %w = arith.constant dense<1.0> : tensor<4000000000x68xf32>
  // expected-error @+1 {{bnn-pack-constants: the packed constant would materialise 8000000000 words (64000000000 bytes), more than the limit of 128 words (max-bytes = 1024)}}
  %p = bnn.pack %w : tensor<4000000000x68xf32> -> !bnn.packed<4000000000x68>
  return %p : !bnn.packed<4000000000x68>
}

// -----

// Splats whose words are all equal pack to a splat whatever their size (no diagnostic).
func.func @splats_pack_to_splats() -> (!bnn.packed<4000000000x68>, !bnn.packed<4000000000x128>) {
  %n = arith.constant dense<-1.0> : tensor<4000000000x68xf32>
  %a = bnn.pack %n : tensor<4000000000x68xf32> -> !bnn.packed<4000000000x68>
  %p = arith.constant dense<true> : tensor<4000000000x128xi1>
  %b = bnn.pack %p : tensor<4000000000x128xi1> -> !bnn.packed<4000000000x128>
  return %a, %b : !bnn.packed<4000000000x68>, !bnn.packed<4000000000x128>
}

// OPTION: error: bnn-pack-constants: max-bytes=-1: expected a size in bytes >= 0
