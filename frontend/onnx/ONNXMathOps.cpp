//===- ONNXMathOps.cpp - elementwise, reduction and linear algebra operators ---===//
//
// Converters for the ONNX operators that compute: elementwise arithmetic and activations,
// comparisons and logic, reductions, MatMul/Gemm, Softmax, LayerNormalization, and selection
// (ArgMax, ArgMin, TopK). Semantics are
// ONNX's (numpy's for broadcasting, comparisons and NaN propagation); where ONNX leaves a case
// undefined the choice is documented at the converter.
//
//===----------------------------------------------------------------------===//

#include "onnx/ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace bnn::frontend::onnximpl {
namespace {

//===----------------------------------------------------------------------===//
// Scalar helpers, by ONNX element type
//===----------------------------------------------------------------------===//

Value cst(OpBuilder &b, Location loc, Type type, double value) {
  return scalarConstant(b, loc, type, value);
}

Value addOf(OpBuilder &b, Location loc, int32_t dt, Value x, Value y) {
  if (isFloatDataType(dt))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}
Value subOf(OpBuilder &b, Location loc, int32_t dt, Value x, Value y) {
  if (isFloatDataType(dt))
    return arith::SubFOp::create(b, loc, x, y);
  return arith::SubIOp::create(b, loc, x, y);
}
Value mulOf(OpBuilder &b, Location loc, int32_t dt, Value x, Value y) {
  if (isFloatDataType(dt))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}
/// Integer division truncates toward zero (C semantics, as onnxruntime). Division by zero is
/// undefined in ONNX; bnn divides by 1 instead so that compiled code never traps.
Value divOf(OpBuilder &b, Location loc, int32_t dt, Value x, Value y) {
  if (isFloatDataType(dt))
    return arith::DivFOp::create(b, loc, x, y);
  Type type = x.getType();
  Value zero = intConstant(b, loc, type, 0);
  Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  Value safe = arith::SelectOp::create(b, loc, isZero, intConstant(b, loc, type, 1), y);
  if (isUnsignedDataType(dt))
    return arith::DivUIOp::create(b, loc, x, safe);
  // INT_MIN / -1 also traps on x86: divide by 1 there too (the true result wraps to INT_MIN).
  unsigned width = type.getIntOrFloatBitWidth();
  Value minusOne = intConstant(b, loc, type, -1);
  Value minValue = arith::ConstantOp::create(
      b, loc, IntegerAttr::get(type, APInt::getSignedMinValue(width)));
  Value overflow = arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, minusOne),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, minValue));
  Value divisor = arith::SelectOp::create(b, loc, overflow, intConstant(b, loc, type, 1), safe);
  return arith::DivSIOp::create(b, loc, x, divisor);
}

enum class Cmp { EQ, LT, LE, GT, GE };
Value compareOf(OpBuilder &b, Location loc, int32_t dt, Cmp cmp, Value x, Value y) {
  if (isFloatDataType(dt)) {
    arith::CmpFPredicate p;
    switch (cmp) {
    case Cmp::EQ: p = arith::CmpFPredicate::OEQ; break;
    case Cmp::LT: p = arith::CmpFPredicate::OLT; break;
    case Cmp::LE: p = arith::CmpFPredicate::OLE; break;
    case Cmp::GT: p = arith::CmpFPredicate::OGT; break;
    case Cmp::GE: p = arith::CmpFPredicate::OGE; break;
    }
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  bool u = isUnsignedDataType(dt) || isBoolDataType(dt);
  arith::CmpIPredicate p;
  switch (cmp) {
  case Cmp::EQ: p = arith::CmpIPredicate::eq; break;
  case Cmp::LT: p = u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt; break;
  case Cmp::LE: p = u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle; break;
  case Cmp::GT: p = u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt; break;
  case Cmp::GE: p = u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge; break;
  }
  return arith::CmpIOp::create(b, loc, p, x, y);
}

Value maxOf(OpBuilder &b, Location loc, int32_t dt, Value x, Value y) {
  if (isFloatDataType(dt))
    return arith::MaximumFOp::create(b, loc, x, y); // NaN-propagating, like numpy.maximum
  if (isUnsignedDataType(dt))
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}
Value minOf(OpBuilder &b, Location loc, int32_t dt, Value x, Value y) {
  if (isFloatDataType(dt))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (isUnsignedDataType(dt))
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

/// `x < lo ? lo : x` then `> hi ? hi : x`: NaN passes through, like numpy.clip.
Value clampOf(OpBuilder &b, Location loc, int32_t dt, Value x, Value lo, Value hi) {
  if (lo)
    x = arith::SelectOp::create(b, loc, compareOf(b, loc, dt, Cmp::LT, x, lo), lo, x);
  if (hi)
    x = arith::SelectOp::create(b, loc, compareOf(b, loc, dt, Cmp::GT, x, hi), hi, x);
  return x;
}

/// The extreme value of a type, for max/min reductions (floats: -inf/+inf).
TypedAttr extremeAttr(Type type, int32_t dt, bool lowest) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return FloatAttr::get(floatType, lowest ? -std::numeric_limits<double>::infinity()
                                            : std::numeric_limits<double>::infinity());
  unsigned width = type.getIntOrFloatBitWidth();
  APInt value;
  if (isUnsignedDataType(dt) || isBoolDataType(dt))
    value = lowest ? APInt::getMinValue(width) : APInt::getMaxValue(width);
  else
    value = lowest ? APInt::getSignedMinValue(width) : APInt::getSignedMaxValue(width);
  return IntegerAttr::get(type, value);
}

using Body = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Output 0 = map(body) over the broadcast of `inputs`.
LogicalResult emitMap(NodeImporter &n, ArrayRef<size_t> inputs, Type resultType,
                      int32_t resultDataType, Body body) {
  FailureOr<SmallVector<int64_t>> shape = n.broadcastInputs(inputs);
  if (failed(shape))
    return failure();
  SmallVector<Value> operands;
  for (size_t i : inputs)
    operands.push_back(n.value(i));
  n.setOutput(0, n.e.map(*shape, resultType, operands, body), resultDataType);
  return success();
}

/// Output 0 = body(input 0), same type.
LogicalResult emitUnary(NodeImporter &n, function_ref<Value(OpBuilder &, Location, Value)> fn) {
  return emitMap(n, {0}, n.elementType(0), n.dataType(0),
                 [&](OpBuilder &b, Location loc, ValueRange args) { return fn(b, loc, args[0]); });
}

LogicalResult emitUnaryFloat(NodeImporter &n,
                             function_ref<Value(OpBuilder &, Location, Value)> fn) {
  if (failed(n.requireFloat(0)))
    return failure();
  return emitUnary(n, fn);
}

//===----------------------------------------------------------------------===//
// Elementwise binary arithmetic
//===----------------------------------------------------------------------===//

LogicalResult convertAdd(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  return emitMap(n, {0, 1}, n.elementType(0), dt, [&](OpBuilder &b, Location l, ValueRange a) {
    return addOf(b, l, dt, a[0], a[1]);
  });
}
LogicalResult convertSub(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  return emitMap(n, {0, 1}, n.elementType(0), dt, [&](OpBuilder &b, Location l, ValueRange a) {
    return subOf(b, l, dt, a[0], a[1]);
  });
}
LogicalResult convertMul(NodeImporter &n) {
  if (n.graph.options.binarize && tryBinarizeScaledSign(n))
    return success();
  int32_t dt = n.dataType(0);
  return emitMap(n, {0, 1}, n.elementType(0), dt, [&](OpBuilder &b, Location l, ValueRange a) {
    return mulOf(b, l, dt, a[0], a[1]);
  });
}
LogicalResult convertDiv(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  return emitMap(n, {0, 1}, n.elementType(0), dt, [&](OpBuilder &b, Location l, ValueRange a) {
    return divOf(b, l, dt, a[0], a[1]);
  });
}

/// Pow: float bases use math.powf with the exponent converted to the base type (libm pow is
/// exact for integral exponents and handles negative bases); integer bases with integer
/// exponents use math.ipowi; integer bases with float exponents compute in f64 and truncate, as
/// the ONNX reference (numpy) does.
LogicalResult convertPow(NodeImporter &n) {
  int32_t baseDt = n.dataType(0), expDt = n.dataType(1);
  Type baseType = n.elementType(0);
  bool expUnsigned = isUnsignedDataType(expDt);
  return emitMap(n, {0, 1}, baseType, baseDt, [&](OpBuilder &b, Location l, ValueRange a) {
    if (isFloatDataType(baseDt)) {
      Value exponent = convertScalar(b, l, a[1], baseType, expUnsigned, false);
      return Value(math::PowFOp::create(b, l, a[0], exponent));
    }
    if (!isFloatDataType(expDt)) {
      Value exponent = convertScalar(b, l, a[1], baseType, expUnsigned, false);
      return Value(math::IPowIOp::create(b, l, a[0], exponent));
    }
    Type f64 = b.getF64Type();
    Value base = convertScalar(b, l, a[0], f64, isUnsignedDataType(baseDt), false);
    Value exponent = convertScalar(b, l, a[1], f64, false, false);
    Value result = math::PowFOp::create(b, l, base, exponent);
    return convertScalar(b, l, result, baseType, false, isUnsignedDataType(baseDt));
  });
}

template <Cmp cmp>
LogicalResult convertCompare(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  return emitMap(n, {0, 1}, n.b.getI1Type(), onnx::TensorProto::BOOL,
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   return compareOf(b, l, dt, cmp, a[0], a[1]);
                 });
}

