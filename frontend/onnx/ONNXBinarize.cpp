//===- ONNXBinarize.cpp - binarization patterns on the ONNX graph ---------===//
//
// Recognises binarized computations in an ONNX graph while it is imported and emits bnn ops for
// them. The patterns look at the ONNX nodes (with initializer values at hand) instead of the
// emitted linalg, because that is where their exactness can be decided: which constant is +-1,
// which tensor has no zero, which bounds a Clip has. Each pattern fires only where the rewrite is
// exact for every non-NaN input (see docs/Frontend.md for the list and for NaN); the one inexact
// rewrite (ONNX Sign -> bnn.sign on activations) needs ONNXImportOptions::binarizeActivations.
//
// Ops that a pattern makes unnecessary are left without uses and removed by the importer's final
// dead-code pass.
//
//===----------------------------------------------------------------------===//

#include "common/Binarize.h"
#include "onnx/ImporterImpl.h"

#include "bnn/IR/BNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace bnn::frontend::onnximpl {
namespace {

/// True when `tensor` is a float constant whose every element equals `value`.
bool isFloatSplatOf(const HostTensor *tensor, double value) {
  if (!tensor || !isFloatDataType(tensor->dataType) || tensor->size() == 0)
    return false;
  for (int64_t i = 0, e = tensor->size(); i < e; ++i)
    if (tensor->getDouble(i) != value)
      return false;
  return true;
}

bool isNumericZeroSplat(const HostTensor *tensor) {
  if (!tensor || tensor->size() == 0)
    return false;
  for (int64_t i = 0, e = tensor->size(); i < e; ++i)
    if (tensor->getDouble(i) != 0.0)
      return false;
  return true;
}

const HostTensor *constantOf(GraphImporter &graph, const std::string &name) {
  auto it = graph.values.find(name);
  return it == graph.values.end() ? nullptr : it->second.constant.get();
}

/// If `cond` is an ONNX comparison of a float value x against a zero constant, returns x's name
/// and whether the comparison is `x >= 0` (true) or `x < 0` (false). `x > 0` and `x <= 0` differ
/// from the sign rule at x = 0 and are not matched.
std::optional<std::pair<std::string, bool>> matchSignTest(GraphImporter &graph,
                                                          const std::string &cond) {
  const onnx::NodeProto *test = graph.producerOf(cond);
  if (!test || test->input_size() != 2)
    return std::nullopt;
  const std::string &lhs = test->input(0), &rhs = test->input(1);
  bool zeroRhs = isNumericZeroSplat(constantOf(graph, rhs));
  bool zeroLhs = isNumericZeroSplat(constantOf(graph, lhs));
  const std::string &op = test->op_type();
  if (zeroRhs && op == "GreaterOrEqual")
    return std::make_pair(lhs, true); // x >= 0
  if (zeroRhs && op == "Less")
    return std::make_pair(lhs, false); // x < 0
  if (zeroLhs && op == "LessOrEqual")
    return std::make_pair(rhs, true); // 0 <= x
  if (zeroLhs && op == "Greater")
    return std::make_pair(rhs, false); // 0 > x
  return std::nullopt;
}

/// A weight matrix whose entries are 0 or +-s_n, with one magnitude s_n per output column.
struct WeightView {
  LowBitWeights weights;     ///< t[n][k] in {-1, 0, +1}, N x K
  std::vector<double> scale; ///< s_n
};

/// Reads a constant K x N weight (N x K when `transposed`) as scaled ternary values.
std::optional<WeightView> analyzeWeights(const HostTensor &b, bool transposed) {
  if (b.shape.size() != 2 || !isFloatDataType(b.dataType))
    return std::nullopt;
  int64_t k = transposed ? b.shape[1] : b.shape[0];
  int64_t n = transposed ? b.shape[0] : b.shape[1];
  if (k == 0 || n == 0)
    return std::nullopt;
  WeightView view;
  view.weights.rows = n;
  view.weights.cols = k;
  view.weights.values.assign(n * k, 0);
  view.scale.assign(n, 0.0);
  for (int64_t col = 0; col < n; ++col) {
    double magnitude = 0.0;
    for (int64_t row = 0; row < k; ++row) {
      double v = b.getDouble(transposed ? col * k + row : row * n + col);
      if (!std::isfinite(v))
        return std::nullopt;
      if (v == 0.0)
        continue;
      if (magnitude == 0.0)
        magnitude = std::fabs(v);
      else if (std::fabs(v) != magnitude)
        return std::nullopt;
      view.weights.values[col * k + row] = v > 0 ? 1 : -1;
    }
    view.scale[col] = magnitude;
  }
  return view;
}

/// A float tensor constant [N] with the given values.
Value vectorConstant(NodeImporter &n, ArrayRef<double> values, Type type) {
  HostTensor tensor;
  tensor.dataType = onnx::TensorProto::FLOAT;
  tensor.shape = {static_cast<int64_t>(values.size())};
  for (double v : values) {
    float f = static_cast<float>(v);
    tensor.bytes.insert(tensor.bytes.end(), reinterpret_cast<char *>(&f),
                        reinterpret_cast<char *>(&f) + sizeof(float));
  }
  Value value = n.graph.createConstant(n.loc, tensor, n.node.output(0) + "_scale");
  return n.e.convert(value, type);
}

/// BitLinear activations: A = Div(Q, a) (or Mul(Q, r)) with Q = Clip(Round(.), lo, hi), lo and
/// hi constants in [-128, 127], and a/r constant along the last axis. Returns Q and the per-row
/// factor applied after the integer product (1/a or r).
struct QuantizedActivation {
  Value q;
  Value rowFactor; ///< same rank as A, last dimension 1 (broadcast along K)
  bool divide = false;
};

std::optional<QuantizedActivation> matchQuantizedActivation(NodeImporter &n,
                                                            const std::string &name) {
  GraphImporter &graph = n.graph;
  const onnx::NodeProto *scale = graph.producerOf(name);
  if (!scale || (scale->op_type() != "Div" && scale->op_type() != "Mul") ||
      scale->input_size() != 2)
    return std::nullopt;
  const onnx::NodeProto *clip = graph.producerOf(scale->input(0));
  if (!clip || clip->op_type() != "Clip" || clip->input_size() < 3 || clip->input(1).empty() ||
      clip->input(2).empty())
    return std::nullopt;
  const HostTensor *lo = constantOf(graph, clip->input(1));
  const HostTensor *hi = constantOf(graph, clip->input(2));
  if (!lo || !hi || lo->size() != 1 || hi->size() != 1)
    return std::nullopt;
  if (!(lo->getDouble(0) >= -128.0 && hi->getDouble(0) <= 127.0 && lo->getDouble(0) <= hi->getDouble(0)))
    return std::nullopt;
  const onnx::NodeProto *round = graph.producerOf(clip->input(0));
  if (!round || round->op_type() != "Round")
    return std::nullopt;
  const ImportedValue &q = graph.values.at(scale->input(0));
  const ImportedValue &factor = graph.values.at(scale->input(1));
  if (!isFloatDataType(q.dataType))
    return std::nullopt;
  // Clip bounds that are not integers would leave Q non-integral.
  if (std::floor(lo->getDouble(0)) != lo->getDouble(0) ||
      std::floor(hi->getDouble(0)) != hi->getDouble(0))
    return std::nullopt;
  ArrayRef<int64_t> qShape = TensorEmitter::getShape(q.value);
  ArrayRef<int64_t> fShape = TensorEmitter::getShape(factor.value);
  if (qShape.size() < 2 || fShape.size() > qShape.size())
    return std::nullopt;
  // The factor must not vary along K and must broadcast to Q's leading dimensions.
  if (!fShape.empty() && fShape.back() != 1)
    return std::nullopt;
  if (!broadcastShapes(qShape, fShape) || *broadcastShapes(qShape, fShape) != SmallVector<int64_t>(qShape))
    return std::nullopt;
  return QuantizedActivation{q.value, factor.value, scale->op_type() == "Div"};
}

/// Consumers a binary matmul absorbs into its epilogue: Add of a per-column constant bias, then
/// Relu, each the single use of the value before.
struct Absorbed {
  std::vector<int> nodes;
  std::string finalName;
  Value bias;
  bool relu = false;
};

Absorbed absorbConsumers(NodeImporter &n, int64_t columns, Type type) {
  GraphImporter &graph = n.graph;
  Absorbed result;
  result.finalName = n.node.output(0);
  auto single = [&](const std::string &name) -> const onnx::NodeProto * {
    if (!graph.hasSingleUse(name))
      return nullptr;
    return &graph.graph.node(graph.consumers.at(name).front());
  };
  if (const onnx::NodeProto *add = single(result.finalName)) {
    if (add->op_type() == "Add" && add->input_size() == 2) {
      const std::string &other = add->input(0) == result.finalName ? add->input(1) : add->input(0);
      const HostTensor *bias = constantOf(graph, other);
      size_t outRank = TensorEmitter::getShape(graph.values.at(n.node.input(0)).value).size();
      if (bias && isFloatDataType(bias->dataType) && bias->size() == columns &&
          (bias->shape.size() == 1 || (bias->shape.size() == 2 && bias->shape[0] == 1)) &&
          bias->shape.size() <= outRank &&
          convertDataType(n.b.getContext(), bias->dataType) == type) {
        result.bias = n.e.reshape(graph.values.at(other).value, {columns});
        result.nodes.push_back(graph.consumers.at(result.finalName).front());
        result.finalName = add->output(0);
      }
    }
  }
  if (const onnx::NodeProto *relu = single(result.finalName)) {
    if (relu->op_type() == "Relu") {
      result.relu = true;
      result.nodes.push_back(graph.consumers.at(result.finalName).front());
      result.finalName = relu->output(0);
    }
  }
  return result;
}

void finishMatMul(NodeImporter &n, Value result, const Absorbed &absorbed, int32_t dt) {
  for (int node : absorbed.nodes)
    n.graph.absorbed[node] = true;
  // Every absorbed value is the same tensor up to the part of the epilogue applied so far; only
  // the last one has uses left.
  n.graph.values[absorbed.finalName] = ImportedValue{result, dt, nullptr};
  if (absorbed.finalName != n.node.output(0))
    n.graph.values[n.node.output(0)] = ImportedValue{result, dt, nullptr};
}

} // namespace

