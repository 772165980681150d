//===- BNNOps.h - bnn ops ---------------------------------------*- C++ -*-===//

#ifndef BNN_DIALECTS_BNN_IR_BNNOPS_H
#define BNN_DIALECTS_BNN_IR_BNNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/Error.h"

#include <optional>

#include "bnn/IR/BNNAttrs.h"
#include "bnn/IR/BNNDialect.h"
#include "bnn/IR/BNNTypes.h"

#define GET_OP_CLASSES
#include "bnn/IR/BNNOps.h.inc"

namespace bnn {

/// The most elements a fold reads from or writes to a constant that is not a splat. Splats fold
/// to splats whatever their declared size; beyond this the op is left in place (it is evaluated
/// at run time), so folding costs bounded time and memory whatever shape the IR declares.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 22;

/// The storage words of a packed constant: one word repeated over the whole storage (a splat),
/// or every word, row-major.
struct PackedWords {
  std::optional<uint64_t> splat;
  llvm::SmallVector<uint64_t> words;

  /// The words as dense elements of `type`'s storage type (a splat attribute for a splat).
  mlir::DenseElementsAttr toAttr(PackedType type) const;
};

/// Packs constant `values` (dense float or i1 elements, or an f32/i1 dense_resource blob) into
/// the storage words of `type` by the bit contract. A splat is packed in time independent of
/// its declared size: to a splat when every storage word is equal, and otherwise materialised
/// only when the storage holds at most `maxWords` words. Fails, saying why, when the values
/// cannot be read or the words would exceed `maxWords`.
llvm::Expected<PackedWords> packConstantElements(mlir::ElementsAttr values, PackedType type,
                                                 int64_t maxWords);

/// slice(pack(x)) -> pack(extract_slice(x)): moves packing into the consumer of a row slice.
void populateSliceOfPackPatterns(mlir::RewritePatternSet &patterns);

} // namespace bnn

#endif // BNN_DIALECTS_BNN_IR_BNNOPS_H