template <typename OpTy>
LogicalResult convertLogical(NodeImporter &n) {
  return emitMap(n, {0, 1}, n.b.getI1Type(), onnx::TensorProto::BOOL,
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   return Value(OpTy::create(b, l, a[0], a[1]));
                 });
}

LogicalResult convertNot(NodeImporter &n) {
  return emitUnary(n, [](OpBuilder &b, Location l, Value x) {
    return Value(arith::XOrIOp::create(b, l, x, intConstant(b, l, b.getI1Type(), 1)));
  });
}

/// Max, Min, Sum, Mean: variadic with numpy broadcasting.
enum class Variadic { Max, Min, Sum, Mean };
template <Variadic kind>
LogicalResult convertVariadic(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  if (kind == Variadic::Mean && failed(n.requireFloat(0)))
    return failure();
  SmallVector<size_t> inputs;
  for (size_t i = 0; i < n.numInputs(); ++i)
    inputs.push_back(i);
  Type type = n.elementType(0);
  return emitMap(n, inputs, type, dt, [&](OpBuilder &b, Location l, ValueRange a) {
    Value acc = a[0];
    for (Value x : a.drop_front()) {
      switch (kind) {
      case Variadic::Max: acc = maxOf(b, l, dt, acc, x); break;
      case Variadic::Min: acc = minOf(b, l, dt, acc, x); break;
      case Variadic::Sum:
      case Variadic::Mean: acc = addOf(b, l, dt, acc, x); break;
      }
    }
    if (kind == Variadic::Mean)
      acc = arith::DivFOp::create(b, l, acc, cst(b, l, type, a.size()));
    return acc;
  });
}

LogicalResult convertWhere(NodeImporter &n) {
  if (n.graph.options.binarize && tryBinarizeWhere(n))
    return success();
  return emitMap(n, {0, 1, 2}, n.elementType(1), n.dataType(1),
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   return Value(arith::SelectOp::create(b, l, a[0], a[1], a[2]));
                 });
}

/// Clip-11+: optional min and max inputs (scalars); an absent bound does not clip.
LogicalResult convertClip(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  SmallVector<size_t> inputs = {0};
  for (size_t i : {1, 2}) {
    if (!n.hasInput(i))
      continue;
    if (n.rank(i) != 0 && !(n.rank(i) == 1 && n.shape(i)[0] == 1))
      return n.fail("min and max must be scalars");
    inputs.push_back(i);
  }
  // Bounds are passed as broadcast scalars (rank 0 after reshape).
  SmallVector<Value> operands = {n.value(0)};
  for (size_t i : ArrayRef<size_t>(inputs).drop_front())
    operands.push_back(n.e.reshape(n.value(i), {}));
  bool hasMin = n.hasInput(1), hasMax = n.hasInput(2);
  Value result = n.e.map(n.shape(0), n.elementType(0), operands,
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           Value lo = hasMin ? a[1] : Value();
                           Value hi = hasMax ? a[hasMin ? 2 : 1] : Value();
                           return clampOf(b, l, dt, a[0], lo, hi);
                         });
  n.setOutput(0, result, dt);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

