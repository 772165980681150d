//===- GraphBuilders.cpp - build binarized graphs in MLIR directly --------===//

#include "bnn/Frontend/GraphBuilders.h"

#include "common/Binarize.h"
#include "common/TensorEmitter.h"

#include "bnn/IR/BNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;

namespace bnn::frontend {

//===----------------------------------------------------------------------===//
// PortableRandom
//===----------------------------------------------------------------------===//

uint64_t PortableRandom::nextBits() {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double PortableRandom::uniform() { return static_cast<double>(nextBits() >> 11) * 0x1.0p-53; }

double PortableRandom::gaussian() {
  if (hasSpare) {
    hasSpare = false;
    return spare;
  }
  double u1 = 1.0 - uniform(); // (0, 1]: log is finite
  double u2 = uniform();
  double radius = std::sqrt(-2.0 * std::log(u1));
  double angle = 2.0 * M_PI * u2;
  spare = radius * std::sin(angle);
  hasSpare = true;
  return radius * std::cos(angle);
}

static std::vector<float> gaussianMatrix(PortableRandom &rng, int64_t count, double scale) {
  std::vector<float> values(count);
  for (float &v : values)
    v = static_cast<float>(rng.gaussian() * scale);
  return values;
}

namespace {

/// A public function with one entry block; the builder is left at its start.
func::FuncOp createFunction(OpBuilder &b, ModuleOp module, StringRef name, TypeRange inputs,
                            TypeRange results) {
  b.setInsertionPointToEnd(module.getBody());
  auto function =
      func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType(inputs, results));
  b.setInsertionPointToStart(function.addEntryBlock());
  return function;
}

LogicalResult invalid(ModuleOp module, const Twine &message) {
  return emitError(module.getLoc()) << message;
}

/// Host tables a builder fills from its config (weights, masks) hold at most this many values.
constexpr int64_t kMaxHostValues = int64_t{1} << 26;

/// True when the product of `dims` (checked for overflow, as numElements does) is at most
/// `limit`; every tensor a builder creates stays within numElements' bound this way.
bool fits(ArrayRef<int64_t> dims, int64_t limit) {
  std::optional<int64_t> count = numElements(dims);
  return count && *count <= limit;
}

Value floatVector(TensorEmitter &e, ArrayRef<float> values, StringRef name) {
  return e.constant({static_cast<int64_t>(values.size())}, values, name);
}

Value add(TensorEmitter &e, Value x, Value y) {
  return e.map(TensorEmitter::getShape(x), TensorEmitter::getElementType(x), {x, y},
               [](OpBuilder &b, Location l, ValueRange a) {
                 return Value(arith::AddFOp::create(b, l, a[0], a[1]));
               });
}

/// RMSNorm over the last axis of [M, H]: x / sqrt(mean(x^2) + eps) * gain.
Value emitRMSNorm(TensorEmitter &e, Value x, ArrayRef<float> gain, double epsilon,
                  StringRef name) {
  ArrayRef<int64_t> shape = TensorEmitter::getShape(x);
  Type f32 = e.builder().getF32Type();
  int64_t width = shape.back();
  Value squares = e.map(shape, f32, x, [](OpBuilder &b, Location l, ValueRange a) {
    return Value(arith::MulFOp::create(b, l, a[0], a[0]));
  });
  Value sum = e.reduce(squares, {1}, true, FloatAttr::get(f32, 0.0),
                       [](OpBuilder &b, Location l, Value v, Value acc) {
                         return Value(arith::AddFOp::create(b, l, acc, v));
                       });
  Value inverse = e.map(TensorEmitter::getShape(sum), f32, sum,
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          Value mean = arith::DivFOp::create(
                              b, l, a[0], scalarConstant(b, l, f32, width));
                          Value shifted = arith::AddFOp::create(
                              b, l, mean, scalarConstant(b, l, f32, epsilon));
                          Value root = math::SqrtOp::create(b, l, shifted);
                          return Value(arith::DivFOp::create(
                              b, l, scalarConstant(b, l, f32, 1.0), root));
                        });
  Value g = floatVector(e, gain, name);
  return e.map(shape, f32, {x, inverse, g}, [](OpBuilder &b, Location l, ValueRange a) {
    Value scaled = arith::MulFOp::create(b, l, a[0], a[1]);
    return Value(arith::MulFOp::create(b, l, scaled, a[2]));
  });
}

/// BitLinear: absmax 8-bit activations per row of x [M, K] times quantized weights (N x K),
/// computed exactly in integers by the native int8 x ternary (or binary) bnn.lowbit_matmul, then
/// y = dot * s * (1 / a_m), a_m = 127 / max(max_k |x[m, k]|, 1e-5).
Value emitBitLinear(TensorEmitter &e, Value x, const std::vector<float> &latent, int64_t outputs,
                    LowBitKind kind) {
  ArrayRef<int64_t> shape = TensorEmitter::getShape(x);
  int64_t rows = shape[0], inputs = shape[1];
  Type f32 = e.builder().getF32Type();
  auto floatType = cast<FloatType>(f32);
  LowBitWeights weights;
  weights.rows = outputs;
  weights.cols = inputs;
  double scale = quantizeBitLinearWeights(latent, kind, weights.values);

  Value magnitudes = e.map(shape, f32, x, [](OpBuilder &b, Location l, ValueRange a) {
    return Value(math::AbsFOp::create(b, l, a[0]));
  });
  Value absMax = e.reduce(magnitudes, {1}, true, FloatAttr::get(floatType, 0.0),
                          [](OpBuilder &b, Location l, Value v, Value acc) {
                            return Value(arith::MaximumFOp::create(b, l, acc, v));
                          });
  Value quantScale = e.map({rows, 1}, f32, absMax, [&](OpBuilder &b, Location l, ValueRange a) {
    Value clamped = arith::MaximumFOp::create(b, l, a[0], scalarConstant(b, l, f32, 1e-5));
    return Value(arith::DivFOp::create(b, l, scalarConstant(b, l, f32, 127.0), clamped));
  });
  Value q = e.map(shape, f32, {x, quantScale}, [&](OpBuilder &b, Location l, ValueRange a) {
    Value scaled = arith::MulFOp::create(b, l, a[0], a[1]);
    Value rounded = math::RoundEvenOp::create(b, l, scaled);
    Value low = arith::MaximumFOp::create(b, l, rounded, scalarConstant(b, l, f32, -128.0));
    return Value(arith::MinimumFOp::create(b, l, low, scalarConstant(b, l, f32, 127.0)));
  });
  Value product = emitLowBitMatmul(e, q, weights);
  Value rowScale = e.map({rows, 1}, f32, quantScale, [&](OpBuilder &b, Location l, ValueRange a) {
    return Value(arith::DivFOp::create(b, l, scalarConstant(b, l, f32, 1.0), a[0]));
  });
  BinaryEpilogue epilogue;
  epilogue.columnScale = e.splat({outputs}, f32, scale);
  epilogue.rowScale = e.reshape(rowScale, {rows});
  return emitBinaryEpilogue(e, product, floatType, epilogue);
}

/// Rotary position embedding on [S, heads, d] (rotate-half form): for i < d/2,
/// out[i] = x[i] cos(p w_i) - x[i + d/2] sin(p w_i), out[i + d/2] = x[i + d/2] cos + x[i] sin,
/// w_i = theta^(-2i/d), p the position.
Value emitRoPE(TensorEmitter &e, Value x, double theta) {
  ArrayRef<int64_t> shape = TensorEmitter::getShape(x);
  int64_t seq = shape[0], heads = shape[1], dim = shape[2], half = dim / 2;
  std::vector<float> cosines(seq * half), sines(seq * half);
  for (int64_t p = 0; p < seq; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double angle = p * std::pow(theta, -2.0 * i / dim);
      cosines[p * half + i] = static_cast<float>(std::cos(angle));
      sines[p * half + i] = static_cast<float>(std::sin(angle));
    }
  Type f32 = e.builder().getF32Type();
  Value c = e.constant({seq, 1, half}, cosines, "rope_cos");
  Value s = e.constant({seq, 1, half}, sines, "rope_sin");
  Value first = e.slice(x, {0, 0, 0}, {seq, heads, half}, {1, 1, 1});
  Value second = e.slice(x, {0, 0, half}, {seq, heads, half}, {1, 1, 1});
  Value rotatedFirst = e.map({seq, heads, half}, f32, {first, second, c, s},
                             [](OpBuilder &b, Location l, ValueRange a) {
                               Value xc = arith::MulFOp::create(b, l, a[0], a[2]);
                               Value ys = arith::MulFOp::create(b, l, a[1], a[3]);
                               return Value(arith::SubFOp::create(b, l, xc, ys));
                             });
  Value rotatedSecond = e.map({seq, heads, half}, f32, {first, second, c, s},
                              [](OpBuilder &b, Location l, ValueRange a) {
                                Value yc = arith::MulFOp::create(b, l, a[1], a[2]);
                                Value xs = arith::MulFOp::create(b, l, a[0], a[3]);
                                return Value(arith::AddFOp::create(b, l, yc, xs));
                              });
  return e.concat({rotatedFirst, rotatedSecond}, 2);
}

} // namespace

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

