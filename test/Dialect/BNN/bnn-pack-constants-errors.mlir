// RUN: bnn-opt %s --bnn-pack-constants --verify-diagnostics -o /dev/null

// An elided blob cannot be packed: a diagnostic, not a crash.
func.func @elided() -> !bnn.packed<1x4> {
  %w = arith.constant dense_resource<__elided__> : tensor<1x4xf32>
  // expected-error @+1 {{bnn-pack-constants: cannot read the constant's values (only dense elements and f32/i1 dense_resource blobs are supported)}}
  %p = bnn.pack %w : tensor<1x4xf32> -> !bnn.packed<1x4>
  return %p : !bnn.packed<1x4>
}
