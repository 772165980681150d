func.func @gemm(%a: !bnn.packed<256x1024>, %b: !bnn.packed<1024x1024>) -> tensor<256x1024xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<256x1024>, !bnn.packed<1024x1024> -> tensor<256x1024xi32>
  return %c : tensor<256x1024xi32>
}
