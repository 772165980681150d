// An argument type that declares more memory than bnn-run may allocate by default (4 TiB).
func.func @tib(%x: tensor<1048576x1048576xf32>) -> tensor<1048576x1048576xf32> {
  return %x : tensor<1048576x1048576xf32>
}
