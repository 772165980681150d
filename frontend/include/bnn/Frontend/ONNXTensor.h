//===- ONNXTensor.h - ONNX tensors in host memory ---------------*- C++ -*-===//
//
// The importer's host-side tensor (initializers, Constant nodes, shape computations), public so
// that tools that compare against ONNX data (bnn-onnx-conformance) read TensorProtos exactly as
// the importer does. Like ONNXImporter.h it exposes no ONNX or protobuf type and no exception.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_ONNXTENSOR_H
#define BNN_FRONTEND_ONNXTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bnn::frontend {

struct ONNXTensor {
  /// An onnx::TensorProto::DataType value.
  int32_t dataType = 0;
  std::vector<int64_t> shape;
  /// Little-endian element bytes, row-major; bool is one byte per element.
  std::vector<char> bytes;

  int64_t size() const;
  double getDouble(int64_t index) const;
  int64_t getInt(int64_t index) const;
  std::vector<int64_t> toInts() const;
  std::vector<double> toDoubles() const;
  bool isSplat() const;

  static ONNXTensor fromInts(int32_t dataType, std::vector<int64_t> shape,
                             llvm::ArrayRef<int64_t> values);
};

/// Reads a serialized onnx.TensorProto (raw_data or typed fields), checking that its element
/// count matches its dims. Sets `name` to the proto's name. On failure returns nullopt and sets
/// `error`.
std::optional<ONNXTensor> parseONNXTensor(llvm::StringRef serialized, std::string &name,
                                          std::string &error);

/// An onnx::TensorProto::DataType value spelled as ONNX does in its docs ("FLOAT", "INT64").
const char *getONNXDataTypeName(int32_t dataType);

} // namespace bnn::frontend

#endif // BNN_FRONTEND_ONNXTENSOR_H
