//===- BNNTypes.h - bnn types -----------------------------------*- C++ -*-===//

#ifndef BNN_DIALECTS_BNN_IR_BNNTYPES_H
#define BNN_DIALECTS_BNN_IR_BNNTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "bnn/IR/BNNTypes.h.inc"

#include <string>

namespace bnn {

/// Dimensions as MLIR prints them in a shape (`?` for dynamic ones), joined by `separator`:
/// `4x?x100`. For messages about shapes that may not form a valid type.
std::string formatDims(llvm::ArrayRef<int64_t> dims, llvm::StringRef separator = "x");

} // namespace bnn

#endif // BNN_DIALECTS_BNN_IR_BNNTYPES_H
