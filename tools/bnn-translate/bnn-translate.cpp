//===- bnn-translate.cpp - bnn translation driver -------------------------===//
//
// mlir-translate with bnn's translations registered beside the upstream ones
// (--mlir-to-llvmir, --import-llvm, ...).
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Registration.h"
#include "bnn/InitAll.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Support/LogicalResult.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::registerAllTranslations();
  bnn::registerBNNTranslations();
  bnn::frontend::registerFrontendTranslations();
  return mlir::failed(mlir::mlirTranslateMain(
      argc, argv, "bnn translation driver: bnn and upstream MLIR translations\n"));
}
