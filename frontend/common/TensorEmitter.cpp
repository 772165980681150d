//===- TensorEmitter.cpp - emit tensor computations as linalg/tensor/arith -===//

#include "common/TensorEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/DenseMap.h"

#include <limits>

using namespace mlir;

namespace bnn::frontend {

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l == r || r == 1)
      result[i] = l;
    else if (l == 1)
      result[i] = r;
    else
      return std::nullopt;
  }
  return result;
}

std::optional<int64_t> numElements(ArrayRef<int64_t> shape) {
  constexpr int64_t kLimit = int64_t{1} << 48;
  // Every dimension is checked before any is multiplied: a zero dimension must not hide a
  // negative one after it (tensor<0x-4xf32> is no type), and a zero dimension after a large
  // prefix makes the product zero.
  bool empty = false;
  for (int64_t dim : shape) {
    if (dim < 0 || dim > kLimit)
      return std::nullopt;
    empty |= dim == 0;
  }
  if (empty)
    return 0;
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (count > kLimit / dim)
      return std::nullopt;
    count *= dim;
  }
  return count;
}

std::optional<APInt> exactInteger(double value, unsigned width, bool isUnsigned) {
  llvm::APSInt result(width, isUnsigned);
  bool exact = false;
  // opInexact for fractions, opInvalidOp for NaN, infinities and values out of range.
  if (APFloat(value).convertToInteger(result, APFloat::rmTowardZero, &exact) != APFloat::opOK)
    return std::nullopt;
  return result;
}

TypedAttr scalarAttr(Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return FloatAttr::get(floatType, value);
  if (type.isInteger(1))
    return IntegerAttr::get(type, value != 0.0 ? 1 : 0);
  // Toward zero into int64_t, then the low bits: saturating (NaN -> 0) instead of the undefined
  // behaviour of a cast out of range. Model-supplied values are checked with exactInteger.
  llvm::APSInt wide(64, /*isUnsigned=*/false);
  bool exact = false;
  (void)APFloat(value).convertToInteger(wide, APFloat::rmTowardZero, &exact);
  return IntegerAttr::get(type, wide.getSExtValue());
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, scalarAttr(type, value));
}

Value intConstant(OpBuilder &b, Location loc, Type type, int64_t value) {
  return arith::ConstantOp::create(b, loc, IntegerAttr::get(type, value));
}

Value convertScalar(OpBuilder &b, Location loc, Value value, Type to, bool srcUnsigned,
                    bool dstUnsigned) {
  Type from = value.getType();
  if (from == to)
    return value;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (to.isInteger(1)) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   scalarConstant(b, loc, from, 0.0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                                 intConstant(b, loc, from, 0));
  }
  if (from.isInteger(1)) {
    if (toFloat)
      return arith::UIToFPOp::create(b, loc, to, value);
    return arith::ExtUIOp::create(b, loc, to, value);
  }
  if (toFloat && toFloat.isBF16()) {
    // To bfloat16 by dropping the low 16 bits of the f32 value (NaN stays a quiet NaN), as the
    // ONNX 1.12 reference does; this also needs no __truncsfbf2 runtime helper.
    Value wide = convertScalar(b, loc, value, b.getF32Type(), srcUnsigned, false);
    Type i32 = b.getI32Type(), i16 = b.getIntegerType(16);
    Value bits = arith::BitcastOp::create(b, loc, i32, wide);
    Value high = arith::ShRUIOp::create(b, loc, bits, intConstant(b, loc, i32, 16));
    Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, wide, wide);
    Value quiet = arith::OrIOp::create(b, loc, high, intConstant(b, loc, i32, 0x40));
    Value chosen = arith::SelectOp::create(b, loc, isNaN, quiet, high);
    Value narrow = arith::TruncIOp::create(b, loc, i16, chosen);
    return arith::BitcastOp::create(b, loc, to, narrow);
  }
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() == toFloat.getWidth()) {
      // f16 <-> bf16: go through f32, which holds both exactly.
      Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
      return arith::TruncFOp::create(b, loc, to, wide);
    }
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    return arith::TruncFOp::create(b, loc, to, value);
  }
  if (fromFloat)
    return dstUnsigned ? Value(arith::FPToUIOp::create(b, loc, to, value))
                       : Value(arith::FPToSIOp::create(b, loc, to, value));
  if (toFloat)
    return srcUnsigned ? Value(arith::UIToFPOp::create(b, loc, to, value))
                       : Value(arith::SIToFPOp::create(b, loc, to, value));
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth == toWidth)
    return value;
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, to, value);
  return srcUnsigned ? Value(arith::ExtUIOp::create(b, loc, to, value))
                     : Value(arith::ExtSIOp::create(b, loc, to, value));
}

