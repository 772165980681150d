//===- Tile.cpp - bnn-tile: parallel output tiles of binary matmuls -------===//

#include "bnn/IR/BNNOps.h"
#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "LoweringUtils.h"

#include "bnn/Target/CPUTarget.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;

namespace bnn {
#define GEN_PASS_DEF_BNNTILE
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"

namespace {

/// Output tile sizes for a result of `shape`: 1 for outer batch dimensions, `rows` for the last
/// leading (row) dimension, `cols` for N; never larger than the dimension.
SmallVector<OpFoldResult> tileSizesFor(OpBuilder &b, ArrayRef<int64_t> shape, int64_t rows,
                                       int64_t cols) {
  SmallVector<OpFoldResult> sizes;
  int64_t rank = shape.size();
  for (int64_t i = 0; i < rank; ++i) {
    int64_t size = i == rank - 1 ? cols : (i == rank - 2 ? rows : 1);
    sizes.push_back(b.getIndexAttr(std::min(size, shape[i])));
  }
  return sizes;
}

struct BNNTilePass : impl::BNNTileBase<BNNTilePass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<::bnn::CPUTargetInfo> info =
        ::bnn::resolveCPUTargetOption(getOperation(), getArgument(), target);
    if (!info)
      return signalPassFailure();
    if (tileRows < 0 || tileCols < 0) {
      getOperation()->emitError()
          << "bnn-tile: " << (tileRows < 0 ? "tile-rows=" : "tile-cols=")
          << (tileRows < 0 ? int64_t(tileRows) : int64_t(tileCols))
          << ": expected 0 (target default) or a positive size";
      return signalPassFailure();
    }
    int64_t rows = tileRows > 0 ? int64_t(tileRows) : info->tileRows;
    int64_t cols = tileCols > 0 ? int64_t(tileCols) : info->tileCols;

    SmallVector<TilingInterface> candidates;
    getOperation()->walk([&](Operation *op) {
      if (!isa<XnorPopcountOp, XnorLinearOp>(op))
        return;
      if (auto linear = dyn_cast<XnorLinearOp>(op); linear && linear.hasPackedResult())
        return; // 64 columns share a word: tiles would race on it.
      auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!resultType || !resultType.hasStaticShape() ||
          llvm::is_contained(resultType.getShape(), 0))
        return;
      if (op->getParentOfType<scf::ForallOp>() || op->getParentOfType<scf::ParallelOp>())
        return;
      // Tiles are the unit of thread parallelism: small products run as one kernel.
      // Checked: M x N x words of large types exceeds int64_t (and is then plenty of work).
      int64_t words = cast<PackedType>(op->getOperand(0).getType()).getNumWords();
      std::optional<int64_t> work = words;
      for (int64_t dim : resultType.getShape())
        if (work)
          work = llvm::checkedMul(*work, dim);
      if (work && *work < info->minParallelWork)
        return;
      candidates.push_back(cast<TilingInterface>(op));
    });

    IRRewriter rewriter(&getContext());
    for (TilingInterface op : candidates) {
      auto shape = cast<RankedTensorType>(op->getResult(0).getType()).getShape();
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(tileSizesFor(rewriter, shape, rows, cols));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(rewriter, op, options);
      if (failed(tiled)) {
        op->emitError("bnn-tile: could not tile this op");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
    }

    if (fusePacks) {
      RewritePatternSet patterns(&getContext());
      populateSliceOfPackPatterns(patterns);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
  }
};

} // namespace
} // namespace bnn
