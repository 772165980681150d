//===- BNNDialect.cpp - bnn dialect ---------------------------------------===//

#include "bnn/IR/BNNDialect.h"
#include "bnn/IR/BNNOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace bnn;

#include "bnn/IR/BNNDialect.cpp.inc"
#include "bnn/IR/BNNEnums.cpp.inc"

void BNNDialect::initialize() {
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "bnn/IR/BNNOps.cpp.inc"
      >();
}

Operation *BNNDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                           Location loc) {
  // Folds of packing ops produce storage words for a packed result.
  if (auto packedType = dyn_cast<PackedType>(type)) {
    if (auto words = dyn_cast<ElementsAttr>(value))
      return ConstantOp::create(builder, loc, packedType, words);
    return nullptr;
  }
  if (auto ternaryType = dyn_cast<TernaryType>(type)) {
    if (auto words = dyn_cast<DenseIntElementsAttr>(value))
      return TernaryConstantOp::create(builder, loc, ternaryType, words);
    return nullptr;
  }
  // Folds that produce ordinary tensors (sign, unpack of constants).
  if (arith::ConstantOp::isBuildableWith(value, type))
    return arith::ConstantOp::create(builder, loc, type, cast<TypedAttr>(value));
  return nullptr;
}
