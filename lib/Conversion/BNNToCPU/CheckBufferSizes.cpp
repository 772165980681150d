//===- CheckBufferSizes.cpp - bnn-check-buffer-sizes ------------------------===//
//
// A step of bnn-cpu-pipeline; Passes.td says why.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/CheckedArithmetic.h"

namespace bnn {
#define GEN_PASS_DEF_BNNCHECKBUFFERSIZES
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;

namespace {

struct BNNCheckBufferSizesPass : ::bnn::impl::BNNCheckBufferSizesBase<BNNCheckBufferSizesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxBufferBytes < 0) {
      emitError(getOperation().getLoc())
          << getArgument() << ": max-buffer-bytes=" << static_cast<int64_t>(maxBufferBytes)
          << ": expected 0 (no limit) or a positive byte count";
      return signalPassFailure();
    }
    if (maxBufferBytes == 0)
      return;
    getOperation().walk([&](Operation *op) {
      MemRefType type;
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        type = alloc.getType();
      else if (auto alloca = dyn_cast<memref::AllocaOp>(op))
        type = alloca.getType();
      else if (auto global = dyn_cast<memref::GlobalOp>(op))
        type = global.getType();
      if (!type || !type.hasStaticShape())
        return;
      Type element = type.getElementType();
      int64_t elementBytes = element.isIndex() ? 8
                             : element.isIntOrFloat()
                                 ? (int64_t(element.getIntOrFloatBitWidth()) + 7) / 8
                                 : 0;
      if (elementBytes == 0)
        return;
      std::optional<int64_t> bytes = elementBytes;
      for (int64_t dim : type.getShape())
        bytes = bytes ? llvm::checkedMul(*bytes, dim) : std::nullopt;
      if (bytes && *bytes <= static_cast<int64_t>(maxBufferBytes))
        return;
      op->emitError() << "needs "
                      << (bytes ? std::to_string(*bytes) + " bytes" : "more than 2^63 bytes")
                      << " for " << type
                      << ", more than max-buffer-bytes=" << static_cast<int64_t>(maxBufferBytes)
                      << " allows";
      signalPassFailure();
    });
  }
};

} // namespace
