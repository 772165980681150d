//===- BNNOps.cpp - bnn ops -----------------------------------------------===//
//
// Verifiers, folders and canonicalizations of the bnn ops. Constant folds evaluate through the
// reference semantics library (runtime/), so the compiler and the oracle kernels are tested
// against cannot disagree about the bit contract.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include "bnn/IR/BNNOps.h"

#include "bnn/runtime/Reference.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Error.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace bnn;

namespace {

/// Returns the value as a float with its sign preserved (overflow saturates to +-inf, tiny values
/// become +-0, NaN stays NaN), which is all the sign rule looks at.
float toFloatKeepingSign(APFloat value) {
  bool losesInfo = false;
  value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
  return value.convertToFloat();
}

/// Reads a dense float or i1 constant as its +1/-1 signs under the bnn.sign rule (i1: true -> +1).
std::vector<float> readSigns(DenseElementsAttr attr) {
  std::vector<float> signs;
  signs.reserve(attr.getNumElements());
  if (attr.getElementType().isInteger(1)) {
    for (bool bit : attr.getValues<bool>())
      signs.push_back(bit ? 1.0f : -1.0f);
  } else {
    for (const APFloat &value : attr.getValues<APFloat>())
      signs.push_back(::bnn::ref::sign(toFloatKeepingSign(value)));
  }
  return signs;
}

/// A constant of the given float or i1 type holding `signs` (+1/-1; i1: +1 -> true).
DenseElementsAttr makeSignConstant(ShapedType type, ArrayRef<float> signs) {
  Type elementType = type.getElementType();
  if (elementType.isInteger(1)) {
    SmallVector<bool> bits(llvm::map_range(signs, [](float s) { return s > 0.0f; }));
    return DenseElementsAttr::get(type, bits);
  }
  // +1 and -1 are exact in every float format.
  const llvm::fltSemantics &semantics = cast<FloatType>(elementType).getFloatSemantics();
  APFloat plusOne(semantics, 1);
  APFloat minusOne = -plusOne;
  SmallVector<APFloat> values;
  values.reserve(signs.size());
  for (float s : signs)
    values.push_back(s > 0.0f ? plusOne : minusOne);
  return DenseElementsAttr::get(type, values);
}

/// A splat constant of the given float or i1 type: +1 (i1: true) or -1 (false).
DenseElementsAttr makeSignSplat(ShapedType type, bool positive) {
  Type elementType = type.getElementType();
  if (elementType.isInteger(1))
    return DenseElementsAttr::get(type, positive);
  APFloat one(cast<FloatType>(elementType).getFloatSemantics(), 1);
  return DenseElementsAttr::get(type, positive ? one : -one);
}


/// The number of elements of a static shape, or none when the product overflows int64_t.
std::optional<int64_t> checkedNumElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    std::optional<int64_t> product = llvm::checkedMul(count, dim);
    if (!product)
      return std::nullopt;
    count = *product;
  }
  return count;
}

/// The number of logical bits of a statically shaped packed type (rows x K), checked.
std::optional<int64_t> checkedNumBits(PackedType type) {
  return checkedNumElements(type.getShape());
}

/// The number of storage words of a statically shaped packed type (rows x words), checked.
std::optional<int64_t> checkedNumWords(PackedType type) {
  return checkedNumElements(type.getStorageType().getShape());
}

/// A read-only view of the i64 storage words of a packed constant, without copying them: the
/// one word of a splat, or the raw little-endian words of dense elements or of a dense_resource
/// blob. Reading costs time proportional to the words read, never to the declared size.
class StorageWords {
public:
  /// Fails where the words are not available (an elided or missing blob, another attribute).
  static FailureOr<StorageWords> get(ElementsAttr attr) {
    if (!attr.getElementType().isInteger(64))
      return failure();
    if (auto dense = dyn_cast<DenseIntElementsAttr>(attr))
      return StorageWords(dense.getRawData(), dense.isSplat());
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
      AsmResourceBlob *blob = resource.getRawHandle().getBlob();
      if (!blob)
        return failure();
      return StorageWords(blob->getData(), /*splat=*/false);
    }
    return failure();
  }

  bool isSplat() const { return splat; }
  /// The number of words the view holds (1 for a splat).
  int64_t size() const { return bytes.size() / sizeof(uint64_t); }
  /// Word `index` of the storage (row-major); any index reads the one word of a splat.
  uint64_t operator[](int64_t index) const {
    uint64_t word;
    std::memcpy(&word, bytes.data() + (splat ? 0 : index) * sizeof(uint64_t), sizeof(word));
    return word;
  }

