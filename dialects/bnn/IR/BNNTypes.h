//===- BNNTypes.h - bnn types -----------------------------------*- C++ -*-===//

#ifndef BNN_DIALECTS_BNN_IR_BNNTYPES_H
#define BNN_DIALECTS_BNN_IR_BNNTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "bnn/IR/BNNTypes.h.inc"

#endif // BNN_DIALECTS_BNN_IR_BNNTYPES_H