std::vector<float> embeddingProjection(const EmbeddingConfig &config) {
  PortableRandom rng(config.seed);
  return gaussianMatrix(rng, config.codeBits * config.inputDim, 1.0);
}

FailureOr<func::FuncOp> buildEmbeddingGraph(ModuleOp module, const EmbeddingConfig &config) {
  if (config.codeBits < 32 || config.codeBits > 1024)
    return invalid(module, Twine("embedding: code_bits must be in [32, 1024], got ") +
                               Twine(config.codeBits));
  if (config.inputDim < 1 || config.batch < 1)
    return invalid(module, "embedding: batch and input_dim must be positive");
  if (!fits({config.codeBits, config.inputDim}, kMaxHostValues) ||
      !fits({config.batch, config.inputDim}, std::numeric_limits<int64_t>::max()))
    return invalid(module, "embedding: code_bits * input_dim must be at most 2^26 and "
                           "batch * input_dim at most 2^48");
  OpBuilder b(module.getContext());
  Type f32 = b.getF32Type();
  auto inputType = RankedTensorType::get({config.batch, config.inputDim}, f32);
  auto codeType = bnn::PackedType::get(b.getContext(), {config.batch, config.codeBits});
  func::FuncOp function = createFunction(b, module, config.name, inputType, codeType);
  Location loc = NameLoc::get(b.getStringAttr(config.name + ".projection"), module.getLoc());
  TensorEmitter e(b, loc);

  // R^T as D x bits so that the projection is a plain matmul.
  std::vector<float> projection = embeddingProjection(config);
  std::vector<float> transposed(projection.size());
  for (int64_t r = 0; r < config.codeBits; ++r)
    for (int64_t d = 0; d < config.inputDim; ++d)
      transposed[d * config.codeBits + r] = projection[r * config.inputDim + d];
  Value hyperplanes = e.constant({config.inputDim, config.codeBits}, transposed,
                                 config.name + "_hyperplanes");
  Value projected = e.matmul(function.getArgument(0), hyperplanes);
  Location signLoc = NameLoc::get(b.getStringAttr(config.name + ".sign"), module.getLoc());
  Value signs = bnn::SignOp::create(b, signLoc, projected);
  Value codes = bnn::PackOp::create(b, signLoc, codeType, signs);
  func::ReturnOp::create(b, loc, codes);
  return function;
}

