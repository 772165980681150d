//===- Tile.cpp - bnn-tile: parallel output tiles of binary matmuls -------===//

#include "bnn/IR/BNNOps.h"
#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "LoweringUtils.h"

#include "bnn/Target/CPUTarget.h"
#include "bnn/Tuning/TuningDatabase.h"
#include "llvm/Support/FormatVariadic.h"
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
    // Explicit tile sizes win; otherwise the tuning database's entry for the op's shape
    // class, otherwise the target's defaults.
    const bool explicitTiles = tileRows > 0 || tileCols > 0;
    const int64_t defaultRows = tileRows > 0 ? int64_t(tileRows) : info->tileRows;
    const int64_t defaultCols = tileCols > 0 ? int64_t(tileCols) : info->tileCols;
    const std::string chip = ::bnn::cpuTuningChip(*info);
    std::string databasePath;
    llvm::Expected<std::shared_ptr<const ::bnn::tuning::TuningDatabase>> database =
        ::bnn::tuning::loadTuningDatabase(tuningDb, chip, &databasePath);
    if (!database) {
      getOperation()->emitError() << "bnn-tile: " << llvm::toString(database.takeError());
      return signalPassFailure();
    }

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
      int64_t rows = defaultRows, cols = defaultCols;
      if (!explicitTiles) {
        namespace tuning = ::bnn::tuning;
        const int64_t m = shape.size() >= 2 ? shape[shape.size() - 2] : 1;
        const int64_t k = cast<PackedType>(op->getOperand(0).getType()).getK();
        tuning::ShapeClass shapeClass = tuning::classifyShape(m, shape.back(), k);
        std::string what = std::string(tuning::kCpuXnorMatmul) + " " + shapeClass.str();
        const tuning::Entry *entry =
            *database ? (*database)->lookup(tuning::kCpuXnorMatmul, shapeClass) : nullptr;
        if (entry && !entry->untuned) {
          rows = entry->cpu->tileRows;
          cols = entry->cpu->tileCols;
          if (tuningRemarks)
            op->emitRemark() << "bnn-tuning: " << what << " from " << databasePath
                             << ": tile " << rows << "x" << cols << " (measured "
                             << llvm::formatv("{0:f2}", *entry->timeUs).str() << " us at " << entry->measuredShape[0] << "x"
                             << entry->measuredShape[1] << "x" << entry->measuredShape[2]
                             << " on " << entry->threads << " thread(s), " << entry->device
                             << ", " << entry->date << ")";
        } else if (tuningRemarks) {
          InFlightDiagnostic remark = op->emitRemark();
          if (!*database)
            remark << "bnn-tuning: no tuning database for " << chip << "; " << what;
          else if (!entry)
            remark << "bnn-tuning: no entry for " << what << " in " << databasePath;
          else
            remark << "bnn-tuning: the entry for " << what << " in " << databasePath
                   << " is untuned";
          remark << "; using the " << info->name << " defaults: tile " << rows << "x" << cols;
        }
      } else if (tuningRemarks) {
        op->emitRemark() << "bnn-tuning: explicit tile sizes (the tuning database is not "
                            "consulted): tile "
                         << rows << "x" << cols;
      }
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
