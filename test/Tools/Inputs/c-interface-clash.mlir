// @f's C interface is the symbol _mlir_ciface_f, which the module already declares.
func.func private @_mlir_ciface_f()
func.func @f(%x: tensor<2x64xf32>) -> !bnn.packed<2x64> {
  %p = bnn.pack %x : tensor<2x64xf32> -> !bnn.packed<2x64>
  return %p : !bnn.packed<2x64>
}
