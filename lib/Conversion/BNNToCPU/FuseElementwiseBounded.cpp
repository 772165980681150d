//===- FuseElementwiseBounded.cpp - bnn-fuse-elementwise-bounded ------------===//
//
// A step of bnn-cpu-pipeline; Passes.td says why.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace bnn {
#define GEN_PASS_DEF_BNNFUSEELEMENTWISEBOUNDED
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;

namespace {

/// Most ops in one fused body (the pass description says why 64).
constexpr size_t kMaxFusedBodyOps = 64;

struct BNNFuseElementwiseBoundedPass
    : ::bnn::impl::BNNFuseElementwiseBoundedBase<BNNFuseElementwiseBoundedPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      auto producerOp = dyn_cast_or_null<linalg::GenericOp>(producer);
      auto consumerOp = dyn_cast<linalg::GenericOp>(fused->getOwner());
      if (!producerOp || !consumerOp || !producer->hasOneUse())
        return false;
      return producerOp.getBody()->getOperations().size() +
                 consumerOp.getBody()->getOperations().size() <=
             kMaxFusedBodyOps;
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
