// A public function whose name, written into a C header, would inject C code.
func.func @"f(){}int x;"(%x: tensor<2x64xf32>) -> !bnn.packed<2x64> {
  %p = bnn.pack %x : tensor<2x64xf32> -> !bnn.packed<2x64>
  return %p : !bnn.packed<2x64>
}
