//===- ImporterImpl.h - ONNX importer internals -----------------*- C++ -*-===//
//
// Shared by the importer core (ONNXImporter.cpp), the operator converters (ONNXOps*.cpp) and the
// binarization patterns (ONNXBinarize.cpp). Only the BNNFrontendONNX target, which is compiled
// with exceptions enabled, includes it: it pulls in the ONNX protobuf classes.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_ONNX_IMPORTERIMPL_H
#define BNN_FRONTEND_ONNX_IMPORTERIMPL_H

#include "common/TensorEmitter.h"
#include "bnn/Frontend/ONNXImporter.h"
#include "bnn/Frontend/ONNXTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringRef.h"

#include "onnx/onnx_pb.h"

namespace onnx {
class OpSchema;
} // namespace onnx

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bnn::frontend::onnximpl {

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

/// onnx::TensorProto::DataType values, spelled as ONNX does in its docs.
const char *dataTypeName(int32_t dataType);
/// The MLIR element type of an ONNX tensor element type; null for types the importer does not
/// support (string, complex, undefined). Unsigned ONNX types become signless integers; the
/// importer keeps the ONNX type beside every value to pick unsigned arithmetic.
mlir::Type convertDataType(mlir::MLIRContext *ctx, int32_t dataType);
/// Bytes per element in ONNX raw_data (bool: 1); 0 for unsupported types.
int64_t dataTypeSize(int32_t dataType);
bool isFloatDataType(int32_t dataType);
bool isUnsignedDataType(int32_t dataType);
bool isSignedIntDataType(int32_t dataType);
bool isBoolDataType(int32_t dataType);

//===----------------------------------------------------------------------===//
// Host tensors: compile-time values (initializers, Constant nodes, shape computations)
//===----------------------------------------------------------------------===//

/// Compile-time values (initializers, Constant nodes, shape computations) are ONNX tensors in
/// host memory; the type is public (bnn/Frontend/ONNXTensor.h) for the conformance runner.
using HostTensor = ONNXTensor;

/// Reads a TensorProto (raw_data or typed fields) after checking that the element count matches
/// the dims. On failure returns nullopt and sets `error`.
std::optional<HostTensor> readTensorProto(const onnx::TensorProto &tensor, std::string &error);

//===----------------------------------------------------------------------===//
// Import state
//===----------------------------------------------------------------------===//

/// An ONNX value once imported.
struct ImportedValue {
  mlir::Value value;
  int32_t dataType = 0;
  /// Set when the value is known at compile time.
  std::shared_ptr<const HostTensor> constant;
};

class GraphImporter;

/// Everything a converter needs about the node it converts.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node, int nodeIndex,
               mlir::Location loc, int64_t opset, int64_t version);

  GraphImporter &graph;
  const onnx::NodeProto &node;
  const int nodeIndex;
  const mlir::Location loc;
  const int64_t opset;   ///< the model's opset for the default domain
  const int64_t version; ///< since_version of the operator schema in effect
  mlir::OpBuilder &b;
  TensorEmitter e;

  /// "node 'name' (OpType-version, opset N)".
  std::string describe() const;
  /// An error at the node's location, prefixed with describe().
  mlir::InFlightDiagnostic error() const;
  mlir::LogicalResult fail(const llvm::Twine &message) const;

  // Inputs. Optional inputs may be given as empty names.
  size_t numInputs() const { return node.input_size(); }
  bool hasInput(size_t i) const { return i < numInputs() && !node.input(i).empty(); }
  const ImportedValue &input(size_t i) const;
  mlir::Value value(size_t i) const { return input(i).value; }
  llvm::ArrayRef<int64_t> shape(size_t i) const;
  int64_t rank(size_t i) const { return shape(i).size(); }
  int32_t dataType(size_t i) const { return input(i).dataType; }
  mlir::Type elementType(size_t i) const;
  /// The compile-time value of input i, or null.
  const HostTensor *constantInput(size_t i) const;
  /// Input i as a list of integers; fails with a diagnostic naming `what` when it is not a
  /// compile-time constant.
  mlir::FailureOr<std::vector<int64_t>> intsInput(size_t i, llvm::StringRef what) const;

  // Attributes.
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::optional<std::vector<int64_t>> getInts(llvm::StringRef name) const;

  // Outputs.
  size_t numOutputs() const { return node.output_size(); }
  bool hasOutput(size_t i) const { return i < numOutputs() && !node.output(i).empty(); }
  void setOutput(size_t i, mlir::Value value, int32_t dataType,
                 std::shared_ptr<const HostTensor> constant = nullptr);

  /// Normalises a possibly negative axis into [0, rank); fails with a diagnostic otherwise.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef what = "axis") const;
  /// Normalises, checks range and uniqueness, and sorts a list of axes.
  mlir::FailureOr<std::vector<int64_t>> normalizeAxes(llvm::ArrayRef<int64_t> axes, int64_t rank,
                                                      llvm::StringRef what = "axes") const;
  /// numpy broadcast of the shapes of the given inputs; fails with a diagnostic.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  broadcastInputs(llvm::ArrayRef<size_t> inputs) const;
  /// Requires input i to have one of the given kinds of element type.
  mlir::LogicalResult requireFloat(size_t i) const;
};