private:
  StorageWords(ArrayRef<char> bytes, bool splat) : bytes(bytes), splat(splat) {}
  ArrayRef<char> bytes;
  bool splat;
};

/// The bits of the last word of a row that lie past K (zero when K fills the word).
uint64_t paddingMask(PackedType type) {
  int64_t usedBits = type.getK() % ::bnn::ref::kBitsPerWord;
  return usedBits == 0 ? 0 : ~((uint64_t{1} << usedBits) - 1);
}

/// For a storage that is one word repeated, the sign every logical element unpacks to, or none
/// when the row mixes +1 and -1. Padding bits are ignored, as unpacking ignores them.
std::optional<bool> uniformSignOfSplatWord(uint64_t word, PackedType type) {
  uint64_t lastMask = ~paddingMask(type);
  bool singleWord = type.getNumWords() == 1;
  if ((word & lastMask) == 0 && (singleWord || word == 0))
    return false;
  if ((word & lastMask) == lastMask && (singleWord || word == ~uint64_t{0}))
    return true;
  return std::nullopt;
}

std::string typeToString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// How `!bnn.packed<shape>` prints, without building the type: a shape that fails the type's
/// verifier can be named in a message (PackedType::get asserts on it in a debug build).
std::string packedTypeToString(ArrayRef<int64_t> shape) {
  return "'!bnn.packed<" + formatDims(shape, "x") + ">'";
}

std::string shapeToString(ArrayRef<int64_t> shape) { return "[" + formatDims(shape, ", ") + "]"; }

/// True for values that are already +1/-1 floats, so sign() of them is the identity.
bool isBinaryFloatValue(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (isa<SignOp, SteOp>(def))
    return true;
  if (auto unpack = dyn_cast<UnpackOp>(def))
    return isa<FloatType>(unpack.getType().getElementType());
  return false;
}

} // namespace

#define GET_OP_CLASSES
#include "bnn/IR/BNNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// SignOp
//===----------------------------------------------------------------------===//

OpFoldResult SignOp::fold(FoldAdaptor adaptor) {
  // sign(sign(x)), sign(ste(x)), sign(unpack(p)): the operand is already +1/-1.
  if (isBinaryFloatValue(getInput()))
    return getInput();
  auto constant = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!constant)
    return {};
  if (constant.isSplat()) {
    float value = toFloatKeepingSign(constant.getSplatValue<APFloat>());
    return makeSignSplat(getType(), ::bnn::ref::signBit(value));
  }
  if (constant.getNumElements() > kMaxFoldedElements)
    return {};
  return makeSignConstant(getType(), readSigns(constant));
}

//===----------------------------------------------------------------------===//
// ScaledSignOp
//===----------------------------------------------------------------------===//

