//===- BNNToCPU.cpp - lower bnn ops to vectorized CPU loops ---------------===//
//
// Every bnn op becomes code on the packed storage tensor (`tensor<rows x W x i64>`, W =
// ceil(K/64)). Kernels that need explicit vector code (the binary matmuls, pack, unpack) are
// written on buffers between `bufferization.to_buffer` and `bufferization.to_tensor restrict`,
// so one-shot bufferization of the surrounding tensor program connects them without copies;
// elementwise ops become `linalg.generic` and follow the upstream path.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "dialects/bnn/IR/BNNOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/DialectConversion.h"

namespace bnn {
#define GEN_PASS_DEF_CONVERTBNNTOCPU
#define GEN_PASS_DEF_BNNSETCPUTARGET
#define GEN_PASS_DEF_BNNCOPYREPEATEDRESULTS
#define GEN_PASS_DEF_BNNLOWERALLOCASCOPES
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;
using ::bnn::CPUTargetInfo;
namespace bnnir = mlir::bnn;

namespace {

constexpr int64_t kWordBits = 64;
/// Largest kernel scratch (bytes) kept on the stack; OpenMP worker threads have 4 MiB stacks.
constexpr int64_t kMaxStackScratchBytes = 512 * 1024;

//===----------------------------------------------------------------------===//
// Small IR helpers
//===----------------------------------------------------------------------===//

Value indexConst(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// A rows x cols view of `tensor`: leading dimensions collapsed into one (rank 1 becomes one
/// row), the last dimension kept.
Value collapseToRows(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return tensor;
  if (rank == 1) {
    auto rowType = RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    return tensor::ExpandShapeOp::create(b, loc, rowType, tensor,
                                         ArrayRef<ReassociationIndices>{{0, 1}});
  }
  ReassociationIndices leading;
  for (int64_t i = 0; i < rank - 1; ++i)
    leading.push_back(i);
  return tensor::CollapseShapeOp::create(b, loc, tensor,
                                         ArrayRef<ReassociationIndices>{leading, {rank - 1}});
}

/// The inverse of collapseToRows for a result whose logical shape is `shape` (dynamic leading
/// dimensions are read from `shapeSource`, a tensor with the same leading dimensions).
Value expandFromRows(OpBuilder &b, Location loc, Value rows, RankedTensorType resultType,
                     Value shapeSource) {
  int64_t rank = resultType.getRank();
  if (rank == 2)
    return rows;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(b, loc, resultType, rows,
                                           ArrayRef<ReassociationIndices>{{0, 1}});
  ReassociationIndices leading;
  for (int64_t i = 0; i < rank - 1; ++i)
    leading.push_back(i);
  SmallVector<OpFoldResult> outputShape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!resultType.isDynamicDim(i))
      outputShape.push_back(b.getIndexAttr(resultType.getDimSize(i)));
    else
      outputShape.push_back(tensor::DimOp::create(b, loc, shapeSource, i).getResult());
  }
  return tensor::ExpandShapeOp::create(b, loc, resultType, rows,
                                       ArrayRef<ReassociationIndices>{leading, {rank - 1}},
                                       outputShape);
}

/// A read-only buffer view of a rows x cols tensor whose rows are contiguous (all bnn kernels
/// read whole rows), with any row stride and offset.
Value readBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  strides.back() = 1;
  auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType(), layout);
  return bufferization::ToBufferOp::create(b, loc, memrefType, tensor, /*read_only=*/true);
}

/// A fresh, 64-byte aligned buffer of `type` (dynamic sizes from `dynamicSizes`).
Value allocBuffer(OpBuilder &b, Location loc, RankedTensorType type, ValueRange dynamicSizes) {
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  return memref::AllocOp::create(b, loc, memrefType, dynamicSizes, b.getI64IntegerAttr(64));
}

Value toTensor(OpBuilder &b, Location loc, Value buffer) {
  auto memrefType = cast<MemRefType>(buffer.getType());
  auto tensorType = RankedTensorType::get(memrefType.getShape(), memrefType.getElementType());
  return bufferization::ToTensorOp::create(b, loc, tensorType, buffer, /*restrict=*/true,
                                           /*writable=*/true);
}

Value dimOf(OpBuilder &b, Location loc, Value shaped, int64_t dim) {
  auto type = cast<ShapedType>(shaped.getType());
  if (!type.isDynamicDim(dim))
    return indexConst(b, loc, type.getDimSize(dim));
  if (isa<MemRefType>(type))
    return memref::DimOp::create(b, loc, shaped, dim);
  return tensor::DimOp::create(b, loc, shaped, dim);
}

/// Whether the kernel of `op`, doing about `work` 64-bit word operations (ShapedType::kDynamic
/// when unknown), runs its rows on several threads: not inside a parallel loop already (bnn-tile
/// made one), and not so small that forking threads costs more than the work.
bool runInParallel(Operation *op, bool parallel, const CPUTargetInfo &target, int64_t work) {
  if (!parallel || op->getParentOfType<scf::ForallOp>() || op->getParentOfType<scf::ParallelOp>())
    return false;
  return ShapedType::isDynamic(work) || work >= target.minParallelWork;
}

/// rows * perRow, or kDynamic if rows is.
int64_t workOf(int64_t rows, int64_t perRow) {
  return ShapedType::isDynamic(rows) ? ShapedType::kDynamic : rows * perRow;
}

/// Emits `body(row)` for every row in [0, rows): an scf.parallel when `parallel`, else scf.for.
void forEachRow(OpBuilder &b, Location loc, Value rows, bool parallel,
                function_ref<void(OpBuilder &, Location, Value)> body) {
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  if (parallel) {
    scf::ParallelOp::create(b, loc, ValueRange{zero}, ValueRange{rows}, ValueRange{one},
                            [&](OpBuilder &nb, Location nloc, ValueRange ivs) {
                              body(nb, nloc, ivs[0]);
                            });
    return;
  }
  scf::ForOp::create(b, loc, zero, rows, one, ValueRange{},
                     [&](OpBuilder &nb, Location nloc, Value iv, ValueRange) {
                       body(nb, nloc, iv);
                       scf::YieldOp::create(nb, nloc);
                     });
}

/// for (iv = lb; iv < ub; iv += step) body(iv), with no loop-carried values.
void forLoop(OpBuilder &b, Location loc, Value lb, Value ub, int64_t step,
             function_ref<void(OpBuilder &, Location, Value)> body) {
  scf::ForOp::create(b, loc, lb, ub, indexConst(b, loc, step), ValueRange{},
                     [&](OpBuilder &nb, Location nloc, Value iv, ValueRange) {
                       body(nb, nloc, iv);
                       scf::YieldOp::create(nb, nloc);
                     });
}

/// The bnn sign rule on a float vector or scalar: +1 (true) unless x < 0, so -0.0 and NaN are
/// +1. `uge` is "unordered or greater-equal": exactly !(x < 0).
Value isPlusOne(OpBuilder &b, Location loc, Value x) {
  Type elementType = getElementTypeOrSelf(x.getType());
  if (elementType.isInteger(1))
    return x;
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(x.getType()));
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGE, x, zero);
}

