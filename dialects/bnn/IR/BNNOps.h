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

#include "dialects/bnn/IR/BNNAttrs.h"
#include "dialects/bnn/IR/BNNDialect.h"
#include "dialects/bnn/IR/BNNTypes.h"

#define GET_OP_CLASSES
#include "dialects/bnn/IR/BNNOps.h.inc"

#endif // BNN_DIALECTS_BNN_IR_BNNOPS_H
