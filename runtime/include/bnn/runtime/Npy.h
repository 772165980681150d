//===- Npy.h - A strict reader and writer of NumPy .npy arrays -*- C++ -*-===//
//
// The subset of the .npy format (NumPy's format.py, versions 1.0, 2.0 and 3.0) that bnn's tools
// exchange with Python: little-endian float32 / float64 / int32 / int64 / uint64 arrays in C
// order. Everything else (big-endian or other dtypes, fortran_order True, object arrays,
// malformed headers, a byte count that disagrees with the shape) is rejected with a message
// naming what was expected and what was found; no byte past the buffer is ever read. Sizes
// derived from the header are overflow-checked (bnn/runtime/Checked.h).
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_NPY_H
#define BNN_RUNTIME_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bnn::npy {

/// The element types accepted, spelled in .npy headers as '<f4', '<f8', '<i4', '<i8', '<u8'.
enum class DType { Float32, Float64, Int32, Int64, UInt64 };

/// '<f4' and so on.
const char *dtypeDescr(DType dtype);
/// 4 or 8.
int64_t dtypeSize(DType dtype);

/// A parsed array: its element type, shape (C order) and its data bytes (little-endian,
/// exactly product(shape) * dtypeSize(dtype) of them).
struct Array {
  int majorVersion = 0; // 1, 2 or 3
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
  /// Element i as a double (float and int types; int64 values beyond 2^53 round).
  double elementAsDouble(int64_t i) const;
  /// Element i of an integer array as int64 (uint64 values above INT64_MAX are not
  /// representable: the caller checks dtype).
  int64_t elementAsInt64(int64_t i) const;
};

/// Limits a reader enforces before it allocates anything.
struct Limits {
  /// The header dictionary's length (NumPy's own reader refuses more than 10000 bytes).
  uint64_t maxHeaderBytes = 65536;
  /// Dimensions of the shape tuple.
  int maxRank = 8;
};

/// Parses the .npy file held in `size` bytes at `bytes`. On failure returns false and sets
/// `error` (without a file name: the caller prefixes one).
bool parse(const uint8_t *bytes, size_t size, Array &out, std::string &error,
           const Limits &limits = Limits());

/// Reads and parses the file at `path`; messages start with the path.
bool load(const std::string &path, Array &out, std::string &error, const Limits &limits = Limits());

/// The bytes of a version 1.0 .npy file holding `data` (C order, little-endian) of `shape`;
/// the header is padded to a multiple of 64 bytes as NumPy writes it.
std::vector<uint8_t> serialize(DType dtype, const std::vector<int64_t> &shape, const void *data,
                               size_t dataBytes);

/// Writes serialize(...) to `path`; false and `error` on failure.
bool save(const std::string &path, DType dtype, const std::vector<int64_t> &shape, const void *data,
          size_t dataBytes, std::string &error);

} // namespace bnn::npy

#endif // BNN_RUNTIME_NPY_H
