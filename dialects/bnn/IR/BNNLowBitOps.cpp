//===- BNNLowBitOps.cpp - ternary values, quantizers, low-bit matmuls -----===//
//
// Verifiers and folders of the low-bit ops (bnn.pack_ternary, bnn.unpack_ternary,
// bnn.ternary_constant, the quantizers, bnn.lowbit_matmul and bnn.lowbit_linear). Folds
// evaluate through the reference library (runtime/), like those of the binary ops.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include "bnn/IR/BNNOps.h"

#include "bnn/runtime/Reference.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"

#include <cmath>

using namespace mlir;
using namespace bnn;

namespace {

std::string shapeString(ArrayRef<int64_t> shape) { return "[" + formatDims(shape, ", ") + "]"; }

/// The number of elements of a static shape, or none when it is dynamic or overflows int64_t.
std::optional<int64_t> staticNumElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (ShapedType::isDynamic(dim))
      return std::nullopt;
    std::optional<int64_t> product = llvm::checkedMul(count, dim);
    if (!product)
      return std::nullopt;
    count = *product;
  }
  return count;
}

/// The values of a dense float constant as f32, when every one converts exactly (f16, bf16,
/// f32) and there are at most kMaxFoldedElements of them; none otherwise.
std::optional<std::vector<float>> readExactFloats(Attribute attr) {
  auto dense = dyn_cast_if_present<DenseFPElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldedElements)
    return std::nullopt;
  if (cast<FloatType>(dense.getElementType()).getWidth() > 32)
    return std::nullopt;
  std::vector<float> values;
  values.reserve(dense.getNumElements());
  for (APFloat value : dense.getValues<APFloat>()) {
    bool losesInfo = false;
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
    if (losesInfo)
      return std::nullopt;
    values.push_back(value.convertToFloat());
  }
  return values;
}

DenseElementsAttr floatConstant(ShapedType type, ArrayRef<float> values) {
  const llvm::fltSemantics &semantics = cast<FloatType>(type.getElementType()).getFloatSemantics();
  SmallVector<APFloat> converted;
  converted.reserve(values.size());
  for (float value : values) {
    APFloat v(value);
    bool losesInfo = false;
    v.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
    converted.push_back(v);
  }
  return DenseElementsAttr::get(type, converted);
}

/// The storage words of `values` (-1/0/+1 floats, or any float by its ternary value).
DenseElementsAttr ternaryWords(TernaryType type, ArrayRef<float> values) {
  RankedTensorType storage = type.getStorageType();
  std::vector<uint64_t> words(storage.getNumElements());
  ::bnn::ref::packTernary(values.data(), type.getNumRows(), type.getK(), words.data());
  return DenseElementsAttr::get(storage, ArrayRef<uint64_t>(words));
}

/// What a ternary quantizer requires: a ternary result of the input's shape and scales of
/// shape [1] (per_tensor) or [D0] (per_channel).
LogicalResult verifyTernaryQuantizer(Operation *op, RankedTensorType inputType,
                                     TernaryType resultType, RankedTensorType scalesType,
                                     ScaleGranularity granularity) {
  if (inputType.getRank() == 0)
    return op->emitOpError("expected an input of rank >= 1 (its last axis is packed), found ")
           << inputType;
  if (resultType.getShape() != inputType.getShape())
    return op->emitOpError("expected a ternary result of shape ")
           << shapeString(inputType.getShape()) << " (the input's), found " << resultType;
  SmallVector<int64_t> expected{granularity == ScaleGranularity::PerTensor
                                    ? int64_t{1}
                                    : inputType.getDimSize(0)};
  if (scalesType.getShape() != ArrayRef<int64_t>(expected))
    return op->emitOpError("expected scales of shape ")
           << shapeString(expected) << " ("
           << (granularity == ScaleGranularity::PerTensor ? "one per tensor"
                                                          : "one per index of dimension 0")
           << "), found " << shapeString(scalesType.getShape());
  return success();
}

