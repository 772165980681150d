//===- UnshareEmptyTensors.cpp - bnn-unshare-empty-tensors ------------------===//
//
// A step of bnn-cpu-pipeline; Passes.td says why.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace bnn {
#define GEN_PASS_DEF_BNNUNSHAREEMPTYTENSORS
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;

namespace {

struct BNNUnshareEmptyTensorsPass
    : ::bnn::impl::BNNUnshareEmptyTensorsBase<BNNUnshareEmptyTensorsPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](tensor::EmptyOp empty) {
      SmallVector<OpOperand *> uses =
          llvm::map_to_vector(empty->getUses(), [](OpOperand &use) { return &use; });
      OpBuilder builder(empty->getContext());
      builder.setInsertionPointAfter(empty);
      for (OpOperand *use : llvm::drop_begin(uses))
        use->set(builder.clone(*empty)->getResult(0));
    });
  }
};

} // namespace