//===----------------------------------------------------------------------===//
// Decoder block
//===----------------------------------------------------------------------===//

double quantizeBitLinearWeights(const std::vector<float> &w, LowBitKind kind,
                                std::vector<int8_t> &values) {
  double sum = 0;
  for (float v : w)
    sum += std::fabs(v);
  double scale = std::max(w.empty() ? 0.0 : sum / static_cast<double>(w.size()), 1e-5);
  values.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    if (kind == LowBitKind::Binary) {
      values[i] = w[i] >= 0 ? 1 : -1;
    } else {
      double t = std::nearbyint(w[i] / scale); // round half to even (default rounding mode)
      values[i] = static_cast<int8_t>(std::clamp(t, -1.0, 1.0));
    }
  }
  return scale;
}

DecoderBlockWeights randomDecoderBlockWeights(const DecoderBlockConfig &config) {
  PortableRandom rng(config.seed);
  int64_t h = config.hidden, f = config.ffn;
  double inScale = 1.0 / std::sqrt(static_cast<double>(h));
  double ffnScale = 1.0 / std::sqrt(static_cast<double>(f));
  DecoderBlockWeights w;
  w.wq = gaussianMatrix(rng, h * h, inScale);
  w.wk = gaussianMatrix(rng, h * h, inScale);
  w.wv = gaussianMatrix(rng, h * h, inScale);
  w.wo = gaussianMatrix(rng, h * h, inScale);
  if (config.mlp == MLPKind::SwiGLU)
    w.wGate = gaussianMatrix(rng, f * h, inScale);
  w.wUp = gaussianMatrix(rng, f * h, inScale);
  w.wDown = gaussianMatrix(rng, h * f, ffnScale);
  w.attnNorm.resize(h);
  w.mlpNorm.resize(h);
  for (int64_t i = 0; i < h; ++i) {
    w.attnNorm[i] = static_cast<float>(1.0 + 0.1 * rng.gaussian());
    w.mlpNorm[i] = static_cast<float>(1.0 + 0.1 * rng.gaussian());
  }
  return w;
}