LogicalResult convertAbs(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  return emitUnary(n, [&](OpBuilder &b, Location l, Value x) -> Value {
    if (isFloatDataType(dt))
      return math::AbsFOp::create(b, l, x);
    if (isUnsignedDataType(dt))
      return x;
    return math::AbsIOp::create(b, l, x);
  });
}

LogicalResult convertNeg(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  return emitUnary(n, [&](OpBuilder &b, Location l, Value x) -> Value {
    if (isFloatDataType(dt))
      return arith::NegFOp::create(b, l, x);
    return arith::SubIOp::create(b, l, intConstant(b, l, x.getType(), 0), x);
  });
}

/// ONNX Sign: -1, 0 or +1 (and NaN for NaN, like numpy.sign). Not bnn.sign, which has no 0.
LogicalResult convertSign(NodeImporter &n) {
  if (n.graph.options.binarize && tryBinarizeSign(n))
    return success();
  int32_t dt = n.dataType(0);
  return emitUnary(n, [&](OpBuilder &b, Location l, Value x) -> Value {
    Type type = x.getType();
    Value zero = cst(b, l, type, 0), one = cst(b, l, type, 1);
    if (isUnsignedDataType(dt))
      return arith::SelectOp::create(b, l, compareOf(b, l, dt, Cmp::EQ, x, zero), zero, one);
    Value minusOne = cst(b, l, type, -1);
    // Zero (of either sign) and NaN map to themselves.
    Value negative = arith::SelectOp::create(b, l, compareOf(b, l, dt, Cmp::LT, x, zero),
                                             minusOne, isFloatDataType(dt) ? x : zero);
    return arith::SelectOp::create(b, l, compareOf(b, l, dt, Cmp::GT, x, zero), one, negative);
  });
}

LogicalResult convertRelu(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  return emitUnary(n, [&](OpBuilder &b, Location l, Value x) -> Value {
    Value zero = cst(b, l, x.getType(), 0);
    return arith::SelectOp::create(b, l, compareOf(b, l, dt, Cmp::LT, x, zero), zero, x);
  });
}

template <typename OpTy>
LogicalResult convertMathUnary(NodeImporter &n) {
  return emitUnaryFloat(n, [](OpBuilder &b, Location l, Value x) {
    return Value(OpTy::create(b, l, x));
  });
}

LogicalResult convertReciprocal(NodeImporter &n) {
  return emitUnaryFloat(n, [](OpBuilder &b, Location l, Value x) {
    return Value(arith::DivFOp::create(b, l, cst(b, l, x.getType(), 1), x));
  });
}

Value sigmoidOf(OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, cst(b, l, t, 1), arith::AddFOp::create(b, l, cst(b, l, t, 1), e));
}

LogicalResult convertSigmoid(NodeImporter &n) { return emitUnaryFloat(n, sigmoidOf); }

LogicalResult convertSoftplus(NodeImporter &n) {
  return emitUnaryFloat(n, [](OpBuilder &b, Location l, Value x) {
    Value e = math::ExpOp::create(b, l, x);
    return Value(math::LogOp::create(b, l, arith::AddFOp::create(b, l, e, cst(b, l, x.getType(), 1))));
  });
}

LogicalResult convertSoftsign(NodeImporter &n) {
  return emitUnaryFloat(n, [](OpBuilder &b, Location l, Value x) {
    Value denominator =
        arith::AddFOp::create(b, l, cst(b, l, x.getType(), 1), math::AbsFOp::create(b, l, x));
    return Value(arith::DivFOp::create(b, l, x, denominator));
  });
}

LogicalResult convertLeakyRelu(NodeImporter &n) {
  double alpha = n.getFloat("alpha", 0.01f);
  return emitUnaryFloat(n, [&](OpBuilder &b, Location l, Value x) {
    Type t = x.getType();
    Value scaled = arith::MulFOp::create(b, l, x, cst(b, l, t, alpha));
    return Value(arith::SelectOp::create(
        b, l, compareOf(b, l, onnx::TensorProto::FLOAT, Cmp::LT, x, cst(b, l, t, 0)), scaled, x));
  });
}

LogicalResult convertElu(NodeImporter &n) {
  double alpha = n.getFloat("alpha", 1.0f);
  return emitUnaryFloat(n, [&](OpBuilder &b, Location l, Value x) {
    Type t = x.getType();
    Value expm1 = arith::SubFOp::create(b, l, math::ExpOp::create(b, l, x), cst(b, l, t, 1));
    Value negative = arith::MulFOp::create(b, l, expm1, cst(b, l, t, alpha));
    return Value(arith::SelectOp::create(
        b, l, compareOf(b, l, onnx::TensorProto::FLOAT, Cmp::LT, x, cst(b, l, t, 0)), negative, x));
  });
}

LogicalResult convertSelu(NodeImporter &n) {
  double alpha = n.getFloat("alpha", 1.67326319217681884765625f);
  double gamma = n.getFloat("gamma", 1.05070102214813232421875f);
  return emitUnaryFloat(n, [&](OpBuilder &b, Location l, Value x) {
    Type t = x.getType();
    Value expm1 = arith::SubFOp::create(b, l, math::ExpOp::create(b, l, x), cst(b, l, t, 1));
    Value negative = arith::MulFOp::create(b, l, expm1, cst(b, l, t, alpha));
    Value chosen = arith::SelectOp::create(
        b, l, compareOf(b, l, onnx::TensorProto::FLOAT, Cmp::GT, x, cst(b, l, t, 0)), x, negative);
    return Value(arith::MulFOp::create(b, l, chosen, cst(b, l, t, gamma)));
  });
}

LogicalResult convertCelu(NodeImporter &n) {
  double alpha = n.getFloat("alpha", 1.0f);
  return emitUnaryFloat(n, [&](OpBuilder &b, Location l, Value x) {
    Type t = x.getType();
    Value zero = cst(b, l, t, 0);
    Value scaled = arith::DivFOp::create(b, l, x, cst(b, l, t, alpha));
    Value expm1 = arith::SubFOp::create(b, l, math::ExpOp::create(b, l, scaled), cst(b, l, t, 1));
    Value negative = arith::MulFOp::create(b, l, expm1, cst(b, l, t, alpha));
    Value positivePart = arith::MaximumFOp::create(b, l, x, zero);
    Value negativePart = arith::MinimumFOp::create(b, l, negative, zero);
    return Value(arith::AddFOp::create(b, l, positivePart, negativePart));
  });
}

