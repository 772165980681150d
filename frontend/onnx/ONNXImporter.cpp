//===- ONNXImporter.cpp - ONNX model -> MLIR ------------------------------===//
//
// The boundary to the ONNX library: parsing, onnx::checker, shape inference with data
// propagation. Everything the ONNX library throws is caught here and becomes a diagnostic; this
// file (and the rest of BNNFrontendONNX) is compiled with exceptions enabled for that reason.
//
//===----------------------------------------------------------------------===//

#include "onnx/ImporterImpl.h"

#include "bnn/IR/BNNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/checker.h"
#include "onnx/defs/data_type_utils.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

#include <climits>
#include <map>
#include <cstring>
#include <set>

using namespace mlir;

namespace bnn::frontend {
namespace onnximpl {

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

const char *dataTypeName(int32_t dataType) {
  if (onnx::TensorProto_DataType_IsValid(dataType))
    return onnx::TensorProto_DataType_Name(
               static_cast<onnx::TensorProto_DataType>(dataType))
        .c_str();
  return "<invalid>";
}

Type convertDataType(MLIRContext *ctx, int32_t dataType) {
  Builder b(ctx);
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return b.getI8Type();
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return b.getI16Type();
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return b.getI64Type();
  default:
    return nullptr;
  }
}

int64_t dataTypeSize(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return 1;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  default:
    return 0;
  }
}

bool isFloatDataType(int32_t t) {
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE ||
         t == onnx::TensorProto::FLOAT16 || t == onnx::TensorProto::BFLOAT16;
}
bool isUnsignedDataType(int32_t t) {
  return t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::UINT16 ||
         t == onnx::TensorProto::UINT32 || t == onnx::TensorProto::UINT64;
}
bool isSignedIntDataType(int32_t t) {
  return t == onnx::TensorProto::INT8 || t == onnx::TensorProto::INT16 ||
         t == onnx::TensorProto::INT32 || t == onnx::TensorProto::INT64;
}
bool isBoolDataType(int32_t t) { return t == onnx::TensorProto::BOOL; }

//===----------------------------------------------------------------------===//
// ONNXTensor (HostTensor inside the importer)
//===----------------------------------------------------------------------===//

} // namespace onnximpl

int64_t ONNXTensor::size() const {
  int64_t elementSize = onnximpl::dataTypeSize(dataType);
  return elementSize ? static_cast<int64_t>(bytes.size()) / elementSize : 0;
}

template <typename T>
static T loadAt(const std::vector<char> &bytes, int64_t index) {
  T value;
  std::memcpy(&value, bytes.data() + index * sizeof(T), sizeof(T));
  return value;
}

double ONNXTensor::getDouble(int64_t i) const {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return loadAt<float>(bytes, i);
  case onnx::TensorProto::DOUBLE:
    return loadAt<double>(bytes, i);
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    const llvm::fltSemantics &semantics = dataType == onnx::TensorProto::FLOAT16
                                              ? llvm::APFloat::IEEEhalf()
                                              : llvm::APFloat::BFloat();
    llvm::APFloat value(semantics, llvm::APInt(16, loadAt<uint16_t>(bytes, i)));
    bool losesInfo = false;
    value.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    return value.convertToDouble();
  }
  case onnx::TensorProto::UINT64:
    return static_cast<double>(loadAt<uint64_t>(bytes, i));
  default:
    return static_cast<double>(getInt(i));
  }
}

int64_t ONNXTensor::getInt(int64_t i) const {
  switch (dataType) {
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::UINT8:
    return loadAt<uint8_t>(bytes, i);
  case onnx::TensorProto::INT8:
    return loadAt<int8_t>(bytes, i);
  case onnx::TensorProto::UINT16:
    return loadAt<uint16_t>(bytes, i);
  case onnx::TensorProto::INT16:
    return loadAt<int16_t>(bytes, i);
  case onnx::TensorProto::UINT32:
    return loadAt<uint32_t>(bytes, i);
  case onnx::TensorProto::INT32:
    return loadAt<int32_t>(bytes, i);
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return loadAt<int64_t>(bytes, i);
  default: {
    double value = getDouble(i);
    // Saturate instead of invoking undefined behaviour on out-of-range or NaN values.
    if (!(value == value))
      return 0;
    if (value >= 9.2e18)
      return INT64_MAX;
    if (value <= -9.2e18)
      return INT64_MIN;
    return static_cast<int64_t>(value);
  }
  }
}