FailureOr<func::FuncOp> buildDecoderBlock(ModuleOp module, const DecoderBlockConfig &config,
                                          const DecoderBlockWeights &weights) {
  int64_t s = config.seqLen, h = config.hidden, nh = config.heads, f = config.ffn;
  if (s < 1 || h < 1 || nh < 1 || f < 1)
    return invalid(module, "decoder_block: seq_len, hidden, heads and ffn must be positive");
  // The causal mask is an s x s host table; the weights are h x h and f x h.
  if (!fits({s, s}, kMaxHostValues))
    return invalid(module, Twine("decoder_block: seq_len must be at most 8192, got ") + Twine(s));
  if (!fits({h, h}, kMaxHostValues) || !fits({f, h}, kMaxHostValues))
    return invalid(module, "decoder_block: hidden * hidden and ffn * hidden must be at most 2^26");
  if (h % nh != 0 || (h / nh) % 2 != 0)
    return invalid(module, Twine("decoder_block: hidden (") + Twine(h) + ") must split into " +
                               Twine(nh) + " heads of an even size (RoPE rotates pairs)");
  auto sized = [](const std::vector<float> &v, int64_t n) {
    return static_cast<int64_t>(v.size()) == n;
  };
  if (!sized(weights.wq, h * h) || !sized(weights.wk, h * h) || !sized(weights.wv, h * h) ||
      !sized(weights.wo, h * h) || !sized(weights.wUp, f * h) || !sized(weights.wDown, h * f) ||
      (config.mlp == MLPKind::SwiGLU && !sized(weights.wGate, f * h)) ||
      !sized(weights.attnNorm, h) || !sized(weights.mlpNorm, h))
    return invalid(module, "decoder_block: weight sizes do not match the config");
  int64_t hd = h / nh;
  OpBuilder b(module.getContext());
  Type f32 = b.getF32Type();
  auto type = RankedTensorType::get({s, h}, f32);
  func::FuncOp function = createFunction(b, module, config.name, type, type);
  auto at = [&](StringRef part) {
    return NameLoc::get(b.getStringAttr(config.name + "." + part.str()), module.getLoc());
  };
  TensorEmitter e(b, at("attn_norm"));
  Value x = function.getArgument(0);

  // Attention.
  Value xn = emitRMSNorm(e, x, weights.attnNorm, config.rmsEpsilon, config.name + "_attn_norm");
  e.setLocation(at("q_proj"));
  Value q = emitBitLinear(e, xn, weights.wq, h, config.weights);
  e.setLocation(at("k_proj"));
  Value k = emitBitLinear(e, xn, weights.wk, h, config.weights);
  e.setLocation(at("v_proj"));
  Value v = emitBitLinear(e, xn, weights.wv, h, config.weights);
  e.setLocation(at("rope"));
  q = emitRoPE(e, e.reshape(q, {s, nh, hd}), config.ropeTheta);
  k = emitRoPE(e, e.reshape(k, {s, nh, hd}), config.ropeTheta);
  e.setLocation(at("attention"));
  Value qh = e.transpose(q, {1, 0, 2});                        // [nh, s, hd]
  Value kt = e.transpose(k, {1, 2, 0});                        // [nh, hd, s]
  Value vh = e.transpose(e.reshape(v, {s, nh, hd}), {1, 0, 2}); // [nh, s, hd]
  Value scores = e.matmul(qh, kt);                              // [nh, s, s]
  std::vector<float> mask(s * s);
  for (int64_t i = 0; i < s; ++i)
    for (int64_t j = 0; j < s; ++j)
      mask[i * s + j] = j > i ? -std::numeric_limits<float>::infinity() : 0.0f;
  Value maskValue = e.constant({s, s}, mask, config.name + "_causal_mask");
  double invSqrt = 1.0 / std::sqrt(static_cast<double>(hd));
  Value masked = e.map({nh, s, s}, f32, {scores, maskValue},
                       [&](OpBuilder &nb, Location l, ValueRange a) {
                         Value scaled = arith::MulFOp::create(nb, l, a[0],
                                                              scalarConstant(nb, l, f32, invSqrt));
                         return Value(arith::AddFOp::create(nb, l, scaled, a[1]));
                       });
  Value probabilities = e.softmax(masked, 2);
  Value context = e.matmul(probabilities, vh); // [nh, s, hd]
  context = e.reshape(e.transpose(context, {1, 0, 2}), {s, h});
  e.setLocation(at("o_proj"));
  Value attention = emitBitLinear(e, context, weights.wo, h, config.weights);
  e.setLocation(at("attn_residual"));
  Value hidden = add(e, x, attention);

  // MLP.
  e.setLocation(at("mlp_norm"));
  Value hn = emitRMSNorm(e, hidden, weights.mlpNorm, config.rmsEpsilon, config.name + "_mlp_norm");
  e.setLocation(at("up_proj"));
  Value up = emitBitLinear(e, hn, weights.wUp, f, config.weights);
  Value activated;
  if (config.mlp == MLPKind::SwiGLU) {
    e.setLocation(at("gate_proj"));
    Value gate = emitBitLinear(e, hn, weights.wGate, f, config.weights);
    e.setLocation(at("swiglu"));
    activated = e.map({s, f}, f32, {gate, up}, [&](OpBuilder &nb, Location l, ValueRange a) {
      Value negated = arith::NegFOp::create(nb, l, a[0]);
      Value denominator = arith::AddFOp::create(nb, l, scalarConstant(nb, l, f32, 1.0),
                                                math::ExpOp::create(nb, l, negated));
      Value silu = arith::DivFOp::create(nb, l, a[0], denominator);
      return Value(arith::MulFOp::create(nb, l, silu, a[1]));
    });
  } else {
    e.setLocation(at("relu2"));
    activated = e.map({s, f}, f32, up, [&](OpBuilder &nb, Location l, ValueRange a) {
      Value relu = arith::MaximumFOp::create(nb, l, a[0], scalarConstant(nb, l, f32, 0.0));
      return Value(arith::MulFOp::create(nb, l, relu, relu));
    });
  }
  e.setLocation(at("down_proj"));
  Value down = emitBitLinear(e, activated, weights.wDown, h, config.weights);
  e.setLocation(at("mlp_residual"));
  Value output = add(e, hidden, down);
  func::ReturnOp::create(b, at("return"), output);
  return function;
}

