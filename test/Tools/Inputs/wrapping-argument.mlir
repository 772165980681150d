// An argument of 2^64 elements of 4 bytes: the element count wrapped to a 0-byte buffer.
func.func @wraps(%x: tensor<4294967296x4294967296xf32>) -> tensor<4294967296x4294967296xf32> {
  return %x : tensor<4294967296x4294967296xf32>
}
