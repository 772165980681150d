//===- BNNAttrs.h - bnn attributes ------------------------------*- C++ -*-===//

#ifndef BNN_DIALECTS_BNN_IR_BNNATTRS_H
#define BNN_DIALECTS_BNN_IR_BNNATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "bnn/IR/BNNEnums.h.inc"

#endif // BNN_DIALECTS_BNN_IR_BNNATTRS_H
