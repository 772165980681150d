//===- InitAll.h - register everything bnn provides -------------*- C++ -*-===//
//
// The one place the tools (bnn-opt, bnn-translate, drivers) learn about bnn's dialects, passes
// and translations. Later parts (conversions, pipelines, targets) add their registration here so
// that every tool sees the same set.
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

/// Registers bnn's passes and pipelines with the global pass registry (for `--pass-name` flags).
void registerBNNPasses();

/// Registers bnn's own translations (for `bnn-translate --<name>`), beside upstream ones.
void registerBNNTranslations();

} // namespace bnn

#endif // BNN_INITALL_H
