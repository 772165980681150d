//===- BNNDialect.h - bnn dialect -------------------------------*- C++ -*-===//

#ifndef BNN_DIALECTS_BNN_IR_BNNDIALECT_H
#define BNN_DIALECTS_BNN_IR_BNNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "bnn/IR/BNNDialect.h.inc"

#endif // BNN_DIALECTS_BNN_IR_BNNDIALECT_H
