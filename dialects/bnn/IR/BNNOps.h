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

#include "bnn/IR/BNNAttrs.h"
#include "bnn/IR/BNNDialect.h"
#include "bnn/IR/BNNTypes.h"

#define GET_OP_CLASSES
#include "bnn/IR/BNNOps.h.inc"

namespace bnn {

/// Packs constant `values` (dense float or i1 elements, or an f32/i1 dense_resource blob) into
/// the storage words of `type` by the bit contract. Fails when the values cannot be read.
mlir::FailureOr<llvm::SmallVector<uint64_t>> packConstantElements(mlir::ElementsAttr values,
                                                                 PackedType type);

/// slice(pack(x)) -> pack(extract_slice(x)): moves packing into the consumer of a row slice.
void populateSliceOfPackPatterns(mlir::RewritePatternSet &patterns);

} // namespace bnn

#endif // BNN_DIALECTS_BNN_IR_BNNOPS_H
