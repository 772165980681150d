//===- ONNXImporter.h - import ONNX models into MLIR ------------*- C++ -*-===//
//
// The ONNX frontend: reads a serialized ONNX ModelProto with the ONNX library (its protobuf
// classes, onnx::checker and shape inference with data propagation) and builds a module with one
// func.func of static shapes in func/tensor/arith/math/linalg plus bnn ops. Every op carries a
// location naming the ONNX node it comes from: loc("node_name"("model.onnx":0:0)).
//
// This header exposes no ONNX or protobuf type and no exception: the ONNX library's exceptions
// are caught inside the importer and reported as MLIR diagnostics, so callers built with
// -fno-exceptions (all of LLVM/MLIR) can use it. On failure the functions return a null module
// after emitting at least one error through the context's diagnostic engine.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_ONNX_ONNXIMPORTER_H
#define BNN_FRONTEND_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace bnn::frontend {

struct ONNXImportOptions {
  /// Name of the generated func.func.
  std::string functionName = "main";
  /// Sizes for symbolic graph input dimensions (ONNX dim_param -> size). Every dimension of
  /// every graph input must be static after applying these; ONNX shape inference then makes all
  /// other shapes static or the import fails with a diagnostic.
  std::map<std::string, int64_t> dimParams;
  /// Static shapes for graph inputs, replacing what the model declares (name -> dims).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Values for graph inputs, each a serialized onnx.TensorProto. A graph input that feeds,
  /// directly or through other nodes, an operand the importer needs at compile time (a Reshape
  /// or Expand shape, Slice bounds, Squeeze/Unsqueeze/ReduceSum axes, a ConstantOfShape shape,
  /// Range bounds, ...) and has a value here is frozen: it becomes an initializer and leaves the
  /// function's arguments. Other inputs given here are ignored. (The conformance runner uses this for ONNX node tests, which pass such
  /// operands as graph inputs.)
  std::map<std::string, std::string> inputValues;
  /// Run ONNX shape inference (with data propagation) before importing. Without it the
  /// importer computes every shape itself and checks input element types against the operator
  /// schemas; shape computations then resolve only through constant folding.
  bool shapeInference = true;
  /// Rewrite the exact binarization patterns into bnn ops (see docs/Frontend.md):
  /// Where(x >= 0, 1, -1) and friends -> bnn.sign, Sign(W) * mean(|W|) on constant weights ->
  /// packed constant + bnn.scaled_sign, MatMul/Gemm of +-1 operands -> bnn.xnor_popcount with
  /// its epilogue, BitLinear (absmax 8-bit activations times absmean binary/ternary weights) ->
  /// the native int8 x ternary (or int8 x binary) bnn.lowbit_matmul.
  bool binarize = true;
  /// Also apply the inexact rewrite ONNX Sign(x) -> bnn.sign(x) on non-constant x, which maps
  /// x == 0 to +1 where ONNX gives 0.
  bool binarizeActivations = false;
};

/// Imports a serialized ONNX model. `bufferName` names the source in locations and diagnostics.
mlir::OwningOpRef<mlir::ModuleOp> importONNXModel(llvm::StringRef bytes,
                                                  llvm::StringRef bufferName,
                                                  mlir::MLIRContext *context,
                                                  const ONNXImportOptions &options = {});

/// Reads and imports the ONNX model in `path`.
mlir::OwningOpRef<mlir::ModuleOp> importONNXFile(llvm::StringRef path, mlir::MLIRContext *context,
                                                 const ONNXImportOptions &options = {});

/// Why a serialized model lies outside what the importer supports, judged from its operators,
/// operator versions and value types alone (no checker, no shape inference); empty when it
/// does not. The conformance runner uses it to tell "skipped (unsupported)" from a failure.
std::string getONNXUnsupportedReason(llvm::StringRef bytes);

/// Dialects the importer creates ops of.
void registerONNXImporterDialects(mlir::DialectRegistry &registry);

/// The operators the importer accepts, as "OpType" (default ONNX domain), sorted.
std::vector<std::string> getSupportedONNXOperators();

/// Registers `--import-onnx` (with `--onnx-dim NAME=SIZE`, `--onnx-binarize`,
/// `--binarize-activations`, `--onnx-function`, `--onnx-shape-inference`) with mlir-translate's
/// registry.
void registerONNXImportTranslation();

} // namespace bnn::frontend

#endif // BNN_FRONTEND_ONNX_ONNXIMPORTER_H
