//===- CopyRepeatedResults.cpp - bnn-copy-repeated-results ------------------===//
//
// Part of bnn-cpu-pipeline: before bufferization, a tensor returned twice gets a copy for each
// later occurrence, so that every result has an out-parameter of its own.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace bnn {
#define GEN_PASS_DEF_BNNCOPYREPEATEDRESULTS
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;
using bnn::CPUTargetInfo;

namespace {

struct BNNCopyRepeatedResultsPass
    : ::bnn::impl::BNNCopyRepeatedResultsBase<BNNCopyRepeatedResultsPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    getOperation()->walk([&](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 4> seen;
      b.setInsertionPoint(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value value = operand.get();
        auto type = dyn_cast<RankedTensorType>(value.getType());
        if (!type || seen.insert(value).second)
          continue;
        SmallVector<Value> dynamicSizes;
        for (int64_t i = 0; i < type.getRank(); ++i)
          if (type.isDynamicDim(i))
            dynamicSizes.push_back(tensor::DimOp::create(b, ret.getLoc(), value, i));
        Value init = tensor::EmptyOp::create(b, ret.getLoc(), type, dynamicSizes);
        operand.set(linalg::CopyOp::create(b, ret.getLoc(), value, init).getResult(0));
      }
    });
  }
};

} // namespace