//===----------------------------------------------------------------------===//
// bnn.constant, bnn.slice
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<bnnir::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnnir::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct SliceLowering : OpConversionPattern<bnnir::SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnnir::SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult> offsets = op.getMixedOffsets();
    SmallVector<OpFoldResult> sizes = op.getMixedSizes();
    offsets.push_back(rewriter.getIndexAttr(0));
    sizes.push_back(rewriter.getIndexAttr(op.getType().getNumWords()));
    SmallVector<OpFoldResult> strides(offsets.size(), rewriter.getIndexAttr(1));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, op.getType().getStorageType(), adaptor.getSource(), offsets, sizes, strides);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// bnn.pack, bnn.unpack: 64 elements <-> one word per step
//===----------------------------------------------------------------------===//

struct PackLowering : OpConversionPattern<bnnir::PackOp> {
  PackLowering(const TypeConverter &converter, MLIRContext *context, const CPUTargetInfo &target,
               bool parallel)
      : OpConversionPattern(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(bnnir::PackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bnnir::PackedType packedType = op.getType();
    int64_t k = packedType.getK(), words = packedType.getNumWords();
    Value rows = collapseToRows(rewriter, loc, adaptor.getInput());
    Value input = readBuffer(rewriter, loc, rows);
    Value numRows = dimOf(rewriter, loc, input, 0);
    auto storageRows = RankedTensorType::get(
        {cast<RankedTensorType>(rows.getType()).getDimSize(0), words}, rewriter.getI64Type());
    SmallVector<Value> dynamicSizes;
    if (storageRows.isDynamicDim(0))
      dynamicSizes.push_back(numRows);
    Value output = allocBuffer(rewriter, loc, storageRows, dynamicSizes);

    Type elementType = op.getInput().getType().getElementType();
    auto chunkType = VectorType::get({kWordBits}, elementType);
    // Elements past K read as -1 (bit 0), which keeps the padding bits zero.
    Value padding = elementType.isInteger(1)
                        ? Value(arith::ConstantIntOp::create(rewriter, loc, elementType, 0))
                        : Value(arith::ConstantOp::create(
                              rewriter, loc, rewriter.getFloatAttr(elementType, -1.0)));
    auto wordType = VectorType::get({1}, rewriter.getI64Type());
    auto emitWord = [&](OpBuilder &b, Location l, Value row, Value word, bool inBounds) {
      Value first = arith::MulIOp::create(b, l, word, indexConst(b, l, kWordBits));
      Value chunk = vector::TransferReadOp::create(b, l, chunkType, input, ValueRange{row, first},
                                                   padding, ArrayRef<bool>{inBounds});
      Value bits = isPlusOne(b, l, chunk);
      Value packed = vector::BitCastOp::create(b, l, wordType, bits);
      Value scalar = vector::ExtractOp::create(b, l, packed, ArrayRef<int64_t>{0});
      memref::StoreOp::create(b, l, scalar, output, ValueRange{row, word});
    };
    bool parallelRows =
        runInParallel(op, parallel, target, workOf(packedType.getNumRows(), words));
    forEachRow(rewriter, loc, numRows, parallelRows, [&](OpBuilder &b, Location l, Value row) {
      int64_t fullWords = k / kWordBits;
      if (fullWords > 0)
        forLoop(b, l, indexConst(b, l, 0), indexConst(b, l, fullWords), 1,
                [&](OpBuilder &ib, Location il, Value w) { emitWord(ib, il, row, w, true); });
      if (k % kWordBits != 0)
        emitWord(b, l, row, indexConst(b, l, fullWords), false);
    });
    Value storage = toTensor(rewriter, loc, output);
    rewriter.replaceOp(op, expandFromRows(rewriter, loc, storage, packedType.getStorageType(),
                                          adaptor.getInput()));
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

struct UnpackLowering : OpConversionPattern<bnnir::UnpackOp> {
  UnpackLowering(const TypeConverter &converter, MLIRContext *context,
                 const CPUTargetInfo &target, bool parallel)
      : OpConversionPattern(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(bnnir::UnpackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bnnir::PackedType packedType = op.getInput().getType();
    int64_t k = packedType.getK();
    RankedTensorType resultType = op.getType();
    Type elementType = resultType.getElementType();
    Value rows = collapseToRows(rewriter, loc, adaptor.getInput());
    Value input = readBuffer(rewriter, loc, rows);
    Value numRows = dimOf(rewriter, loc, input, 0);
    auto resultRows = RankedTensorType::get(
        {cast<RankedTensorType>(rows.getType()).getDimSize(0), k}, elementType);
    SmallVector<Value> dynamicSizes;
    if (resultRows.isDynamicDim(0))
      dynamicSizes.push_back(numRows);
    Value output = allocBuffer(rewriter, loc, resultRows, dynamicSizes);

    auto bitsType = VectorType::get({kWordBits}, rewriter.getI1Type());
    auto chunkType = VectorType::get({kWordBits}, elementType);
    auto wordType = VectorType::get({1}, rewriter.getI64Type());
    auto emitWord = [&](OpBuilder &b, Location l, Value row, Value word, bool inBounds) {
      Value scalar = memref::LoadOp::create(b, l, input, ValueRange{row, word});
      Value packed = vector::BroadcastOp::create(b, l, wordType, scalar);
      Value bits = vector::BitCastOp::create(b, l, bitsType, packed);
      Value chunk = bits;
      if (!elementType.isInteger(1)) {
        Value plus = arith::ConstantOp::create(
            b, l, DenseElementsAttr::get(chunkType, b.getFloatAttr(elementType, 1.0)));
        Value minus = arith::ConstantOp::create(
            b, l, DenseElementsAttr::get(chunkType, b.getFloatAttr(elementType, -1.0)));
        chunk = arith::SelectOp::create(b, l, bits, plus, minus);
      }
      Value first = arith::MulIOp::create(b, l, word, indexConst(b, l, kWordBits));
      vector::TransferWriteOp::create(b, l, chunk, output, ValueRange{row, first},
                                      ArrayRef<bool>{inBounds});
    };
    bool parallelRows =
        runInParallel(op, parallel, target, workOf(packedType.getNumRows(), packedType.getNumWords()));
    forEachRow(rewriter, loc, numRows, parallelRows, [&](OpBuilder &b, Location l, Value row) {
      int64_t fullWords = k / kWordBits;
      if (fullWords > 0)
        forLoop(b, l, indexConst(b, l, 0), indexConst(b, l, fullWords), 1,
                [&](OpBuilder &ib, Location il, Value w) { emitWord(ib, il, row, w, true); });
      if (k % kWordBits != 0)
        emitWord(b, l, row, indexConst(b, l, fullWords), false);
    });
    Value result = toTensor(rewriter, loc, output);
    rewriter.replaceOp(op, expandFromRows(rewriter, loc, result, resultType, adaptor.getInput()));
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

//===----------------------------------------------------------------------===//
// bnn.sign, bnn.ste, bnn.scaled_sign: elementwise linalg
//===----------------------------------------------------------------------===//

/// out = select(x is +1, plus, minus) elementwise, with `plus`/`minus` produced per element by
/// `makeValues` from the extra inputs (e.g. a per-channel scale).
Value emitSignSelect(OpBuilder &b, Location loc, Value input, ValueRange extraInputs,
                     ArrayRef<AffineMap> extraMaps,
                     function_ref<std::pair<Value, Value>(OpBuilder &, Location, ValueRange)>
                         makeValues) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, i));
  Value init = tensor::EmptyOp::create(b, loc, type, dynamicSizes);
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<AffineMap> maps = {identity};
  maps.append(extraMaps.begin(), extraMaps.end());
  maps.push_back(identity);
  SmallVector<Value> inputs = {input};
  inputs.append(extraInputs.begin(), extraInputs.end());
  SmallVector<utils::IteratorType> iterators(type.getRank(), utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        auto [plus, minus] = makeValues(nb, nloc, args.drop_front().drop_back());
        Value bit = isPlusOne(nb, nloc, args[0]);
        linalg::YieldOp::create(nb, nloc, arith::SelectOp::create(nb, nloc, bit, plus, minus)
                                              .getResult());
      });
  return generic.getResult(0);
}

Value emitPlainSign(OpBuilder &b, Location loc, Value input) {
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  return emitSignSelect(b, loc, input, {}, {}, [&](OpBuilder &nb, Location nloc, ValueRange) {
    Value plus = arith::ConstantOp::create(nb, nloc, nb.getFloatAttr(elementType, 1.0));
    Value minus = arith::ConstantOp::create(nb, nloc, nb.getFloatAttr(elementType, -1.0));
    return std::make_pair(plus, minus);
  });
}

/// bnn.sign, and bnn.ste whose forward is the same sign (its backward rule belongs to
/// training steps).
template <typename OpTy>
struct PlainSignLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, emitPlainSign(rewriter, op.getLoc(), adaptor.getInput()));
    return success();
  }
};

