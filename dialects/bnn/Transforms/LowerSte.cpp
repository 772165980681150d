//===- LowerSte.cpp - bnn.ste -> bnn.sign for inference -------------------===//

#include "dialects/bnn/IR/BNNOps.h"
#include "dialects/bnn/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::bnn {
#define GEN_PASS_DEF_BNNLOWERSTE
#include "dialects/bnn/Transforms/Passes.h.inc"
} // namespace mlir::bnn

namespace mlir::bnn {
namespace {
struct BNNLowerStePass : impl::BNNLowerSteBase<BNNLowerStePass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Each replacement is local and creates no new ste, so one walk suffices.
    getOperation()->walk([&](SteOp ste) {
      rewriter.setInsertionPoint(ste);
      rewriter.replaceOpWithNewOp<SignOp>(ste, ste.getInput());
    });
  }
};
} // namespace
} // namespace mlir::bnn