RankedTensorType TensorEmitter::getType(Value tensor) {
  return cast<RankedTensorType>(tensor.getType());
}
ArrayRef<int64_t> TensorEmitter::getShape(Value tensor) { return getType(tensor).getShape(); }
Type TensorEmitter::getElementType(Value tensor) { return getType(tensor).getElementType(); }

Value TensorEmitter::empty(ArrayRef<int64_t> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value TensorEmitter::constant(RankedTensorType type, ArrayRef<char> bytes,
                              StringRef resourceName) {
  int64_t count = type.getNumElements();
  int64_t size = bytes.size() / std::max<int64_t>(count, 1);
  bool isSplat = count > 0;
  for (size_t i = size; i < bytes.size() && isSplat; ++i)
    isSplat = bytes[i] == bytes[i % size];
  TypedAttr value;
  if (isSplat)
    value = DenseElementsAttr::getFromRawBuffer(type, bytes.take_front(size));
  else if (count <= kResourceThreshold)
    value = DenseElementsAttr::getFromRawBuffer(type, bytes);
  else {
    std::string name;
    for (char c : resourceName)
      name += llvm::isAlnum(c) ? c : '_';
    value = DenseResourceElementsAttr::get(
        type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t)));
  }
  return arith::ConstantOp::create(b, loc, value);
}

Value TensorEmitter::constant(ArrayRef<int64_t> shape, ArrayRef<float> values,
                              StringRef resourceName) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return constant(type,
                  ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                                 values.size() * sizeof(float)),
                  resourceName);
}

Value TensorEmitter::splat(ArrayRef<int64_t> shape, Type elementType, double value) {
  auto type = RankedTensorType::get(shape, elementType);
  return arith::ConstantOp::create(b, loc,
                                   SplatElementsAttr::get(type, scalarAttr(elementType, value)));
}

Value TensorEmitter::filled(ArrayRef<int64_t> shape, Type elementType, double value) {
  return filled(shape, scalarAttr(elementType, value));
}

Value TensorEmitter::filled(ArrayRef<int64_t> shape, TypedAttr value) {
  Value init = empty(shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{init}).getResult(0);
}

Value TensorEmitter::dropUnitDims(Value input, ArrayRef<bool> drop) {
  ArrayRef<int64_t> shape = getShape(input);
  if (llvm::none_of(drop, [](bool d) { return d; }))
    return input;
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices leading;
  SmallVector<int64_t> resultShape;
  for (int64_t i = 0, e = shape.size(); i < e; ++i) {
    if (!drop[i]) {
      ReassociationIndices group(leading);
      leading.clear();
      group.push_back(i);
      groups.push_back(group);
      resultShape.push_back(shape[i]);
    } else if (groups.empty()) {
      leading.push_back(i);
    } else {
      groups.back().push_back(i);
    }
  }
  auto resultType = RankedTensorType::get(resultShape, getElementType(input));
  return tensor::CollapseShapeOp::create(b, loc, resultType, input, groups);
}

