//===- ConvertBNNToCPU.cpp - convert-bnn-to-cpu -----------------------------===//
//
// Every bnn op becomes code on the packed storage tensor (`tensor<rows x W x i64>`, W =
// ceil(K/64)). Kernels that need explicit vector code (the binary matmuls, pack, unpack) are
// written on buffers between `bufferization.to_buffer` and `bufferization.to_tensor restrict`,
// so one-shot bufferization of the surrounding tensor program connects them without copies;
// elementwise ops become `linalg.generic` and follow the upstream path. The patterns live by op
// family: PackSignToCPU.cpp, MatmulToCPU.cpp (with the kernels in MicroKernel.cpp),
// HammingTopKToCPU.cpp (a call of the runtime's micro-kernel).
// LowBitMatmulToCPU.cpp (ternary values, quantizers, the low-bit matmuls).
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "LoweringUtils.h"

#include "bnn/IR/BNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace bnn {
#define GEN_PASS_DEF_CONVERTBNNTOCPU
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;
using bnn::CPUTargetInfo;

namespace {

struct ConvertBNNToCPUPass : ::bnn::impl::ConvertBNNToCPUBase<ConvertBNNToCPUPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<CPUTargetInfo> info =
        bnn::resolveCPUTargetOption(getOperation(), getArgument(), target);
    if (!info)
      return signalPassFailure();
    MLIRContext *context = &getContext();
    TypeConverter converter;
    ::bnn::populateBNNToCPUTypeConversion(converter);

    ConversionTarget conversionTarget(*context);
    conversionTarget.addIllegalDialect<bnn::BNNDialect>();
    conversionTarget.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    conversionTarget.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });

    RewritePatternSet patterns(context);
    ::bnn::populateBNNToCPUPatterns(converter, patterns, *info, parallel);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversions(converter, patterns);
    if (failed(applyPartialConversion(getOperation(), conversionTarget, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void ::bnn::populateBNNToCPUTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion(
      [](bnn::PackedType type) -> Type { return type.getStorageType(); });
  converter.addConversion(
      [](bnn::TernaryType type) -> Type { return type.getStorageType(); });
}

void ::bnn::populateBNNToCPUPatterns(const TypeConverter &converter, RewritePatternSet &patterns,
                                   const CPUTargetInfo &target, bool parallel) {
  bnn::cpu::populatePackSignToCPUPatterns(converter, patterns, target, parallel);
  bnn::cpu::populateMatmulToCPUPatterns(converter, patterns, target, parallel);
  bnn::cpu::populateHammingTopKToCPUPatterns(converter, patterns, target, parallel);
  bnn::cpu::populateLowBitToCPUPatterns(converter, patterns, target, parallel);
}