LogicalResult ScaledSignOp::verify() {
  RankedTensorType inputType = getInput().getType();
  bool perChannel = getGranularity() == ScaleGranularity::PerChannel;
  if (perChannel && inputType.getRank() == 0)
    return emitOpError("per_channel granularity needs an input of rank >= 1 (dimension 0 is the "
                       "output channel), found ")
           << inputType;
  if (!getAlpha())
    return success();

  RankedTensorType alphaType = getAlpha().getType();
  if (alphaType.getElementType() != inputType.getElementType())
    return emitOpError("expected alpha element type ")
           << inputType.getElementType() << " (the input's), found " << alphaType.getElementType();
  if (!perChannel) {
    bool single = alphaType.getRank() == 0 ||
                  (alphaType.getRank() == 1 && alphaType.getDimSize(0) == 1);
    if (!single)
      return emitOpError("per_tensor alpha must hold a single value (shape [] or [1]), found "
                         "shape ")
             << shapeToString(alphaType.getShape());
    return success();
  }
  int64_t channels = inputType.getDimSize(0);
  bool matches = alphaType.getRank() == 1 && (ShapedType::isDynamic(channels) ||
                                              ShapedType::isDynamic(alphaType.getDimSize(0)) ||
                                              alphaType.getDimSize(0) == channels);
  if (!matches)
    return emitOpError("per_channel alpha must have shape ")
           << shapeToString({channels})
           << " (one value per index of input dimension 0), found shape "
           << shapeToString(alphaType.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// SteOp
//===----------------------------------------------------------------------===//

LogicalResult SteOp::verify() {
  float clip = getClip().convertToFloat();
  // Written as !(clip > 0) so that NaN is rejected as well.
  if (!(clip > 0.0f))
    return emitOpError("expected clip > 0 (the gradient passes where |x| <= clip), found ")
           << clip;
  float gradScale = getGradScale().convertToFloat();
  if (!std::isfinite(gradScale))
    return emitOpError("expected a finite grad_scale, found ") << gradScale;
  return success();
}

//===----------------------------------------------------------------------===//
// PackOp
//===----------------------------------------------------------------------===//

LogicalResult PackOp::verify() {
  RankedTensorType inputType = getInput().getType();
  if (inputType.getRank() == 0)
    return emitOpError("expected an input of rank >= 1 (its last axis is packed), found ")
           << inputType;
  if (inputType.isDynamicDim(inputType.getRank() - 1))
    return emitOpError("expected a static last dimension (the bit length K), found ") << inputType;
  PackedType resultType = getType();
  if (resultType.getShape() == inputType.getShape())
    return success();
  // Say why no packed type fits before naming the one expected.
  if (failed(PackedType::verify(
          [&] { return emitOpError("expected an input shape that a !bnn.packed type can hold: "); },
          inputType.getShape())))
    return failure();
  return emitOpError("expected result type ")
         << packedTypeToString(inputType.getShape()) << " (the input's shape), found "
         << resultType;
}

OpFoldResult PackOp::fold(FoldAdaptor adaptor) {
  // pack(unpack(p)) -> p: packing reproduces the words, padding included.
  if (auto unpack = getInput().getDefiningOp<UnpackOp>())
    if (unpack.getInput().getType() == getType())
      return unpack.getInput();
  // pack(sign(x)) -> pack(x): pack applies the same sign rule, so the bits are equal.
  if (auto sign = getInput().getDefiningOp<SignOp>()) {
    getInputMutable().assign(sign.getInput());
    return getResult();
  }
  // Only inline dense constants fold here; blobs (model weights) are bnn-pack-constants' job,
  // which stores the packed words as a blob too.
  auto constant = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!constant || !getType().hasStaticShape())
    return {};
  if (!constant.isSplat() && constant.getNumElements() > kMaxFoldedElements)
    return {};
  llvm::Expected<PackedWords> words =
      packConstantElements(constant, getType(), kMaxFoldedElements);
  if (!words) {
    llvm::consumeError(words.takeError());
    return {};
  }
  return words->toAttr(getType());
}

DenseElementsAttr bnn::PackedWords::toAttr(PackedType type) const {
  RankedTensorType storageType = type.getStorageType();
  if (splat)
    return DenseElementsAttr::get(storageType, APInt(64, *splat));
  return DenseElementsAttr::get(storageType, ArrayRef<uint64_t>(words));
}

llvm::Expected<PackedWords> bnn::packConstantElements(ElementsAttr values, PackedType type,
                                                            int64_t maxWords) {
  auto unreadable = [] {
    return llvm::createStringError("cannot read the constant's values (only dense elements "
                                   "and f32/i1 dense_resource blobs are supported)");
  };
  if (!type.hasStaticShape())
    return llvm::createStringError("the packed type %s has a dynamic shape",
                                   typeToString(type).c_str());
  // Both fit in int64_t: the type verifier bounds rows x words x 64.
  std::optional<int64_t> numBits = checkedNumBits(type), numWords = checkedNumWords(type);
  if (!numBits || !numWords)
    return llvm::createStringError("the packed type %s is too large",
                                   typeToString(type).c_str());
  int64_t rows = type.getNumRows(), k = type.getK(), wordsPerRow = type.getNumWords();
  auto tooLarge = [&] {
    return llvm::createStringError(
        "the packed constant would materialise %lld words (%lld bytes), more than the limit of "
        "%lld words",
        static_cast<long long>(*numWords), static_cast<long long>(*numWords * 8),
        static_cast<long long>(maxWords));
  };

  // A splat packs every row to [full, ..., full, last] without reading its declared size.
  auto dense = dyn_cast<DenseElementsAttr>(values);
  if (dense && dense.isSplat()) {
    bool positive = dense.getElementType().isInteger(1)
                        ? dense.getSplatValue<bool>()
                        : ::bnn::ref::signBit(toFloatKeepingSign(dense.getSplatValue<APFloat>()));
    uint64_t full = positive ? ~uint64_t{0} : 0;
    uint64_t last = full & ~paddingMask(type);
    if (wordsPerRow == 1 || full == last || *numWords == 0)
      return PackedWords{last, {}};
    if (*numWords > maxWords)
      return tooLarge();
    PackedWords packed;
    packed.words.reserve(*numWords);
    for (int64_t row = 0; row < rows; ++row) {
      packed.words.append(wordsPerRow - 1, full);
      packed.words.push_back(last);
    }
    return packed;
  }

  // Any other input holds every value, so reading it is proportional to its size.
  if (*numWords > maxWords)
    return tooLarge();
  std::vector<float> signs;
  if (dense) {
    signs = readSigns(dense);
  } else if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(values)) {
    std::optional<ArrayRef<float>> data = blob.tryGetAsArrayRef();
    if (!data)
      return unreadable();
    signs.assign(data->begin(), data->end());
  } else if (auto blob = dyn_cast<DenseBoolResourceElementsAttr>(values)) {
    std::optional<ArrayRef<bool>> data = blob.tryGetAsArrayRef();
    if (!data)
      return unreadable();
    signs.reserve(data->size());
    for (bool bit : *data)
      signs.push_back(bit ? 1.0f : -1.0f);
  } else {
    return unreadable();
  }
  if (static_cast<int64_t>(signs.size()) != *numBits)
    return llvm::createStringError("the constant holds %zu values, the packed type %s needs %lld",
                                   signs.size(), typeToString(type).c_str(),
                                   static_cast<long long>(*numBits));
  PackedWords packed;
  packed.words.resize(*numWords);
  ::bnn::ref::packBitsLSBFirst(signs.data(), rows, k, packed.words.data());
  return packed;
}