DenseElementsAttr TensorEmitter::getConstantElements(Value tensor) {
  if (auto collapse = tensor.getDefiningOp<tensor::CollapseShapeOp>()) {
    DenseElementsAttr source = getConstantElements(collapse.getSrc());
    return source ? source.reshape(collapse.getResultType()) : nullptr;
  }
  if (auto expand = tensor.getDefiningOp<tensor::ExpandShapeOp>()) {
    DenseElementsAttr source = getConstantElements(expand.getSrc());
    return source ? source.reshape(expand.getResultType()) : nullptr;
  }
  auto constant = tensor.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return nullptr;
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
    return dense;
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  if (!resource || resource.getType().getElementType().isInteger(1))
    return nullptr;
  ArrayRef<char> data = resource.getData();
  auto type = cast<ShapedType>(resource.getType());
  bool isSplat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, data, isSplat))
    return nullptr;
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

/// Evaluates an elementwise linalg.generic whose inputs are constants, op by op with the ops'
/// folders; null when some op does not fold (for example an integer division by zero).
static DenseElementsAttr foldElementwise(linalg::GenericOp generic) {
  auto resultType = cast<RankedTensorType>(generic.getResult(0).getType());
  std::optional<int64_t> count = numElements(resultType.getShape());
  if (!count || *count > TensorEmitter::kMaxFoldedElements)
    return nullptr;
  SmallVector<SmallVector<Attribute>> inputValues;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    DenseElementsAttr elements = TensorEmitter::getConstantElements(input->get());
    if (!elements)
      return nullptr;
    inputValues.emplace_back(elements.getValues<Attribute>().begin(),
                             elements.getValues<Attribute>().end());
  }
  Block &body = generic.getRegion().front();
  if (!body.getArgument(body.getNumArguments() - 1).use_empty())
    return nullptr;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  int64_t rank = resultType.getRank();
  SmallVector<int64_t> index(rank, 0);
  SmallVector<Attribute> results;
  results.reserve(*count);
  Builder builder(generic.getContext());
  for (int64_t linear = 0; linear < *count; ++linear) {
    int64_t rest = linear;
    for (int64_t d = rank - 1; d >= 0; --d) {
      index[d] = rest % resultType.getDimSize(d);
      rest /= resultType.getDimSize(d);
    }
    llvm::DenseMap<Value, Attribute> known;
    for (auto [i, values] : llvm::enumerate(inputValues)) {
      SmallVector<int64_t> at = maps[i].compose(index);
      auto inputType = cast<ShapedType>(generic.getDpsInputOperand(i)->get().getType());
      int64_t offset = 0;
      for (int64_t d = 0, e = at.size(); d < e; ++d)
        offset = offset * inputType.getDimSize(d) + at[d];
      known[body.getArgument(i)] = values[offset];
    }
    for (Operation &op : body.without_terminator()) {
      if (auto indexOp = dyn_cast<linalg::IndexOp>(op)) {
        known[indexOp.getResult()] = builder.getIndexAttr(index[indexOp.getDim()]);
        continue;
      }
      SmallVector<Attribute> operands;
      for (Value operand : op.getOperands())
        operands.push_back(known.lookup(operand));
      SmallVector<OpFoldResult> folded;
      if (failed(op.fold(operands, folded)) || folded.size() != op.getNumResults())
        return nullptr;
      for (auto [result, value] : llvm::zip(op.getResults(), folded)) {
        Attribute attr = dyn_cast<Attribute>(value);
        if (!attr)
          attr = known.lookup(cast<Value>(value));
        if (!attr || !isa<TypedAttr>(attr))
          return nullptr;
        known[result] = attr;
      }
    }
    Attribute yielded = known.lookup(body.getTerminator()->getOperand(0));
    if (!yielded)
      return nullptr;
    results.push_back(yielded);
  }
  return DenseElementsAttr::get(resultType, results);
}