LogicalResult convertThresholdedRelu(NodeImporter &n) {
  double alpha = n.getFloat("alpha", 1.0f);
  return emitUnaryFloat(n, [&](OpBuilder &b, Location l, Value x) {
    Type t = x.getType();
    return Value(arith::SelectOp::create(
        b, l, compareOf(b, l, onnx::TensorProto::FLOAT, Cmp::GT, x, cst(b, l, t, alpha)), x,
        cst(b, l, t, 0)));
  });
}

Value hardSigmoidOf(OpBuilder &b, Location l, Value x, double alpha, double beta) {
  Type t = x.getType();
  Value y = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, x, cst(b, l, t, alpha)),
                                  cst(b, l, t, beta));
  return arith::MaximumFOp::create(b, l, cst(b, l, t, 0),
                                   arith::MinimumFOp::create(b, l, cst(b, l, t, 1), y));
}

LogicalResult convertHardSigmoid(NodeImporter &n) {
  double alpha = n.getFloat("alpha", 0.2f), beta = n.getFloat("beta", 0.5f);
  return emitUnaryFloat(n, [&](OpBuilder &b, Location l, Value x) {
    return hardSigmoidOf(b, l, x, alpha, beta);
  });
}

LogicalResult convertHardSwish(NodeImporter &n) {
  return emitUnaryFloat(n, [&](OpBuilder &b, Location l, Value x) {
    return Value(arith::MulFOp::create(b, l, x, hardSigmoidOf(b, l, x, 1.0f / 6, 0.5)));
  });
}

LogicalResult convertPRelu(NodeImporter &n) {
  if (failed(n.requireFloat(0)))
    return failure();
  return emitMap(n, {0, 1}, n.elementType(0), n.dataType(0),
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   Value zero = cst(b, l, a[0].getType(), 0);
                   Value scaled = arith::MulFOp::create(b, l, a[0], a[1]);
                   return Value(arith::SelectOp::create(
                       b, l, compareOf(b, l, onnx::TensorProto::FLOAT, Cmp::LT, a[0], zero),
                       scaled, a[0]));
                 });
}

LogicalResult convertIsNaN(NodeImporter &n) {
  if (failed(n.requireFloat(0)))
    return failure();
  return emitMap(n, {0}, n.b.getI1Type(), onnx::TensorProto::BOOL,
                 [](OpBuilder &b, Location l, ValueRange a) {
                   return Value(
                       arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, a[0], a[0]));
                 });
}

LogicalResult convertIsInf(NodeImporter &n) {
  if (failed(n.requireFloat(0)))
    return failure();
  bool negative = n.getInt("detect_negative", 1) != 0;
  bool positive = n.getInt("detect_positive", 1) != 0;
  return emitMap(n, {0}, n.b.getI1Type(), onnx::TensorProto::BOOL,
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   Type t = a[0].getType();
                   double inf = std::numeric_limits<double>::infinity();
                   Value result = intConstant(b, l, b.getI1Type(), 0);
                   if (positive)
                     result = arith::OrIOp::create(
                         b, l, result,
                         arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[0],
                                               cst(b, l, t, inf)));
                   if (negative)
                     result = arith::OrIOp::create(
                         b, l, result,
                         arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[0],
                                               cst(b, l, t, -inf)));
                   return result;
                 });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class Reduce { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSum, LogSumExp };