struct ScaledSignLowering : OpConversionPattern<bnnir::ScaledSignOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnnir::ScaledSignOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    bool perChannel = op.getGranularity() == bnnir::ScaleGranularity::PerChannel;
    int64_t rank = type.getRank();

    // alpha as a rank-0 tensor (per tensor) or a [D0] tensor (per channel).
    Value alpha = adaptor.getAlpha();
    if (alpha && !perChannel && cast<RankedTensorType>(alpha.getType()).getRank() == 1)
      alpha = tensor::CollapseShapeOp::create(rewriter, loc, alpha,
                                              ArrayRef<ReassociationIndices>{});
    if (!alpha)
      alpha = emitMeanAbs(rewriter, loc, input, perChannel);

    AffineMap alphaMap = perChannel
                             ? AffineMap::get(rank, 0, rewriter.getAffineDimExpr(0))
                             : AffineMap::get(rank, 0, {}, rewriter.getContext());
    Value result = emitSignSelect(
        rewriter, loc, input, ValueRange{alpha}, {alphaMap},
        [&](OpBuilder &nb, Location nloc, ValueRange extra) {
          // alpha * (+1) and alpha * (-1) are exactly alpha and -alpha.
          Value plus = extra[0];
          Value minus = arith::NegFOp::create(nb, nloc, plus);
          return std::make_pair(plus, minus);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  /// mean(|x|) over the tensor (rank-0 result) or over each index of dimension 0 ([D0]),
  /// summed in f64 like the reference semantics, then rounded once to the element type.
  static Value emitMeanAbs(OpBuilder &b, Location loc, Value input, bool perChannel) {
    auto type = cast<RankedTensorType>(input.getType());
    Type elementType = type.getElementType();
    int64_t rank = type.getRank();
    SmallVector<int64_t> sumShape;
    SmallVector<Value> sumDynamic;
    if (perChannel) {
      sumShape.push_back(type.getDimSize(0));
      if (type.isDynamicDim(0))
        sumDynamic.push_back(tensor::DimOp::create(b, loc, input, 0));
    }
    auto f64 = b.getF64Type();
    auto sumType = RankedTensorType::get(sumShape, f64);
    Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
    Value init = tensor::EmptyOp::create(b, loc, sumType, sumDynamic);
    Value filled = linalg::FillOp::create(b, loc, zero, init).getResult(0);
    SmallVector<AffineMap> maps = {
        b.getMultiDimIdentityMap(rank),
        perChannel ? AffineMap::get(rank, 0, b.getAffineDimExpr(0))
                   : AffineMap::get(rank, 0, {}, b.getContext())};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::reduction);
    if (perChannel && rank > 0)
      iterators[0] = utils::IteratorType::parallel;
    Value sums =
        linalg::GenericOp::create(
            b, loc, TypeRange{sumType}, ValueRange{input}, ValueRange{filled}, maps, iterators,
            [&](OpBuilder &nb, Location nloc, ValueRange args) {
              Value wide = arith::ExtFOp::create(nb, nloc, f64, args[0]);
              Value magnitude = math::AbsFOp::create(nb, nloc, wide);
              linalg::YieldOp::create(
                  nb, nloc, arith::AddFOp::create(nb, nloc, args[1], magnitude).getResult());
            })
            .getResult(0);
    // Element count per sum: all elements, or those of one channel.
    Value count = indexConst(b, loc, 1);
    for (int64_t i = perChannel ? 1 : 0; i < rank; ++i)
      count = arith::MulIOp::create(b, loc, count, dimOf(b, loc, input, i));
    Value countF = arith::UIToFPOp::create(
        b, loc, f64, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), count));
    auto alphaType = RankedTensorType::get(sumShape, elementType);
    Value alphaInit = tensor::EmptyOp::create(b, loc, alphaType, sumDynamic);
    AffineMap id = b.getMultiDimIdentityMap(sumShape.size());
    SmallVector<utils::IteratorType> parallelIt(sumShape.size(), utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{alphaType}, ValueRange{sums}, ValueRange{alphaInit},
               ArrayRef<AffineMap>{id, id}, parallelIt,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 // An empty tensor has no magnitude to average: alpha = 0, as the reference.
                 Value mean = arith::DivFOp::create(nb, nloc, args[0], countF);
                 Value isEmpty = arith::CmpFOp::create(
                     nb, nloc, arith::CmpFPredicate::OEQ, countF,
                     arith::ConstantOp::create(nb, nloc, nb.getF64FloatAttr(0.0)));
                 Value safe = arith::SelectOp::create(
                     nb, nloc, isEmpty,
                     arith::ConstantOp::create(nb, nloc, nb.getF64FloatAttr(0.0)), mean);
                 linalg::YieldOp::create(
                     nb, nloc, arith::TruncFOp::create(nb, nloc, elementType, safe).getResult());
               })
        .getResult(0);
  }
};

//===----------------------------------------------------------------------===//
// bnn.xnor_popcount, bnn.xnor_linear: the register-blocked micro-kernel
//===----------------------------------------------------------------------===//

/// `#llvm.loop_annotation<unroll = <disable = true>>`, which scf-to-cf carries to the latch.
Attribute noUnroll(MLIRContext *context) {
  return LLVM::LoopAnnotationAttr::get(
      context, /*disableNonforced=*/{}, /*vectorize=*/{}, /*interleave=*/{},
      LLVM::LoopUnrollAttr::get(context, BoolAttr::get(context, true), {}, {}, {}, {}, {}, {}),
      /*unrollAndJam=*/{}, /*licm=*/{}, /*distribute=*/{}, /*pipeline=*/{}, /*peeled=*/{},
      /*unswitch=*/{}, /*mustProgress=*/{}, /*isVectorized=*/{}, /*startLoc=*/{},
      /*endLoc=*/{}, /*parallelAccesses=*/{});
}