/// Folds a ternary quantizer of a constant through `quantize(w, channels, perChannel, q,
/// scales)`.
template <typename QuantizeFn>
LogicalResult foldTernaryQuantizer(Attribute input, RankedTensorType inputType,
                                   TernaryType resultType, RankedTensorType scalesType,
                                   ScaleGranularity granularity,
                                   SmallVectorImpl<OpFoldResult> &results, QuantizeFn quantize) {
  if (!inputType.hasStaticShape() || !scalesType.hasStaticShape())
    return failure();
  std::optional<std::vector<float>> w = readExactFloats(input);
  if (!w)
    return failure();
  int64_t channels = inputType.getDimSize(0);
  int64_t perChannel = channels == 0 ? 0 : static_cast<int64_t>(w->size()) / channels;
  std::vector<float> q(w->size());
  std::vector<float> scales(scalesType.getNumElements());
  ::bnn::ref::ScaleGranularity g = granularity == ScaleGranularity::PerTensor
                                       ? ::bnn::ref::ScaleGranularity::PerTensor
                                       : ::bnn::ref::ScaleGranularity::PerChannel;
  quantize(w->data(), channels, perChannel, g, q.data(), scales.data());
  results.push_back(ternaryWords(resultType, q));
  results.push_back(DenseElementsAttr::get(scalesType, ArrayRef<float>(scales)));
  return success();
}

/// What both low-bit matmuls require of their operands: one of the three kinds, an N x K rhs,
/// one K, and K within the int8 bound.
LogicalResult verifyLowBitOperands(Operation *op, Type lhs, Type rhs) {
  if (isa<PackedType>(lhs) && isa<PackedType>(rhs))
    return op->emitOpError("expected ternary weights or int8 activations (binary x binary is "
                           "bnn.xnor_popcount), found ")
           << lhs << " x " << rhs;
  ArrayRef<int64_t> rhsShape = isa<PackedType>(rhs) ? cast<PackedType>(rhs).getShape()
                                                    : cast<TernaryType>(rhs).getShape();
  if (rhsShape.size() != 2)
    return op->emitOpError("expected rhs to be an N x K matrix of rank 2, found rank ")
           << rhsShape.size() << " (" << rhs << ")";
  int64_t rhsK = rhsShape.back();
  int64_t lhsK;
  if (auto packed = dyn_cast<PackedType>(lhs)) {
    lhsK = packed.getK();
  } else {
    auto tensor = cast<RankedTensorType>(lhs);
    if (tensor.getRank() == 0 || tensor.isDynamicDim(tensor.getRank() - 1))
      return op->emitOpError("expected int8 activations with a static last dimension K, found ")
             << lhs;
    lhsK = tensor.getShape().back();
  }
  if (lhsK != rhsK)
    return op->emitOpError("K mismatch: lhs has K = ") << lhsK << ", rhs has K = " << rhsK;
  if (isa<RankedTensorType>(lhs) && lhsK > LowBitMatmulOp::kMaxInt8K)
    return op->emitOpError("expected K <= ")
           << LowBitMatmulOp::kMaxInt8K
           << " with int8 activations (|dot| <= 128 * K must fit in i32), found K = " << lhsK;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// PackTernaryOp / UnpackTernaryOp / TernaryConstantOp
//===----------------------------------------------------------------------===//

LogicalResult PackTernaryOp::verify() {
  RankedTensorType inputType = getInput().getType();
  if (inputType.getRank() == 0)
    return emitOpError("expected an input of rank >= 1 (its last axis is packed), found ")
           << inputType;
  if (getType().getShape() != inputType.getShape())
    return emitOpError("expected a result of shape ")
           << shapeString(inputType.getShape()) << " (the input's), found " << getType();
  return success();
}

OpFoldResult PackTernaryOp::fold(FoldAdaptor adaptor) {
  if (!getType().hasStaticShape())
    return {};
  std::optional<std::vector<float>> values = readExactFloats(adaptor.getInput());
  if (!values)
    return {};
  return ternaryWords(getType(), *values);
}

LogicalResult UnpackTernaryOp::verify() {
  TernaryType inputType = getInput().getType();
  if (getType().getShape() != inputType.getShape())
    return emitOpError("expected result shape ")
           << shapeString(inputType.getShape()) << " (the logical shape of " << inputType
           << "), found " << shapeString(getType().getShape());
  return success();
}

OpFoldResult UnpackTernaryOp::fold(FoldAdaptor adaptor) {
  TernaryType type = getInput().getType();
  auto words = dyn_cast_if_present<DenseIntElementsAttr>(adaptor.getInput());
  if (!words || !type.hasStaticShape() || words.getType() != type.getStorageType())
    return {};
  std::optional<int64_t> count = staticNumElements(type.getShape());
  if (!count || *count > kMaxFoldedElements)
    return {};
  std::vector<uint64_t> storage;
  storage.reserve(words.getNumElements());
  for (const APInt &word : words.getValues<APInt>())
    storage.push_back(word.getZExtValue());
  std::vector<float> values(*count);
  ::bnn::ref::unpackTernary(storage.data(), type.getNumRows(), type.getK(), values.data());
  return floatConstant(getType(), values);
}

LogicalResult TernaryConstantOp::verify() {
  TernaryType type = getType();
  RankedTensorType storageType = type.getStorageType();
  if (getValue().getType() != storageType)
    return emitOpError("expected a value of type ")
           << storageType << " (the storage of " << type << "), found "
           << getValue().getType();
  int64_t wordsPerPlane = type.getNumWords();
  int64_t usedBits = type.getK() % ::bnn::ref::kBitsPerWord;
  uint64_t padding = usedBits == 0 ? 0 : ~((uint64_t{1} << usedBits) - 1);
  DenseIntElementsAttr value = getValue();
  // A splat has one sign and one mask word (the same word): checking one row covers all.
  int64_t rows = value.isSplat() ? std::min<int64_t>(type.getNumRows(), 1) : type.getNumRows();
  auto word = [&](int64_t index) {
    return value.isSplat() ? value.getSplatValue<APInt>().getZExtValue()
                           : value.getValues<APInt>()[index].getZExtValue();
  };
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t w = 0; w < wordsPerPlane; ++w) {
      int64_t signIndex = (row * TernaryType::kNumPlanes + TernaryType::kSignPlane) * wordsPerPlane + w;
      int64_t maskIndex = (row * TernaryType::kNumPlanes + TernaryType::kMaskPlane) * wordsPerPlane + w;
      uint64_t sign = word(signIndex), mask = word(maskIndex);
      bool last = w == wordsPerPlane - 1;
      if (last && ((sign | mask) & padding))
        return emitOpError("expected zero padding bits above K = ")
               << type.getK() << " in both planes, found bits set in the last words of row "
               << row << " (sign 0x" << llvm::utohexstr(sign) << ", mask 0x"
               << llvm::utohexstr(mask) << ")";
      if (sign & ~mask)
        return emitOpError("expected sign bits only where the mask bit is set (0 has sign 0), "
                           "found sign 0x")
               << llvm::utohexstr(sign) << " over mask 0x" << llvm::utohexstr(mask)
               << " in word " << w << " of row " << row;
    }
  return success();
}