Value TensorEmitter::map(ArrayRef<int64_t> shape, Type resultElementType, ValueRange inputs,
                         ScalarFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = shape.size();
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    ArrayRef<int64_t> inShape = getShape(input);
    int64_t inRank = inShape.size();
    SmallVector<bool> drop(inRank, false);
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < inRank; ++i) {
      int64_t outDim = i + rank - inRank;
      if (inShape[i] == 1 && shape[outDim] != 1)
        drop[i] = true;
      else
        exprs.push_back(getAffineDimExpr(outDim, ctx));
    }
    operands.push_back(dropUnitDims(input, drop));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = empty(shape, resultElementType);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  if (!inputs.empty() && llvm::all_of(inputs, [](Value v) { return getConstantElements(v); })) {
    if (DenseElementsAttr folded = foldElementwise(generic)) {
      generic.erase();
      return arith::ConstantOp::create(b, loc, folded);
    }
  }
  return generic.getResult(0);
}

Value TensorEmitter::reduce(Value input, ArrayRef<int64_t> axes, bool keepDims, TypedAttr init,
                            CombineFn combine) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = getShape(input);
  int64_t rank = shape.size();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes)
    reduced[axis] = true;
  SmallVector<int64_t> outShape, keptShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    if (reduced[i]) {
      iterators.push_back(utils::IteratorType::reduction);
      keptShape.push_back(1);
    } else {
      iterators.push_back(utils::IteratorType::parallel);
      outShape.push_back(shape[i]);
      keptShape.push_back(shape[i]);
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  Value acc = filled(outShape, init);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{input}, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc, combine(nested, nestedLoc, args[0], args[1]));
      });
  Value result = generic.getResult(0);
  return keepDims ? reshape(result, keptShape) : result;
}

Value TensorEmitter::softmax(Value input, int64_t axis, bool logarithm) {
  ArrayRef<int64_t> shape = getShape(input);
  auto type = cast<FloatType>(getElementType(input));
  SmallVector<int64_t> axes = {axis};
  Value maxValue =
      reduce(input, axes, true, FloatAttr::get(type, -std::numeric_limits<double>::infinity()),
             [](OpBuilder &nb, Location nl, Value v, Value acc) {
               return Value(arith::MaximumFOp::create(nb, nl, acc, v));
             });
  Value shifted = map(shape, type, {input, maxValue}, [](OpBuilder &nb, Location nl, ValueRange a) {
    return Value(arith::SubFOp::create(nb, nl, a[0], a[1]));
  });
  Value exps = map(shape, type, shifted, [](OpBuilder &nb, Location nl, ValueRange a) {
    return Value(math::ExpOp::create(nb, nl, a[0]));
  });
  Value sum = reduce(exps, axes, true, FloatAttr::get(type, 0.0),
                     [](OpBuilder &nb, Location nl, Value v, Value acc) {
                       return Value(arith::AddFOp::create(nb, nl, acc, v));
                     });
  if (logarithm)
    return map(shape, type, {shifted, sum}, [](OpBuilder &nb, Location nl, ValueRange a) {
      return Value(arith::SubFOp::create(nb, nl, a[0], math::LogOp::create(nb, nl, a[1])));
    });
  return map(shape, type, {exps, sum}, [](OpBuilder &nb, Location nl, ValueRange a) {
    return Value(arith::DivFOp::create(nb, nl, a[0], a[1]));
  });
}

