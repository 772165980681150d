//===- MatmulToCPU.cpp - bnn.xnor_popcount/xnor_linear to CPU kernels -------===//
//
// Views the packed operands as 2-d row buffers, sets up the output (in place in a bnn-tile
// tile's slice of the shared result when it can) and the epilogue, picks the kernel form and
// hands over to the micro-kernel emitter (MicroKernel.cpp).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "MicroKernel.h"

#include "bnn/IR/BNNOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/IR/Dominance.h"

using namespace mlir;
using namespace bnn::cpu;
using bnn::CPUTargetInfo;

namespace {

/// When `op`'s result only feeds the `tensor.parallel_insert_slice` of an scf.forall (a tile
/// made by bnn-tile), a writable buffer of that tile's slice of the forall's shared output, so
/// that the kernel writes its results in place: one-shot bufferization makes the slice a
/// subview of the shared buffer, and the parallel_insert_slice of the kernel's tensor (the same
/// memory) a self-copy that canonicalization removes. Null otherwise. Writing through the slice
/// is safe because the shared output's initial value (an empty tensor) is never read.
Value sharedResultTile(OpBuilder &b, Operation *op, RankedTensorType tileType) {
  Value result = op->getResult(0);
  if (!result.hasOneUse())
    return Value();
  auto insert = dyn_cast<tensor::ParallelInsertSliceOp>(*result.getUsers().begin());
  auto forall = op->getParentOfType<scf::ForallOp>();
  if (!insert || !forall || insert.getSource() != result || insert.getSourceType() != tileType)
    return Value();
  auto sharedOut = dyn_cast<BlockArgument>(insert.getDest());
  if (!sharedOut || !llvm::is_contained(forall.getRegionIterArgs(), sharedOut))
    return Value();
  // The destination must start empty, and the slice's position be known before the op.
  Value init = forall.getTiedOpOperand(sharedOut)->get();
  if (!init.getDefiningOp<tensor::EmptyOp>())
    return Value();
  if (!llvm::all_of(insert.getStaticStrides(), [](int64_t s) { return s == 1; }))
    return Value();
  DominanceInfo dominance(forall);
  for (Value v : llvm::concat<Value>(insert.getOffsets(), insert.getSizes()))
    if (!dominance.properlyDominates(v, op))
      return Value();
  Location loc = op->getLoc();
  Value slice =
      tensor::ExtractSliceOp::create(b, loc, tileType, sharedOut, insert.getMixedOffsets(),
                                     insert.getMixedSizes(), insert.getMixedStrides());
  auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                                       ArrayRef<int64_t>{ShapedType::kDynamic, 1});
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(tileType.getShape(), tileType.getElementType(), layout), slice,
      /*read_only=*/false);
}

/// A constant upper bound of the rows of the 2-d packed value `packed`: its static row count,
/// or for the rows of a ragged bnn-tile tile (`bnn.slice` whose size is an `affine.min` with a
/// constant among its results, the tile size) that constant; ShapedType::kDynamic otherwise.
int64_t rowsUpperBound(Value packed) {
  auto type = cast<bnn::PackedType>(packed.getType());
  if (type.getShape().size() != 2)
    return ShapedType::kDynamic;
  if (!ShapedType::isDynamic(type.getShape()[0]))
    return type.getShape()[0];
  auto slice = packed.getDefiningOp<bnn::SliceOp>();
  if (!slice)
    return ShapedType::kDynamic;
  OpFoldResult size = slice.getMixedSizes().front();
  if (std::optional<int64_t> constant = getConstantIntValue(size))
    return *constant;
  auto min = dyn_cast<Value>(size).getDefiningOp<affine::AffineMinOp>();
  if (!min)
    return ShapedType::kDynamic;
  int64_t bound = ShapedType::kDynamic;
  for (AffineExpr result : min.getAffineMap().getResults())
    if (auto constant = dyn_cast<AffineConstantExpr>(result))
      bound =
          ShapedType::isDynamic(bound) ? constant.getValue() : std::min(bound, constant.getValue());
  return bound;
}