//===----------------------------------------------------------------------===//
// Partially-binarized linear
//===----------------------------------------------------------------------===//

PartialBinaryWeights partiallyBinarize(const std::vector<float> &w, int64_t outputs,
                                       int64_t inputs, double salientFraction) {
  PartialBinaryWeights result;
  result.outputs = outputs;
  result.inputs = inputs;
  result.signs.resize(outputs * inputs);
  result.salient.assign(outputs * inputs, 0);
  result.alpha.resize(outputs);
  result.salientScale.resize(outputs);
  int64_t salientCount = std::clamp<int64_t>(
      static_cast<int64_t>(std::llround(salientFraction * inputs)), 0, inputs);
  for (int64_t n = 0; n < outputs; ++n) {
    const float *row = &w[n * inputs];
    std::vector<int64_t> order(inputs);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return std::fabs(row[a]) > std::fabs(row[b]);
    });
    std::vector<bool> isSalient(inputs, false);
    for (int64_t i = 0; i < salientCount; ++i)
      isSalient[order[i]] = true;
    double sum = 0;
    int64_t count = 0;
    for (int64_t k = 0; k < inputs; ++k) {
      result.signs[n * inputs + k] = row[k] >= 0 ? 1 : -1;
      if (!isSalient[k] || salientCount == inputs) {
        sum += std::fabs(row[k]);
        ++count;
      }
    }
    float alpha = count ? static_cast<float>(sum / count) : 0.0f;
    result.alpha[n] = alpha;
    // The salient residuals w - alpha * sign(w), quantized symmetrically to int8.
    double largest = 0;
    for (int64_t k = 0; k < inputs; ++k)
      if (isSalient[k])
        largest = std::max(largest, std::fabs(static_cast<double>(row[k]) - alpha * result.signs[n * inputs + k]));
    float scale = largest > 0 ? static_cast<float>(largest / 127.0) : 1.0f;
    result.salientScale[n] = scale;
    for (int64_t k = 0; k < inputs; ++k)
      if (isSalient[k]) {
        double residual = row[k] - alpha * result.signs[n * inputs + k];
        result.salient[n * inputs + k] =
            static_cast<int8_t>(std::clamp(std::nearbyint(residual / scale), -127.0, 127.0));
      }
  }
  return result;
}

