//===- PackConstants.cpp - bnn-pack-constants -----------------------------===//

#include "dialects/bnn/IR/BNNOps.h"
#include "dialects/bnn/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::bnn {
#define GEN_PASS_DEF_BNNPACKCONSTANTS
#include "dialects/bnn/Transforms/Passes.h.inc"

namespace {

struct BNNPackConstantsPass : impl::BNNPackConstantsBase<BNNPackConstantsPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    unsigned blobCount = 0;
    WalkResult result = getOperation()->walk([&](PackOp pack) {
      Attribute value;
      if (!matchPattern(pack.getInput(), m_Constant(&value)))
        return WalkResult::advance();
      auto elements = dyn_cast<ElementsAttr>(value);
      if (!elements)
        return WalkResult::advance();
      PackedType packedType = pack.getType();
      FailureOr<SmallVector<uint64_t>> words = packConstantElements(elements, packedType);
      if (failed(words)) {
        pack.emitError("bnn-pack-constants: cannot read the constant's values (only dense "
                       "elements and f32/i1 dense_resource blobs are supported)");
        return WalkResult::interrupt();
      }
      RankedTensorType storageType = packedType.getStorageType();
      ElementsAttr packed;
      int64_t bytes = static_cast<int64_t>(words->size()) * 8;
      if (bytes <= inlineLimit) {
        packed = DenseElementsAttr::get(storageType, ArrayRef<uint64_t>(*words));
      } else {
        // A blob keeps big weights out of the printed IR; the name says where it came from.
        std::string name = "bnn_packed_" + std::to_string(blobCount++);
        packed = DenseResourceElementsAttr::get(
            storageType, name,
            HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint64_t>(*words)));
      }
      rewriter.setInsertionPoint(pack);
      rewriter.replaceOpWithNewOp<ConstantOp>(pack, packedType, packed);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::bnn