bool tryBinarizeWhere(NodeImporter &n) {
  const HostTensor *a = n.constantInput(1), *b = n.constantInput(2);
  std::optional<std::pair<std::string, bool>> test = matchSignTest(n.graph, n.node.input(0));
  if (!test)
    return false;
  double onTrue = test->second ? 1.0 : -1.0;
  if (!isFloatSplatOf(a, onTrue) || !isFloatSplatOf(b, -onTrue))
    return false;
  const ImportedValue &x = n.graph.values.at(test->first);
  FailureOr<SmallVector<int64_t>> shape = n.broadcastInputs({0, 1, 2});
  if (failed(shape) || x.dataType != n.dataType(1) || *shape != TensorEmitter::getShape(x.value))
    return false;
  Value sign = bnn::SignOp::create(n.b, n.loc, x.value);
  n.setOutput(0, sign, x.dataType);
  n.graph.signOf[n.node.output(0)] = x.value;
  return true;
}

bool tryBinarizeSign(NodeImporter &n) {
  if (!isFloatDataType(n.dataType(0)))
    return false;
  const HostTensor *constant = n.constantInput(0);
  bool exact = false;
  if (constant) {
    exact = true;
    for (int64_t i = 0, e = constant->size(); i < e && exact; ++i) {
      double v = constant->getDouble(i);
      exact = v == v && v != 0.0;
    }
  }
  if (!exact && !n.graph.options.binarizeActivations)
    return false;
  Value sign = bnn::SignOp::create(n.b, n.loc, n.value(0));
  std::shared_ptr<const HostTensor> host;
  if (constant && constant->dataType == onnx::TensorProto::FLOAT) {
    HostTensor signs = *constant;
    for (int64_t i = 0, e = signs.size(); i < e; ++i) {
      float s = constant->getDouble(i) < 0 ? -1.0f : 1.0f;
      std::memcpy(signs.bytes.data() + 4 * i, &s, 4);
    }
    host = std::make_shared<const HostTensor>(std::move(signs));
  }
  n.setOutput(0, sign, n.dataType(0), host);
  n.graph.signOf[n.node.output(0)] = n.value(0);
  return true;
}

