//===- PackSignToCPU.cpp - bnn.constant/slice/pack/unpack/sign to CPU code ---===//
//
// The ops that move between floats and packed bits: bnn.pack / bnn.unpack become explicit
// vector loops (64 elements <-> one word per step, via an i1-vector bitcast), bnn.sign,
// bnn.ste (forward) and bnn.scaled_sign become elementwise linalg ops, bnn.constant and
// bnn.slice constants and slices of the storage tensor. bnn.pack_ternary / bnn.unpack_ternary
// are bnn.pack / bnn.unpack on two planes.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "bnn/IR/BNNOps.h"

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

using namespace mlir;
using namespace bnn::cpu;
using bnn::CPUTargetInfo;

namespace {

/// `emitWord(b, loc, row, word, inBounds)` for every 64-bit word of every row of a K-bit packed
/// value: the whole words in a loop, then the partial last word with `inBounds` false (its
/// elements past K are padding). Rows run on threads when `parallel`.
void forEachWordOfRows(
    OpBuilder &b, Location loc, Value numRows, int64_t k, bool parallel,
    function_ref<void(OpBuilder &, Location, Value row, Value word, bool inBounds)> emitWord) {
  forEachRow(b, loc, numRows, parallel, [&](OpBuilder &rb, Location rl, Value row) {
    int64_t fullWords = k / kWordBits;
    if (fullWords > 0)
      forLoop(rb, rl, indexConst(rb, rl, 0), indexConst(rb, rl, fullWords), 1,
              [&](OpBuilder &ib, Location il, Value w) { emitWord(ib, il, row, w, true); });
    if (k % kWordBits != 0)
      emitWord(rb, rl, row, indexConst(rb, rl, fullWords), false);
  });
}

//===----------------------------------------------------------------------===//
// bnn.constant, bnn.slice
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<bnn::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnn::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct SliceLowering : OpConversionPattern<bnn::SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnn::SliceOp op, OpAdaptor adaptor,
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

struct PackLowering : OpConversionPattern<bnn::PackOp> {
  PackLowering(const TypeConverter &converter, MLIRContext *context, const CPUTargetInfo &target,
               bool parallel)
      : OpConversionPattern(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(bnn::PackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bnn::PackedType packedType = op.getType();
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
    forEachWordOfRows(rewriter, loc, numRows, k, parallelRows, emitWord);
    Value storage = toTensor(rewriter, loc, output);
    rewriter.replaceOp(op, expandFromRows(rewriter, loc, storage, packedType.getStorageType(),
                                          adaptor.getInput()));
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

struct UnpackLowering : OpConversionPattern<bnn::UnpackOp> {
  UnpackLowering(const TypeConverter &converter, MLIRContext *context,
                 const CPUTargetInfo &target, bool parallel)
      : OpConversionPattern(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(bnn::UnpackOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bnn::PackedType packedType = op.getInput().getType();
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
    bool parallelRows = runInParallel(op, parallel, target,
                                      workOf(packedType.getNumRows(), packedType.getNumWords()));
    forEachWordOfRows(rewriter, loc, numRows, k, parallelRows, emitWord);
    Value result = toTensor(rewriter, loc, output);
    rewriter.replaceOp(op, expandFromRows(rewriter, loc, result, resultType, adaptor.getInput()));
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

//===----------------------------------------------------------------------===//
// bnn.pack_ternary, bnn.unpack_ternary: 64 elements <-> one sign and one mask word per step
//===----------------------------------------------------------------------===//

/// The reassociation between ternary storage (leading dimensions, 2 planes, W words) and its
/// rows x 2W view: the leading dimensions collapse into the rows, the planes into one row.
SmallVector<ReassociationIndices> ternaryRowsReassociation(int64_t storageRank) {
  ReassociationIndices leading, planes{storageRank - 2, storageRank - 1};
  for (int64_t i = 0; i < storageRank - 2; ++i)
    leading.push_back(i);
  return {leading, planes};
}

struct PackTernaryLowering : OpConversionPattern<bnn::PackTernaryOp> {
  PackTernaryLowering(const TypeConverter &converter, MLIRContext *context,
                      const CPUTargetInfo &target, bool parallel)
      : OpConversionPattern(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(bnn::PackTernaryOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bnn::TernaryType ternaryType = op.getType();
    int64_t k = ternaryType.getK(), words = ternaryType.getNumWords();
    Value rows = collapseToRows(rewriter, loc, adaptor.getInput());
    Value input = readBuffer(rewriter, loc, rows);
    Value numRows = dimOf(rewriter, loc, input, 0);
    auto storageRows = RankedTensorType::get(
        {cast<RankedTensorType>(rows.getType()).getDimSize(0), 2 * words}, rewriter.getI64Type());
    SmallVector<Value> dynamicSizes;
    if (storageRows.isDynamicDim(0))
      dynamicSizes.push_back(numRows);
    Value output = allocBuffer(rewriter, loc, storageRows, dynamicSizes);

    Type elementType = op.getInput().getType().getElementType();
    auto chunkType = VectorType::get({kWordBits}, elementType);
    // Elements past K read as 0, which keeps the padding bits of both planes zero.
    Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(elementType, 0.0));
    auto wordType = VectorType::get({1}, rewriter.getI64Type());
    auto emitWord = [&](OpBuilder &b, Location l, Value row, Value word, bool inBounds) {
      Value first = arith::MulIOp::create(b, l, word, indexConst(b, l, kWordBits));
      Value chunk = vector::TransferReadOp::create(b, l, chunkType, input, ValueRange{row, first},
                                                   padding, ArrayRef<bool>{inBounds});
      Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(chunkType));
      // +1: greater than 0 or NaN (ugt); non-zero: not equal to +-0 or NaN (une).
      Value plus = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UGT, chunk, zero);
      Value nonZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, chunk, zero);
      auto store = [&](Value bits, Value column) {
        Value packed = vector::BitCastOp::create(b, l, wordType, bits);
        Value scalar = vector::ExtractOp::create(b, l, packed, ArrayRef<int64_t>{0});
        memref::StoreOp::create(b, l, scalar, output, ValueRange{row, column});
      };
      store(plus, word);
      store(nonZero, arith::AddIOp::create(b, l, word, indexConst(b, l, words)));
    };
    bool parallelRows =
        runInParallel(op, parallel, target, workOf(ternaryType.getNumRows(), 2 * words));
    forEachWordOfRows(rewriter, loc, numRows, k, parallelRows, emitWord);
    Value storage = toTensor(rewriter, loc, output);
    // rows x 2W -> leading dimensions x 2 x W (dynamic leading sizes read from the input).
    RankedTensorType storageType = ternaryType.getStorageType();
    SmallVector<OpFoldResult> outputShape;
    for (int64_t i = 0; i < storageType.getRank(); ++i) {
      if (!storageType.isDynamicDim(i))
        outputShape.push_back(rewriter.getIndexAttr(storageType.getDimSize(i)));
      else
        outputShape.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getInput(), i).getResult());
    }
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, storageType, storage, ternaryRowsReassociation(storageType.getRank()), outputShape);
    return success();
  }

