//===- LowerSte.cpp - bnn.ste -> bnn.sign for inference -------------------===//

#include "bnn/IR/BNNOps.h"
#include "bnn/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace bnn {
#define GEN_PASS_DEF_BNNLOWERSTE
#include "bnn/Transforms/Passes.h.inc"
} // namespace bnn

namespace bnn {
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
} // namespace bnn
