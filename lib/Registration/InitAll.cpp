//===- InitAll.cpp - register everything bnn provides ---------------------===//

#include "bnn/InitAll.h"

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"
#include "bnn/Pipelines/CPUPipeline.h"
#include "dialects/bnn/IR/BNNDialect.h"
#include "dialects/bnn/Transforms/Passes.h"
#include "frontend/onnx/ONNXImporter.h"
#include "mlir/IR/DialectRegistry.h"

void bnn::registerBNNDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::bnn::BNNDialect>();
}

void bnn::registerBNNPasses() {
  mlir::bnn::registerBNNPasses();
  bnn::registerBNNToCPUPasses();
  bnn::registerCPUPipeline();
}

void bnn::registerBNNTranslations() {
  bnn::frontend::registerONNXImportTranslation(); // --import-onnx
  // bnn's own translations (object file + C header, PTX bundles) register here as the code
  // generation parts land; upstream ones (--mlir-to-llvmir, ...) are registered by the tool.
}