std::vector<int64_t> ONNXTensor::toInts() const {
  std::vector<int64_t> result(size());
  for (int64_t i = 0, e = size(); i < e; ++i)
    result[i] = getInt(i);
  return result;
}

std::vector<double> ONNXTensor::toDoubles() const {
  std::vector<double> result(size());
  for (int64_t i = 0, e = size(); i < e; ++i)
    result[i] = getDouble(i);
  return result;
}

bool ONNXTensor::isSplat() const {
  int64_t elementSize = onnximpl::dataTypeSize(dataType);
  for (size_t i = elementSize; i < bytes.size(); ++i)
    if (bytes[i] != bytes[i % elementSize])
      return false;
  return true;
}

ONNXTensor ONNXTensor::fromInts(int32_t dataType, std::vector<int64_t> shape,
                                ArrayRef<int64_t> values) {
  ONNXTensor tensor;
  tensor.dataType = dataType;
  tensor.shape = std::move(shape);
  int64_t elementSize = onnximpl::dataTypeSize(dataType);
  tensor.bytes.resize(values.size() * elementSize);
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t v = values[i];
    // Little-endian truncation to the element width.
    std::memcpy(tensor.bytes.data() + i * elementSize, &v, elementSize);
  }
  return tensor;
}

namespace onnximpl {

std::optional<HostTensor> readTensorProto(const onnx::TensorProto &proto, std::string &error) {
  HostTensor tensor;
  tensor.dataType = proto.data_type();
  int64_t elementSize = dataTypeSize(tensor.dataType);
  if (!elementSize) {
    error = std::string("tensor element type ") + dataTypeName(tensor.dataType) +
            " is not supported";
    return std::nullopt;
  }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "tensors with external data are not supported";
    return std::nullopt;
  }
  for (int64_t dim : proto.dims())
    tensor.shape.push_back(dim);
  std::optional<int64_t> count = numElements(tensor.shape);
  if (!count) {
    error = "tensor has invalid or too large dimensions";
    return std::nullopt;
  }
  auto mismatch = [&](int64_t found) {
    error = "tensor holds " + std::to_string(found) + " values but its dims need " +
            std::to_string(*count);
    return std::nullopt;
  };
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if (static_cast<int64_t>(raw.size()) != *count * elementSize) {
      error = "tensor raw_data has " + std::to_string(raw.size()) + " bytes but its dims need " +
              std::to_string(*count * elementSize);
      return std::nullopt;
    }
    tensor.bytes.assign(raw.begin(), raw.end());
    return tensor;
  }
  // Allocated only once the values are known to be there: dims are the model's word, and
  // resizing to them first turned a 100-byte tensor declaring 2^40 values into a 4 TiB
  // allocation (LLVM ERROR: out of memory).
  auto allocate = [&] { tensor.bytes.resize(*count * elementSize); };
  auto store = [&](int64_t i, auto value) {
    std::memcpy(tensor.bytes.data() + i * elementSize, &value, elementSize);
  };
  switch (tensor.dataType) {
  case onnx::TensorProto::FLOAT:
    if (proto.float_data_size() != *count)
      return mismatch(proto.float_data_size());
    allocate();
    for (int64_t i = 0; i < *count; ++i)
      store(i, proto.float_data(i));
    break;
  case onnx::TensorProto::DOUBLE:
    if (proto.double_data_size() != *count)
      return mismatch(proto.double_data_size());
    allocate();
    for (int64_t i = 0; i < *count; ++i)
      store(i, proto.double_data(i));
    break;
  case onnx::TensorProto::INT64:
    if (proto.int64_data_size() != *count)
      return mismatch(proto.int64_data_size());
    allocate();
    for (int64_t i = 0; i < *count; ++i)
      store(i, proto.int64_data(i));
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    if (proto.uint64_data_size() != *count)
      return mismatch(proto.uint64_data_size());
    allocate();
    for (int64_t i = 0; i < *count; ++i)
      store(i, proto.uint64_data(i));
    break;
  default:
    // int32_data holds INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16 and BFLOAT16 (bits).
    if (proto.int32_data_size() != *count)
      return mismatch(proto.int32_data_size());
    allocate();
    for (int64_t i = 0; i < *count; ++i)
      store(i, proto.int32_data(i));
    break;
  }
  return tensor;
}