//===----------------------------------------------------------------------===//
// UnpackOp
//===----------------------------------------------------------------------===//

LogicalResult UnpackOp::verify() {
  PackedType inputType = getInput().getType();
  RankedTensorType resultType = getType();
  if (resultType.getShape() != inputType.getShape())
    return emitOpError("expected result shape ")
           << shapeToString(inputType.getShape()) << " (the logical shape of " << inputType
           << "), found " << shapeToString(resultType.getShape());
  return success();
}

OpFoldResult UnpackOp::fold(FoldAdaptor adaptor) {
  // unpack(pack(x)) -> x for i1: both directions are the identity on booleans.
  if (auto pack = getInput().getDefiningOp<PackOp>())
    if (pack.getInput().getType() == getType() && getType().getElementType().isInteger(1))
      return pack.getInput();
  auto constant = dyn_cast_if_present<ElementsAttr>(adaptor.getInput());
  PackedType packedType = getInput().getType();
  if (!constant || !packedType.hasStaticShape() ||
      constant.getType() != packedType.getStorageType())
    return {};
  FailureOr<StorageWords> words = StorageWords::get(constant);
  if (failed(words))
    return {};
  if (words->isSplat())
    if (std::optional<bool> positive = uniformSignOfSplatWord((*words)[0], packedType))
      return makeSignSplat(getType(), *positive);
  std::optional<int64_t> numBits = checkedNumBits(packedType);
  std::optional<int64_t> numWords = checkedNumWords(packedType);
  if (!numBits || !numWords || *numBits > kMaxFoldedElements)
    return {};
  if (!words->isSplat() && words->size() != *numWords)
    return {}; // A blob of the wrong size; the constant's verifier reports it.
  SmallVector<uint64_t> storage(*numWords);
  for (int64_t i = 0; i < *numWords; ++i)
    storage[i] = (*words)[i];
  std::vector<float> signs(*numBits);
  ::bnn::ref::unpackBitsLSBFirst(storage.data(), packedType.getNumRows(), packedType.getK(),
                                 signs.data());
  return makeSignConstant(getType(), signs);
}

namespace {
/// unpack(pack(x)) -> sign(x) for floats of one type: the round trip keeps only the signs.
struct FoldUnpackOfPackToSign : OpRewritePattern<UnpackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnpackOp unpack, PatternRewriter &rewriter) const override {
    auto pack = unpack.getInput().getDefiningOp<PackOp>();
    if (!pack || pack.getInput().getType() != unpack.getType() ||
        !isa<FloatType>(unpack.getType().getElementType()))
      return rewriter.notifyMatchFailure(unpack, "not unpack(pack(x)) on floats of one type");
    rewriter.replaceOpWithNewOp<SignOp>(unpack, pack.getInput());
    return success();
  }
};
} // namespace

void UnpackOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<FoldUnpackOfPackToSign>(context);
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  PackedType packedType = getType();
  RankedTensorType storageType = packedType.getStorageType();
  if (getValue().getType() != storageType)
    return emitOpError("expected a value of type ")
           << storageType << " (the storage of " << packedType << "), found "
           << getValue().getType();
  // Only dense elements and blobs are read word by word; other forms (sparse elements) could
  // declare more words than they hold and are not checked, so they are refused.
  if (!isa<DenseIntElementsAttr, DenseResourceElementsAttr>(getValue()))
    return emitOpError("expected dense or dense_resource storage words, found ")
           << getValue().getAbstractAttribute().getName();
  // Both fit in int64_t: the type verifier bounds rows x words x 64.
  int64_t numWords = storageType.getNumElements();
  int64_t numBytes = numWords * static_cast<int64_t>(sizeof(uint64_t));
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(getValue()))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      if (static_cast<int64_t>(blob->getData().size()) != numBytes)
        return emitOpError("expected a dense_resource blob of ")
               << numBytes << " bytes (" << numWords << " words of " << storageType
               << "), found " << blob->getData().size() << " bytes";
  FailureOr<StorageWords> words = StorageWords::get(getValue());
  if (failed(words))
    return success(); // An elided or not yet loaded blob: no words to check.
  // Padding bits must be zero: every kernel relies on it (zero XOR zero never counts).
  uint64_t padding = paddingMask(packedType);
  if (padding == 0 || numWords == 0)
    return success();
  int64_t wordsPerRow = packedType.getNumWords();
  // A splat has one last word to check, whatever the number of rows it declares.
  int64_t rowsToCheck = words->isSplat() ? 1 : packedType.getNumRows();
  for (int64_t row = 0; row < rowsToCheck; ++row) {
    uint64_t last = (*words)[row * wordsPerRow + wordsPerRow - 1];
    if (last & padding)
      return emitOpError("expected zero padding bits above K = ")
             << packedType.getK() << ", found bits set in the last word of row " << row
             << " (0x" << llvm::utohexstr(last) << ")";
  }
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// XnorPopcountOp
//===----------------------------------------------------------------------===//

RankedTensorType XnorPopcountOp::inferResultType(PackedType lhs, PackedType rhs) {
  SmallVector<int64_t> shape(lhs.getShape().drop_back());
  shape.push_back(rhs.getShape().front());
  return RankedTensorType::get(shape, IntegerType::get(lhs.getContext(), 32));
}

/// What both binary matmuls require of their operands: an N x K rhs and one K.
static LogicalResult verifyMatmulOperands(Operation *op, PackedType lhsType,
                                          PackedType rhsType) {
  if (rhsType.getRank() != 2)
    return op->emitOpError("expected rhs to be an N x K matrix of rank 2, found rank ")
           << rhsType.getRank() << " (" << rhsType << ")";
  if (lhsType.getK() != rhsType.getK())
    return op->emitOpError("K mismatch: lhs has K = ")
           << lhsType.getK() << " bits, rhs has K = " << rhsType.getK() << " bits";
  return success();
}

LogicalResult XnorPopcountOp::verify() {
  PackedType lhsType = getLhs().getType();
  PackedType rhsType = getRhs().getType();
  if (failed(verifyMatmulOperands(*this, lhsType, rhsType)))
    return failure();
  RankedTensorType expected = inferResultType(lhsType, rhsType);
  if (getType() != expected)
    return emitOpError("expected result type ")
           << expected << " (lhs leading dimensions, then N), found " << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Tiling helpers shared by xnor_popcount and xnor_linear
//===----------------------------------------------------------------------===//

namespace {

/// The static shape described by tile sizes (kDynamic where a size is an SSA value).
SmallVector<int64_t> shapeOf(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes)
    shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
  return shape;
}

/// One parallel loop per result dimension: every output element is independent.
SmallVector<utils::IteratorType> allParallel(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

SmallVector<Range> domainOf(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  SmallVector<Range> domain;
  for (int64_t dim : shape) {
    assert(!ShapedType::isDynamic(dim) && "bnn-tile only tiles statically shaped results");
    domain.push_back(Range{b.getIndexAttr(0), b.getIndexAttr(dim), b.getIndexAttr(1)});
  }
  return domain;
}

/// The operand slices of a binary matmul tile: lhs rows at the leading offsets, rhs rows at
/// the last (N) offset. A slice of every row folds away (e.g. the vector of a GEMV).
std::pair<Value, Value> sliceMatmulOperands(OpBuilder &b, Location loc, Value lhs, Value rhs,
                                            ArrayRef<OpFoldResult> offsets,
                                            ArrayRef<OpFoldResult> sizes) {
  Value lhsSlice = b.createOrFold<SliceOp>(loc, lhs, offsets.drop_back(), sizes.drop_back());
  Value rhsSlice = b.createOrFold<SliceOp>(loc, rhs, offsets.take_back(), sizes.take_back());
  return {lhsSlice, rhsSlice};
}

/// The slice ops among `values` (TilingResult::generatedSlices).
SmallVector<Operation *> slicesAmong(ArrayRef<Value> values) {
  SmallVector<Operation *> slices;
  for (Value value : values)
    if (value)
      if (Operation *def = value.getDefiningOp(); def && isa<SliceOp, tensor::ExtractSliceOp>(def))
        slices.push_back(def);
  return slices;
}

/// The binary matmuls iterate over their output: a tile of the iteration space is the same
/// tile of the result.
LogicalResult outputTileIsIterationTile(ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes,
                                        SmallVector<OpFoldResult> &resultOffsets,
                                        SmallVector<OpFoldResult> &resultSizes) {
  resultOffsets.assign(offsets.begin(), offsets.end());
  resultSizes.assign(sizes.begin(), sizes.end());
  return success();
}

Value sliceVector(OpBuilder &b, Location loc, Value vector, ArrayRef<OpFoldResult> offsets,
                  ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, vector, offsets, sizes, strides);
}

} // namespace