OpFoldResult TernaryConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Quantizers
//===----------------------------------------------------------------------===//

LogicalResult QuantizeAbsmeanOp::verify() {
  float eps = getEps().convertToFloat();
  if (!(eps >= 0.0f) || !std::isfinite(eps))
    return emitOpError("expected a finite eps >= 0, found ") << eps;
  return verifyTernaryQuantizer(*this, getInput().getType(), getResult().getType(),
                                getScales().getType(), getGranularity());
}

LogicalResult QuantizeAbsmeanOp::fold(FoldAdaptor adaptor,
                                      SmallVectorImpl<OpFoldResult> &results) {
  float eps = getEps().convertToFloat();
  return foldTernaryQuantizer(
      adaptor.getInput(), getInput().getType(), getResult().getType(), getScales().getType(),
      getGranularity(), results,
      [&](const float *w, int64_t channels, int64_t perChannel, ::bnn::ref::ScaleGranularity g,
          float *q, float *scales) {
        ::bnn::ref::quantizeAbsmeanTernary(w, channels, perChannel, g, eps, q, scales);
      });
}

LogicalResult QuantizeThresholdOp::verify() {
  float ratio = getRatio().convertToFloat();
  if (!(ratio >= 0.0f) || !std::isfinite(ratio))
    return emitOpError("expected a finite ratio >= 0, found ") << ratio;
  return verifyTernaryQuantizer(*this, getInput().getType(), getResult().getType(),
                                getScales().getType(), getGranularity());
}

LogicalResult QuantizeThresholdOp::fold(FoldAdaptor adaptor,
                                        SmallVectorImpl<OpFoldResult> &results) {
  float ratio = getRatio().convertToFloat();
  return foldTernaryQuantizer(
      adaptor.getInput(), getInput().getType(), getResult().getType(), getScales().getType(),
      getGranularity(), results,
      [&](const float *w, int64_t channels, int64_t perChannel, ::bnn::ref::ScaleGranularity g,
          float *q, float *scales) {
        ::bnn::ref::quantizeThresholdTernary(w, channels, perChannel, g, ratio, q, scales);
      });
}