/// What happens to each dot product once it is computed.
struct Epilogue {
  enum class Kind { Int32, Float, Packed } kind = Kind::Int32;
  Value colScale, rowScale, bias; // buffers, or null
  bool relu = false;
};

class BinaryMatmulEmitter {
public:
  BinaryMatmulEmitter(OpBuilder &b, Location loc, const CPUTargetInfo &target, Value lhs,
                      Value rhs, Value output, int64_t k, int64_t words, Epilogue epilogue)
      : b(b), loc(loc), target(target), lhs(lhs), rhs(rhs), output(output), k(k), words(words),
        epilogue(std::move(epilogue)) {}

  /// Which form of the kernel to emit (see emitOuterProduct and emitDotProduct); `Choose`
  /// decides at run time from the row count (for dynamically shaped tiles and operands).
  enum class Form { DotProduct, OuterProduct, Choose };

  /// Emits the whole product; `colsBound` is a constant upper bound of the rhs rows when they
  /// are dynamic (ShapedType::kDynamic if none is known), which sizes the outer-product scratch.
  void emit(bool parallel, Form form, int64_t colsBound) {
    colsUpperBound = colsBound;
    if (form == Form::OuterProduct)
      return emitOuterProduct(parallel);
    if (form == Form::DotProduct)
      return emitDotProduct(parallel);
    Value enough = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, dimOf(b, loc, lhs, 0),
                                         indexConst(b, loc, target.outerProductMinRows));
    auto ifOp = scf::IfOp::create(b, loc, enough, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    emitOuterProduct(parallel);
    b.setInsertionPointToStart(ifOp.elseBlock());
    emitDotProduct(parallel);
  }

private:
  /// The dot-product form: row groups of registerRows (parallel when asked), each sweeping all
  /// columns in blocks of registerCols.
  void emitDotProduct(bool parallel) {
    int64_t mr = target.registerRows;
    Value numRows = dimOf(b, loc, lhs, 0);
    Value groups = arith::CeilDivUIOp::create(b, loc, numRows, indexConst(b, loc, mr));
    eachRow(groups, parallel, [&](Value group) {
      Value m0 = mul(group, mr);
      Value left = arith::SubIOp::create(b, loc, numRows, m0);
      Value full =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, left, indexConst(b, loc, mr));
      auto ifOp = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      emitRowBlock(m0, mr);
      b.setInsertionPointToStart(ifOp.elseBlock());
      loop(m0, numRows, 1, [&](Value m) { emitRowBlock(m, 1); });
    });
  }

  /// for (iv = lb; iv < ub; iv += step) body(iv), with `b` inserting into the body.
  void loop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body) {
    forLoop(b, loc, lb, ub, step, [&](OpBuilder &lb, Location, Value iv) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(lb.getInsertionBlock(), lb.getInsertionPoint());
      body(iv);
    });
  }

  /// forEachRow with `b` inserting into the body.
  void eachRow(Value rows, bool parallel, function_ref<void(Value)> body) {
    forEachRow(b, loc, rows, parallel, [&](OpBuilder &nb, Location, Value iv) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      body(iv);
    });
  }

  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t c) { return arith::MulIOp::create(b, loc, x, indexConst(b, loc, c)); }
  Value minIndex(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  /// x rounded down to a multiple of c, counted from `from`: from + (x - from) / c * c.
  Value roundDown(Value from, Value x, int64_t c) {
    Value span = arith::SubIOp::create(b, loc, x, from);
    return add(from,
               arith::SubIOp::create(b, loc, span,
                                     arith::RemUIOp::create(b, loc, span, indexConst(b, loc, c))));
  }

  //===--------------------------------------------------------------------===//
  // Outer-product form
  //===--------------------------------------------------------------------===//
  //
  // The rhs is first interleaved into panels of L = vectorWords rows: word w of rows
  // n0 .. n0+L-1 sits in one vector (`panels[p][w][0..L)`, zero rows past N). The micro-kernel
  // then broadcasts one lhs word and XORs it with a panel vector, so lane l of an accumulator
  // counts the output of column n0 + l: every output lives in its own lane, and no horizontal
  // reduction is left (the dot-product form pays ~2 shuffles per output for it, on the same
  // port as vpopcntq). Interleaving reads the rhs once, next to M / L times in the product.

  /// Fills `panels` (P x words x L) from the rhs.
  void emitInterleave(Value panels, Value numPanels, Value numCols, bool parallel) {
    int64_t lanes = target.vectorWords;
    auto i64 = b.getI64Type();
    auto laneType = VectorType::get({lanes}, i64);
    int64_t mainWords = words - words % lanes;
    eachRow(numPanels, parallel, [&](Value p) {
      Value n0 = mul(p, lanes);
      Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                         add(n0, indexConst(b, loc, lanes)), numCols);
      auto ifOp = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
      {
        // A whole panel: L x L blocks of words transposed in registers (log2(L) levels of
        // two-input shuffles), the leftover words one by one.
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        SmallVector<Value> rowIndex;
        for (int64_t r = 0; r < lanes; ++r)
          rowIndex.push_back(add(n0, indexConst(b, loc, r)));
        if (mainWords > 0)
          loop(indexConst(b, loc, 0), indexConst(b, loc, mainWords), lanes, [&](Value w) {
            SmallVector<Value> block;
            for (int64_t r = 0; r < lanes; ++r)
              block.push_back(
                  vector::LoadOp::create(b, loc, laneType, rhs, ValueRange{rowIndex[r], w}));
            for (int64_t span = 1; span < lanes; span *= 2) {
              SmallVector<int64_t> lowMask, highMask;
              for (int64_t lane = 0; lane < lanes; ++lane) {
                bool second = lane & span;
                lowMask.push_back(second ? lanes + lane - span : lane);
                highMask.push_back(second ? lanes + lane : lane + span);
              }
              SmallVector<Value> next(block);
              for (int64_t r = 0; r < lanes; ++r)
                if (!(r & span)) {
                  next[r] = vector::ShuffleOp::create(b, loc, block[r], block[r + span], lowMask);
                  next[r + span] =
                      vector::ShuffleOp::create(b, loc, block[r], block[r + span], highMask);
                }
              block = std::move(next);
            }
            for (int64_t c = 0; c < lanes; ++c)
              vector::StoreOp::create(
                  b, loc, block[c], panels,
                  ValueRange{p, add(w, indexConst(b, loc, c)), indexConst(b, loc, 0)});
          });
        if (mainWords < words)
          loop(indexConst(b, loc, mainWords), indexConst(b, loc, words), 1, [&](Value w) {
            for (int64_t r = 0; r < lanes; ++r) {
              Value word = memref::LoadOp::create(b, loc, rhs, ValueRange{rowIndex[r], w});
              memref::StoreOp::create(b, loc, word, panels,
                                      ValueRange{p, w, indexConst(b, loc, r)});
            }
          });
      }
      {
        // The last, partial panel: rows past N read as zero words.
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.elseBlock());
        Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
        loop(indexConst(b, loc, 0), indexConst(b, loc, words), 1, [&](Value w) {
          for (int64_t r = 0; r < lanes; ++r) {
            Value n = add(n0, indexConst(b, loc, r));
            Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n, numCols);
            // Clamp the row so the load stays in bounds; the select drops its value.
            Value row = minIndex(n, arith::SubIOp::create(b, loc, numCols, indexConst(b, loc, 1)));
            Value word = memref::LoadOp::create(b, loc, rhs, ValueRange{row, w});
            word = arith::SelectOp::create(b, loc, inside, word, zero);
            memref::StoreOp::create(b, loc, word, panels, ValueRange{p, w, indexConst(b, loc, r)});
          }
        });
      }
    });
  }

  /// Scratch memory of `type` (64-byte aligned): on the stack when `onStack`, else the heap.
  /// A heap block per tile would be returned to the system and faulted in again on every
  /// tile by glibc's per-thread arenas (halving 2-thread speed), so small, static scratch
  /// lives on the stack instead, in an alloca scope.
  Value scratch(MemRefType type, ValueRange dynamicSizes, bool onStack) {
    if (onStack)
      return memref::AllocaOp::create(b, loc, type, dynamicSizes, b.getI64IntegerAttr(64));
    return memref::AllocOp::create(b, loc, type, dynamicSizes, b.getI64IntegerAttr(64));
  }

  /// A contiguous copy of a per-column epilogue vector, zero-padded to `length` so that the
  /// kernel reads whole panels with plain vector loads.
  Value paddedCopy(Value source, Value numCols, Value length, MemRefType type, bool onStack) {
    Value copy = scratch(type, type.hasStaticShape() ? ValueRange{} : ValueRange{length}, onStack);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    loop(indexConst(b, loc, 0), length, 1, [&](Value n) {
      Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n, numCols);
      auto ifOp = scf::IfOp::create(
          b, loc, inside,
          [&](OpBuilder &tb, Location tl) {
            scf::YieldOp::create(tb, tl,
                                 memref::LoadOp::create(tb, tl, source, ValueRange{n}).getResult());
          },
          [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, zero); });
      memref::StoreOp::create(b, loc, ifOp.getResult(0), copy, ValueRange{n});
    });
    return copy;
  }

  /// The outer-product form: interleave the rhs, then (parallel over slabs of tileRows rows)
  /// sweep chunks of tileCols columns so that a chunk's panels stay in L1/L2 while every
  /// register block of the slab's rows passes over them.
  void emitOuterProduct(bool parallel) {
    int64_t lanes = target.vectorWords;
    Value numRows = dimOf(b, loc, lhs, 0);
    Value numCols = dimOf(b, loc, rhs, 0);
    Value numPanels = arith::CeilDivUIOp::create(b, loc, numCols, indexConst(b, loc, lanes));
    // Scratch: the panels and padded copies of the per-column epilogue vectors.
    // Sized for the static column count, or for its upper bound in a ragged tile.
    int64_t staticCols = cast<MemRefType>(rhs.getType()).getDimSize(0);
    if (ShapedType::isDynamic(staticCols))
      staticCols = colsUpperBound;
    int64_t staticPanels = ShapedType::isDynamic(staticCols) ? ShapedType::kDynamic
                                                             : llvm::divideCeil(staticCols, lanes);
    auto panelsType = MemRefType::get({staticPanels, words, lanes}, b.getI64Type());
    auto vectorType = MemRefType::get(
        {ShapedType::isDynamic(staticPanels) ? ShapedType::kDynamic : staticPanels * lanes},
        b.getF32Type());
    bool onStack = false;
    if (!ShapedType::isDynamic(staticPanels)) {
      int64_t bytes = staticPanels * lanes * (words * 8 + 8);
      onStack = bytes <= kMaxStackScratchBytes;
    }
    // Stack scratch is released when the kernel ends (it may sit in a loop over tiles):
    // everything below goes into an alloca scope (bnn-lower-alloca-scopes turns it into a
    // stack save/restore before scf-to-cf).
    OpBuilder::InsertionGuard guard(b);
    if (onStack) {
      auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
      Block *body = new Block();
      scope.getBodyRegion().push_back(body);
      b.setInsertionPointToStart(body);
      memref::AllocaScopeReturnOp::create(b, loc);
      b.setInsertionPointToStart(body);
    }
    Value panels = scratch(
        panelsType, panelsType.hasStaticShape() ? ValueRange{} : ValueRange{numPanels}, onStack);
    emitInterleave(panels, numPanels, numCols, parallel);
    if (epilogue.colScale || epilogue.bias) {
      Value length = mul(numPanels, lanes);
      if (epilogue.colScale)
        colScaleCopy = paddedCopy(epilogue.colScale, numCols, length, vectorType, onStack);
      if (epilogue.bias)
        biasCopy = paddedCopy(epilogue.bias, numCols, length, vectorType, onStack);
    }

    int64_t slab = std::max<int64_t>(target.tileRows, target.outerRows);
    int64_t chunk = std::max<int64_t>(target.tileCols / lanes, 1);
    int64_t mr = target.outerRows, nr = target.outerPanels;
    Value numSlabs = arith::CeilDivUIOp::create(b, loc, numRows, indexConst(b, loc, slab));
    eachRow(numSlabs, parallel, [&](Value s) {
      Value r0 = mul(s, slab);
      Value r1 = minIndex(add(r0, indexConst(b, loc, slab)), numRows);
      Value fullRows = roundDown(r0, r1, mr);
      loop(indexConst(b, loc, 0), numPanels, chunk, [&](Value c0) {
        Value c1 = minIndex(add(c0, indexConst(b, loc, chunk)), numPanels);
        Value fullPanels = roundDown(c0, c1, nr);
        auto sweep = [&](Value m0, int64_t rows) {
          loop(c0, fullPanels, nr,
               [&](Value p0) { emitOuterBlock(panels, numCols, m0, rows, p0, nr); });
          if (nr > 1)
            loop(fullPanels, c1, 1,
                 [&](Value p0) { emitOuterBlock(panels, numCols, m0, rows, p0, 1); });
        };
        loop(r0, fullRows, mr, [&](Value m0) { sweep(m0, mr); });
        if (mr > 1)
          loop(fullRows, r1, 1, [&](Value m0) { sweep(m0, 1); });
      });
    });
  }

  /// rows x cols panels of accumulators (rows * cols * L outputs) over all words.
  void emitOuterBlock(Value panels, Value numCols, Value m0, int64_t rows, Value p0, int64_t cols) {
    int64_t lanes = target.vectorWords;
    auto i64 = b.getI64Type();
    auto accType = VectorType::get({lanes}, i64);
    SmallVector<Value> rowIndex, panelIndex;
    for (int64_t i = 0; i < rows; ++i)
      rowIndex.push_back(i == 0 ? m0 : add(m0, indexConst(b, loc, i)));
    for (int64_t j = 0; j < cols; ++j)
      panelIndex.push_back(j == 0 ? p0 : add(p0, indexConst(b, loc, j)));
    Value zero =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, b.getI64IntegerAttr(0)));
    SmallVector<Value> init(rows * cols, zero);
    auto wordLoop = scf::ForOp::create(
        b, loc, indexConst(b, loc, 0), indexConst(b, loc, words), indexConst(b, loc, 1), init,
        [&](OpBuilder &lb, Location ll, Value w, ValueRange accs) {
          SmallVector<Value> a, c, next;
          for (Value p : panelIndex)
            c.push_back(vector::LoadOp::create(lb, ll, accType, panels,
                                               ValueRange{p, w, indexConst(lb, ll, 0)}));
          for (Value m : rowIndex)
            a.push_back(vector::BroadcastOp::create(
                lb, ll, accType, memref::LoadOp::create(lb, ll, lhs, ValueRange{m, w})));
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) {
              Value count =
                  math::CtPopOp::create(lb, ll, arith::XOrIOp::create(lb, ll, a[i], c[j]));
              next.push_back(arith::AddIOp::create(lb, ll, accs[i * cols + j], count));
            }
          scf::YieldOp::create(lb, ll, next);
        });
    wordLoop->setAttr("llvm.loop_annotation", noUnroll(b.getContext()));

    // dot = K - 2 * popcount(a XOR b), lane by lane.
    Value kVector =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, b.getI64IntegerAttr(k)));
    Value oneVector =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(accType, b.getI64IntegerAttr(1)));
    auto i32Vector = VectorType::get({lanes}, b.getI32Type());
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        Value twice = arith::ShLIOp::create(b, loc, wordLoop.getResult(i * cols + j), oneVector);
        Value dots = arith::TruncIOp::create(b, loc, i32Vector,
                                             arith::SubIOp::create(b, loc, kVector, twice));
        emitLaneEpilogue(rowIndex[i], panelIndex[j], numCols, dots);
      }
  }

  /// bnn.xnor_linear's float epilogue on `y` (float(dot), a scalar or a vector), in its order:
  /// ((y * col_scale) * row_scale) + bias, then relu as arith.maximumf(y, +0); the loaders
  /// give col_scale, row_scale and bias in y's shape and are called only for those present.
  Value applyLinearEpilogue(Value y, function_ref<Value()> colScale, function_ref<Value()> rowScale,
                            function_ref<Value()> bias) {
    if (epilogue.colScale)
      y = arith::MulFOp::create(b, loc, y, colScale());
    if (epilogue.rowScale)
      y = arith::MulFOp::create(b, loc, y, rowScale());
    if (epilogue.bias)
      y = arith::AddFOp::create(b, loc, y, bias());
    if (epilogue.relu)
      y = arith::MaximumFOp::create(b, loc, y,
                                    arith::ConstantOp::create(b, loc, b.getZeroAttr(y.getType())));
    return y;
  }

  /// The epilogue of the L outputs of row m in panel p (columns p * L ...), masked to N.
  void emitLaneEpilogue(Value m, Value p, Value numCols, Value dots) {
    int64_t lanes = target.vectorWords;
    Value n0 = mul(p, lanes);
    auto maskType = VectorType::get({lanes}, b.getI1Type());
    Value mask = vector::CreateMaskOp::create(
        b, loc, maskType, ValueRange{arith::SubIOp::create(b, loc, numCols, n0)});
    if (epilogue.kind == Epilogue::Kind::Int32) {
      vector::MaskedStoreOp::create(b, loc, output, ValueRange{m, n0}, mask, dots);
      return;
    }
    auto f32Vector = VectorType::get({lanes}, b.getF32Type());
    Value y = applyLinearEpilogue(
        arith::SIToFPOp::create(b, loc, f32Vector, dots),
        [&] { return vector::LoadOp::create(b, loc, f32Vector, colScaleCopy, ValueRange{n0}); },
        [&] {
          return vector::BroadcastOp::create(
              b, loc, f32Vector, memref::LoadOp::create(b, loc, epilogue.rowScale, ValueRange{m}));
        },
        [&] { return vector::LoadOp::create(b, loc, f32Vector, biasCopy, ValueRange{n0}); });
    if (epilogue.kind == Epilogue::Kind::Float) {
      vector::MaskedStoreOp::create(b, loc, output, ValueRange{m, n0}, mask, y);
      return;
    }
    // Re-binarize: the L sign bits are bits n0 % 64 ... of word n0 / 64 (L divides 64); lanes
    // past N stay zero. Rows belong to one thread, so the read-modify-write is race-free.
    auto i64 = b.getI64Type();
    Value bits = arith::AndIOp::create(b, loc, isPlusOne(b, loc, y), mask);
    Value packed =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getIntegerType(lanes)), bits);
    Value field = arith::ExtUIOp::create(
        b, loc, i64, vector::ExtractOp::create(b, loc, packed, ArrayRef<int64_t>{0}));
    Value word = arith::DivUIOp::create(b, loc, n0, indexConst(b, loc, kWordBits));
    Value shift = arith::IndexCastUIOp::create(
        b, loc, i64, arith::RemUIOp::create(b, loc, n0, indexConst(b, loc, kWordBits)));
    Value old = memref::LoadOp::create(b, loc, output, ValueRange{m, word});
    memref::StoreOp::create(
        b, loc, arith::OrIOp::create(b, loc, old, arith::ShLIOp::create(b, loc, field, shift)),
        output, ValueRange{m, word});
  }

  //===--------------------------------------------------------------------===//
  // Dot-product form
  //===--------------------------------------------------------------------===//

  /// `rows` rows starting at m0, against every column.
  void emitRowBlock(Value m0, int64_t rows) {
    int64_t nr = rows == 1 ? target.singleRowCols : target.registerCols;
    Value numCols = dimOf(b, loc, rhs, 0);
    Value zero = indexConst(b, loc, 0);
    Value mainCols = roundDown(zero, numCols, nr);
    loop(zero, mainCols, nr, [&](Value n0) { emitBlock(m0, rows, n0, nr); });
    if (nr > 1)
      loop(mainCols, numCols, 1, [&](Value n0) { emitBlock(m0, rows, n0, 1); });
  }

  /// rows x cols accumulators over all words: the XOR/popcount inner loop.
  void emitBlock(Value m0, int64_t rows, Value n0, int64_t cols) {
    int64_t vw = target.vectorWords;
    int64_t mainWords = words - words % vw, tailWords = words % vw;
    auto i64 = b.getI64Type();
    auto accType = VectorType::get({vw}, i64);
    SmallVector<Value> rowIndex, colIndex;
    for (int64_t i = 0; i < rows; ++i)
      rowIndex.push_back(i == 0 ? m0 : arith::AddIOp::create(b, loc, m0, indexConst(b, loc, i)));
    for (int64_t j = 0; j < cols; ++j)
      colIndex.push_back(j == 0 ? n0 : arith::AddIOp::create(b, loc, n0, indexConst(b, loc, j)));

    auto accumulate = [&](OpBuilder &ob, Location ol, VectorType type, Value w,
                          ValueRange accs) {
      SmallVector<Value> a, c, next;
      for (Value r : rowIndex)
        a.push_back(vector::LoadOp::create(ob, ol, type, lhs, ValueRange{r, w}));
      for (Value n : colIndex)
        c.push_back(vector::LoadOp::create(ob, ol, type, rhs, ValueRange{n, w}));
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          Value x = arith::XOrIOp::create(ob, ol, a[i], c[j]);
          Value count = math::CtPopOp::create(ob, ol, x);
          next.push_back(accs.empty() ? count
                                      : arith::AddIOp::create(ob, ol, accs[i * cols + j], count)
                                            .getResult());
        }
      return next;
    };

    int64_t numAccs = rows * cols;
    // One vector of per-lane popcounts per output of the block (null: nothing counted yet).
    SmallVector<Value> accs(numAccs);
    if (mainWords > 0) {
      Value zero = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                                         accType, b.getI64IntegerAttr(0)));
      SmallVector<Value> init(numAccs, zero);
      auto loop = scf::ForOp::create(
          b, loc, indexConst(b, loc, 0), indexConst(b, loc, mainWords), indexConst(b, loc, vw),
          init, [&](OpBuilder &lb, Location ll, Value w, ValueRange accs) {
            scf::YieldOp::create(lb, ll, accumulate(lb, ll, accType, w, accs));
          });
      // The block already holds registerRows x registerCols accumulators: unrolling the word
      // loop on top makes LLVM hoist the next iteration's loads and spill accumulators.
      loop->setAttr("llvm.loop_annotation", noUnroll(b.getContext()));
      for (int64_t i = 0; i < numAccs; ++i)
        accs[i] = loop.getResult(i);
    }
    if (tailWords > 0) {
      // The last words % vectorWords words: narrower loads, added into the full-width
      // accumulators (zero-extended lanes) so that one reduction covers everything.
      auto tailType = VectorType::get({tailWords}, i64);
      SmallVector<Value> counts =
          accumulate(b, loc, tailType, indexConst(b, loc, mainWords), ValueRange{});
      Value zero = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                                         accType, b.getI64IntegerAttr(0)));
      for (int64_t i = 0; i < numAccs; ++i) {
        Value widened = vector::InsertStridedSliceOp::create(b, loc, counts[i], zero,
                                                             ArrayRef<int64_t>{0},
                                                             ArrayRef<int64_t>{1});
        accs[i] = accs[i] ? arith::AddIOp::create(b, loc, accs[i], widened).getResult() : widened;
      }
    }

    // dot = K - 2 * popcount(a XOR b); padding bits are zero on both sides.
    auto toDot = [&](Value sum) -> Value {
      auto constant = [&](int64_t value) -> Value {
        if (auto vectorType = dyn_cast<VectorType>(sum.getType()))
          return arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(vectorType, b.getI64IntegerAttr(value)));
        return arith::ConstantIntOp::create(b, loc, i64, value);
      };
      Value twice = arith::ShLIOp::create(b, loc, sum, constant(1));
      return arith::SubIOp::create(b, loc, constant(k), twice);
    };
    if (vw > 1 && llvm::isPowerOf2_64(vw) && numAccs % vw == 0) {
      // Reduce all accumulators at once with a transposing add tree: vectorWords vectors
      // become one vector of their vectorWords sums (log2(vw) levels of shuffle + add), so a
      // block pays about 2 * numAccs shuffles instead of numAccs full horizontal reductions.
      // Lane L of result vector r is the sum of accumulator r * vw + L.
      SmallVector<Value> level(accs.begin(), accs.end());
      for (int64_t segment = vw; segment > 1; segment /= 2) {
        SmallVector<int64_t> lowMask, highMask;
        for (int64_t operand = 0; operand < 2; ++operand)
          for (int64_t start = 0; start < vw; start += segment)
            for (int64_t lane = 0; lane < segment / 2; ++lane) {
              lowMask.push_back(operand * vw + start + lane);
              highMask.push_back(operand * vw + start + segment / 2 + lane);
            }
        SmallVector<Value> next;
        for (size_t p = 0; p + 1 < level.size(); p += 2) {
          Value low = vector::ShuffleOp::create(b, loc, level[p], level[p + 1], lowMask);
          Value high = vector::ShuffleOp::create(b, loc, level[p], level[p + 1], highMask);
          next.push_back(arith::AddIOp::create(b, loc, low, high));
        }
        // Pairs of inputs combine in order, so after log2(vw) levels each group of vw
        // consecutive accumulators ends up in one vector, in lane order.
        level = std::move(next);
      }
      auto i32Vector = VectorType::get({vw}, b.getI32Type());
      for (size_t r = 0; r < level.size(); ++r) {
        Value dots = toDot(level[r]);
        if (epilogue.kind == Epilogue::Kind::Int32 && vw % cols == 0) {
          // Whole rows of the block per vector: store each row's columns at once.
          Value dots32 = arith::TruncIOp::create(b, loc, i32Vector, dots);
          for (int64_t lane = 0; lane < vw; lane += cols) {
            int64_t acc = r * vw + lane;
            Value row = vector::ExtractStridedSliceOp::create(
                b, loc, dots32, ArrayRef<int64_t>{lane}, ArrayRef<int64_t>{cols},
                ArrayRef<int64_t>{1});
            vector::StoreOp::create(b, loc, row, output,
                                    ValueRange{rowIndex[acc / cols], colIndex[0]});
          }
          continue;
        }
        for (int64_t lane = 0; lane < vw; ++lane) {
          int64_t acc = r * vw + lane;
          Value dot = vector::ExtractOp::create(b, loc, dots, ArrayRef<int64_t>{lane});
          emitEpilogue(rowIndex[acc / cols], colIndex[acc % cols],
                       arith::TruncIOp::create(b, loc, b.getI32Type(), dot));
        }
      }
      return;
    }
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        Value sum =
            vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, accs[i * cols + j]);
        emitEpilogue(rowIndex[i], colIndex[j],
                     arith::TruncIOp::create(b, loc, b.getI32Type(), toDot(sum)));
      }
  }

  void emitEpilogue(Value m, Value n, Value dot) {
    if (epilogue.kind == Epilogue::Kind::Int32) {
      memref::StoreOp::create(b, loc, dot, output, ValueRange{m, n});
      return;
    }
    Value y = applyLinearEpilogue(
        arith::SIToFPOp::create(b, loc, b.getF32Type(), dot),
        [&] { return memref::LoadOp::create(b, loc, epilogue.colScale, ValueRange{n}); },
        [&] { return memref::LoadOp::create(b, loc, epilogue.rowScale, ValueRange{m}); },
        [&] { return memref::LoadOp::create(b, loc, epilogue.bias, ValueRange{n}); });
    if (epilogue.kind == Epilogue::Kind::Float) {
      memref::StoreOp::create(b, loc, y, output, ValueRange{m, n});
      return;
    }
    // Re-binarize: set bit n % 64 of word n / 64 when y is +1. Rows belong to one thread, so
    // the read-modify-write of a word is race-free.
    auto i64 = b.getI64Type();
    Value bit = arith::ExtUIOp::create(b, loc, i64, isPlusOne(b, loc, y));
    Value word = arith::DivUIOp::create(b, loc, n, indexConst(b, loc, kWordBits));
    Value shift = arith::IndexCastUIOp::create(
        b, loc, i64, arith::RemUIOp::create(b, loc, n, indexConst(b, loc, kWordBits)));
    Value old = memref::LoadOp::create(b, loc, output, ValueRange{m, word});
    Value updated =
        arith::OrIOp::create(b, loc, old, arith::ShLIOp::create(b, loc, bit, shift));
    memref::StoreOp::create(b, loc, updated, output, ValueRange{m, word});
  }

  OpBuilder &b;
  Location loc;
  const CPUTargetInfo &target;
  Value lhs, rhs, output;
  int64_t k, words;
  Epilogue epilogue;
  // Zero-padded contiguous copies of the per-column epilogue vectors (outer-product form).
  Value colScaleCopy, biasCopy;
  int64_t colsUpperBound = ShapedType::kDynamic;
};

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
  auto type = cast<bnnir::PackedType>(packed.getType());
  if (type.getShape().size() != 2)
    return ShapedType::kDynamic;
  if (!ShapedType::isDynamic(type.getShape()[0]))
    return type.getShape()[0];
  auto slice = packed.getDefiningOp<bnnir::SliceOp>();
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
    auto lhsType = cast<bnnir::PackedType>(op.getLhs().getType());
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
    if constexpr (std::is_same_v<OpTy, bnnir::XnorPopcountOp>) {
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
      epilogue.relu = op.getActivation() == bnnir::Activation::Relu;
      if (auto packed = dyn_cast<bnnir::PackedType>(op.getType())) {
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
    using Form = BinaryMatmulEmitter::Form;
    Form form = Form::DotProduct;
    if (target.outerRows > 0) {
      if (ShapedType::isDynamic(staticRows))
        form = Form::Choose;
      else if (staticRows >= target.outerProductMinRows)
        form = Form::OuterProduct;
    }
    BinaryMatmulEmitter(rewriter, loc, target, lhs, rhs, output, k, words, epilogue)
        .emit(runInParallel(op, parallel, target, work), form, rowsUpperBound(op.getRhs()));
    Value result = toTensor(rewriter, loc, output);
    rewriter.replaceOp(op, expandFromRows(rewriter, loc, result, resultType, adaptor.getLhs()));
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

struct ConvertBNNToCPUPass : ::bnn::impl::ConvertBNNToCPUBase<ConvertBNNToCPUPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::Expected<CPUTargetInfo> info = ::bnn::getCPUTargetInfo(target);
    if (!info) {
      getOperation()->emitError() << "convert-bnn-to-cpu: " << llvm::toString(info.takeError());
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    TypeConverter converter;
    ::bnn::populateBNNToCPUTypeConversion(converter);

    ConversionTarget conversionTarget(*context);
    conversionTarget.addIllegalDialect<bnnir::BNNDialect>();
    conversionTarget.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    conversionTarget.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });

    RewritePatternSet patterns(context);
    ::bnn::populateBNNToCPUPatterns(converter, patterns, *info, parallel);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversions(converter, patterns);
    if (failed(applyPartialConversion(getOperation(), conversionTarget, std::move(patterns))))
      signalPassFailure();
  }
};

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