/// Shared lowering of the two binary matmul ops.
template <typename OpTy>
struct BinaryMatmulLowering : OpConversionPattern<OpTy> {
  BinaryMatmulLowering(const TypeConverter &converter, MLIRContext *context,
                       const CPUTargetInfo &target, bool parallel)
      : OpConversionPattern<OpTy>(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto lhsType = cast<bnn::PackedType>(op.getLhs().getType());
    int64_t k = lhsType.getK(), words = lhsType.getNumWords();
    Value lhsRows = collapseToRows(rewriter, loc, adaptor.getLhs());
    Value lhs = readBuffer(rewriter, loc, lhsRows);
    Value rhs = readBuffer(rewriter, loc, adaptor.getRhs());
    Value numRows = dimOf(rewriter, loc, lhs, 0);
    Value numCols = dimOf(rewriter, loc, rhs, 0);
    int64_t staticRows = cast<RankedTensorType>(lhsRows.getType()).getDimSize(0);
    int64_t staticCols = cast<RankedTensorType>(adaptor.getRhs().getType()).getDimSize(0);

    Epilogue epilogue;
    RankedTensorType resultType; // logical result, or storage for a packed result
    RankedTensorType outputRows;
    SmallVector<Value> dynamicSizes;
    if (ShapedType::isDynamic(staticRows))
      dynamicSizes.push_back(numRows);
    if constexpr (std::is_same_v<OpTy, bnn::XnorPopcountOp>) {
      resultType = op.getType();
      outputRows = RankedTensorType::get({staticRows, staticCols}, rewriter.getI32Type());
      if (ShapedType::isDynamic(staticCols))
        dynamicSizes.push_back(numCols);
    } else {
      // Scales and bias as rank-1 buffers (row_scale flattened like the lhs rows).
      auto readVector = [&](Value tensor) -> Value {
        if (!tensor)
          return Value();
        auto type = cast<RankedTensorType>(tensor.getType());
        if (type.getRank() == 0) {
          tensor = tensor::ExpandShapeOp::create(
              rewriter, loc, RankedTensorType::get({1}, type.getElementType()), tensor,
              ArrayRef<ReassociationIndices>{});
        } else if (type.getRank() > 1) {
          ReassociationIndices all;
          for (int64_t i = 0; i < type.getRank(); ++i)
            all.push_back(i);
          tensor = tensor::CollapseShapeOp::create(rewriter, loc, tensor,
                                                   ArrayRef<ReassociationIndices>{all});
        }
        auto flat = cast<RankedTensorType>(tensor.getType());
        auto layout = StridedLayoutAttr::get(rewriter.getContext(), ShapedType::kDynamic,
                                             ArrayRef<int64_t>{ShapedType::kDynamic});
        return bufferization::ToBufferOp::create(
            rewriter, loc, MemRefType::get(flat.getShape(), flat.getElementType(), layout),
            tensor, /*read_only=*/true);
      };
      epilogue.colScale = readVector(adaptor.getColScale());
      epilogue.rowScale = readVector(adaptor.getRowScale());
      epilogue.bias = readVector(adaptor.getBias());
      epilogue.relu = op.getActivation() == bnn::Activation::Relu;
      if (auto packed = dyn_cast<bnn::PackedType>(op.getType())) {
        epilogue.kind = Epilogue::Kind::Packed;
        resultType = packed.getStorageType();
        outputRows = RankedTensorType::get({staticRows, packed.getNumWords()},
                                           rewriter.getI64Type());
      } else {
        epilogue.kind = Epilogue::Kind::Float;
        resultType = cast<RankedTensorType>(op.getType());
        outputRows = RankedTensorType::get({staticRows, staticCols}, rewriter.getF32Type());
        if (ShapedType::isDynamic(staticCols))
          dynamicSizes.push_back(numCols);
      }
    }
    // A tile of a bnn-tile loop writes straight into its place in the shared result; anything
    // else into a fresh buffer.
    Value output;
    if (epilogue.kind != Epilogue::Kind::Packed && resultType == outputRows)
      output = sharedResultTile(rewriter, op, outputRows);
    if (!output)
      output = allocBuffer(rewriter, loc, outputRows, dynamicSizes);
    if (epilogue.kind == Epilogue::Kind::Packed) {
      Value zero = arith::ConstantIntOp::create(rewriter, loc, rewriter.getI64Type(), 0);
      linalg::FillOp::create(rewriter, loc, ValueRange{zero}, ValueRange{output});
    }
    int64_t work = ShapedType::isDynamic(staticCols)
                       ? ShapedType::kDynamic
                       : workOf(staticRows, staticCols * words);
    // The outer-product form interleaves the rhs once per kernel call: worth it when enough
    // rows reuse it (a GEMV streams the weights once and stays in the dot-product form). A
    // dynamic row count (a ragged bnn-tile tile, a dynamic batch) is tested at run time.
    using Form = KernelForm;
    Form form = Form::DotProduct;
    if (target.outerRows > 0) {
      if (ShapedType::isDynamic(staticRows))
        form = Form::Choose;
      else if (staticRows >= target.outerProductMinRows)
        form = Form::OuterProduct;
    }
    emitBinaryMatmulKernel(rewriter, loc, target, lhs, rhs, output, k, words, epilogue,
                           runInParallel(op, parallel, target, work), form,
                           rowsUpperBound(op.getRhs()));
    Value result = toTensor(rewriter, loc, output);
    rewriter.replaceOp(op, expandFromRows(rewriter, loc, result, resultType, adaptor.getLhs()));
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

} // namespace

void bnn::cpu::populateMatmulToCPUPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns,
                                           const CPUTargetInfo &target, bool parallel) {
  patterns.add<BinaryMatmulLowering<bnn::XnorPopcountOp>,
               BinaryMatmulLowering<bnn::XnorLinearOp>>(converter, patterns.getContext(),
                                                        target, parallel);
}