/// Mul(Sign(W), ReduceMean(Abs(W))) on a constant f32 W without zeros: alpha * sign(W) with
/// alpha = mean(|W|) over all axes (per tensor) or over axis 0 of a 2-D W (one alpha per
/// column, the output channel of a MatMul weight). W is stored as a packed constant (channel
/// rows, K bits each) and the result carries its host value so MatMul patterns can use it.
bool tryBinarizeScaledSign(NodeImporter &n) {
  GraphImporter &graph = n.graph;
  for (int side = 0; side < 2; ++side) {
    const onnx::NodeProto *sign = graph.producerOf(n.node.input(side));
    const onnx::NodeProto *mean = graph.producerOf(n.node.input(1 - side));
    if (!sign || !mean || sign->op_type() != "Sign" || mean->op_type() != "ReduceMean")
      continue;
    const onnx::NodeProto *abs = graph.producerOf(mean->input(0));
    if (!abs || abs->op_type() != "Abs" || abs->input(0) != sign->input(0))
      continue;
    const HostTensor *w = constantOf(graph, sign->input(0));
    if (!w || w->dataType != onnx::TensorProto::FLOAT || w->shape.empty() || w->size() == 0)
      continue;
    bool noZeros = true;
    for (int64_t i = 0, e = w->size(); i < e && noZeros; ++i) {
      double v = w->getDouble(i);
      noZeros = std::isfinite(v) && v != 0.0;
    }
    if (!noZeros)
      continue;
    // Which axes the mean runs over.
    int64_t rank = w->shape.size();
    std::vector<int64_t> axes;
    bool keepDims = true;
    for (const onnx::AttributeProto &attr : mean->attribute()) {
      if (attr.name() == "axes")
        axes.assign(attr.ints().begin(), attr.ints().end());
      if (attr.name() == "keepdims")
        keepDims = attr.i() != 0;
    }
    for (int64_t &axis : axes)
      axis = axis < 0 ? axis + rank : axis;
    llvm::sort(axes);
    bool perTensor = axes.empty() || static_cast<int64_t>(axes.size()) == rank;
    bool perColumn = rank == 2 && axes == std::vector<int64_t>{0} && keepDims;
    if (!perTensor && !perColumn)
      continue;
    if (perTensor && !keepDims && rank > 0) {
      // mean is a scalar: the product has W's shape either way.
    }
    FailureOr<SmallVector<int64_t>> shape = n.broadcastInputs({0, 1});
    if (failed(shape) || *shape != SmallVector<int64_t>(w->shape.begin(), w->shape.end()))
      continue;

    // Host values: alpha per channel and the product alpha * sign(W).
    int64_t channels = perColumn ? w->shape[1] : 1;
    int64_t count = w->size();
    std::vector<double> alpha(channels, 0.0);
    for (int64_t i = 0; i < count; ++i)
      alpha[perColumn ? i % channels : 0] += std::fabs(w->getDouble(i));
    for (double &a : alpha)
      a /= static_cast<double>(count / channels);
    HostTensor product = *w;
    for (int64_t i = 0; i < count; ++i) {
      float a = static_cast<float>(alpha[perColumn ? i % channels : 0]);
      float v = w->getDouble(i) < 0 ? -a : a;
      std::memcpy(product.bytes.data() + 4 * i, &v, 4);
    }

    Type f32 = n.b.getF32Type();
    Value result;
    if (perColumn) {
      // Rows are output channels: pack W^T (N x K), scale per channel, transpose back.
      int64_t k = w->shape[0];
      Value packed = createPackedConstant(n.b, n.loc, {channels, k}, [&](int64_t i) {
        return w->getDouble((i % k) * channels + i / k) >= 0;
      });
      Value unpacked = bnn::UnpackOp::create(
          n.b, n.loc, RankedTensorType::get({channels, k}, f32), packed);
      Value alphaValue = vectorConstant(n, alpha, f32);
      Value scaled = bnn::ScaledSignOp::create(
          n.b, n.loc, unpacked.getType(), bnn::ScaleGranularity::PerChannel, unpacked,
          alphaValue);
      result = n.e.transpose(scaled, {1, 0});
    } else {
      Value packed = createPackedConstant(n.b, n.loc, w->shape,
                                          [&](int64_t i) { return w->getDouble(i) >= 0; });
      Value unpacked = bnn::UnpackOp::create(
          n.b, n.loc, RankedTensorType::get(w->shape, f32), packed);
      Value alphaValue = n.e.reshape(vectorConstant(n, alpha, f32), {});
      result = bnn::ScaledSignOp::create(n.b, n.loc, unpacked.getType(),
                                               bnn::ScaleGranularity::PerTensor, unpacked,
                                               alphaValue);
    }
    n.setOutput(0, result, onnx::TensorProto::FLOAT,
                std::make_shared<const HostTensor>(std::move(product)));
    return true;
  }
  return false;
}