//===----------------------------------------------------------------------===//
// XnorPopcountOp: TilingInterface
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> XnorPopcountOp::getLoopIteratorTypes() {
  return allParallel(getType().getRank());
}

SmallVector<Range> XnorPopcountOp::getIterationDomain(OpBuilder &b) {
  return domainOf(b, getLoc(), getType().getShape());
}

FailureOr<TilingResult> XnorPopcountOp::getTiledImplementation(OpBuilder &b,
                                                               ArrayRef<OpFoldResult> offsets,
                                                               ArrayRef<OpFoldResult> sizes) {
  auto [lhs, rhs] = sliceMatmulOperands(b, getLoc(), getLhs(), getRhs(), offsets, sizes);
  auto tileType = RankedTensorType::get(shapeOf(sizes), getType().getElementType());
  auto tile = XnorPopcountOp::create(b, getLoc(), tileType, lhs, rhs);
  return TilingResult{{tile}, {tile.getResult()}, slicesAmong({lhs, rhs})};
}

LogicalResult XnorPopcountOp::getResultTilePosition(OpBuilder &, unsigned,
                                                    ArrayRef<OpFoldResult> offsets,
                                                    ArrayRef<OpFoldResult> sizes,
                                                    SmallVector<OpFoldResult> &resultOffsets,
                                                    SmallVector<OpFoldResult> &resultSizes) {
  return outputTileIsIterationTile(offsets, sizes, resultOffsets, resultSizes);
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

void SliceOp::build(OpBuilder &b, OperationState &state, Value source,
                    ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> staticOffsets, staticSizes;
  SmallVector<Value> dynamicOffsets, dynamicSizes;
  dispatchIndexOpFoldResults(offsets, dynamicOffsets, staticOffsets);
  dispatchIndexOpFoldResults(sizes, dynamicSizes, staticSizes);
  SmallVector<int64_t> shape(staticSizes);
  shape.push_back(cast<PackedType>(source.getType()).getK());
  build(b, state, PackedType::get(b.getContext(), shape), source, dynamicOffsets, dynamicSizes,
        b.getDenseI64ArrayAttr(staticOffsets), b.getDenseI64ArrayAttr(staticSizes));
}

SmallVector<OpFoldResult> SliceOp::getMixedOffsets() {
  return getMixedValues(getStaticOffsets(), getOffsets(), getContext());
}

SmallVector<OpFoldResult> SliceOp::getMixedSizes() {
  return getMixedValues(getStaticSizes(), getSizes(), getContext());
}

LogicalResult SliceOp::verify() {
  PackedType sourceType = getSource().getType();
  PackedType resultType = getType();
  int64_t leading = sourceType.getRank() - 1;
  if (static_cast<int64_t>(getStaticOffsets().size()) != leading ||
      static_cast<int64_t>(getStaticSizes().size()) != leading)
    return emitOpError("expected ")
           << leading << " offsets and sizes (one per leading dimension of " << sourceType
           << "), found " << getStaticOffsets().size() << " offsets and "
           << getStaticSizes().size() << " sizes";
  if (llvm::count(getStaticOffsets(), ShapedType::kDynamic) !=
          static_cast<int64_t>(getOffsets().size()) ||
      llvm::count(getStaticSizes(), ShapedType::kDynamic) !=
          static_cast<int64_t>(getSizes().size()))
    return emitOpError("expected one SSA value per dynamic offset and size");
  // Bounds first: the expected result type is only a valid type for in-bounds sizes.
  for (int64_t i = 0; i < leading; ++i) {
    int64_t offset = getStaticOffsets()[i], size = getStaticSizes()[i];
    int64_t dim = sourceType.getShape()[i];
    if ((!ShapedType::isDynamic(offset) && offset < 0) ||
        (!ShapedType::isDynamic(size) && size < 0))
      return emitOpError("expected non-negative offsets and sizes, found offset ")
             << (ShapedType::isDynamic(offset) ? "?" : std::to_string(offset)) << " and size "
             << (ShapedType::isDynamic(size) ? "?" : std::to_string(size)) << " in dimension "
             << i;
    if (ShapedType::isDynamic(offset) || ShapedType::isDynamic(size))
      continue;
    // offset + size can exceed int64_t; such a slice is out of bounds of any dimension, even
    // a dynamic one.
    std::optional<int64_t> end = llvm::checkedAdd(offset, size);
    if (!end || (!ShapedType::isDynamic(dim) && *end > dim))
      return emitOpError("expected slice [offset, offset + size) of dimension ")
             << i << " within [0, "
             << (ShapedType::isDynamic(dim) ? "?" : std::to_string(dim)) << "), found offset "
             << offset << " and size " << size;
  }
  SmallVector<int64_t> expectedShape(getStaticSizes());
  expectedShape.push_back(sourceType.getK());
  if (resultType.getShape() != ArrayRef<int64_t>(expectedShape))
    return emitOpError("expected result type ")
           << packedTypeToString(expectedShape) << " (the slice sizes, then K), found "
           << resultType;
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  // Taking every row (in particular the no-op slice of a rank-1 value) is the identity.
  if (getType() == getSource().getType() &&
      llvm::all_of(getStaticOffsets(), [](int64_t offset) { return offset == 0; }))
    return getSource();
  return {};
}

namespace {
/// slice(pack(x)) -> pack(extract_slice(x)): a tile packs only the rows it reads.
struct SliceOfPack : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp slice, PatternRewriter &rewriter) const override {
    auto pack = slice.getSource().getDefiningOp<PackOp>();
    if (!pack)
      return rewriter.notifyMatchFailure(slice, "source is not a bnn.pack");
    RankedTensorType inputType = pack.getInput().getType();
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
    offsets.push_back(rewriter.getIndexAttr(0));
    sizes.push_back(rewriter.getIndexAttr(inputType.getShape().back()));
    SmallVector<OpFoldResult> strides(offsets.size(), rewriter.getIndexAttr(1));
    Value rows = tensor::ExtractSliceOp::create(rewriter, slice.getLoc(), pack.getInput(),
                                                offsets, sizes, strides);
    rewriter.replaceOpWithNewOp<PackOp>(slice, slice.getType(), rows);
    return success();
  }
};

} // namespace

