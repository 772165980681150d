//===- ONNXTranslation.cpp - bnn-translate --import-onnx ------------------===//

#include "bnn/Frontend/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace bnn::frontend {

namespace {
struct ONNXTranslationOptions {
  llvm::cl::OptionCategory category{"ONNX import options (--import-onnx)"};
  llvm::cl::list<std::string> dims{
      "onnx-dim", llvm::cl::desc("Size of a symbolic input dimension: NAME=SIZE (repeatable)"),
      llvm::cl::value_desc("NAME=SIZE"), llvm::cl::cat(category)};
  llvm::cl::opt<bool> binarize{
      "onnx-binarize",
      llvm::cl::desc("Rewrite the exact binarization patterns into bnn ops (default on)"),
      llvm::cl::init(true), llvm::cl::cat(category)};
  llvm::cl::opt<bool> binarizeActivations{
      "binarize-activations",
      llvm::cl::desc("Also map ONNX Sign on activations to bnn.sign (inexact at 0: bnn.sign(0) "
                     "= +1, ONNX Sign(0) = 0)"),
      llvm::cl::init(false), llvm::cl::cat(category)};
  llvm::cl::opt<bool> shapeInference{
      "onnx-shape-inference",
      llvm::cl::desc("Run ONNX shape inference before importing (default on)"),
      llvm::cl::init(true), llvm::cl::cat(category)};
  llvm::cl::opt<std::string> function{"onnx-function",
                                      llvm::cl::desc("Name of the imported function"),
                                      llvm::cl::init("main"), llvm::cl::cat(category)};
};

ONNXTranslationOptions &translationOptions() {
  static ONNXTranslationOptions options;
  return options;
}
} // namespace

void registerONNXImportTranslation() {
  translationOptions();
  static TranslateToMLIRRegistration registration(
      "import-onnx", "Import an ONNX model (protobuf) into func/linalg/tensor/arith + bnn",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) -> OwningOpRef<Operation *> {
        ONNXTranslationOptions &cl = translationOptions();
        ONNXImportOptions options;
        options.functionName = cl.function;
        options.binarize = cl.binarize;
        options.binarizeActivations = cl.binarizeActivations;
        options.shapeInference = cl.shapeInference;
        for (const std::string &dim : cl.dims) {
          auto [name, size] = llvm::StringRef(dim).split('=');
          int64_t value;
          if (name.empty() || size.getAsInteger(10, value) || value < 0) {
            emitError(UnknownLoc::get(context))
                << "--onnx-dim expects NAME=SIZE with a non-negative SIZE, got '" << dim << "'";
            return nullptr;
          }
          options.dimParams[name.str()] = value;
        }
        const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        OwningOpRef<ModuleOp> module = importONNXModel(
            buffer->getBuffer(), buffer->getBufferIdentifier(), context, options);
        if (!module)
          return nullptr;
        return module.release().getOperation();
      },
      [](DialectRegistry &registry) { registerONNXImporterDialects(registry); });
}

} // namespace bnn::frontend
