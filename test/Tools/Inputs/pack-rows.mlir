// A small model for the tool tests: packs 2 rows of 64 floats (512 input bytes, 16 output bytes).
func.func @pack(%x: tensor<2x64xf32>) -> !bnn.packed<2x64> {
  %p = bnn.pack %x : tensor<2x64xf32> -> !bnn.packed<2x64>
  return %p : !bnn.packed<2x64>
}
