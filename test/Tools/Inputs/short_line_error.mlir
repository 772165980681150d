func.func @sign_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = bnn.sign %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}
