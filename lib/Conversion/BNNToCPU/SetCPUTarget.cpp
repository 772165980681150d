//===- SetCPUTarget.cpp - bnn-set-cpu-target --------------------------------===//
//
// The last step of bnn-cpu-pipeline: the CPU target's LLVM cpu and features on every llvm.func,
// and bnn's loop annotations as loop metadata.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "LoweringUtils.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace bnn {
#define GEN_PASS_DEF_BNNSETCPUTARGET
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;
using bnn::CPUTargetInfo;

namespace {

struct BNNSetCPUTargetPass : ::bnn::impl::BNNSetCPUTargetBase<BNNSetCPUTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<CPUTargetInfo> info =
        bnn::resolveCPUTargetOption(getOperation(), getArgument(), target);
    if (!info)
      return signalPassFailure();
    MLIRContext *context = &getContext();
    auto features = LLVM::TargetFeaturesAttr::get(context, info->llvmFeatures);
    getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      func.setTargetCpuAttr(StringAttr::get(context, info->llvmCPU));
      func.setTargetFeaturesAttr(features);
    });
    // scf-to-cf and cf-to-llvm carry a loop's `llvm.loop_annotation` to its latch branch as a
    // discardable attribute; LLVM IR export reads the branch's `loop_annotation` property.
    getOperation()->walk([&](LLVM::BrOp branch) {
      if (auto annotation = branch->getDiscardableAttr("llvm.loop_annotation")) {
        branch.setLoopAnnotationAttr(cast<LLVM::LoopAnnotationAttr>(annotation));
        branch->removeDiscardableAttr("llvm.loop_annotation");
      }
    });
  }
};

} // namespace
