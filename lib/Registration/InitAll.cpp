//===- InitAll.cpp - register everything bnn provides ---------------------===//

#include "bnn/InitAll.h"

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"
#include "bnn/Conversion/BNNToGPU/Passes.h"
#include "bnn/Pipelines/CPUPipeline.h"
#include "bnn/Pipelines/GPUPipeline.h"
#include "bnn/Support/SourceExcerptDiagnostics.h"
#include "bnn/Target/PTX/GPUBundle.h"
#include "bnn/IR/BNNDialect.h"
#include "bnn/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void bnn::registerBNNDialects(mlir::DialectRegistry &registry) {
  registry.insert<bnn::BNNDialect>();
  // gpu-module-to-binary (bnn-gpu-pipeline) translates kernels to LLVM IR for the NVPTX
  // backend; like mlir-opt, register those translations with the dialects.
  mlir::registerAllGPUToLLVMIRTranslations(registry);
}

void bnn::registerAllDialectsWithBNN(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registerBNNDialects(registry);
}

mlir::OwningOpRef<mlir::ModuleOp> bnn::parseModuleFile(llvm::StringRef path,
                                                       mlir::MLIRContext &context,
                                                       llvm::StringRef tool) {
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = mlir::openInputFile(path, &error);
  if (!file) {
    llvm::errs() << tool << ": error: " << error << "\n";
    return nullptr;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  // Registered after (so before) MLIR's handler: a long source line is shown as an excerpt.
  bnn::registerSourceExcerptDiagnostics(&context);
  return mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
}

void bnn::registerAllBNNPasses() {
  bnn::registerBNNPasses(); // the dialect's own (bnn-fuse, bnn-pack-constants, ...)
  bnn::registerBNNToCPUPasses();
  bnn::registerCPUPipeline();
  bnn::registerBNNToGPUPasses();
  bnn::registerGPUPipeline();
}

void bnn::registerBNNTranslations() {
  // The compiler's own translations (PTX bundles); upstream ones (--mlir-to-llvmir, ...) are
  // registered by the tool, the importers' (--import-onnx, --build-graph) by
  // bnn::frontend::registerFrontendTranslations (bnn/Frontend/Registration.h).
  bnn::registerGPUBundleTranslations();
}
