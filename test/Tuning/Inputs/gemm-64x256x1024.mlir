func.func @gemm(%a: !bnn.packed<64x1024>, %b: !bnn.packed<256x1024>) -> tensor<64x256xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<64x1024>, !bnn.packed<256x1024> -> tensor<64x256xi32>
  return %c : tensor<64x256xi32>
}
