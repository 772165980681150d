//===- Binarize.cpp - emit binary and ternary linear algebra with bnn ops -===//

#include "common/Binarize.h"

#include "bnn/IR/BNNOps.h"

#include "bnn/runtime/Reference.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace bnn::frontend {

Value createPackedConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                           function_ref<bool(int64_t)> isPlusOne) {
  auto packedType = bnn::PackedType::get(b.getContext(), shape);
  int64_t k = packedType.getK();
  int64_t rows = packedType.getNumRows();
  int64_t wordsPerRow = packedType.getNumWords();
  std::vector<uint64_t> words(rows * wordsPerRow, 0);
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t col = 0; col < k; ++col)
      if (isPlusOne(row * k + col))
        words[row * wordsPerRow + col / ::bnn::ref::kBitsPerWord] |=
            uint64_t{1} << (col % ::bnn::ref::kBitsPerWord);
  auto value = DenseElementsAttr::get(packedType.getStorageType(), ArrayRef<uint64_t>(words));
  return bnn::ConstantOp::create(b, loc, packedType, value);
}

Value emitBinaryEpilogue(TensorEmitter &e, Value product, FloatType floatType,
                         const BinaryEpilogue &epilogue) {
  MLIRContext *ctx = e.builder().getContext();
  ArrayRef<int64_t> shape = TensorEmitter::getShape(product);
  int64_t rank = shape.size();
  SmallVector<Value> inputs = {product};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  AffineMap columnMap = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  SmallVector<AffineExpr> rowExprs;
  for (int64_t i = 0; i + 1 < rank; ++i)
    rowExprs.push_back(getAffineDimExpr(i, ctx));
  AffineMap rowMap = AffineMap::get(rank, 0, rowExprs, ctx);
  int columnIndex = -1, rowIndex = -1, biasIndex = -1;
  if (epilogue.columnScale) {
    columnIndex = inputs.size();
    inputs.push_back(epilogue.columnScale);
    maps.push_back(columnMap);
  }
  if (epilogue.rowScale) {
    rowIndex = inputs.size();
    inputs.push_back(epilogue.rowScale);
    maps.push_back(rowMap);
  }
  if (epilogue.bias) {
    biasIndex = inputs.size();
    inputs.push_back(epilogue.bias);
    maps.push_back(columnMap);
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = e.empty(shape, floatType);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      e.builder(), e.location(), TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value x = arith::SIToFPOp::create(b, loc, floatType, args[0]);
        if (columnIndex >= 0)
          x = arith::MulFOp::create(b, loc, x, args[columnIndex]);
        if (rowIndex >= 0)
          x = arith::MulFOp::create(b, loc, x, args[rowIndex]);
        if (biasIndex >= 0)
          x = arith::AddFOp::create(b, loc, x, args[biasIndex]);
        if (epilogue.relu)
          x = arith::MaximumFOp::create(b, loc, x, scalarConstant(b, loc, floatType, 0.0));
        linalg::YieldOp::create(b, loc, x);
      });
  return generic.getResult(0);
}

Value emitXnorMatmul(TensorEmitter &e, Value lhsPacked, Value rhsPacked, FloatType floatType,
                     const BinaryEpilogue &epilogue) {
  auto lhsType = cast<bnn::PackedType>(lhsPacked.getType());
  auto rhsType = cast<bnn::PackedType>(rhsPacked.getType());
  RankedTensorType resultType = bnn::XnorPopcountOp::inferResultType(lhsType, rhsType);
  Value product = bnn::XnorPopcountOp::create(e.builder(), e.location(), resultType,
                                                    lhsPacked, rhsPacked);
  return emitBinaryEpilogue(e, product, floatType, epilogue);
}

bool LowBitWeights::isTernary() const {
  return llvm::any_of(values, [](int8_t v) { return v == 0; });
}

Value emitLowBitMatmul(TensorEmitter &e, Value q, const LowBitWeights &weights) {
  OpBuilder &b = e.builder();
  Location loc = e.location();
  ArrayRef<int64_t> qShape = TensorEmitter::getShape(q);
  int64_t m = qShape[0], k = qShape[1], n = weights.rows;
  // The activations are integers in [-128, 127] held in floats: exactly representable in i8.
  Value q8 = e.map({m, k}, b.getI8Type(), ValueRange{q}, [&](OpBuilder &nb, Location nl,
                                                              ValueRange args) {
    return Value(arith::FPToSIOp::create(nb, nl, nb.getI8Type(), args[0]));
  });
  Value rhs;
  if (weights.isTernary()) {
    auto type = bnn::TernaryType::get(b.getContext(), {n, k});
    std::vector<float> values(weights.values.begin(), weights.values.end());
    std::vector<uint64_t> words(type.getStorageType().getNumElements());
    ::bnn::ref::packTernary(values.data(), n, k, words.data());
    rhs = bnn::TernaryConstantOp::create(
        b, loc, type,
        cast<DenseIntElementsAttr>(
            DenseElementsAttr::get(type.getStorageType(), ArrayRef<uint64_t>(words))));
  } else {
    rhs = createPackedConstant(b, loc, {n, k},
                               [&](int64_t i) { return weights.values[i] > 0; });
  }
  auto resultType = RankedTensorType::get({m, n}, b.getI32Type());
  return bnn::LowBitMatmulOp::create(b, loc, resultType, q8, rhs);
}

} // namespace bnn::frontend
