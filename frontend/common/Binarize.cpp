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

Value emitBitSerialMatmul(TensorEmitter &e, Value q, const LowBitWeights &weights,
                          int64_t *factor) {
  OpBuilder &b = e.builder();
  MLIRContext *ctx = b.getContext();
  Location loc = e.location();
  constexpr int64_t kPlanes = 8;
  ArrayRef<int64_t> qShape = TensorEmitter::getShape(q);
  int64_t m = qShape[0], k = qShape[1], n = weights.rows;
  Type floatType = TensorEmitter::getElementType(q);
  Type i32 = b.getI32Type();

  // Bit planes of u = q + 128 in [0, 255]: plane j holds +1 where bit j of u is set, else -1.
  Value planesInit = e.empty({kPlanes, m, k}, floatType);
  AffineMap planeInputMap =
      AffineMap::get(3, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(2, ctx)}, ctx);
  SmallVector<utils::IteratorType> parallel3(3, utils::IteratorType::parallel);
  auto planes = linalg::GenericOp::create(
      b, loc, TypeRange{planesInit.getType()}, ValueRange{q}, ValueRange{planesInit},
      SmallVector<AffineMap>{planeInputMap, AffineMap::getMultiDimIdentityMap(3, ctx)},
      parallel3, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value plane = linalg::IndexOp::create(nb, nl, 0);
        Value shift = arith::IndexCastOp::create(nb, nl, i32, plane);
        Value integer = arith::FPToSIOp::create(nb, nl, i32, args[0]);
        Value offset = arith::AddIOp::create(nb, nl, integer, intConstant(nb, nl, i32, 128));
        Value shifted = arith::ShRSIOp::create(nb, nl, offset, shift);
        Value bit = arith::AndIOp::create(nb, nl, shifted, intConstant(nb, nl, i32, 1));
        Value set = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, bit,
                                          intConstant(nb, nl, i32, 0));
        Value plus = scalarConstant(nb, nl, floatType, 1.0);
        Value minus = scalarConstant(nb, nl, floatType, -1.0);
        linalg::YieldOp::create(nb, nl, Value(arith::SelectOp::create(nb, nl, set, plus, minus)));
      });
  auto planesPackedType = bnn::PackedType::get(ctx, {kPlanes, m, k});
  Value planesPacked =
      bnn::PackOp::create(b, loc, planesPackedType, planes.getResult(0));

  // Weight planes: binary weights are one plane; ternary t = (b1 + b2) / 2 stacks b1 = [t >= 0]
  // over b2 = [t > 0] as 2N rows.
  bool ternary = weights.isTernary();
  int64_t numWeightPlanes = ternary ? 2 : 1;
  Value weightPlanes = createPackedConstant(b, loc, {numWeightPlanes * n, k}, [&](int64_t i) {
    int64_t plane = i / (n * k);
    int8_t t = weights.values[i % (n * k)];
    return plane == 0 ? t >= 0 : t > 0;
  });
  auto productType = bnn::XnorPopcountOp::inferResultType(
      planesPackedType, cast<bnn::PackedType>(weightPlanes.getType()));
  Value partial =
      bnn::XnorPopcountOp::create(b, loc, productType, planesPacked, weightPlanes);

  // acc[m, n] = sum_j 2^j (R[j, m, n] (+ R[j, m, N + n])) - (ternary ? 2 : 1) * sum_k t[n, k]
  //           = factor * (q @ t^T)[m, n].
  std::vector<int32_t> correction(n, 0);
  for (int64_t row = 0; row < n; ++row) {
    int64_t sum = 0;
    for (int64_t col = 0; col < k; ++col)
      sum += weights.values[row * k + col];
    correction[row] = static_cast<int32_t>(-(ternary ? 2 : 1) * sum);
  }
  auto correctionType = RankedTensorType::get({n}, i32);
  Value correctionConst = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(correctionType, ArrayRef<int32_t>(correction)));
  Value accInit = e.broadcastTo(correctionConst, {m, n});
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dj = getAffineDimExpr(2, ctx);
  SmallVector<Value> inputs;
  if (ternary) {
    // The two halves of the 2N columns: products with b1 and with b2.
    inputs.push_back(e.slice(partial, {0, 0, 0}, {kPlanes, m, n}, {1, 1, 1}));
    inputs.push_back(e.slice(partial, {0, 0, n}, {kPlanes, m, n}, {1, 1, 1}));
  } else {
    inputs.push_back(partial);
  }
  SmallVector<AffineMap> maps(inputs.size(), AffineMap::get(3, 0, {dj, dm, dn}, ctx));
  maps.push_back(AffineMap::get(3, 0, {dm, dn}, ctx));
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  auto combined = linalg::GenericOp::create(
      b, loc, TypeRange{accInit.getType()}, inputs, ValueRange{accInit}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value sum = args[0];
        if (ternary)
          sum = arith::AddIOp::create(nb, nl, args[0], args[1]);
        Value plane = linalg::IndexOp::create(nb, nl, 2);
        Value shift = arith::IndexCastOp::create(nb, nl, i32, plane);
        Value weighted = arith::ShLIOp::create(nb, nl, sum, shift);
        linalg::YieldOp::create(nb, nl,
                                Value(arith::AddIOp::create(nb, nl, args.back(), weighted)));
      });
  *factor = ternary ? 4 : 2;
  return combined.getResult(0);
}

} // namespace bnn::frontend