using ConvertFn = mlir::LogicalResult (*)(NodeImporter &);

struct OperatorInfo {
  const char *name;
  /// The since_version values of the schemas this converter implements.
  std::vector<int> versions;
  ConvertFn convert;
  /// Inputs that must be known at compile time (shapes, axes, slice bounds). A graph input in
  /// such a position can be frozen to a value given in ONNXImportOptions::inputValues.
  std::vector<int> constantOperands = {};
};

/// All converters: ONNXMathOps.cpp and ONNXTensorOps.cpp append theirs.
const std::vector<OperatorInfo> &getOperatorTable();
void appendMathOperators(std::vector<OperatorInfo> &table);
void appendTensorOperators(std::vector<OperatorInfo> &table);
const OperatorInfo *lookupOperator(llvm::StringRef opType);

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext *ctx, const onnx::ModelProto &model, llvm::StringRef fileName,
                const ONNXImportOptions &options);

  /// Builds the module; returns null after emitting diagnostics on failure.
  mlir::OwningOpRef<mlir::ModuleOp> run(
      const std::unordered_map<std::string, onnx::TensorShapeProto> &shapeData);

  mlir::MLIRContext *ctx;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  std::string fileName;
  const ONNXImportOptions &options;
  mlir::OpBuilder builder;
  int64_t opset = 0;

  std::unordered_map<std::string, ImportedValue> values;
  /// Static types from ONNX shape inference (value_info, inputs, outputs).
  std::unordered_map<std::string, const onnx::TypeProto *> inferredTypes;
  /// Values computed by ONNX's data propagation (shape computations), as int64 lists.
  std::unordered_map<std::string, std::vector<int64_t>> propagatedValues;
  /// Node index producing each value, and node indices consuming it.
  std::unordered_map<std::string, int> producers;
  std::unordered_map<std::string, std::vector<int>> consumers;
  llvm::DenseSet<llvm::StringRef> graphOutputs;
  /// Nodes a binarization pattern has already folded into an earlier node's result.
  std::vector<bool> absorbed;
  /// ONNX values known to equal bnn.sign(x): the value name -> x.
  std::unordered_map<std::string, mlir::Value> signOf;
  /// ONNX matrices known to equal the plain XNOR-popcount similarity of two packed operands
  /// (bnn.xnor_popcount converted to the float type, no scale, bias or activation): the value
  /// name -> (queries, database). TopK over one of them becomes bnn.hamming_topk.
  std::unordered_map<std::string, std::pair<mlir::Value, mlir::Value>> xnorProductOf;

  mlir::Location fileLoc() const;
  mlir::Location nodeLoc(const onnx::NodeProto &node, int index) const;
  /// A node that produces `name`, or null for graph inputs / initializers.
  const onnx::NodeProto *producerOf(const std::string &name) const;
  /// True when `name` feeds exactly one node input and is not a graph output.
  bool hasSingleUse(const std::string &name) const;

  /// An MLIR constant for a host tensor (dense_resource for large ones).
  mlir::Value createConstant(mlir::Location loc, const HostTensor &tensor,
                             llvm::StringRef nameHint);

  /// The host value of a tensor that is a compile-time constant, or null.
  static std::shared_ptr<const HostTensor> hostValueOf(mlir::Value value, int32_t dataType);

private:
  mlir::LogicalResult importInitializers();
  mlir::LogicalResult createFunction(mlir::ModuleOp module);
  mlir::LogicalResult importNode(const onnx::NodeProto &node, int index);
  mlir::LogicalResult checkInputTypes(const NodeImporter &node, const onnx::OpSchema &schema);
  mlir::LogicalResult checkInferredType(const NodeImporter &node, const std::string &name,
                                        mlir::Value value);
  mlir::func::FuncOp function;
};

/// ONNX type of a value_info as a static MLIR tensor type; fails (with `error` set) for
/// non-tensor types, unsupported element types, or dimensions that are not static.
mlir::FailureOr<mlir::RankedTensorType> convertTypeProto(mlir::MLIRContext *ctx,
                                                         const onnx::TypeProto &type,
                                                         std::string &error);

/// Binarization patterns (ONNXBinarize.cpp). Each returns success() when it converted the node
/// (and set its outputs), failure() to let the plain converter run. Errors are not possible:
/// patterns only fire where they apply.
bool tryBinarizeWhere(NodeImporter &node);
bool tryBinarizeSign(NodeImporter &node);
bool tryBinarizeMatMul(NodeImporter &node);
bool tryBinarizeScaledSign(NodeImporter &node);
/// TopK (k, axis already checked) over an XNOR-popcount similarity (xnorProductOf) along its
/// last axis, largest first: bnn.hamming_topk, values K - 2 * distance.
bool tryFuseHammingTopK(NodeImporter &node, int64_t axis, int64_t k);

} // namespace bnn::frontend::onnximpl

#endif // BNN_FRONTEND_ONNX_IMPORTERIMPL_H