Value TensorEmitter::matmul(Value lhs, Value rhs) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> lhsShape = getShape(lhs), rhsShape = getShape(rhs);
  Type elementType = getElementType(lhs);
  bool isFloat = isa<FloatType>(elementType);
  bool lhsVector = lhsShape.size() == 1, rhsVector = rhsShape.size() == 1;
  if (lhsShape.size() == 2 && rhsShape.size() == 2) {
    Value acc = filled({lhsShape[0], rhsShape[1]}, elementType, 0.0);
    return linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()}, ValueRange{lhs, rhs},
                                    ValueRange{acc})
        .getResult(0);
  }
  ArrayRef<int64_t> lhsBatch = lhsVector ? ArrayRef<int64_t>() : lhsShape.drop_back(2);
  ArrayRef<int64_t> rhsBatch = rhsVector ? ArrayRef<int64_t>() : rhsShape.drop_back(2);
  SmallVector<int64_t> batch = *broadcastShapes(lhsBatch, rhsBatch);
  if (lhsShape.size() == 3 && rhsShape.size() == 3 && lhsBatch == rhsBatch) {
    Value acc = filled({lhsShape[0], lhsShape[1], rhsShape[2]}, elementType, 0.0);
    return linalg::BatchMatmulOp::create(b, loc, TypeRange{acc.getType()}, ValueRange{lhs, rhs},
                                         ValueRange{acc})
        .getResult(0);
  }
  int64_t numBatch = batch.size();
  int64_t numLoops = numBatch + (lhsVector ? 0 : 1) + (rhsVector ? 0 : 1) + 1;
  int64_t mDim = numBatch;
  int64_t nDim = numBatch + (lhsVector ? 0 : 1);
  int64_t kDim = numLoops - 1;
  auto dim = [&](int64_t d) { return getAffineDimExpr(d, ctx); };

  // Batch dimensions of one operand: broadcast ones are dropped, the rest map to loops.
  auto batchExprs = [&](Value &operand, ArrayRef<int64_t> operandBatch, int64_t trailing) {
    SmallVector<bool> drop(operandBatch.size() + trailing, false);
    SmallVector<AffineExpr> exprs;
    int64_t offset = numBatch - operandBatch.size();
    for (int64_t i = 0, e = operandBatch.size(); i < e; ++i) {
      if (operandBatch[i] == 1 && batch[i + offset] != 1)
        drop[i] = true;
      else
        exprs.push_back(dim(i + offset));
    }
    operand = dropUnitDims(operand, drop);
    return exprs;
  };
  SmallVector<AffineExpr> lhsExprs = batchExprs(lhs, lhsBatch, lhsVector ? 1 : 2);
  if (!lhsVector)
    lhsExprs.push_back(dim(mDim));
  lhsExprs.push_back(dim(kDim));
  SmallVector<AffineExpr> rhsExprs = batchExprs(rhs, rhsBatch, rhsVector ? 1 : 2);
  rhsExprs.push_back(dim(kDim));
  if (!rhsVector)
    rhsExprs.push_back(dim(nDim));

  SmallVector<int64_t> outShape(batch);
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < numBatch; ++i)
    outExprs.push_back(dim(i));
  if (!lhsVector) {
    outShape.push_back(lhsShape[lhsShape.size() - 2]);
    outExprs.push_back(dim(mDim));
  }
  if (!rhsVector) {
    outShape.push_back(rhsShape.back());
    outExprs.push_back(dim(nDim));
  }
  SmallVector<utils::IteratorType> iterators(numLoops, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, lhsExprs, ctx),
                                 AffineMap::get(numLoops, 0, rhsExprs, ctx),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  Value acc = filled(outShape, elementType, 0.0);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{lhs, rhs}, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value product, sum;
        if (isFloat) {
          product = arith::MulFOp::create(nested, nestedLoc, args[0], args[1]);
          sum = arith::AddFOp::create(nested, nestedLoc, args[2], product);
        } else {
          product = arith::MulIOp::create(nested, nestedLoc, args[0], args[1]);
          sum = arith::AddIOp::create(nested, nestedLoc, args[2], product);
        }
        linalg::YieldOp::create(nested, nestedLoc, sum);
      });
  return generic.getResult(0);
}

