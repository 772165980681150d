// Small arguments and result, a 128 GB intermediate: the xnor_popcount of a splat constant of
// 4e9 rows, of which 2 rows are kept. The JIT's malloc of the intermediate failed and the
// compiled code wrote through the null pointer (a segfault in bnn-run).
func.func @intermediate(%w: tensor<8x128xf32>) -> tensor<2x8xi32> {
  %c = bnn.constant dense<-1> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x128>
  %pw = bnn.pack %w : tensor<8x128xf32> -> !bnn.packed<8x128>
  %y = bnn.xnor_popcount %c, %pw : !bnn.packed<4000000000x128>, !bnn.packed<8x128> -> tensor<4000000000x8xi32>
  %r = tensor.extract_slice %y[0, 0] [2, 8] [1, 1] : tensor<4000000000x8xi32> to tensor<2x8xi32>
  return %r : tensor<2x8xi32>
}
