//===- ElementType.h - element types across the compiler/runtime boundary -*- C++ -*-===//
//
// The one table of the element types bnn passes between compiled code and its callers: JIT
// arguments and results (bnn/Execution/Jit.h), AOT wrappers, GPU bundle buffers
// (bnn/runtime/GpuBundle.h). Names are MLIR's spellings; the compiler maps MLIR types onto this
// table in bnn/Target/ElementType.h. Plain C++17, no MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_ELEMENTTYPE_H
#define BNN_RUNTIME_ELEMENTTYPE_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace bnn {

enum class ElementType { F32, F16, BF16, F64, I1, I8, I16, I32, I64 };

/// Bytes per element in memory (i1 takes one byte).
int64_t elementTypeSize(ElementType type);

/// "f32", "f16", "bf16", "f64", "i1", "i8", "i16", "i32", "i64".
const char *elementTypeName(ElementType type);

/// The element type spelled `name` (as elementTypeName writes it); nullopt for anything else.
std::optional<ElementType> parseElementTypeName(std::string_view name);

} // namespace bnn

#endif // BNN_RUNTIME_ELEMENTTYPE_H