bool tryBinarizeMatMul(NodeImporter &n) {
  GraphImporter &graph = n.graph;
  bool gemm = n.node.op_type() == "Gemm";
  if (gemm && n.getInt("transA", 0) != 0)
    return false;
  bool transB = gemm && n.getInt("transB", 0) != 0;
  if (!isFloatDataType(n.dataType(0)) || n.rank(1) != 2 || n.rank(0) < 1)
    return false;
  auto floatType = cast<FloatType>(n.elementType(0));
  int32_t dt = n.dataType(0);
  int64_t k = n.shape(0).back();
  int64_t columns = n.shape(1)[transB ? 0 : 1];
  if (n.shape(1)[transB ? 1 : 0] != k)
    return false;
  if (gemm && n.rank(0) != 2)
    return false;
  // The integer products are i32: an XNOR-popcount counts up to K; beyond 2^30 the plain float
  // product is imported instead of one that would wrap.
  if (k > (int64_t{1} << 30))
    return false;

  // Weight side: a constant with one magnitude per column, or a runtime sign(y).
  std::optional<WeightView> weights;
  Value rhsPacked;
  if (const HostTensor *b = n.constantInput(1))
    weights = analyzeWeights(*b, transB);
  auto signB = graph.signOf.find(n.node.input(1));

  BinaryEpilogue epilogue;
  double alpha = gemm ? n.getFloat("alpha", 1.0f) : 1.0;
  auto gemmBias = [&](Value y) -> Value {
    if (!gemm || !n.hasInput(2))
      return y;
    double beta = n.getFloat("beta", 1.0f);
    ArrayRef<int64_t> shape = TensorEmitter::getShape(y);
    Value c = n.value(2);
    return n.e.map(shape, floatType, {y, c}, [&](OpBuilder &b, Location l, ValueRange a) {
      Value scaled = beta == 1.0 ? a[1]
                                 : Value(arith::MulFOp::create(b, l, a[1], scalarConstant(b, l, floatType, beta)));
      return Value(arith::AddFOp::create(b, l, a[0], scaled));
    });
  };
  if (gemm && n.hasInput(2) && !broadcastShapes({n.shape(0)[0], columns}, n.shape(2)))
    return false;
  // The bias add and relu consuming the product join the epilogue, unless a Gemm adds its own
  // C (gemmBias) after it.
  auto absorbIntoEpilogue = [&] {
    Absorbed absorbed;
    absorbed.finalName = n.node.output(0);
    if (!gemm || !n.hasInput(2))
      absorbed = absorbConsumers(n, columns, floatType);
    epilogue.bias = absorbed.bias;
    epilogue.relu = absorbed.relu;
    return absorbed;
  };

  // Binary activations: xnor_popcount directly.
  auto signA = graph.signOf.find(n.node.input(0));
  if (signA != graph.signOf.end()) {
    if (weights && !weights->weights.isTernary()) {
      rhsPacked = createPackedConstant(n.b, n.loc, {columns, k}, [&](int64_t i) {
        return weights->weights.values[i] > 0;
      });
      std::vector<double> scale;
      for (double s : weights->scale)
        scale.push_back(s * alpha);
      if (llvm::any_of(scale, [](double s) { return s != 1.0; }))
        epilogue.columnScale = vectorConstant(n, scale, floatType);
    } else if (!weights && signB != graph.signOf.end() && !transB) {
      Value bT = n.e.transpose(signB->second, {1, 0});
      rhsPacked = bnn::PackOp::create(
          n.b, n.loc, bnn::PackedType::get(n.b.getContext(), {columns, k}), bT);
      if (alpha != 1.0)
        epilogue.columnScale = vectorConstant(n, std::vector<double>(columns, alpha), floatType);
    } else {
      return false;
    }
    Value x = signA->second;
    Value lhsPacked = bnn::PackOp::create(
        n.b, n.loc, bnn::PackedType::get(n.b.getContext(), TensorEmitter::getShape(x)), x);
    Absorbed absorbed = absorbIntoEpilogue();
    Value y = gemmBias(emitXnorMatmul(n.e, lhsPacked, rhsPacked, floatType, epilogue));
    finishMatMul(n, y, absorbed, dt);
    // The plain similarity of two code matrices: a TopK over it can search instead.
    bool plain = !epilogue.columnScale && !epilogue.rowScale && !epilogue.bias && !epilogue.relu &&
                 !(gemm && n.hasInput(2));
    if (plain && TensorEmitter::getShape(x).size() == 2)
      n.graph.xnorProductOf[absorbed.finalName] = {lhsPacked, rhsPacked};
    return true;
  }

  // BitLinear: 8-bit absmax activations times absmean binary/ternary weights, as the native
  // int8 x ternary (or int8 x binary) bnn.lowbit_matmul: |q . t| <= 128 K, so K <=
  // LowBitMatmulOp::kMaxInt8K keeps the i32 result exact.
  if (!weights || k > bnn::LowBitMatmulOp::kMaxInt8K)
    return false;
  std::optional<QuantizedActivation> act = matchQuantizedActivation(n, n.node.input(0));
  if (!act)
    return false;
  ArrayRef<int64_t> aShape = n.shape(0);
  int64_t rows = 1;
  for (int64_t d : aShape.drop_back())
    rows *= d;
  Value q2d = n.e.reshape(act->q, {rows, k});
  Value product = emitLowBitMatmul(n.e, q2d, weights->weights);
  std::vector<double> columnScale;
  for (double s : weights->scale)
    columnScale.push_back(s * alpha);
  epilogue.columnScale = vectorConstant(n, columnScale, floatType);
  // Per-row factor 1/a (Div) or r (Mul), broadcast over the leading dims and flattened.
  SmallVector<int64_t> rowShape(aShape.drop_back());
  rowShape.push_back(1);
  Value rowFactor = n.e.broadcastTo(act->rowFactor, rowShape);
  if (act->divide)
    rowFactor = n.e.map(rowShape, floatType, rowFactor, [&](OpBuilder &b, Location l, ValueRange a) {
      return Value(arith::DivFOp::create(b, l, scalarConstant(b, l, floatType, 1.0), a[0]));
    });
  epilogue.rowScale = n.e.reshape(rowFactor, {rows});
  Absorbed absorbed = absorbIntoEpilogue();
  Value y = emitBinaryEpilogue(n.e, product, floatType, epilogue);
  SmallVector<int64_t> outShape(aShape.drop_back());
  outShape.push_back(columns);
  y = gemmBias(n.e.reshape(y, outShape));
  finishMatMul(n, y, absorbed, dt);
  return true;
}