void bnn::populateSliceOfPackPatterns(RewritePatternSet &patterns) {
  patterns.add<SliceOfPack>(patterns.getContext());
}

//===----------------------------------------------------------------------===//
// XnorLinearOp
//===----------------------------------------------------------------------===//

LogicalResult XnorLinearOp::verify() {
  PackedType lhsType = getLhs().getType();
  PackedType rhsType = getRhs().getType();
  if (failed(verifyMatmulOperands(*this, lhsType, rhsType)))
    return failure();
  ArrayRef<int64_t> shape = XnorPopcountOp::inferResultType(lhsType, rhsType).getShape();
  ArrayRef<int64_t> resultShape = getResultShape();
  if (resultShape != shape)
    return emitOpError("expected result shape ")
           << shapeToString(shape) << " (lhs leading dimensions, then N), found "
           << shapeToString(resultShape);
  int64_t n = rhsType.getShape().front();
  auto checkVector = [&](Value vector, StringRef name,
                         ArrayRef<int64_t> expected) -> LogicalResult {
    if (!vector)
      return success();
    ArrayRef<int64_t> found = cast<RankedTensorType>(vector.getType()).getShape();
    if (found != expected)
      return emitOpError("expected ")
             << name << " of shape " << shapeToString(expected) << ", found "
             << shapeToString(found);
    return success();
  };
  if (failed(checkVector(getColScale(), "col_scale", {n})) ||
      failed(checkVector(getBias(), "bias", {n})) ||
      failed(checkVector(getRowScale(), "row_scale", lhsType.getShape().drop_back())))
    return failure();
  return success();
}

ArrayRef<int64_t> XnorLinearOp::getResultShape() {
  if (auto packed = dyn_cast<PackedType>(getType()))
    return packed.getShape();
  return cast<RankedTensorType>(getType()).getShape();
}

SmallVector<utils::IteratorType> XnorLinearOp::getLoopIteratorTypes() {
  return allParallel(getResultShape().size());
}

SmallVector<Range> XnorLinearOp::getIterationDomain(OpBuilder &b) {
  return domainOf(b, getLoc(), getResultShape());
}

