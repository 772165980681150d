//===- BNNParserFuzzer.cpp - libFuzzer entry point for bnn's MLIR text ----===//
//
// Feeds arbitrary bytes to the MLIR parser with the bnn dialect (and func, arith, tensor, which
// bnn's tests use around it) registered, then to the verifier (parseSourceString verifies what
// it parsed) and the printer. Every input must end in a module or in diagnostics: a crash, a
// sanitizer report, an assertion, a leak, a time-out or running out of memory (work proportional
// to a declared size, e.g. a splat of 4e9 rows) is a bug in bnn's type/attribute parsers or
// verifiers. Built in a clang configuration with -DBNN_FUZZERS=ON; run by test/Fuzz/bnn-mlir.test.
//
//===----------------------------------------------------------------------===//

#include "bnn/IR/BNNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>

// See ONNXImportFuzzer.cpp: LLVM's BumpPtrAllocator poisons its slabs by hand under ASan, and
// the instrumented and uninstrumented (Debian's MLIR) copies of it disagree.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  registry.insert<bnn::BNNDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler swallow(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  // MLIR's lexer relies on a NUL after the last byte (files come in NUL-terminated
  // MemoryBuffers); libFuzzer's data has none, so an input ending inside a token read one byte
  // past it. A std::string supplies the terminator.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context, "fuzz.mlir");
  if (!module)
    return 0;
  // A verified module prints in both forms (custom printers of bnn types, attributes and ops).
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  module->print(os, mlir::OpPrintingFlags().printGenericOpForm());
  return 0;
}