/// x [M, K] @ unpack(packed)^T, for a packed N x K constant of +-1.
static Value matmulWithPacked(TensorEmitter &e, Value x, Value packed) {
  auto packedType = cast<bnn::PackedType>(packed.getType());
  auto unpackedType = RankedTensorType::get(packedType.getShape(), e.builder().getF32Type());
  Value unpacked = bnn::UnpackOp::create(e.builder(), e.location(), unpackedType, packed);
  return e.matmul(x, e.transpose(unpacked, {1, 0}));
}

FailureOr<func::FuncOp> buildPartialBinaryLinear(ModuleOp module,
                                                 const PartialBinaryLinearConfig &config,
                                                 const PartialBinaryWeights &weights) {
  int64_t m = config.rows, k = config.inputs, n = config.outputs;
  if (m < 1 || k < 1 || n < 1)
    return invalid(module, "partial_binary_linear: rows, in and out must be positive");
  int64_t maxTensor = std::numeric_limits<int64_t>::max();
  if (!fits({n, k}, kMaxHostValues) || !fits({m, std::max(k, n)}, maxTensor))
    return invalid(module, "partial_binary_linear: in * out must be at most 2^26 and "
                           "rows * max(in, out) at most 2^48");
  if (!(config.salientFraction >= 0 && config.salientFraction <= 1))
    return invalid(module, "partial_binary_linear: salient_fraction must be in [0, 1]");
  if (weights.outputs != n || weights.inputs != k)
    return invalid(module, "partial_binary_linear: weight sizes do not match the config");
  OpBuilder b(module.getContext());
  Type f32 = b.getF32Type();
  func::FuncOp function = createFunction(b, module, config.name,
                                         RankedTensorType::get({m, k}, f32),
                                         RankedTensorType::get({m, n}, f32));
  Location loc = NameLoc::get(b.getStringAttr(config.name), module.getLoc());
  TensorEmitter e(b, loc);
  Value x = function.getArgument(0);
  Value signs = createPackedConstant(b, loc, {n, k},
                                     [&](int64_t i) { return weights.signs[i] > 0; });
  Value binaryPart = matmulWithPacked(e, x, signs);
  auto int8Type = RankedTensorType::get({n, k}, b.getI8Type());
  Value salient = e.constant(
      int8Type,
      ArrayRef<char>(reinterpret_cast<const char *>(weights.salient.data()), weights.salient.size()),
      config.name + "_salient_int8");
  Value salientFloat = e.convert(salient, f32);
  Value salientPart = e.matmul(x, e.transpose(salientFloat, {1, 0}));
  Value alpha = floatVector(e, weights.alpha, config.name + "_alpha");
  Value scale = floatVector(e, weights.salientScale, config.name + "_salient_scale");
  Value y = e.map({m, n}, f32, {binaryPart, alpha, salientPart, scale},
                  [](OpBuilder &nb, Location l, ValueRange a) {
                    Value binary = arith::MulFOp::create(nb, l, a[0], a[1]);
                    Value fine = arith::MulFOp::create(nb, l, a[2], a[3]);
                    return Value(arith::AddFOp::create(nb, l, binary, fine));
                  });
  func::ReturnOp::create(b, loc, y);
  return function;
}