Value TensorEmitter::reshape(Value input, ArrayRef<int64_t> shape) {
  RankedTensorType inputType = getType(input);
  if (inputType.getShape() == shape)
    return input;
  Type elementType = inputType.getElementType();
  auto resultType = RankedTensorType::get(shape, elementType);
  // One collapse or one expand when the dimensions group contiguously.
  if (static_cast<int64_t>(shape.size()) != inputType.getRank()) {
    bool collapse = static_cast<int64_t>(shape.size()) < inputType.getRank();
    auto reassociation = collapse ? getReassociationIndicesForReshape(inputType, resultType)
                                  : getReassociationIndicesForReshape(resultType, inputType);
    if (reassociation && collapse)
      return tensor::CollapseShapeOp::create(b, loc, resultType, input, *reassociation);
    if (reassociation)
      return tensor::ExpandShapeOp::create(b, loc, resultType, input, *reassociation);
  }
  // General case: through a rank-1 tensor.
  Value flat = input;
  int64_t count = *numElements(inputType.getShape());
  if (inputType.getRank() != 1) {
    SmallVector<ReassociationIndices> all;
    if (inputType.getRank() > 0) {
      all.emplace_back();
      for (int64_t i = 0; i < inputType.getRank(); ++i)
        all.back().push_back(i);
    }
    auto flatType = RankedTensorType::get({count}, elementType);
    flat = inputType.getRank() > 0
               ? Value(tensor::CollapseShapeOp::create(b, loc, flatType, input, all))
               : Value(tensor::ExpandShapeOp::create(b, loc, flatType, input, all));
  }
  if (shape.size() == 1)
    return flat;
  SmallVector<ReassociationIndices> all;
  if (!shape.empty()) {
    all.emplace_back();
    for (int64_t i = 0, e = shape.size(); i < e; ++i)
      all.back().push_back(i);
    return tensor::ExpandShapeOp::create(b, loc, resultType, flat, all);
  }
  return tensor::CollapseShapeOp::create(b, loc, resultType, flat, all);
}

Value TensorEmitter::transpose(Value input, ArrayRef<int64_t> permutation) {
  ArrayRef<int64_t> shape = getShape(input);
  bool identity = true;
  SmallVector<int64_t> outShape;
  for (int64_t i = 0, e = permutation.size(); i < e; ++i) {
    outShape.push_back(shape[permutation[i]]);
    identity &= permutation[i] == i;
  }
  if (identity)
    return input;
  Value init = empty(outShape, getElementType(input));
  return linalg::TransposeOp::create(b, loc, input, init, permutation).getResult()[0];
}

Value TensorEmitter::broadcastTo(Value input, ArrayRef<int64_t> shape) {
  if (getShape(input) == shape)
    return input;
  return map(shape, getElementType(input), ValueRange{input},
             [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

Value TensorEmitter::concat(ValueRange inputs, int64_t axis) {
  if (inputs.size() == 1)
    return inputs.front();
  // One op, not a chain of tensor.insert_slice into a tensor.empty: One-Shot Bufferize analyses
  // every slice of such a chain against all the others (a 250-input Concat took 56 s).
  return tensor::ConcatOp::create(b, loc, axis, inputs);
}

Value TensorEmitter::slice(Value input, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                           ArrayRef<int64_t> strides) {
  if (getShape(input) == sizes && llvm::all_of(offsets, [](int64_t o) { return o == 0; }))
    return input;
  SmallVector<OpFoldResult> o, s, st;
  for (int64_t v : offsets)
    o.push_back(b.getIndexAttr(v));
  for (int64_t v : sizes)
    s.push_back(b.getIndexAttr(v));
  for (int64_t v : strides)
    st.push_back(b.getIndexAttr(v));
  auto type = RankedTensorType::get(sizes, getElementType(input));
  return tensor::ExtractSliceOp::create(b, loc, type, input, o, s, st);
}

Value TensorEmitter::convert(Value input, Type to, bool srcUnsigned, bool dstUnsigned) {
  if (getElementType(input) == to)
    return input;
  return map(getShape(input), to, ValueRange{input},
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               return convertScalar(nested, nestedLoc, args[0], to, srcUnsigned, dstUnsigned);
             });
}

} // namespace bnn::frontend