  CPUTargetInfo target;
  bool parallel;
};

struct UnpackTernaryLowering : OpConversionPattern<bnn::UnpackTernaryOp> {
  UnpackTernaryLowering(const TypeConverter &converter, MLIRContext *context,
                        const CPUTargetInfo &target, bool parallel)
      : OpConversionPattern(converter, context), target(target), parallel(parallel) {}

  LogicalResult matchAndRewrite(bnn::UnpackTernaryOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bnn::TernaryType ternaryType = op.getInput().getType();
    int64_t k = ternaryType.getK(), words = ternaryType.getNumWords();
    RankedTensorType resultType = op.getType();
    Type elementType = resultType.getElementType();
    int64_t storageRank = ternaryType.getStorageType().getRank();
    Value rows = tensor::CollapseShapeOp::create(rewriter, loc, adaptor.getInput(),
                                                 ternaryRowsReassociation(storageRank));
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
      auto bitsAt = [&](Value column) {
        Value scalar = memref::LoadOp::create(b, l, input, ValueRange{row, column});
        Value packed = vector::BroadcastOp::create(b, l, wordType, scalar);
        return vector::BitCastOp::create(b, l, bitsType, packed);
      };
      auto splat = [&](double value) {
        return arith::ConstantOp::create(
            b, l, DenseElementsAttr::get(chunkType, b.getFloatAttr(elementType, value)));
      };
      Value sign = bitsAt(word);
      Value mask = bitsAt(arith::AddIOp::create(b, l, word, indexConst(b, l, words)));
      Value nonZero = arith::SelectOp::create(b, l, sign, splat(1.0), splat(-1.0));
      Value chunk = arith::SelectOp::create(b, l, mask, nonZero, splat(0.0));
      Value first = arith::MulIOp::create(b, l, word, indexConst(b, l, kWordBits));
      vector::TransferWriteOp::create(b, l, chunk, output, ValueRange{row, first},
                                      ArrayRef<bool>{inBounds});
    };
    bool parallelRows =
        runInParallel(op, parallel, target, workOf(ternaryType.getNumRows(), 2 * words));
    forEachWordOfRows(rewriter, loc, numRows, k, parallelRows, emitWord);
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

struct ScaledSignLowering : OpConversionPattern<bnn::ScaledSignOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(bnn::ScaledSignOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    bool perChannel = op.getGranularity() == bnn::ScaleGranularity::PerChannel;
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
} // namespace

void bnn::cpu::populatePackSignToCPUPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns,
                                             const CPUTargetInfo &target, bool parallel) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ConstantLowering, SliceLowering, PlainSignLowering<bnn::SignOp>,
               PlainSignLowering<bnn::SteOp>, ScaledSignLowering>(converter, context);
  patterns.add<PackLowering, UnpackLowering, PackTernaryLowering, UnpackTernaryLowering>(
      converter, context, target, parallel);
}
