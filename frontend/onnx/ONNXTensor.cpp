//===- ONNXTensor.cpp - public entry points for ONNX host tensors ---------===//

#include "bnn/Frontend/ONNXTensor.h"

#include "onnx/ImporterImpl.h"

namespace bnn::frontend {

std::optional<ONNXTensor> parseONNXTensor(llvm::StringRef serialized, std::string &name,
                                          std::string &error) {
  onnx::TensorProto proto;
  // protobuf takes the size as an int.
  if (serialized.size() > static_cast<size_t>(INT32_MAX) ||
      !proto.ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    error = "not a serialized onnx.TensorProto";
    return std::nullopt;
  }
  name = proto.name();
  return onnximpl::readTensorProto(proto, error);
}

const char *getONNXDataTypeName(int32_t dataType) { return onnximpl::dataTypeName(dataType); }

} // namespace bnn::frontend