struct BNNLowerAllocaScopesPass : ::bnn::impl::BNNLowerAllocaScopesBase<BNNLowerAllocaScopesPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    // scf.forall is an automatic allocation scope and scf.parallel is not: allocas that
    // canonicalization moved from a kernel's scope into a forall body would live until the
    // function returns once forall-to-parallel has run (and, without OpenMP, pile up on every
    // iteration). Give such parallel bodies their own scope, as scf-to-openmp does.
    getOperation()->walk([&](scf::ParallelOp parallel) {
      Block &body = parallel.getRegion().front();
      bool hasAlloca = false;
      for (Operation &op : body.without_terminator())
        hasAlloca |= isa<memref::AllocaOp>(op);
      if (!hasAlloca)
        return;
      b.setInsertionPointToStart(&body);
      auto scope = memref::AllocaScopeOp::create(b, parallel.getLoc(), TypeRange{});
      Block *inner = new Block();
      scope.getBodyRegion().push_back(inner);
      inner->getOperations().splice(inner->end(), body.getOperations(),
                                    std::next(Block::iterator(scope)),
                                    Block::iterator(body.getTerminator()));
      b.setInsertionPointToEnd(inner);
      memref::AllocaScopeReturnOp::create(b, parallel.getLoc());
    });

    SmallVector<memref::AllocaScopeOp> scopes;
    // Post-order: inner scopes first, so each one's body is still a single block.
    getOperation()->walk([&](memref::AllocaScopeOp scope) {
      if (scope->getNumResults() == 0)
        scopes.push_back(scope);
    });
    for (memref::AllocaScopeOp scope : scopes) {
      Block &body = scope.getBodyRegion().front();
      b.setInsertionPoint(scope);
      Value stack =
          LLVM::StackSaveOp::create(b, scope.getLoc(), LLVM::LLVMPointerType::get(&getContext()));
      Operation *terminator = body.getTerminator();
      scope->getBlock()->getOperations().splice(Block::iterator(scope), body.getOperations(),
                                                body.begin(), Block::iterator(terminator));
      LLVM::StackRestoreOp::create(b, scope.getLoc(), stack);
      scope->erase();
    }
  }
};