FailureOr<RankedTensorType> convertTypeProto(MLIRContext *ctx, const onnx::TypeProto &type,
                                             std::string &error) {
  if (!type.has_tensor_type()) {
    error = "only tensor values are supported (found a sequence, map, optional or sparse value)";
    return failure();
  }
  const onnx::TypeProto_Tensor &tensorType = type.tensor_type();
  Type elementType = convertDataType(ctx, tensorType.elem_type());
  if (!elementType) {
    error = std::string("element type ") + dataTypeName(tensorType.elem_type()) +
            " is not supported";
    return failure();
  }
  if (!tensorType.has_shape()) {
    error = "the rank is unknown";
    return failure();
  }
  SmallVector<int64_t> shape;
  for (int i = 0, e = tensorType.shape().dim_size(); i < e; ++i) {
    const onnx::TensorShapeProto_Dimension &dim = tensorType.shape().dim(i);
    if (!dim.has_dim_value()) {
      error = "dimension " + std::to_string(i) + " is dynamic";
      if (dim.has_dim_param())
        error += " ('" + dim.dim_param() + "')";
      return failure();
    }
    if (dim.dim_value() < 0) {
      error = "dimension " + std::to_string(i) + " is negative";
      return failure();
    }
    shape.push_back(dim.dim_value());
  }
  if (!numElements(shape)) {
    error = "the tensor is too large";
    return failure();
  }
  return RankedTensorType::get(shape, elementType);
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

NodeImporter::NodeImporter(GraphImporter &graph, const onnx::NodeProto &node, int nodeIndex,
                           Location loc, int64_t opset, int64_t version)
    : graph(graph), node(node), nodeIndex(nodeIndex), loc(loc), opset(opset), version(version),
      b(graph.builder), e(graph.builder, loc) {}

std::string NodeImporter::describe() const {
  std::string name = node.name().empty() ? "#" + std::to_string(nodeIndex) : node.name();
  return "node '" + name + "' (" + node.op_type() + "-" + std::to_string(version) + ", opset " +
         std::to_string(opset) + ")";
}

InFlightDiagnostic NodeImporter::error() const {
  InFlightDiagnostic diag = emitError(loc);
  diag << "ONNX " << describe() << ": ";
  return diag;
}

LogicalResult NodeImporter::fail(const Twine &message) const {
  error() << message;
  return failure();
}

const ImportedValue &NodeImporter::input(size_t i) const {
  return graph.values.at(node.input(i));
}

ArrayRef<int64_t> NodeImporter::shape(size_t i) const {
  return TensorEmitter::getShape(value(i));
}

Type NodeImporter::elementType(size_t i) const { return TensorEmitter::getElementType(value(i)); }

const HostTensor *NodeImporter::constantInput(size_t i) const {
  if (!hasInput(i))
    return nullptr;
  return input(i).constant.get();
}

FailureOr<std::vector<int64_t>> NodeImporter::intsInput(size_t i, StringRef what) const {
  const HostTensor *constant = constantInput(i);
  if (!constant) {
    error() << "input '" << what << "' ('" << node.input(i)
            << "') must be a compile-time constant (an initializer, a Constant node or a shape "
               "computation ONNX data propagation resolves)";
    return failure();
  }
  // The operator schemas type these operands as integers (checked before conversion).
  return constant->toInts();
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

int64_t NodeImporter::getInt(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : defaultValue;
}

float NodeImporter::getFloat(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : defaultValue;
}

std::optional<std::vector<int64_t>> NodeImporter::getInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

void NodeImporter::setOutput(size_t i, Value value, int32_t dataType,
                             std::shared_ptr<const HostTensor> constant) {
  if (!hasOutput(i))
    return;
  graph.values[node.output(i)] = ImportedValue{value, dataType, std::move(constant)};
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank, StringRef what) const {
  if (axis < -rank || axis >= rank) {
    error() << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

FailureOr<std::vector<int64_t>> NodeImporter::normalizeAxes(ArrayRef<int64_t> axes, int64_t rank,
                                                            StringRef what) const {
  std::vector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> normalized = normalizeAxis(axis, rank, what);
    if (failed(normalized))
      return failure();
    if (llvm::is_contained(result, *normalized)) {
      error() << what << " repeats axis " << *normalized;
      return failure();
    }
    result.push_back(*normalized);
  }
  llvm::sort(result);
  return result;
}

FailureOr<SmallVector<int64_t>> NodeImporter::broadcastInputs(ArrayRef<size_t> inputs) const {
  SmallVector<int64_t> result;
  for (size_t i : inputs) {
    std::optional<SmallVector<int64_t>> merged = broadcastShapes(result, shape(i));
    if (!merged) {
      InFlightDiagnostic diag = error();
      diag << "input shapes cannot be broadcast together:";
      for (size_t j : inputs)
        diag << " " << TensorEmitter::getType(value(j));
      return failure();
    }
    result = *merged;
  }
  return result;
}

LogicalResult NodeImporter::requireFloat(size_t i) const {
  if (isFloatDataType(dataType(i)))
    return success();
  return fail(Twine("input ") + Twine(i) + " has element type " + dataTypeName(dataType(i)) +
              "; this operator is imported for float types only");
}

const OperatorInfo *lookupOperator(StringRef opType) {
  for (const OperatorInfo &info : getOperatorTable())
    if (opType == info.name)
      return &info;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext *ctx, const onnx::ModelProto &model, StringRef fileName,
                             const ONNXImportOptions &options)
    : ctx(ctx), model(model), graph(model.graph()), fileName(fileName.str()), options(options),
      builder(ctx) {
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
}

Location GraphImporter::fileLoc() const { return FileLineColLoc::get(ctx, fileName, 0, 0); }

Location GraphImporter::nodeLoc(const onnx::NodeProto &node, int index) const {
  std::string name =
      node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name();
  return NameLoc::get(StringAttr::get(ctx, name), fileLoc());
}

const onnx::NodeProto *GraphImporter::producerOf(const std::string &name) const {
  auto it = producers.find(name);
  return it == producers.end() ? nullptr : &graph.node(it->second);
}

bool GraphImporter::hasSingleUse(const std::string &name) const {
  auto it = consumers.find(name);
  if (it == consumers.end() || graphOutputs.contains(name))
    return false;
  size_t uses = 0;
  for (int consumer : it->second)
    for (const std::string &input : graph.node(consumer).input())
      uses += input == name;
  return uses == 1;
}

Value GraphImporter::createConstant(Location loc, const HostTensor &tensor, StringRef nameHint) {
  Type elementType = convertDataType(ctx, tensor.dataType);
  auto type = RankedTensorType::get(tensor.shape, elementType);
  if (isBoolDataType(tensor.dataType)) {
    SmallVector<bool> bits;
    for (char byte : tensor.bytes)
      bits.push_back(byte != 0);
    return arith::ConstantOp::create(builder, loc, DenseElementsAttr::get(type, bits));
  }
  TensorEmitter emitter(builder, loc);
  return emitter.constant(type, tensor.bytes, "onnx_" + nameHint.str());
}

std::shared_ptr<const HostTensor> GraphImporter::hostValueOf(Value value, int32_t dataType) {
  constexpr int64_t kMaxHostElements = 1 << 16;
  DenseElementsAttr elements = TensorEmitter::getConstantElements(value);
  if (!elements || elements.getNumElements() > kMaxHostElements || !dataTypeSize(dataType))
    return nullptr;
  auto tensor = std::make_shared<HostTensor>();
  tensor->dataType = dataType;
  ArrayRef<int64_t> shape = elements.getType().getShape();
  tensor->shape.assign(shape.begin(), shape.end());
  int64_t count = elements.getNumElements();
  int64_t size = dataTypeSize(dataType);
  if (isBoolDataType(dataType)) {
    for (bool bit : elements.getValues<bool>())
      tensor->bytes.push_back(bit ? 1 : 0);
    return tensor;
  }
  ArrayRef<char> raw = elements.getRawData();
  if (static_cast<int64_t>(raw.size()) == count * size) {
    tensor->bytes.assign(raw.begin(), raw.end());
  } else if (elements.isSplat() && static_cast<int64_t>(raw.size()) == size) {
    for (int64_t i = 0; i < count; ++i)
      tensor->bytes.insert(tensor->bytes.end(), raw.begin(), raw.end());
  } else {
    return nullptr;
  }
  return tensor;
}

LogicalResult GraphImporter::importInitializers() {
  for (const onnx::TensorProto &initializer : graph.initializer()) {
    std::string error;
    std::optional<HostTensor> tensor = readTensorProto(initializer, error);
    if (!tensor)
      return emitError(fileLoc()) << "ONNX initializer '" << initializer.name() << "': " << error;
    Location loc = NameLoc::get(StringAttr::get(ctx, initializer.name()), fileLoc());
    Value value = createConstant(loc, *tensor, initializer.name());
    values[initializer.name()] = ImportedValue{
        value, tensor->dataType, std::make_shared<const HostTensor>(std::move(*tensor))};
  }
  return success();
}

LogicalResult GraphImporter::createFunction(ModuleOp module) {
  SmallVector<Type> argumentTypes;
  SmallVector<const onnx::ValueInfoProto *> arguments;
  llvm::DenseSet<StringRef> initializerNames;
  for (const onnx::TensorProto &initializer : graph.initializer())
    initializerNames.insert(initializer.name());
  for (const onnx::ValueInfoProto &input : graph.input()) {
    // An input with an initializer of the same name is a default value (IR >= 4); bnn treats it
    // as the constant.
    if (initializerNames.contains(input.name()))
      continue;
    std::string error;
    FailureOr<RankedTensorType> type = convertTypeProto(ctx, input.type(), error);
    if (failed(type)) {
      InFlightDiagnostic diag = emitError(fileLoc())
                                << "ONNX graph input '" << input.name() << "': " << error;
      if (error.find("dynamic") != std::string::npos)
        diag << "; give symbolic sizes with --onnx-dim NAME=SIZE (ONNXImportOptions::dimParams)";
      return failure();
    }
    argumentTypes.push_back(*type);
    arguments.push_back(&input);
  }
  builder.setInsertionPointToEnd(module.getBody());
  function = func::FuncOp::create(builder, fileLoc(), options.functionName,
                                  builder.getFunctionType(argumentTypes, {}));
  Block *entry = function.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [argument, info] : llvm::zip(entry->getArguments(), arguments)) {
    argument.setLoc(NameLoc::get(StringAttr::get(ctx, info->name()), fileLoc()));
    values[info->name()] = ImportedValue{argument, info->type().tensor_type().elem_type(), {}};
    function.setArgAttr(argument.getArgNumber(), "onnx.name",
                        builder.getStringAttr(info->name()));
  }
  return importInitializers();
}

LogicalResult GraphImporter::checkInferredType(const NodeImporter &node, const std::string &name,
                                               Value value) {
  auto it = inferredTypes.find(name);
  if (it == inferredTypes.end())
    return success();
  std::string ignored;
  FailureOr<RankedTensorType> inferred = convertTypeProto(ctx, *it->second, ignored);
  if (failed(inferred))
    return success(); // Partially known: nothing to compare.
  if (inferred->getShape() != TensorEmitter::getShape(value) ||
      inferred->getElementType() != TensorEmitter::getElementType(value))
    return node.error() << "the importer computed " << value.getType() << " for '" << name
                        << "' but the model's value_info (or ONNX shape inference) gives "
                        << *inferred;
  return success();
}

/// Input element types against the schema's type constraints: each must be allowed, and the
/// inputs bound to one type parameter ("T") must agree. ONNX shape inference checks this too;
/// the importer does not rely on it having run.
LogicalResult GraphImporter::checkInputTypes(const NodeImporter &node,
                                             const onnx::OpSchema &schema) {
  const std::vector<onnx::OpSchema::FormalParameter> &formals = schema.inputs();
  std::map<std::string, int32_t> bound;
  for (int i = 0, e = node.node.input_size(); i < e && !formals.empty(); ++i) {
    if (node.node.input(i).empty())
      continue;
    const onnx::OpSchema::FormalParameter &formal =
        formals[std::min<size_t>(i, formals.size() - 1)];
    if (i >= static_cast<int>(formals.size()) &&
        formal.GetOption() != onnx::OpSchema::Variadic)
      break;
    int32_t dataType = node.dataType(i);
    onnx::DataType type = onnx::Utils::DataTypeUtils::ToType(
        "tensor(" + onnx::Utils::DataTypeUtils::ToDataTypeString(dataType) + ")");
    if (!formal.GetTypes().count(type))
      return node.error() << "input " << i << " ('" << node.node.input(i) << "') has element type "
                          << dataTypeName(dataType) << ", which " << node.node.op_type()
                          << " does not accept";
    if (!formal.GetIsHomogeneous())
      continue;
    auto [it, inserted] = bound.emplace(formal.GetTypeStr(), dataType);
    if (!inserted && it->second != dataType)
      return node.error() << "inputs of type parameter '" << formal.GetTypeStr()
                          << "' differ in element type: " << dataTypeName(it->second) << " and "
                          << dataTypeName(dataType);
  }
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, int index) {
  const OperatorInfo *info = lookupOperator(node.op_type());
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "");
  int64_t version = schema ? schema->since_version() : 0;
  Location loc = nodeLoc(node, index);
  if (!info || !llvm::is_contained(info->versions, version)) {
    InFlightDiagnostic diag = emitError(loc);
    diag << "unsupported ONNX operator '" << node.op_type() << "' version " << version
         << " (node '" << node.name() << "', opset " << opset << ")";
    if (info) {
      diag << "; supported versions:";
      for (int v : info->versions)
        diag << " " << v;
    }
    return failure();
  }
  for (const std::string &input : node.input())
    if (!input.empty() && !values.count(input))
      return emitError(loc) << "ONNX node '" << node.name() << "': input '" << input
                            << "' is not defined before its use";
  NodeImporter importer(*this, node, index, loc, opset, version);
  if (failed(checkInputTypes(importer, *schema)))
    return failure();
  if (failed(info->convert(importer)))
    return failure();
  for (const std::string &output : node.output()) {
    if (output.empty())
      continue;
    auto it = values.find(output);
    if (it == values.end())
      return importer.error() << "output '" << output << "' is not supported by the importer";
    if (failed(checkInferredType(importer, output, it->second.value)))
      return failure();
    // Results that folded to constants (small shape arithmetic) are known on the host too, so
    // that operands like a ConstantOfShape shape or Range bounds computed from them resolve.
    if (!it->second.constant)
      it->second.constant = hostValueOf(it->second.value, it->second.dataType);
  }
  return success();
}

OwningOpRef<ModuleOp>
GraphImporter::run(const std::unordered_map<std::string, onnx::TensorShapeProto> &shapeData) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  for (int i = 0, e = graph.node_size(); i < e; ++i) {
    for (const std::string &output : graph.node(i).output())
      if (!output.empty())
        producers[output] = i;
    for (const std::string &input : graph.node(i).input())
      if (!input.empty()) {
        std::vector<int> &users = consumers[input];
        if (users.empty() || users.back() != i)
          users.push_back(i);
      }
  }
  absorbed.assign(graph.node_size(), false);
  for (const onnx::ValueInfoProto &output : graph.output())
    graphOutputs.insert(output.name());
  for (const auto *list : {&graph.value_info(), &graph.output()})
    for (const onnx::ValueInfoProto &info : *list)
      inferredTypes[info.name()] = &info.type();
  for (const auto &[name, shape] : shapeData) {
    std::vector<int64_t> dims;
    bool known = true;
    for (const onnx::TensorShapeProto_Dimension &dim : shape.dim()) {
      known &= dim.has_dim_value();
      dims.push_back(dim.dim_value());
    }
    if (known)
      propagatedValues[name] = std::move(dims);
  }

  if (failed(createFunction(*module)))
    return nullptr;
  for (int i = 0, e = graph.node_size(); i < e; ++i) {
    if (absorbed[i])
      continue;
    builder.setInsertionPointToEnd(&function.getBody().front());
    if (failed(importNode(graph.node(i), i)))
      return nullptr;
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  builder.setInsertionPointToEnd(&function.getBody().front());
  for (const onnx::ValueInfoProto &output : graph.output()) {
    auto it = values.find(output.name());
    if (it == values.end())
      return emitError(fileLoc()) << "ONNX graph output '" << output.name()
                                  << "' is not produced by any node, input or initializer",
             nullptr;
    Value value = it->second.value;
    if (it->second.dataType != output.type().tensor_type().elem_type())
      return emitError(fileLoc()) << "ONNX graph output '" << output.name() << "' is declared as "
                                  << dataTypeName(output.type().tensor_type().elem_type())
                                  << " but computed as " << dataTypeName(it->second.dataType),
             nullptr;
    results.push_back(value);
    resultTypes.push_back(value.getType());
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  function.setType(builder.getFunctionType(function.getArgumentTypes(), resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    function.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));

  // Patterns leave the ops they replaced without uses; drop them (everything emitted is pure).
  IRRewriter rewriter(ctx);
  (void)runRegionDCE(rewriter, function.getBody());

  if (failed(verify(*module)))
    return emitError(fileLoc()) << "internal error: the module imported from ONNX does not "
                                   "verify (see the diagnostics above)",
           nullptr;
  return module;
}

} // namespace onnximpl

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

using namespace onnximpl;

void registerONNXImporterDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, scf::SCFDialect, tensor::TensorDialect, bnn::BNNDialect>();
}

