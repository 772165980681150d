// bnn.hamming_topk through bnn-cpu-pipeline and the JIT (which resolves the runtime's
// bnn_ukernel_hamming_topk), serial and threaded: ascending distances, ties by the smaller index,
// and INT32_MAX / -1 past a dynamic N.
// RUN: bnn-run %s --entry=ties --num-threads=1 2>/dev/null | FileCheck %s --check-prefix=TIES
// RUN: bnn-run %s --entry=ties --num-threads=2 2>/dev/null | FileCheck %s --check-prefix=TIES
// RUN: bnn-run %s --entry=short --num-threads=1 2>/dev/null | FileCheck %s --check-prefix=SHORT
// RUN: bnn-run %s --entry=short --num-threads=2 2>/dev/null | FileCheck %s --check-prefix=SHORT
// RUN: bnn-run %s --entry=words --num-threads=1 2>/dev/null | FileCheck %s --check-prefix=WORDS

// Database codes 0b000, 0b001, 0b011, 0b111, 0b001 (K = 3). Query 0b000: distances 0 1 2 3 1;
// query 0b101: 2 1 2 1 1, so the three 1s keep index order 1, 3, 4.
// TIES: result 0: tensor<2x3xi32> [0, 1, 1, 1, 1, 1]
// TIES: result 1: tensor<2x3xi64> [0, 1, 4, 1, 3, 4]
func.func @ties() -> (tensor<2x3xi32>, tensor<2x3xi64>) {
  %q = bnn.constant dense<[[0], [5]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
  %db = bnn.constant dense<[[0], [1], [3], [7], [1]]> : tensor<5x1xi64> -> !bnn.packed<5x3>
  %d, %i = bnn.hamming_topk %q, %db k(3) : !bnn.packed<2x3>, !bnn.packed<5x3> -> tensor<2x3xi32>, tensor<2x3xi64>
  return %d, %i : tensor<2x3xi32>, tensor<2x3xi64>
}

// Rows 1 and 2 of the database (codes 0b001, 0b011) as a dynamic slice: k = 3 > N = 2.
// SHORT: result 0: tensor<2x3xi32> [1, 2, 2147483647, 1, 2, 2147483647]
// SHORT: result 1: tensor<2x3xi64> [0, 1, -1, 0, 1, -1]
func.func @short() -> (tensor<2x3xi32>, tensor<2x3xi64>) {
  %q = bnn.constant dense<[[0], [5]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
  %db = bnn.constant dense<[[0], [1], [3], [7], [1]]> : tensor<5x1xi64> -> !bnn.packed<5x3>
  %n = arith.constant 2 : index
  %s = bnn.slice %db [1] [%n] : !bnn.packed<5x3> -> !bnn.packed<?x3>
  %d, %i = bnn.hamming_topk %q, %s k(3) : !bnn.packed<2x3>, !bnn.packed<?x3> -> tensor<2x3xi32>, tensor<2x3xi64>
  return %d, %i : tensor<2x3xi32>, tensor<2x3xi64>
}

// K = 130 (3 words) from bnn.pack: the query is all +1; database row r is -1 in its first 10*r
// elements, so row r is at distance 10*r; row 3 repeats row 1.
// WORDS: result 0: tensor<1x4xi32> [0, 10, 10, 20]
// WORDS: result 1: tensor<1x4xi64> [0, 1, 3, 2]
func.func @words() -> (tensor<1x4xi32>, tensor<1x4xi64>) {
  %ones = arith.constant dense<1.0> : tensor<1x130xf32>
  %q = bnn.pack %ones : tensor<1x130xf32> -> !bnn.packed<1x130>
  %c = arith.constant dense<1.0> : tensor<4x130xf32>
  %m = arith.constant dense<-1.0> : tensor<1x10xf32>
  %m2 = arith.constant dense<-1.0> : tensor<1x20xf32>
  %r1 = tensor.insert_slice %m into %c[1, 0] [1, 10] [1, 1] : tensor<1x10xf32> into tensor<4x130xf32>
  %r2 = tensor.insert_slice %m2 into %r1[2, 0] [1, 20] [1, 1] : tensor<1x20xf32> into tensor<4x130xf32>
  %r3 = tensor.insert_slice %m into %r2[3, 120] [1, 10] [1, 1] : tensor<1x10xf32> into tensor<4x130xf32>
  %db = bnn.pack %r3 : tensor<4x130xf32> -> !bnn.packed<4x130>
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<1x130>, !bnn.packed<4x130> -> tensor<1x4xi32>, tensor<1x4xi64>
  return %d, %i : tensor<1x4xi32>, tensor<1x4xi64>
}
