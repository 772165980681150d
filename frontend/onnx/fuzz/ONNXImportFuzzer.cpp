//===- ONNXImportFuzzer.cpp - libFuzzer entry point for the ONNX importer -===//
//
// Feeds arbitrary bytes to bnn::frontend::importONNXModel, as if they were an .onnx file. Every
// input must end in a module or in diagnostics; a crash, a sanitizer report, a leak or a
// time-out is a bug. Built with clang (-fsanitize=fuzzer,address,undefined) in a separate
// configuration, see frontend/CMakeLists.txt; run by test/Frontend/ONNX/fuzz.test.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>

// LLVM's BumpPtrAllocator poisons its slabs by hand when compiled with AddressSanitizer; inline
// copies of it from this instrumented build and from the uninstrumented MLIR libraries then
// disagree about what is poisoned. Manual poisoning is turned off; ASan's own redzones around
// every heap block still catch out-of-bounds and use-after-free accesses.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  bnn::frontend::registerONNXImporterDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler swallow(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  bnn::frontend::ONNXImportOptions options;
  // Symbolic dimensions the seed corpus uses; sizes stay small so that constant folding and
  // shape inference do not run out of memory on purpose.
  options.dimParams = {{"N", 2}, {"batch", 2}, {"seq", 3}};
  // Half of the inputs skip ONNX shape inference, so that the importer's own shape and type
  // checks see malformed graphs too.
  options.shapeInference = size % 2 == 0;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  (void)bnn::frontend::importONNXModel(bytes, "fuzz.onnx", &context, options);
  return 0;
}