std::vector<std::string> getSupportedONNXOperators() {
  std::vector<std::string> names;
  for (const OperatorInfo &info : getOperatorTable())
    names.push_back(info.name);
  llvm::sort(names);
  return names;
}

static bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

std::string getONNXUnsupportedReason(StringRef bytes) {
  onnx::ModelProto model;
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return "not a valid ONNX model";
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (isDefaultDomain(import.domain()))
      opset = import.version();
  auto typeReason = [](const onnx::TypeProto &type) -> std::string {
    if (!type.has_tensor_type())
      return "a non-tensor value (sequence, map, optional or sparse tensor)";
    if (!dataTypeSize(type.tensor_type().elem_type()))
      return std::string("element type ") + dataTypeName(type.tensor_type().elem_type());
    return "";
  };
  const onnx::GraphProto &graph = model.graph();
  for (const auto *list : {&graph.input(), &graph.output(), &graph.value_info()})
    for (const onnx::ValueInfoProto &info : *list)
      if (std::string reason = typeReason(info.type()); !reason.empty())
        return "value '" + info.name() + "' has " + reason;
  for (const onnx::TensorProto &initializer : graph.initializer())
    if (!dataTypeSize(initializer.data_type()))
      return "initializer '" + initializer.name() + "' has element type " +
             dataTypeName(initializer.data_type());
  for (const onnx::NodeProto &node : graph.node()) {
    const OperatorInfo *info = isDefaultDomain(node.domain()) ? lookupOperator(node.op_type())
                                                               : nullptr;
    if (!info)
      return "operator " + node.op_type() + " is not supported";
    const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "");
    int version = schema ? schema->since_version() : 0;
    if (!llvm::is_contained(info->versions, version))
      return "operator " + node.op_type() + " version " + std::to_string(version) +
             " is not supported";
    for (const onnx::AttributeProto &attribute : node.attribute()) {
      if (attribute.has_g() || attribute.graphs_size())
        return "operator " + node.op_type() + " has a subgraph";
      if (attribute.has_t() && !dataTypeSize(attribute.t().data_type()))
        return "operator " + node.op_type() + " has a " + dataTypeName(attribute.t().data_type()) +
               " tensor attribute";
      if (node.op_type().rfind("Cast", 0) == 0 && attribute.name() == "to") {
        // An int64 attribute: out of int32 range it names no element type.
        int64_t to = attribute.i();
        int32_t dataType = to < INT32_MIN || to > INT32_MAX ? 0 : static_cast<int32_t>(to);
        if (!dataTypeSize(dataType))
          return "Cast to " + std::string(dataTypeName(dataType));
      }
      if (attribute.has_sparse_tensor() || attribute.strings_size() || attribute.has_s())
        if (node.op_type() == "Constant")
          return "a sparse or string Constant";
    }
  }
  return "";
}

