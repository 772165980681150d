//===- BNNToCPU.h - bnn to CPU conversion -----------------------*- C++ -*-===//

#ifndef BNN_CONVERSION_BNNTOCPU_BNNTOCPU_H
#define BNN_CONVERSION_BNNTOCPU_BNNTOCPU_H

#include "bnn/Target/CPUTarget.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
class RewritePatternSet;
class TypeConverter;
} // namespace mlir

namespace bnn {

#define GEN_PASS_DECL
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"

/// Converts !bnn.packed to its i64 storage tensor and leaves every other type alone.
void populateBNNToCPUTypeConversion(mlir::TypeConverter &converter);

/// Patterns lowering every bnn op for `target`; `parallel` as the pass option.
void populateBNNToCPUPatterns(const mlir::TypeConverter &converter,
                              mlir::RewritePatternSet &patterns, const CPUTargetInfo &target,
                              bool parallel);

} // namespace bnn

#endif // BNN_CONVERSION_BNNTOCPU_BNNTOCPU_H
