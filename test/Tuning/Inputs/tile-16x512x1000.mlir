func.func @gemm(%a: !bnn.packed<16x1000>, %b: !bnn.packed<512x1000>) -> tensor<16x512xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<16x1000>, !bnn.packed<512x1000> -> tensor<16x512xi32>
  return %c : tensor<16x512xi32>
}