FailureOr<TilingResult> XnorLinearOp::getTiledImplementation(OpBuilder &b,
                                                             ArrayRef<OpFoldResult> offsets,
                                                             ArrayRef<OpFoldResult> sizes) {
  // A packed result holds 64 columns per word; tiles would have to own whole words.
  if (hasPackedResult())
    return emitOpError("tiling is only supported for a float result");
  Location loc = getLoc();
  auto [lhs, rhs] = sliceMatmulOperands(b, loc, getLhs(), getRhs(), offsets, sizes);
  Value colScale, rowScale, bias;
  if (getColScale())
    colScale = sliceVector(b, loc, getColScale(), offsets.take_back(), sizes.take_back());
  if (getBias())
    bias = sliceVector(b, loc, getBias(), offsets.take_back(), sizes.take_back());
  if (getRowScale())
    rowScale = sliceVector(b, loc, getRowScale(), offsets.drop_back(), sizes.drop_back());
  auto tileType = RankedTensorType::get(shapeOf(sizes), b.getF32Type());
  auto tile = XnorLinearOp::create(b, loc, tileType, lhs, rhs, colScale, rowScale, bias,
                                   getActivation());
  return TilingResult{
      {tile}, {tile.getResult()}, slicesAmong({lhs, rhs, colScale, rowScale, bias})};
}

LogicalResult XnorLinearOp::getResultTilePosition(OpBuilder &, unsigned,
                                                  ArrayRef<OpFoldResult> offsets,
                                                  ArrayRef<OpFoldResult> sizes,
                                                  SmallVector<OpFoldResult> &resultOffsets,
                                                  SmallVector<OpFoldResult> &resultSizes) {
  return outputTileIsIterationTile(offsets, sizes, resultOffsets, resultSizes);
}

//===----------------------------------------------------------------------===//
// HammingTopKOp
//===----------------------------------------------------------------------===//

/// The result types of a search of `queries` for `k` neighbours: Q x k distances and indices.
static std::pair<RankedTensorType, RankedTensorType> hammingTopKResultTypes(Builder &b,
                                                                            PackedType queries,
                                                                            int64_t k) {
  SmallVector<int64_t> shape{queries.getShape().front(), k};
  return {RankedTensorType::get(shape, b.getI32Type()),
          RankedTensorType::get(shape, b.getI64Type())};
}

void HammingTopKOp::build(OpBuilder &b, OperationState &state, Value queries, Value database,
                          int64_t k) {
  auto [distances, indices] =
      hammingTopKResultTypes(b, cast<PackedType>(queries.getType()), k);
  build(b, state, distances, indices, queries, database, b.getI64IntegerAttr(k));
}

LogicalResult HammingTopKOp::verify() {
  PackedType queriesType = getQueries().getType();
  PackedType databaseType = getDatabase().getType();
  if (queriesType.getRank() != 2)
    return emitOpError("expected queries to be a Q x K matrix of rank 2, found rank ")
           << queriesType.getRank() << " (" << queriesType << ")";
  if (databaseType.getRank() != 2)
    return emitOpError("expected database to be an N x K matrix of rank 2, found rank ")
           << databaseType.getRank() << " (" << databaseType << ")";
  if (queriesType.getK() != databaseType.getK())
    return emitOpError("K mismatch: queries have K = ")
           << queriesType.getK() << " bits, database has K = " << databaseType.getK()
           << " bits";
  if (queriesType.getK() > kMaxBitLength)
    return emitOpError("expected K <= ")
           << kMaxBitLength << " (a distance over whole 64-bit words must fit in i32), found "
           << queriesType.getK();
  int64_t k = getK();
  if (k < 1 || k > kMaxK)
    return emitOpError("expected k in [1, ") << kMaxK << "], found " << k;
  int64_t numCodes = databaseType.getShape().front();
  if (!ShapedType::isDynamic(numCodes) && k > numCodes)
    return emitOpError("expected k <= N = ")
           << numCodes << " (the database rows), found k = " << k;
  int64_t numQueries = queriesType.getShape().front();
  if (!ShapedType::isDynamic(numQueries)) {
    std::optional<int64_t> elements = llvm::checkedMul(numQueries, k);
    if (!elements || !llvm::checkedMul(*elements, int64_t{8}))
      return emitOpError("expected Q x k x 8 bytes of results to fit in int64_t, found Q = ")
             << numQueries << ", k = " << k;
  }
  Builder b(getContext());
  auto [distances, indices] = hammingTopKResultTypes(b, queriesType, k);
  if (getDistances().getType() != distances)
    return emitOpError("expected distances of type ")
           << distances << " (Q x k), found " << getDistances().getType();
  if (getIndices().getType() != indices)
    return emitOpError("expected indices of type ")
           << indices << " (Q x k), found " << getIndices().getType();
  return success();
}