template <Reduce kind>
LogicalResult convertReduce(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  Type type = n.elementType(0);
  bool floatOnly = kind == Reduce::Mean || kind == Reduce::L2 || kind == Reduce::LogSum ||
                   kind == Reduce::LogSumExp;
  if (floatOnly && failed(n.requireFloat(0)))
    return failure();
  int64_t rank = n.rank(0);
  std::vector<int64_t> axes;
  bool axesFromInput = kind == Reduce::Sum && n.version >= 13;
  if (axesFromInput) {
    if (n.hasInput(1)) {
      FailureOr<std::vector<int64_t>> given = n.intsInput(1, "axes");
      if (failed(given))
        return failure();
      axes = *given;
    }
  } else if (std::optional<std::vector<int64_t>> given = n.getInts("axes")) {
    axes = *given;
  }
  bool keepDims = n.getInt("keepdims", 1) != 0;
  if (axes.empty()) {
    if (n.getInt("noop_with_empty_axes", 0) != 0) {
      n.setOutput(0, n.value(0), dt);
      return success();
    }
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  FailureOr<std::vector<int64_t>> normalized = n.normalizeAxes(axes, rank);
  if (failed(normalized))
    return failure();
  Value input = n.value(0);
  // Elementwise preparation.
  if (kind == Reduce::SumSquare || kind == Reduce::L2)
    input = n.e.map(n.shape(0), type, input, [&](OpBuilder &b, Location l, ValueRange a) {
      return mulOf(b, l, dt, a[0], a[0]);
    });
  else if (kind == Reduce::L1)
    input = n.e.map(n.shape(0), type, input, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
      if (isFloatDataType(dt))
        return math::AbsFOp::create(b, l, a[0]);
      if (isUnsignedDataType(dt))
        return a[0];
      return math::AbsIOp::create(b, l, a[0]);
    });
  else if (kind == Reduce::LogSumExp)
    input = n.e.map(n.shape(0), type, input, [&](OpBuilder &b, Location l, ValueRange a) {
      return Value(math::ExpOp::create(b, l, a[0]));
    });

  TypedAttr init = scalarAttr(type, 0);
  if (kind == Reduce::Prod)
    init = scalarAttr(type, 1);
  else if (kind == Reduce::Max)
    init = extremeAttr(type, dt, /*lowest=*/true);
  else if (kind == Reduce::Min)
    init = extremeAttr(type, dt, /*lowest=*/false);
  Value result = n.e.reduce(input, *normalized, keepDims, init,
                            [&](OpBuilder &b, Location l, Value x, Value acc) {
                              switch (kind) {
                              case Reduce::Max: return maxOf(b, l, dt, acc, x);
                              case Reduce::Min: return minOf(b, l, dt, acc, x);
                              case Reduce::Prod: return mulOf(b, l, dt, acc, x);
                              default: return addOf(b, l, dt, acc, x);
                              }
                            });
  int64_t count = 1;
  for (int64_t axis : *normalized)
    count *= n.shape(0)[axis];
  if (kind == Reduce::Mean || kind == Reduce::L2 || kind == Reduce::LogSum ||
      kind == Reduce::LogSumExp)
    result = n.e.map(TensorEmitter::getShape(result), type, result,
                     [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                       switch (kind) {
                       case Reduce::Mean:
                         return arith::DivFOp::create(b, l, a[0], cst(b, l, type, count));
                       case Reduce::L2:
                         return math::SqrtOp::create(b, l, a[0]);
                       default:
                         return math::LogOp::create(b, l, a[0]);
                       }
                     });
  n.setOutput(0, result, dt);
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult convertMatMul(NodeImporter &n) {
  if (n.graph.options.binarize && tryBinarizeMatMul(n))
    return success();
  if (n.rank(0) == 0 || n.rank(1) == 0)
    return n.fail("MatMul operands must have rank >= 1");
  int64_t k0 = n.shape(0).back();
  int64_t k1 = n.rank(1) == 1 ? n.shape(1)[0] : n.shape(1)[n.rank(1) - 2];
  if (k0 != k1)
    return n.fail(Twine("inner dimensions differ: ") + Twine(k0) + " vs " + Twine(k1));
  ArrayRef<int64_t> batch0 = n.rank(0) > 2 ? n.shape(0).drop_back(2) : ArrayRef<int64_t>();
  ArrayRef<int64_t> batch1 = n.rank(1) > 2 ? n.shape(1).drop_back(2) : ArrayRef<int64_t>();
  if (!broadcastShapes(batch0, batch1))
    return n.fail("batch dimensions cannot be broadcast together");
  n.setOutput(0, n.e.matmul(n.value(0), n.value(1)), n.dataType(0));
  return success();
}

/// Y = alpha * A' B' + beta * C, A' = transA ? A^T : A, B' = transB ? B^T : B.
LogicalResult convertGemm(NodeImporter &n) {
  if (n.graph.options.binarize && tryBinarizeMatMul(n))
    return success();
  if (n.rank(0) != 2 || n.rank(1) != 2)
    return n.fail("Gemm operands A and B must be matrices");
  bool transA = n.getInt("transA", 0) != 0, transB = n.getInt("transB", 0) != 0;
  double alpha = n.getFloat("alpha", 1.0f), beta = n.getFloat("beta", 1.0f);
  int32_t dt = n.dataType(0);
  Type type = n.elementType(0);
  int64_t m = n.shape(0)[transA ? 1 : 0], k = n.shape(0)[transA ? 0 : 1];
  int64_t kb = n.shape(1)[transB ? 1 : 0], nn = n.shape(1)[transB ? 0 : 1];
  if (k != kb)
    return n.fail(Twine("inner dimensions differ: ") + Twine(k) + " vs " + Twine(kb));
  MLIRContext *ctx = n.b.getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dk = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, transA ? ArrayRef<AffineExpr>{dk, dm} : ArrayRef<AffineExpr>{dm, dk},
                     ctx),
      AffineMap::get(3, 0, transB ? ArrayRef<AffineExpr>{dn, dk} : ArrayRef<AffineExpr>{dk, dn},
                     ctx),
      AffineMap::get(3, 0, {dm, dn}, ctx)};
  Value acc = n.e.filled({m, nn}, type, 0.0);
  auto product = linalg::GenericOp::create(
      n.b, n.loc, TypeRange{acc.getType()}, ValueRange{n.value(0), n.value(1)}, ValueRange{acc},
      maps,
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                       utils::IteratorType::parallel,
                                       utils::IteratorType::reduction},
      [&](OpBuilder &b, Location l, ValueRange a) {
        linalg::YieldOp::create(b, l, addOf(b, l, dt, a[2], mulOf(b, l, dt, a[0], a[1])));
      });
  Value y = product.getResult(0);
  bool hasC = n.hasInput(2);
  if (hasC && !broadcastShapes({m, nn}, n.shape(2)))
    return n.fail("C cannot be broadcast to the shape of A' B'");
  // The float attributes scale an integer product exactly only when they are whole numbers of
  // the element type: anything else (a fraction, NaN, inf, 1e30) has no integer meaning.
  auto scale = [&](StringRef name, double value) -> FailureOr<TypedAttr> {
    if (isFloatDataType(dt))
      return scalarAttr(type, value);
    std::optional<APInt> exact =
        exactInteger(value, type.getIntOrFloatBitWidth(), isUnsignedDataType(dt));
    if (!exact) {
      n.error() << "attribute '" << name << "' is " << value << ", which is not a whole number "
                << "in the range of " << dataTypeName(dt)
                << " (an integer Gemm scales by it exactly)";
      return failure();
    }
    return TypedAttr(IntegerAttr::get(type, *exact));
  };
  FailureOr<TypedAttr> alphaAttr = scale("alpha", alpha);
  if (failed(alphaAttr))
    return failure();
  FailureOr<TypedAttr> betaAttr = hasC ? scale("beta", beta) : FailureOr<TypedAttr>(TypedAttr());
  if (failed(betaAttr))
    return failure();
  if (alpha != 1.0 || hasC) {
    SmallVector<Value> operands = {y};
    if (hasC)
      operands.push_back(n.value(2));
    y = n.e.map({m, nn}, type, operands, [&](OpBuilder &b, Location l, ValueRange a) {
      Value r = a[0];
      if (alpha != 1.0)
        r = mulOf(b, l, dt, r, arith::ConstantOp::create(b, l, *alphaAttr));
      if (hasC) {
        Value c = a[1];
        if (beta != 1.0)
          c = mulOf(b, l, dt, c, arith::ConstantOp::create(b, l, *betaAttr));
        r = addOf(b, l, dt, r, c);
      }
      return r;
    });
  }
  n.setOutput(0, y, dt);
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

