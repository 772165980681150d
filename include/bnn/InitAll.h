//===- InitAll.h - register everything bnn provides -------------*- C++ -*-===//
//
// The one place the tools (bnn-opt, bnn-translate, drivers) learn about bnn's dialects, passes
// and translations. Later parts (conversions, pipelines, targets) add their registration here so
// that every tool sees the same set.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_INITALL_H
#define BNN_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace bnn {

/// Adds the bnn dialect (and what it depends on) to `registry`.
void registerBNNDialects(mlir::DialectRegistry &registry);

/// Registers bnn's passes and pipelines with the global pass registry (for `--pass-name` flags).
void registerBNNPasses();

/// Registers bnn's own translations (for `bnn-translate --<name>`), beside upstream ones.
void registerBNNTranslations();

} // namespace bnn

#endif // BNN_INITALL_H