LogicalResult QuantizeAbsmaxOp::verify() {
  float eps = getEps().convertToFloat();
  if (!(eps > 0.0f) || !std::isfinite(eps))
    return emitOpError("expected a finite eps > 0 (the floor of the row maximum), found ") << eps;
  RankedTensorType inputType = getInput().getType();
  if (inputType.getRank() == 0)
    return emitOpError("expected an input of rank >= 1 (rows along its last axis), found ")
           << inputType;
  if (getResult().getType().getShape() != inputType.getShape())
    return emitOpError("expected a result of shape ")
           << shapeString(inputType.getShape()) << " (the input's), found "
           << shapeString(getResult().getType().getShape());
  ArrayRef<int64_t> rows = inputType.getShape().drop_back();
  if (getScales().getType().getShape() != rows)
    return emitOpError("expected scales of shape ")
           << shapeString(rows) << " (one per row: the input's leading dimensions), found "
           << shapeString(getScales().getType().getShape());
  return success();
}

LogicalResult QuantizeAbsmaxOp::fold(FoldAdaptor adaptor,
                                     SmallVectorImpl<OpFoldResult> &results) {
  RankedTensorType inputType = getInput().getType();
  if (!inputType.hasStaticShape())
    return failure();
  std::optional<std::vector<float>> x = readExactFloats(adaptor.getInput());
  if (!x)
    return failure();
  int64_t k = inputType.getShape().back();
  int64_t rows = k == 0 ? 0 : static_cast<int64_t>(x->size()) / k;
  std::vector<int8_t> q(x->size());
  std::vector<float> scales(getScales().getType().getNumElements());
  ::bnn::ref::quantizeAbsmaxInt8(x->data(), rows, k, getEps().convertToFloat(), q.data(),
                                 scales.data());
  results.push_back(DenseElementsAttr::get(getResult().getType(), ArrayRef<int8_t>(q)));
  results.push_back(DenseElementsAttr::get(getScales().getType(), ArrayRef<float>(scales)));
  return success();
}

//===----------------------------------------------------------------------===//
// LowBitMatmulOp / LowBitLinearOp
//===----------------------------------------------------------------------===//

SmallVector<int64_t> LowBitMatmulOp::inferResultShape(Type lhs, Type rhs) {
  ArrayRef<int64_t> lhsShape = isa<PackedType>(lhs) ? cast<PackedType>(lhs).getShape()
                                                    : cast<RankedTensorType>(lhs).getShape();
  int64_t n = isa<PackedType>(rhs) ? cast<PackedType>(rhs).getShape().front()
                                   : cast<TernaryType>(rhs).getShape().front();
  SmallVector<int64_t> shape(lhsShape.drop_back());
  shape.push_back(n);
  return shape;
}

LogicalResult LowBitMatmulOp::verify() {
  Type lhs = getLhs().getType(), rhs = getRhs().getType();
  if (failed(verifyLowBitOperands(*this, lhs, rhs)))
    return failure();
  SmallVector<int64_t> shape = inferResultShape(lhs, rhs);
  if (getType().getShape() != ArrayRef<int64_t>(shape))
    return emitOpError("expected result shape ")
           << shapeString(shape) << " (lhs leading dimensions, then N), found "
           << shapeString(getType().getShape());
  return success();
}

LogicalResult LowBitLinearOp::verify() {
  Type lhs = getLhs().getType(), rhs = getRhs().getType();
  if (failed(verifyLowBitOperands(*this, lhs, rhs)))
    return failure();
  SmallVector<int64_t> shape = LowBitMatmulOp::inferResultShape(lhs, rhs);
  if (getType().getShape() != ArrayRef<int64_t>(shape))
    return emitOpError("expected result shape ")
           << shapeString(shape) << " (lhs leading dimensions, then N), found "
           << shapeString(getType().getShape());
  int64_t n = shape.back();
  if (Value scale = getWeightScale()) {
    ArrayRef<int64_t> found = cast<RankedTensorType>(scale.getType()).getShape();
    if (found != ArrayRef<int64_t>{n} && found != ArrayRef<int64_t>{1})
      return emitOpError("expected weight_scale of shape ")
             << shapeString({n}) << " (per output channel) or [1] (per tensor), found "
             << shapeString(found);
  }
  if (Value bias = getBias()) {
    ArrayRef<int64_t> found = cast<RankedTensorType>(bias.getType()).getShape();
    if (found != ArrayRef<int64_t>{n})
      return emitOpError("expected bias of shape ") << shapeString({n}) << ", found "
                                                    << shapeString(found);
  }
  if (Value rowScale = getRowScale()) {
    ArrayRef<int64_t> rows = ArrayRef<int64_t>(shape).drop_back();
    ArrayRef<int64_t> found = cast<RankedTensorType>(rowScale.getType()).getShape();
    if (found != rows)
      return emitOpError("expected row_scale of shape ")
             << shapeString(rows) << " (lhs leading dimensions), found " << shapeString(found);
  }
  return success();
}