/// Softmax / LogSoftmax along one axis (opset 13), or over the flattened trailing axes
/// [axis, rank) of the 2-D coercion (opsets 1 and 11).
template <bool logarithm>
LogicalResult convertSoftmax(NodeImporter &n) {
  if (failed(n.requireFloat(0)))
    return failure();
  int64_t rank = n.rank(0);
  int64_t defaultAxis = n.version >= 13 ? -1 : 1;
  if (rank == 0)
    return n.fail("Softmax needs an input of rank >= 1");
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", defaultAxis), rank);
  if (failed(axis))
    return failure();
  Value x = n.value(0);
  ArrayRef<int64_t> shape = n.shape(0);
  int32_t dt = n.dataType(0);
  std::vector<int64_t> axes = {*axis};
  if (n.version < 13) {
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i)
      (i < *axis ? outer : inner) *= shape[i];
    x = n.e.reshape(x, {outer, inner});
    axes = {1};
  }
  Value result = n.e.softmax(x, axes.front(), logarithm);
  n.setOutput(0, n.e.reshape(result, shape), dt);
  return success();
}

/// LayerNormalization-17, following the ONNX reference: statistics over [axis, rank) computed in
/// the stash type (f32 when stash_type = 1), Y = (X - mean) / sqrt(var + eps) * Scale + B.
LogicalResult convertLayerNormalization(NodeImporter &n) {
  if (failed(n.requireFloat(0)))
    return failure();
  int64_t rank = n.rank(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  double epsilon = n.getFloat("epsilon", 1e-5f);
  int64_t stash = n.getInt("stash_type", 1);
  if (stash != onnx::TensorProto::FLOAT)
    return n.fail(Twine("stash_type ") + Twine(stash) + " is not supported (only FLOAT)");
  ArrayRef<int64_t> shape = n.shape(0);
  for (size_t i : {1, 2})
    if (n.hasInput(i) && !broadcastShapes(shape, n.shape(i)))
      return n.fail("Scale and B must broadcast to the shape of X");
  Type type = n.elementType(0);
  Type f32 = n.b.getF32Type();
  int32_t dt = n.dataType(0);
  Value x = n.e.convert(n.value(0), f32);
  std::vector<int64_t> axes;
  int64_t count = 1;
  for (int64_t i = *axis; i < rank; ++i) {
    axes.push_back(i);
    count *= shape[i];
  }
  auto add = [](OpBuilder &b, Location l, Value v, Value acc) {
    return Value(arith::AddFOp::create(b, l, acc, v));
  };
  auto divideByCount = [&](OpBuilder &b, Location l, ValueRange a) {
    return Value(arith::DivFOp::create(b, l, a[0], cst(b, l, f32, count)));
  };
  Value sum = n.e.reduce(x, axes, true, scalarAttr(f32, 0), add);
  ArrayRef<int64_t> statShape = TensorEmitter::getShape(sum);
  Value mean = n.e.map(statShape, f32, sum, divideByCount);
  Value diff = n.e.map(shape, f32, {x, mean}, [](OpBuilder &b, Location l, ValueRange a) {
    return Value(arith::SubFOp::create(b, l, a[0], a[1]));
  });
  Value squares = n.e.map(shape, f32, diff, [](OpBuilder &b, Location l, ValueRange a) {
    return Value(arith::MulFOp::create(b, l, a[0], a[0]));
  });
  Value squareSum = n.e.reduce(squares, axes, true, scalarAttr(f32, 0), add);
  Value invStdDev = n.e.map(statShape, f32, squareSum, [&](OpBuilder &b, Location l, ValueRange a) {
    Value variance = divideByCount(b, l, a);
    Value std = math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, variance, cst(b, l, f32, epsilon)));
    return Value(arith::DivFOp::create(b, l, cst(b, l, f32, 1), std));
  });
  SmallVector<Value> operands = {diff, invStdDev, n.value(1)};
  bool hasBias = n.hasInput(2);
  if (hasBias)
    operands.push_back(n.value(2));
  Value y = n.e.map(shape, type, operands, [&](OpBuilder &b, Location l, ValueRange a) {
    Value normalized = arith::MulFOp::create(b, l, a[0], a[1]);
    Value r = arith::MulFOp::create(b, l, convertScalar(b, l, normalized, type, false, false), a[2]);
    if (hasBias)
      r = arith::AddFOp::create(b, l, r, a[3]);
    return r;
  });
  n.setOutput(0, y, dt);
  n.setOutput(1, mean, onnx::TensorProto::FLOAT);
  n.setOutput(2, invStdDev, onnx::TensorProto::FLOAT);
  return success();
}


//===----------------------------------------------------------------------===//
// Selection: ArgMax, ArgMin, TopK
//===----------------------------------------------------------------------===//

/// The order ArgMax/ArgMin/TopK select in: `largest` ranks larger values first (smaller ones
/// otherwise), equal values by the smaller index (the larger one with `lastIndex`). NaN ranks
/// before every number, as numpy.argmax and numpy.argmin pick it; among NaNs the index decides.
struct SelectionOrder {
  int32_t dt;
  bool largest;
  bool lastIndex;

  /// True when (x, i) comes strictly before (y, j) in this order.
  Value before(OpBuilder &b, Location l, Value x, Value i, Value y, Value j) const {
    Value tie = arith::CmpIOp::create(b, l, lastIndex ? arith::CmpIPredicate::sgt
                                                      : arith::CmpIPredicate::slt, i, j);
    Value better = compareOf(b, l, dt, largest ? Cmp::GT : Cmp::LT, x, y);
    Value equal = compareOf(b, l, dt, Cmp::EQ, x, y);
    if (isFloatDataType(dt)) {
      Value xNaN = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x);
      Value yNaN = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, y, y);
      Value yNumber = arith::XOrIOp::create(b, l, yNaN, boolConstant(b, l, true));
      better = arith::OrIOp::create(b, l, better, arith::AndIOp::create(b, l, xNaN, yNumber));
      equal = arith::OrIOp::create(b, l, equal, arith::AndIOp::create(b, l, xNaN, yNaN));
    }
    return arith::OrIOp::create(b, l, better, arith::AndIOp::create(b, l, equal, tie));
  }
  static Value boolConstant(OpBuilder &b, Location l, bool value) {
    return arith::ConstantOp::create(b, l, b.getBoolAttr(value));
  }
};

