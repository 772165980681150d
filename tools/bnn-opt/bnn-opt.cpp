//===- bnn-opt.cpp - bnn optimizer driver ---------------------------------===//
//
// mlir-opt with the bnn dialect and passes: every upstream dialect, extension and pass is
// registered too, so whole pipelines (bnn -> bufferization -> LLVM) run in one tool.
//
//===----------------------------------------------------------------------===//

#include "bnn/InitAll.h"
#include "bnn/Support/SourceExcerptDiagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  bnn::registerAllBNNPasses();

  mlir::DialectRegistry registry;
  bnn::registerAllDialectsWithBNN(registry);

  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "bnn optimizer driver: bnn and upstream MLIR dialects and passes\n", registry);
  // Long source lines (a dense constant is printed on one line) are excerpted under a
  // diagnostic. MlirOptMain registers its own handler when it creates the context, so the
  // excerpt handler goes in when the func dialect loads, which is after that and before the
  // first func.func is parsed. --verify-diagnostics keeps MLIR's verifier as the only handler.
  if (!mlir::MlirOptMainConfig::createFromCLOptions().shouldVerifyDiagnostics())
    registry.addExtension(+[](mlir::MLIRContext *context, mlir::func::FuncDialect *) {
      bnn::registerSourceExcerptDiagnostics(context);
    });
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, inputFilename, outputFilename, registry));
}
