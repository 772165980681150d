//===- PackConstants.cpp - bnn-pack-constants -----------------------------===//

#include "bnn/IR/BNNOps.h"
#include "bnn/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace bnn {
#define GEN_PASS_DEF_BNNPACKCONSTANTS
#include "bnn/Transforms/Passes.h.inc"

namespace {

struct BNNPackConstantsPass : impl::BNNPackConstantsBase<BNNPackConstantsPass> {
  using Base::Base;

  /// Empty when the options are valid, else what is wrong with them.
  std::string checkOptions() const {
    if (inlineLimit < 0)
      return "bnn-pack-constants: inline-limit=" + std::to_string(inlineLimit) +
             ": expected a size in bytes >= 0 (0: every packed constant as a blob)";
    if (maxBytes < 0)
      return "bnn-pack-constants: max-bytes=" + std::to_string(maxBytes) +
             ": expected a size in bytes >= 0";
    return "";
  }

  LogicalResult
  initializeOptions(StringRef options,
                    function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(Base::initializeOptions(options, errorHandler)))
      return failure();
    if (std::string error = checkOptions(); !error.empty())
      return errorHandler(error);
    return success();
  }

  void runOnOperation() override {
    if (std::string error = checkOptions(); !error.empty()) {
      getOperation()->emitError(error);
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    unsigned blobCount = 0;
    SmallVector<PackOp> packs;
    getOperation()->walk([&](PackOp pack) { packs.push_back(pack); });
    for (PackOp pack : packs) {
      Attribute value;
      if (!matchPattern(pack.getInput(), m_Constant(&value)))
        continue;
      auto elements = dyn_cast<ElementsAttr>(value);
      if (!elements)
        continue;
      PackedType packedType = pack.getType();
      llvm::Expected<PackedWords> words =
          packConstantElements(elements, packedType, maxBytes / sizeof(uint64_t));
      if (!words) {
        pack.emitError("bnn-pack-constants: ")
            << llvm::toString(words.takeError()) << " (max-bytes = " << maxBytes.getValue()
            << ")";
        return signalPassFailure();
      }
      RankedTensorType storageType = packedType.getStorageType();
      ElementsAttr packed;
      int64_t bytes = static_cast<int64_t>(words->words.size()) * 8;
      if (words->splat || bytes <= inlineLimit) {
        packed = words->toAttr(packedType);
      } else {
        // A blob keeps big weights out of the printed IR; the name says where it came from.
        std::string name = "bnn_packed_" + std::to_string(blobCount++);
        packed = DenseResourceElementsAttr::get(
            storageType, name,
            HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint64_t>(words->words)));
      }
      Operation *source = pack.getInput().getDefiningOp();
      rewriter.setInsertionPoint(pack);
      rewriter.replaceOpWithNewOp<ConstantOp>(pack, packedType, packed);
      // The float weights are not needed once packed (unless something else reads them).
      if (source && source->use_empty())
        rewriter.eraseOp(source);
    }
  }
};

} // namespace
} // namespace bnn