/// The first element along `axis` of every row of `input` in `order` (value and i64 index, the
/// axis dropped from the shape). With `after` = (values, indices, active), only elements that
/// come strictly after (values, indices) in the order compete, while the i1 `active` is true:
/// TopK's k-th pick is the first element after its (k-1)-th.
std::pair<Value, Value> selectFirst(NodeImporter &n, Value input, int64_t axis,
                                    const SelectionOrder &order,
                                    std::optional<std::tuple<Value, Value, Value>> after) {
  MLIRContext *ctx = n.b.getContext();
  ArrayRef<int64_t> shape = TensorEmitter::getShape(input);
  int64_t rank = shape.size();
  Type type = TensorEmitter::getElementType(input);
  Type i64 = n.b.getI64Type();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(d == axis ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (d != axis) {
      outShape.push_back(shape[d]);
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  AffineMap inMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  // The accumulator starts at the last element of the order (ties to any real index).
  Value initValue = n.e.filled(outShape, extremeAttr(type, order.dt, /*lowest=*/order.largest));
  Value initIndex =
      n.e.filled(outShape, IntegerAttr::get(i64, order.lastIndex ? -1 : INT64_MAX));
  SmallVector<Value> inputs = {input};
  SmallVector<AffineMap> maps = {inMap};
  Value active;
  if (after) {
    inputs.push_back(std::get<0>(*after));
    inputs.push_back(std::get<1>(*after));
    maps.append({outMap, outMap});
    active = std::get<2>(*after);
  }
  maps.append({outMap, outMap});
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, TypeRange{initValue.getType(), initIndex.getType()}, inputs,
      ValueRange{initValue, initIndex}, maps, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value x = args[0];
        Value index = arith::IndexCastOp::create(b, l, i64, linalg::IndexOp::create(b, l, axis));
        Value accValue = args[args.size() - 2], accIndex = args[args.size() - 1];
        Value take = order.before(b, l, x, index, accValue, accIndex);
        if (after) {
          Value later = order.before(b, l, args[1], args[2], x, index);
          Value inactive = arith::XOrIOp::create(b, l, active, SelectionOrder::boolConstant(b, l, true));
          take = arith::AndIOp::create(b, l, take, arith::OrIOp::create(b, l, later, inactive));
        }
        linalg::YieldOp::create(b, l, ValueRange{arith::SelectOp::create(b, l, take, x, accValue),
                                                 arith::SelectOp::create(b, l, take, index, accIndex)});
      });
  return {generic.getResult(0), generic.getResult(1)};
}

/// ArgMax / ArgMin: the index (i64) of the first (or, with select_last_index, the last) extreme
/// element along `axis`.
template <bool max>
LogicalResult convertArgExtreme(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  if (isBoolDataType(dt))
    return n.fail("bool inputs are not supported");
  if (n.rank(0) == 0)
    return n.fail("the input must have rank >= 1");
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), n.rank(0));
  if (failed(axis))
    return failure();
  if (n.shape(0)[*axis] == 0)
    return n.fail("the reduced dimension is empty");
  SelectionOrder order{dt, max, n.getInt("select_last_index", 0) != 0};
  Value indices = selectFirst(n, n.value(0), *axis, order, std::nullopt).second;
  if (n.getInt("keepdims", 1) != 0) {
    SmallVector<int64_t> kept(n.shape(0));
    kept[*axis] = 1;
    indices = n.e.reshape(indices, kept);
  }
  n.setOutput(0, indices, onnx::TensorProto::INT64);
  return success();
}

/// TopK: the k first elements along `axis` in the order above, sorted (also when sorted = 0,
/// which leaves the order to the implementation), values and i64 indices. A TopK over an
/// XNOR-popcount similarity becomes bnn.hamming_topk (tryFuseHammingTopK). Otherwise k passes
/// over the input in an scf.for: pass j keeps the first element after pass j-1's, O(k N).
LogicalResult convertTopK(NodeImporter &n) {
  int32_t dt = n.dataType(0);
  if (isBoolDataType(dt))
    return n.fail("bool inputs are not supported");
  if (n.rank(0) == 0)
    return n.fail("the input must have rank >= 1");
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), n.rank(0));
  if (failed(axis))
    return failure();
  int64_t k;
  if (n.version < 10) {
    k = n.getInt("k", -1);
  } else {
    FailureOr<std::vector<int64_t>> given = n.intsInput(1, "K");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return n.fail(Twine("K must hold one value, found ") + Twine(given->size()));
    k = given->front();
  }
  int64_t extent = n.shape(0)[*axis];
  if (k < 1 || k > extent)
    return n.fail(Twine("K must be in [1, ") + Twine(extent) + "] (the size of axis " +
                  Twine(*axis) + "), found " + Twine(k));
  if (n.graph.options.binarize && tryFuseHammingTopK(n, *axis, k))
    return success();
  SelectionOrder order{dt, n.getInt("largest", 1) != 0, /*lastIndex=*/false};
  Type type = n.elementType(0);
  Type i64 = n.b.getI64Type();
  SmallVector<int64_t> outShape(n.shape(0));
  outShape[*axis] = k;
  SmallVector<int64_t> rowShape(n.shape(0));
  rowShape.erase(rowShape.begin() + *axis);
  Value input = n.value(0);
  Value zero = arith::ConstantIndexOp::create(n.b, n.loc, 0);
  Value one = arith::ConstantIndexOp::create(n.b, n.loc, 1);
  Value count = arith::ConstantIndexOp::create(n.b, n.loc, k);
  int64_t rank = outShape.size();
  // Pass j reads pick j-1 back from the results and writes pick j: only slices of the carried
  // tensors, so that the loop bufferizes in place.
  SmallVector<Value> inits = {n.e.empty(outShape, type), n.e.empty(outShape, i64)};
  auto loop = scf::ForOp::create(
      n.b, n.loc, zero, count, one, inits,
      [&](OpBuilder &b, Location l, Value j, ValueRange carried) {
        OpBuilder::InsertionGuard guard(n.b);
        n.b.setInsertionPoint(b.getInsertionBlock(), b.getInsertionPoint());
        auto slice = [&](Value at) {
          SmallVector<OpFoldResult> offsets(rank, n.b.getIndexAttr(0)), sizes,
              strides(rank, n.b.getIndexAttr(1));
          offsets[*axis] = at;
          for (int64_t d = 0; d < rank; ++d)
            sizes.push_back(n.b.getIndexAttr(d == *axis ? 1 : outShape[d]));
          return std::make_tuple(offsets, sizes, strides);
        };
        // Pass 0 has no previous pick: it reads slot 0 (not yet written) and ignores it.
        Value active = arith::CmpIOp::create(n.b, l, arith::CmpIPredicate::ne, j, zero);
        Value previous = arith::MaxSIOp::create(n.b, l, arith::SubIOp::create(n.b, l, j, one), zero);
        auto [prevOffsets, prevSizes, prevStrides] = slice(previous);
        Value prevValues = tensor::ExtractSliceOp::create(
            n.b, l, RankedTensorType::get(rowShape, type), carried[0], prevOffsets, prevSizes,
            prevStrides);
        Value prevIndices = tensor::ExtractSliceOp::create(
            n.b, l, RankedTensorType::get(rowShape, i64), carried[1], prevOffsets, prevSizes,
            prevStrides);
        auto [values, indices] =
            selectFirst(n, input, *axis, order, std::make_tuple(prevValues, prevIndices, active));
        auto [offsets, sizes, strides] = slice(j);
        Value allValues =
            tensor::InsertSliceOp::create(n.b, l, values, carried[0], offsets, sizes, strides);
        Value allIndices =
            tensor::InsertSliceOp::create(n.b, l, indices, carried[1], offsets, sizes, strides);
        scf::YieldOp::create(n.b, l, ValueRange{allValues, allIndices});
      });
  n.setOutput(0, loop.getResult(0), dt);
  n.setOutput(1, loop.getResult(1), onnx::TensorProto::INT64);
  return success();
}

} // namespace