//===----------------------------------------------------------------------===//
// Double-binary-factorized linear
//===----------------------------------------------------------------------===//

DoubleBinaryFactors randomDoubleBinaryFactors(const DoubleBinaryLinearConfig &config) {
  PortableRandom rng(config.seed);
  DoubleBinaryFactors f;
  auto magnitudes = [&](int64_t count, double scale) {
    std::vector<float> v(count);
    for (float &x : v)
      x = static_cast<float>(scale * (0.5 + rng.uniform()));
    return v;
  };
  auto signs = [&](int64_t count) {
    std::vector<int8_t> v(count);
    for (int8_t &x : v)
      x = (rng.nextBits() >> 63) ? 1 : -1;
    return v;
  };
  f.a = magnitudes(config.outputs, 1.0 / std::sqrt(static_cast<double>(config.rank)));
  f.m = magnitudes(config.rank, 1.0 / std::sqrt(static_cast<double>(config.inputs)));
  f.b = magnitudes(config.inputs, 1.0);
  f.b1 = signs(config.outputs * config.rank);
  f.b2 = signs(config.rank * config.inputs);
  return f;
}

FailureOr<func::FuncOp> buildDoubleBinaryLinear(ModuleOp module,
                                                const DoubleBinaryLinearConfig &config,
                                                const DoubleBinaryFactors &factors) {
  int64_t m = config.rows, k = config.inputs, n = config.outputs, r = config.rank;
  if (m < 1 || k < 1 || n < 1 || r < 1)
    return invalid(module, "double_binary_linear: rows, in, out and rank must be positive");
  int64_t maxTensor = std::numeric_limits<int64_t>::max();
  if (!fits({r, std::max(k, n)}, kMaxHostValues) ||
      !fits({m, std::max({k, n, r})}, maxTensor))
    return invalid(module, "double_binary_linear: rank * max(in, out) must be at most 2^26 and "
                           "rows * max(in, out, rank) at most 2^48");
  if (static_cast<int64_t>(factors.a.size()) != n || static_cast<int64_t>(factors.m.size()) != r ||
      static_cast<int64_t>(factors.b.size()) != k ||
      static_cast<int64_t>(factors.b1.size()) != n * r ||
      static_cast<int64_t>(factors.b2.size()) != r * k)
    return invalid(module, "double_binary_linear: factor sizes do not match the config");
  OpBuilder b(module.getContext());
  Type f32 = b.getF32Type();
  func::FuncOp function = createFunction(b, module, config.name,
                                         RankedTensorType::get({m, k}, f32),
                                         RankedTensorType::get({m, n}, f32));
  Location loc = NameLoc::get(b.getStringAttr(config.name), module.getLoc());
  TensorEmitter e(b, loc);
  auto scaleColumns = [&](Value x, ArrayRef<float> scale, StringRef name) {
    Value s = floatVector(e, scale, name);
    return e.map(TensorEmitter::getShape(x), f32, {x, s},
                 [](OpBuilder &nb, Location l, ValueRange a) {
                   return Value(arith::MulFOp::create(nb, l, a[0], a[1]));
                 });
  };
  Value b2 = createPackedConstant(b, loc, {r, k}, [&](int64_t i) { return factors.b2[i] > 0; });
  Value b1 = createPackedConstant(b, loc, {n, r}, [&](int64_t i) { return factors.b1[i] > 0; });
  Value t = scaleColumns(function.getArgument(0), factors.b, config.name + "_b");
  Value u = scaleColumns(matmulWithPacked(e, t, b2), factors.m, config.name + "_m");
  Value y = scaleColumns(matmulWithPacked(e, u, b1), factors.a, config.name + "_a");
  func::ReturnOp::create(b, loc, y);
  return function;
}

} // namespace bnn::frontend
