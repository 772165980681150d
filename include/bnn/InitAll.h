//===- InitAll.h - register everything bnn provides -------------*- C++ -*-===//
//
// The one place the tools (bnn-opt, bnn-translate, drivers) learn about the compiler's dialects,
// passes and translations, so that every tool sees the same set. It reaches no frontend: the
// importers' translations are registered by bnn/Frontend/Registration.h (see
// docs/Architecture.md, "Layering").
//
//===----------------------------------------------------------------------===//

#ifndef BNN_INITALL_H
#define BNN_INITALL_H

#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class DialectRegistry;
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace bnn {

/// Adds the bnn dialect (and what it depends on) to `registry`.
void registerBNNDialects(mlir::DialectRegistry &registry);

/// Every upstream dialect and extension plus bnn's: what bnn's tools parse, transform and run.
void registerAllDialectsWithBNN(mlir::DialectRegistry &registry);

/// Parses the MLIR file at `path` into `context`. Problems (unreadable file, syntax, verifier)
/// are reported on stderr with their location, prefixed by `tool`; returns null then.
mlir::OwningOpRef<mlir::ModuleOp> parseModuleFile(llvm::StringRef path,
                                                  mlir::MLIRContext &context,
                                                  llvm::StringRef tool);

/// Registers all of bnn's passes and pipelines (the dialect's, the CPU and GPU conversions' and
/// the named pipelines) with the global pass registry (for `--pass-name` flags).
void registerAllBNNPasses();

/// Registers the compiler's own translations (for `bnn-translate --<name>`), beside upstream
/// ones. The importers register theirs through bnn/Frontend/Registration.h, so that a tool
/// that imports no models (bnn-opt) links no ONNX or protobuf code.
void registerBNNTranslations();

} // namespace bnn

#endif // BNN_INITALL_H
