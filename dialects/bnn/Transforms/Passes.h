//===- Passes.h - bnn transformation passes ---------------------*- C++ -*-===//

#ifndef BNN_DIALECTS_BNN_TRANSFORMS_PASSES_H
#define BNN_DIALECTS_BNN_TRANSFORMS_PASSES_H

#include "bnn/IR/BNNDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace bnn {

#define GEN_PASS_DECL
#include "bnn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bnn/Transforms/Passes.h.inc"

} // namespace bnn

#endif // BNN_DIALECTS_BNN_TRANSFORMS_PASSES_H
