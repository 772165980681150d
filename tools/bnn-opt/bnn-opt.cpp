//===- bnn-opt.cpp - bnn optimizer driver ---------------------------------===//
//
// mlir-opt with the bnn dialect and passes: every upstream dialect, extension and pass is
// registered too, so whole pipelines (bnn -> bufferization -> LLVM) run in one tool.
//
//===----------------------------------------------------------------------===//

#include "bnn/InitAll.h"

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

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "bnn optimizer driver: bnn and upstream MLIR dialects and passes\n",
      registry));
}
