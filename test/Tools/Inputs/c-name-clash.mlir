// The wrapper of @memref_2d_f32 would be bnn_memref_2d_f32, the name of the descriptor type of
// its own argument.
func.func @memref_2d_f32(%x: tensor<2x64xf32>) -> !bnn.packed<2x64> {
  %p = bnn.pack %x : tensor<2x64xf32> -> !bnn.packed<2x64>
  return %p : !bnn.packed<2x64>
}
