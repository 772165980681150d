//===- bnn-opt.cpp - bnn optimizer driver ---------------------------------===//
//
// mlir-opt with the bnn dialect and passes: every upstream dialect, extension and pass is
// registered too, so whole pipelines (bnn -> bufferization -> LLVM) run in one tool. The
// input and output files are opened here rather than by MlirOptMain: `-o` naming the input is
// refused, and a write error is a message, not an abort (bnn/Support/ToolOutput.h).
//
//===----------------------------------------------------------------------===//

#include "bnn/InitAll.h"
#include "bnn/Support/SourceExcerptDiagnostics.h"
#include "bnn/Support/ToolOutput.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"

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
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  if (!config.shouldVerifyDiagnostics())
    registry.addExtension(+[](mlir::MLIRContext *context, mlir::func::FuncDialect *) {
      bnn::registerSourceExcerptDiagnostics(context);
    });
  // --show-dialects and --list-passes read and write no file.
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, inputFilename, outputFilename, registry));

  llvm::InitLLVM initLLVM(argc, argv);
  if (bnn::refuseToOverwriteInput("bnn-opt", inputFilename, outputFilename))
    return 1;
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input = mlir::openInputFile(inputFilename, &errorMessage);
  if (!input) {
    llvm::errs() << errorMessage << "\n";
    return 1;
  }
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << errorMessage << "\n";
    return 1;
  }
  bool succeeded =
      mlir::succeeded(mlir::MlirOptMain(output->os(), std::move(input), registry, config));
  if (!bnn::finishOutput("bnn-opt", *output, outputFilename) || !succeeded)
    return 1;
  output->keep();
  return 0;
}