OwningOpRef<ModuleOp> importONNXModel(StringRef bytes, StringRef bufferName, MLIRContext *context,
                                      const ONNXImportOptions &options) {
  DialectRegistry registry;
  registerONNXImporterDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();
  Location fileLoc = FileLineColLoc::get(context, bufferName, 0, 0);

  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return emitError(fileLoc) << "ONNX model is too large (" << bytes.size()
                              << " bytes; protobuf reads at most 2 GiB)",
           nullptr;
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return emitError(fileLoc) << "not a valid ONNX model: the protobuf parser rejected the "
                              << bytes.size() << "-byte file (truncated, or not an ONNX file?)",
           nullptr;
  if (!model.has_graph())
    return emitError(fileLoc) << "not a valid ONNX model: it has no graph (is this an ONNX "
                                 "file?)",
           nullptr;
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (isDefaultDomain(import.domain()))
      opset = import.version();
  if (opset < 0)
    return emitError(fileLoc) << "ONNX model imports no opset of the default ONNX domain",
           nullptr;

  // Unsupported operators are reported before the checker runs so that the message names the
  // node even for operators ONNX itself does not know.
  for (int i = 0, e = model.graph().node_size(); i < e; ++i) {
    const onnx::NodeProto &node = model.graph().node(i);
    if (isDefaultDomain(node.domain()) && lookupOperator(node.op_type()))
      continue;
    std::string name =
        node.name().empty() ? node.op_type() + "_" + std::to_string(i) : node.name();
    return emitError(NameLoc::get(StringAttr::get(context, name), fileLoc))
               << "unsupported ONNX operator '" << node.op_type() << "'"
               << (isDefaultDomain(node.domain()) ? std::string()
                                                  : " of domain '" + node.domain() + "'")
               << " (node '" << node.name() << "', opset " << opset << ")",
           nullptr;
  }

  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &error) {
    return emitError(fileLoc) << "ONNX model fails the ONNX checker: " << error.what(), nullptr;
  }

  // Graph inputs in compile-time operand positions become initializers when given a value.
  {
    // Values needed at compile time: constant operands and, transitively, what computes them.
    std::set<std::string> needed;
    for (const onnx::NodeProto &node : model.graph().node())
      if (const OperatorInfo *info = lookupOperator(node.op_type()))
        for (int operand : info->constantOperands)
          if (operand < node.input_size() && !node.input(operand).empty())
            needed.insert(node.input(operand));
    for (int i = model.graph().node_size() - 1; i >= 0; --i) {
      const onnx::NodeProto &node = model.graph().node(i);
      if (llvm::any_of(node.output(), [&](const std::string &o) { return needed.count(o); }))
        for (const std::string &input : node.input())
          if (!input.empty())
            needed.insert(input);
    }
    std::set<std::string> freeze;
    for (const std::string &name : needed)
      if (options.inputValues.count(name))
        freeze.insert(name);
    std::set<std::string> initializerNames;
    for (const onnx::TensorProto &initializer : model.graph().initializer())
      initializerNames.insert(initializer.name());
    onnx::GraphProto *graph = model.mutable_graph();
    for (int i = graph->input_size() - 1; i >= 0; --i) {
      const std::string name = graph->input(i).name();
      if (!freeze.count(name) || initializerNames.count(name))
        continue;
      onnx::TensorProto value;
      if (!value.ParseFromString(options.inputValues.at(name)))
        return emitError(fileLoc) << "the value given for ONNX graph input '" << name
                                  << "' is not a serialized TensorProto",
               nullptr;
      if (value.data_type() != graph->input(i).type().tensor_type().elem_type())
        return emitError(fileLoc) << "the value given for ONNX graph input '" << name
                                  << "' has element type " << dataTypeName(value.data_type())
                                  << " but the input is declared as "
                                  << dataTypeName(graph->input(i).type().tensor_type().elem_type()),
               nullptr;
      value.set_name(name);
      *graph->add_initializer() = std::move(value);
      graph->mutable_input()->DeleteSubrange(i, 1);
    }
  }

  // Symbolic input dimensions given by the caller become static before shape inference, so that
  // inference propagates them; so do whole input shapes given by the caller.
  onnx::GraphProto *graph = model.mutable_graph();
  for (onnx::ValueInfoProto &input : *graph->mutable_input()) {
    if (!input.type().has_tensor_type())
      continue;
    auto shape = options.inputShapes.find(input.name());
    if (shape != options.inputShapes.end()) {
      onnx::TensorShapeProto *dims = input.mutable_type()->mutable_tensor_type()->mutable_shape();
      dims->clear_dim();
      for (int64_t d : shape->second)
        dims->add_dim()->set_dim_value(d);
    }
    if (!input.type().tensor_type().has_shape())
      continue;
    for (onnx::TensorShapeProto_Dimension &dim :
         *input.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim()) {
      if (!dim.has_dim_param())
        continue;
      auto it = options.dimParams.find(dim.dim_param());
      if (it != options.dimParams.end())
        dim.set_dim_value(it->second);
    }
  }

  std::unordered_map<std::string, onnx::TensorShapeProto> shapeData;
  if (options.shapeInference) {
    try {
      onnx::ShapeInferenceOptions inferenceOptions(/*check_type=*/true, /*strict_mode=*/1,
                                                   /*data_prop=*/true);
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                         inferenceOptions, &shapeData);
    } catch (const std::exception &error) {
      return emitError(fileLoc) << "ONNX shape inference failed: " << error.what(), nullptr;
    }
  }

  try {
    GraphImporter importer(context, model, bufferName, options);
    return importer.run(shapeData);
  } catch (const std::exception &error) {
    return emitError(fileLoc) << "ONNX import failed: " << error.what(), nullptr;
  }
}

OwningOpRef<ModuleOp> importONNXFile(StringRef path, MLIRContext *context,
                                     const ONNXImportOptions &options) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false);
  if (std::error_code error = file.getError())
    return emitError(FileLineColLoc::get(context, path, 0, 0))
               << "cannot read ONNX model '" << path << "': " << error.message(),
           nullptr;
  return importONNXModel((*file)->getBuffer(), path, context, options);
}

} // namespace bnn::frontend
