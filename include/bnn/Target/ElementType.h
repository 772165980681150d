//===- ElementType.h - MLIR types onto the runtime's element types -*- C++ -*-===//
//
// The compiler's side of the element type table (bnn/runtime/ElementType.h): which MLIR element
// types can cross into the runtime, used by the JIT and the GPU bundle manifest alike.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_TARGET_ELEMENTTYPE_H
#define BNN_TARGET_ELEMENTTYPE_H

#include "bnn/runtime/ElementType.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace bnn {

/// The runtime element type of `type`; nullopt for types the runtime does not carry (index,
/// complex, f8, i4, ...).
inline std::optional<ElementType> getRuntimeElementType(mlir::Type type) {
  if (type.isF32())
    return ElementType::F32;
  if (type.isF16())
    return ElementType::F16;
  if (type.isBF16())
    return ElementType::BF16;
  if (type.isF64())
    return ElementType::F64;
  if (auto integer = llvm::dyn_cast<mlir::IntegerType>(type)) {
    switch (integer.getWidth()) {
    case 1: return ElementType::I1;
    case 8: return ElementType::I8;
    case 16: return ElementType::I16;
    case 32: return ElementType::I32;
    case 64: return ElementType::I64;
    default: return std::nullopt;
    }
  }
  return std::nullopt;
}

} // namespace bnn

#endif // BNN_TARGET_ELEMENTTYPE_H
