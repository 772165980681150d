//===- OneBitFuzzer.cpp - libFuzzer entry point for the .1bit reader ------===//
//
// Feeds arbitrary bytes to onebit::parse; every file it accepts must serialize back to the same
// bytes and import into bnn constants (small ones: the element count is bounded so that the
// fuzzer explores the format rather than memory). A crash, a sanitizer report, a leak or a
// mismatch is a bug. Run by test/Fuzz/onebit.test.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/OneBit.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

// As the ONNX fuzzer: LLVM's allocators poison by hand; ASan's own redzones stay on.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<bnn::frontend::onebit::File> file =
      bnn::frontend::onebit::parse(bytes, "fuzz.1bit");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  if (bnn::frontend::onebit::serialize(*file) != bytes)
    std::abort(); // parse and serialize must be inverses
  uint64_t elements = 0;
  for (const auto &t : file->tensors)
    elements += t.numElements();
  if (elements > (1u << 16))
    return 0;
  mlir::DialectRegistry registry;
  bnn::frontend::registerOneBitDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler swallow(&context,
                                        [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::OwningOpRef<mlir::ModuleOp> module = bnn::frontend::importOneBit(*file, &context);
  if (!module)
    return 0;
  llvm::Expected<bnn::frontend::onebit::File> back = bnn::frontend::exportOneBit(*module);
  if (!back || bnn::frontend::onebit::serialize(*back) != bytes)
    std::abort(); // import and export must be inverses
  return 0;
}