struct BNNSetCPUTargetPass : ::bnn::impl::BNNSetCPUTargetBase<BNNSetCPUTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::Expected<CPUTargetInfo> info = ::bnn::getCPUTargetInfo(target);
    if (!info) {
      getOperation()->emitError() << "bnn-set-cpu-target: " << llvm::toString(info.takeError());
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    auto features = LLVM::TargetFeaturesAttr::get(context, info->llvmFeatures);
    getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      func.setTargetCpuAttr(StringAttr::get(context, info->llvmCPU));
      func.setTargetFeaturesAttr(features);
    });
    // scf-to-cf and cf-to-llvm carry a loop's `llvm.loop_annotation` to its latch branch as a
    // discardable attribute; LLVM IR export reads the branch's `loop_annotation` property.
    getOperation()->walk([&](LLVM::BrOp branch) {
      if (auto annotation = branch->getDiscardableAttr("llvm.loop_annotation")) {
        branch.setLoopAnnotationAttr(cast<LLVM::LoopAnnotationAttr>(annotation));
        branch->removeDiscardableAttr("llvm.loop_annotation");
      }
    });
  }
};

} // namespace

void ::bnn::populateBNNToCPUTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion(
      [](bnnir::PackedType type) -> Type { return type.getStorageType(); });
}

void ::bnn::populateBNNToCPUPatterns(const TypeConverter &converter, RewritePatternSet &patterns,
                                   const CPUTargetInfo &target, bool parallel) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ConstantLowering, SliceLowering, PlainSignLowering<bnnir::SignOp>,
               PlainSignLowering<bnnir::SteOp>, ScaledSignLowering>(
      converter, context);
  patterns.add<PackLowering, UnpackLowering>(converter, context, target, parallel);
  patterns.add<BinaryMatmulLowering<bnnir::XnorPopcountOp>,
               BinaryMatmulLowering<bnnir::XnorLinearOp>>(converter, context, target, parallel);
}