void appendMathOperators(std::vector<OperatorInfo> &table) {
  table.insert(table.end(), {
      {"Abs", {6, 13}, convertAbs},
      {"Add", {7, 13, 14}, convertAdd},
      {"And", {7}, convertLogical<arith::AndIOp>},
      {"ArgMax", {11, 12, 13}, convertArgExtreme<true>},
      {"ArgMin", {11, 12, 13}, convertArgExtreme<false>},
      {"Ceil", {6, 13}, convertMathUnary<math::CeilOp>},
      {"Celu", {12}, convertCelu},
      {"Clip", {11, 12, 13}, convertClip},
      {"Cos", {7}, convertMathUnary<math::CosOp>},
      {"Div", {7, 13, 14}, convertDiv},
      {"Elu", {6}, convertElu},
      {"Equal", {11, 13}, convertCompare<Cmp::EQ>},
      {"Erf", {9, 13}, convertMathUnary<math::ErfOp>},
      {"Exp", {6, 13}, convertMathUnary<math::ExpOp>},
      {"Floor", {6, 13}, convertMathUnary<math::FloorOp>},
      {"Gemm", {11, 13}, convertGemm},
      {"Greater", {9, 13}, convertCompare<Cmp::GT>},
      {"GreaterOrEqual", {12, 16}, convertCompare<Cmp::GE>},
      {"HardSigmoid", {6}, convertHardSigmoid},
      {"HardSwish", {14}, convertHardSwish},
      {"IsInf", {10}, convertIsInf},
      {"IsNaN", {9, 13}, convertIsNaN},
      {"LayerNormalization", {17}, convertLayerNormalization},
      {"LeakyRelu", {6, 16}, convertLeakyRelu},
      {"Less", {9, 13}, convertCompare<Cmp::LT>},
      {"LessOrEqual", {12, 16}, convertCompare<Cmp::LE>},
      {"Log", {6, 13}, convertMathUnary<math::LogOp>},
      {"LogSoftmax", {11, 13}, convertSoftmax<true>},
      {"MatMul", {9, 13}, convertMatMul},
      {"Max", {12, 13}, convertVariadic<Variadic::Max>},
      {"Mean", {8, 13}, convertVariadic<Variadic::Mean>},
      {"Min", {12, 13}, convertVariadic<Variadic::Min>},
      {"Mul", {7, 13, 14}, convertMul},
      {"Neg", {6, 13}, convertNeg},
      {"Not", {1}, convertNot},
      {"Or", {7}, convertLogical<arith::OrIOp>},
      {"PRelu", {9, 16}, convertPRelu},
      {"Pow", {12, 13, 15}, convertPow},
      {"Reciprocal", {6, 13}, convertReciprocal},
      {"ReduceL1", {11, 13}, convertReduce<Reduce::L1>},
      {"ReduceL2", {11, 13}, convertReduce<Reduce::L2>},
      {"ReduceLogSum", {11, 13}, convertReduce<Reduce::LogSum>},
      {"ReduceLogSumExp", {11, 13}, convertReduce<Reduce::LogSumExp>},
      {"ReduceMax", {12, 13}, convertReduce<Reduce::Max>},
      {"ReduceMean", {11, 13}, convertReduce<Reduce::Mean>},
      {"ReduceMin", {12, 13}, convertReduce<Reduce::Min>},
      {"ReduceProd", {11, 13}, convertReduce<Reduce::Prod>},
      {"ReduceSum", {11, 13}, convertReduce<Reduce::Sum>, {1}},
      {"ReduceSumSquare", {11, 13}, convertReduce<Reduce::SumSquare>},
      {"Relu", {6, 13, 14}, convertRelu},
      {"Round", {11}, convertMathUnary<math::RoundEvenOp>},
      {"Selu", {6}, convertSelu},
      {"Sigmoid", {6, 13}, convertSigmoid},
      {"Sign", {9, 13}, convertSign},
      {"Sin", {7}, convertMathUnary<math::SinOp>},
      {"Softmax", {11, 13}, convertSoftmax<false>},
      {"Softplus", {1}, convertSoftplus},
      {"Softsign", {1}, convertSoftsign},
      {"Sqrt", {6, 13}, convertMathUnary<math::SqrtOp>},
      {"Sub", {7, 13, 14}, convertSub},
      {"Sum", {8, 13}, convertVariadic<Variadic::Sum>},
      {"Tanh", {6, 13}, convertMathUnary<math::TanhOp>},
      {"TopK", {1, 10, 11}, convertTopK, {1}},
      {"ThresholdedRelu", {10}, convertThresholdedRelu},
      {"Where", {9, 16}, convertWhere},
      {"Xor", {7}, convertLogical<arith::XOrIOp>},
  });
}

} // namespace bnn::frontend::onnximpl