bool tryFuseHammingTopK(NodeImporter &n, int64_t axis, int64_t k) {
  auto product = n.graph.xnorProductOf.find(n.node.input(0));
  if (product == n.graph.xnorProductOf.end() || axis != 1 || n.getInt("largest", 1) == 0)
    return false;
  auto [queries, database] = product->second;
  int64_t bits = cast<bnn::PackedType>(database.getType()).getShape().back();
  int64_t rows = cast<bnn::PackedType>(queries.getType()).getShape().front();
  auto search = bnn::HammingTopKOp::create(n.b, n.loc, queries, database, k);
  // The k largest similarities are K - 2 * distance, in the search's order (ties by the smaller
  // index, as TopK's); both are exact integers in the float type.
  Type floatType = n.elementType(0);
  Value values = n.e.map({rows, k}, floatType, search.getDistances(),
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           Value twice = arith::ShLIOp::create(
                               b, l, a[0], arith::ConstantIntOp::create(b, l, b.getI32Type(), 1));
                           Value similarity = arith::SubIOp::create(
                               b, l, arith::ConstantIntOp::create(b, l, b.getI32Type(), bits), twice);
                           return Value(arith::SIToFPOp::create(b, l, floatType, similarity));
                         });
  n.setOutput(0, values, n.dataType(0));
  n.setOutput(1, search.getIndices(), onnx::TensorProto::INT64);
  return true;
}

} // namespace bnn::frontend::onnximpl
