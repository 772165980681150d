//===- Registration.h - register the importers' translations ----*- C++ -*-===//
//
// Header-only on purpose (as CIRCT's InitAllTranslations.h): a tool that wants the importers
// calls this and links BNNFrontendONNX + BNNFrontendBuilders + BNNFrontendOneBit; a tool that does not (bnn-opt)
// never sees ONNX or protobuf code.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_REGISTRATION_H
#define BNN_FRONTEND_REGISTRATION_H

#include "bnn/Frontend/GraphBuilders.h"
#include "bnn/Frontend/ONNXImporter.h"
#include "bnn/Frontend/OneBit.h"

namespace bnn::frontend {

/// Registers `--import-onnx`, `--build-graph` and `--import-1bit` with mlir-translate's registry.
inline void registerFrontendTranslations() {
  registerONNXImportTranslation();
  registerGraphBuilderTranslation();
  registerOneBitImportTranslation();
}

} // namespace bnn::frontend

#endif // BNN_FRONTEND_REGISTRATION_H
