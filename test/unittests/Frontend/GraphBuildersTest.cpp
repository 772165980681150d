//===- GraphBuildersTest.cpp - graph builders against scalar references ---===//
//
// Every graph builder is built, JIT-compiled with bnn-cpu-pipeline and run; its results are
// compared with a plain scalar C++ reference computed from the same parameters.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Frontend/GraphBuilders.h"

#include "bnn/IR/BNNOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>

using namespace bnn::frontend;

namespace {

class GraphBuildersTest : public ::testing::Test {
protected:
  GraphBuildersTest() {
    mlir::DialectRegistry registry;
    bnn::registerAllDialectsWithBNN(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    context->loadAllAvailableDialects();
    module = mlir::ModuleOp::create(mlir::UnknownLoc::get(context.get()));
  }

  /// Compiles the module (once: compilation lowers it in place) and runs `name` on one f32
  /// input.
  std::vector<bnn::HostTensor> run(llvm::StringRef name, std::vector<int64_t> shape,
                                   const std::vector<float> &input) {
    if (!jit) {
      bnn::JitOptions options;
      options.numThreads = 1;
      auto compiled = bnn::JitModule::compile(*module, options);
      if (!compiled) {
        ADD_FAILURE() << llvm::toString(compiled.takeError());
        return {};
      }
      jit = std::move(*compiled);
    }
    bnn::HostTensor x(bnn::ElementType::F32, std::move(shape));
    std::memcpy(x.bytes.data(), input.data(), input.size() * sizeof(float));
    auto results = jit->run(name, {x});
    if (!results) {
      ADD_FAILURE() << llvm::toString(results.takeError());
      return {};
    }
    return std::move(*results);
  }

  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<bnn::JitModule> jit;
};

std::vector<float> randomInput(int64_t count, uint64_t seed) {
  PortableRandom rng(seed);
  std::vector<float> values(count);
  for (float &v : values)
    v = static_cast<float>(rng.gaussian());
  return values;
}

int countOps(mlir::ModuleOp module, llvm::StringRef name) {
  int count = 0;
  module.walk([&](mlir::Operation *op) { count += op->getName().getStringRef() == name; });
  return count;
}

TEST(PortableRandomTest, IsDeterministicAndGaussian) {
  PortableRandom a(42), b(42), c(43);
  double sum = 0, squares = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double x = a.gaussian();
    EXPECT_EQ(x, b.gaussian());
    sum += x;
    squares += x * x;
  }
  EXPECT_NE(PortableRandom(42).gaussian(), c.gaussian());
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(squares / n, 1.0, 0.05);
}

TEST_F(GraphBuildersTest, EmbeddingCodesAreSignsOfTheProjection) {
  for (int64_t bits : {32, 65, 256, 1024}) {
    EmbeddingConfig config;
    config.name = "embed" + std::to_string(bits);
    config.batch = 3;
    config.inputDim = 37;
    config.codeBits = bits;
    config.seed = 11;
    ASSERT_TRUE(mlir::succeeded(buildEmbeddingGraph(*module, config)));
  }
  ASSERT_EQ(countOps(*module, "bnn.sign"), 4);
  ASSERT_EQ(countOps(*module, "bnn.pack"), 4);
  for (int64_t bits : {32, 65, 256, 1024}) {
    EmbeddingConfig config;
    config.batch = 3;
    config.inputDim = 37;
    config.codeBits = bits;
    config.seed = 11;
    std::vector<float> x = randomInput(3 * 37, bits);
    std::vector<bnn::HostTensor> results =
        run("embed" + std::to_string(bits), {3, 37}, x);
    ASSERT_EQ(results.size(), 1u);
    int64_t words = (bits + 63) / 64;
    EXPECT_EQ(results[0].shape, (std::vector<int64_t>{3, words}));
    std::vector<float> r = embeddingProjection(config);
    const uint64_t *codes = results[0].data<uint64_t>();
    int checked = 0;
    for (int64_t row = 0; row < 3; ++row)
      for (int64_t bit = 0; bit < bits; ++bit) {
        double y = 0;
        for (int64_t d = 0; d < 37; ++d)
          y += double(x[row * 37 + d]) * r[bit * 37 + d];
        bool set = (codes[row * words + bit / 64] >> (bit % 64)) & 1;
        // Products summed in another order may round across 0 only right at the hyperplane.
        if (std::fabs(y) > 1e-4) {
          EXPECT_EQ(set, y >= 0) << "bits " << bits << " row " << row << " bit " << bit;
          ++checked;
        }
      }
    EXPECT_GT(checked, 3 * bits * 9 / 10);
    for (int64_t row = 0; row < 3; ++row)
      if (bits % 64)
        EXPECT_EQ(codes[row * words + words - 1] >> (bits % 64), 0u) << "padding bits set";
  }
}

TEST_F(GraphBuildersTest, EmbeddingRejectsCodeLengthsOutsideTheRange) {
  EmbeddingConfig config;
  config.codeBits = 2048;
  std::string message;
  mlir::ScopedDiagnosticHandler handler(context.get(), [&](mlir::Diagnostic &d) {
    message = d.str();
    return mlir::success();
  });
  EXPECT_TRUE(mlir::failed(buildEmbeddingGraph(*module, config)));
  EXPECT_EQ(message, "embedding: code_bits must be in [32, 1024], got 2048");
}

TEST_F(GraphBuildersTest, BuildersRejectParametersThatDoNotMatchTheConfig) {
  std::vector<std::string> messages;
  mlir::ScopedDiagnosticHandler handler(context.get(), [&](mlir::Diagnostic &d) {
    messages.push_back(d.str());
    return mlir::success();
  });
  DecoderBlockConfig block;
  DecoderBlockWeights weights = randomDecoderBlockWeights(block);
  weights.wq.pop_back();
  EXPECT_TRUE(mlir::failed(buildDecoderBlock(*module, block, weights)));
  PartialBinaryLinearConfig pbConfig;
  PartialBinaryWeights pb = partiallyBinarize(std::vector<float>(8 * 8, 1.0f), 8, 8, 0.1);
  EXPECT_TRUE(mlir::failed(buildPartialBinaryLinear(*module, pbConfig, pb)));
  DoubleBinaryLinearConfig dbfConfig;
  DoubleBinaryFactors factors = randomDoubleBinaryFactors(dbfConfig);
  factors.m.pop_back();
  EXPECT_TRUE(mlir::failed(buildDoubleBinaryLinear(*module, dbfConfig, factors)));
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "decoder_block: weight sizes do not match the config",
                          "partial_binary_linear: weight sizes do not match the config",
                          "double_binary_linear: factor sizes do not match the config"}));
  EXPECT_TRUE(module->getBody()->empty());
}

/// Scalar reference of one BitLinear: q = clip(round(x * a)), y = (q . t) * s / a.
std::vector<float> referenceBitLinear(const std::vector<float> &x, int64_t rows, int64_t in,
                                      const std::vector<float> &latent, int64_t out,
                                      LowBitKind kind) {
  std::vector<int8_t> t;
  double s = quantizeBitLinearWeights(latent, kind, t);
  std::vector<float> y(rows * out);
  for (int64_t m = 0; m < rows; ++m) {
    float absMax = 0;
    for (int64_t k = 0; k < in; ++k)
      absMax = std::max(absMax, std::fabs(x[m * in + k]));
    float a = 127.0f / std::max(absMax, 1e-5f);
    std::vector<int64_t> q(in);
    for (int64_t k = 0; k < in; ++k)
      q[k] = static_cast<int64_t>(std::clamp(std::nearbyint(x[m * in + k] * a), -128.0f, 127.0f));
    for (int64_t n = 0; n < out; ++n) {
      int64_t dot = 0;
      for (int64_t k = 0; k < in; ++k)
        dot += q[k] * t[n * in + k];
      y[m * out + n] = static_cast<float>(dot * s / a);
    }
  }
  return y;
}

std::vector<float> referenceRMSNorm(const std::vector<float> &x, int64_t rows, int64_t width,
                                    const std::vector<float> &gain, double eps) {
  std::vector<float> y(x.size());
  for (int64_t m = 0; m < rows; ++m) {
    double sum = 0;
    for (int64_t k = 0; k < width; ++k)
      sum += double(x[m * width + k]) * x[m * width + k];
    double inverse = 1.0 / std::sqrt(sum / width + eps);
    for (int64_t k = 0; k < width; ++k)
      y[m * width + k] = static_cast<float>(x[m * width + k] * inverse * gain[k]);
  }
  return y;
}

std::vector<float> referenceDecoderBlock(const DecoderBlockConfig &c, const DecoderBlockWeights &w,
                                         const std::vector<float> &x) {
  int64_t s = c.seqLen, h = c.hidden, nh = c.heads, hd = h / nh, f = c.ffn;
  std::vector<float> xn = referenceRMSNorm(x, s, h, w.attnNorm, c.rmsEpsilon);
  std::vector<float> q = referenceBitLinear(xn, s, h, w.wq, h, c.weights);
  std::vector<float> k = referenceBitLinear(xn, s, h, w.wk, h, c.weights);
  std::vector<float> v = referenceBitLinear(xn, s, h, w.wv, h, c.weights);
  auto rope = [&](std::vector<float> &t) {
    std::vector<float> out(t.size());
    for (int64_t p = 0; p < s; ++p)
      for (int64_t head = 0; head < nh; ++head)
        for (int64_t i = 0; i < hd / 2; ++i) {
          double angle = p * std::pow(c.ropeTheta, -2.0 * i / hd);
          double cs = std::cos(angle), sn = std::sin(angle);
          int64_t base = p * h + head * hd;
          double a = t[base + i], b = t[base + i + hd / 2];
          out[base + i] = static_cast<float>(a * cs - b * sn);
          out[base + i + hd / 2] = static_cast<float>(b * cs + a * sn);
        }
    t = out;
  };
  rope(q);
  rope(k);
  std::vector<float> context(s * h, 0.0f);
  for (int64_t head = 0; head < nh; ++head)
    for (int64_t i = 0; i < s; ++i) {
      std::vector<double> scores(i + 1);
      double maxScore = -INFINITY;
      for (int64_t j = 0; j <= i; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < hd; ++d)
          dot += double(q[i * h + head * hd + d]) * k[j * h + head * hd + d];
        scores[j] = dot / std::sqrt(double(hd));
        maxScore = std::max(maxScore, scores[j]);
      }
      double total = 0;
      for (double &sc : scores)
        total += (sc = std::exp(sc - maxScore));
      for (int64_t d = 0; d < hd; ++d) {
        double acc = 0;
        for (int64_t j = 0; j <= i; ++j)
          acc += scores[j] / total * v[j * h + head * hd + d];
        context[i * h + head * hd + d] = static_cast<float>(acc);
      }
    }
  std::vector<float> o = referenceBitLinear(context, s, h, w.wo, h, c.weights);
  std::vector<float> hidden(s * h);
  for (int64_t i = 0; i < s * h; ++i)
    hidden[i] = x[i] + o[i];
  std::vector<float> hn = referenceRMSNorm(hidden, s, h, w.mlpNorm, c.rmsEpsilon);
  std::vector<float> up = referenceBitLinear(hn, s, h, w.wUp, f, c.weights);
  std::vector<float> act(s * f);
  if (c.mlp == MLPKind::SwiGLU) {
    std::vector<float> gate = referenceBitLinear(hn, s, h, w.wGate, f, c.weights);
    for (int64_t i = 0; i < s * f; ++i)
      act[i] = static_cast<float>(gate[i] / (1.0 + std::exp(-double(gate[i]))) * up[i]);
  } else {
    for (int64_t i = 0; i < s * f; ++i) {
      float r = std::max(up[i], 0.0f);
      act[i] = r * r;
    }
  }
  std::vector<float> down = referenceBitLinear(act, s, f, w.wDown, h, c.weights);
  std::vector<float> out(s * h);
  for (int64_t i = 0; i < s * h; ++i)
    out[i] = hidden[i] + down[i];
  return out;
}

struct DecoderCase {
  LowBitKind weights;
  MLPKind mlp;
};

std::string decoderCaseName(const DecoderCase &c) {
  return std::string(c.weights == LowBitKind::Binary ? "binary" : "ternary") +
         (c.mlp == MLPKind::SwiGLU ? "_swiglu" : "_relu2");
}

/// How gtest prints a DecoderCase (instead of its bytes).
void PrintTo(const DecoderCase &c, std::ostream *os) { *os << decoderCaseName(c); }

class DecoderBlockTest : public GraphBuildersTest,
                         public ::testing::WithParamInterface<DecoderCase> {};

TEST_P(DecoderBlockTest, MatchesTheScalarReference) {
  DecoderBlockConfig config;
  config.seqLen = 6;
  config.hidden = 32;
  config.heads = 4;
  config.ffn = 48;
  config.weights = GetParam().weights;
  config.mlp = GetParam().mlp;
  config.seed = 5;
  DecoderBlockWeights weights = randomDecoderBlockWeights(config);
  ASSERT_TRUE(mlir::succeeded(buildDecoderBlock(*module, config, weights)));
  // Every projection is a native int8 x low-bit product (BitLinear); no float matmul against
  // weights remains (the two float matmuls are attention's Q K^T and P V).
  int projections = config.mlp == MLPKind::SwiGLU ? 7 : 6;
  EXPECT_EQ(countOps(*module, "bnn.lowbit_matmul") + countOps(*module, "bnn.lowbit_linear"),
            projections);
  EXPECT_EQ(countOps(*module, "bnn.xnor_popcount"), 0);
  std::vector<float> x = randomInput(config.seqLen * config.hidden, 99);
  std::vector<bnn::HostTensor> results = run(config.name, {config.seqLen, config.hidden}, x);
  ASSERT_EQ(results.size(), 1u);
  std::vector<float> expected = referenceDecoderBlock(config, weights, x);
  const float *actual = results[0].data<float>();
  int far = 0;
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    double error = std::fabs(actual[i] - expected[i]);
    worst = std::max(worst, error);
    // Rounding-order differences can move an activation across a quantization step; that
    // changes an output by about one step of the 8-bit grid, so a few elements may differ more.
    if (error > 1e-4 + 1e-4 * std::fabs(expected[i]))
      ++far;
  }
  EXPECT_LE(far, static_cast<int>(expected.size() / 50)) << "max abs error " << worst;
  std::cout << "decoder block: max abs error " << worst << ", " << far << " of "
            << expected.size() << " outside 1e-4\n";
  EXPECT_LT(worst, 0.1);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, DecoderBlockTest,
    ::testing::Values(DecoderCase{LowBitKind::Ternary, MLPKind::SwiGLU},
                      DecoderCase{LowBitKind::Binary, MLPKind::SwiGLU},
                      DecoderCase{LowBitKind::Ternary, MLPKind::ReLU2},
                      DecoderCase{LowBitKind::Binary, MLPKind::ReLU2}),
    [](const ::testing::TestParamInfo<DecoderCase> &info) { return decoderCaseName(info.param); });

TEST(PartialBinaryTest, SalientWeightsReduceTheError) {
  PortableRandom rng(3);
  int64_t n = 16, k = 200;
  std::vector<float> w(n * k);
  for (float &v : w)
    v = static_cast<float>(rng.gaussian());
  PartialBinaryWeights pb = partiallyBinarize(w, n, k, 0.1);
  PartialBinaryWeights binaryOnly = partiallyBinarize(w, n, k, 0.0);
  double pbError = 0, binaryError = 0;
  int salient = 0;
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col) {
      int64_t i = row * k + col;
      double approx = pb.alpha[row] * pb.signs[i] + pb.salientScale[row] * pb.salient[i];
      double binary = binaryOnly.alpha[row] * binaryOnly.signs[i];
      pbError += (w[i] - approx) * (w[i] - approx);
      binaryError += (w[i] - binary) * (w[i] - binary);
      salient += pb.salient[i] != 0;
      EXPECT_EQ(binaryOnly.salient[i], 0);
    }
  EXPECT_EQ(salient, n * 20); // 10 % of each row, all with a non-zero residual
  EXPECT_LT(pbError, 0.5 * binaryError);
}

TEST_F(GraphBuildersTest, PartialBinaryLinearMatchesTheReference) {
  PartialBinaryLinearConfig config;
  config.rows = 5;
  config.inputs = 130;
  config.outputs = 24;
  config.salientFraction = 0.05;
  std::vector<float> w = randomInput(config.outputs * config.inputs, 17);
  PartialBinaryWeights pb = partiallyBinarize(w, config.outputs, config.inputs, 0.05);
  ASSERT_TRUE(mlir::succeeded(buildPartialBinaryLinear(*module, config, pb)));
  EXPECT_EQ(countOps(*module, "bnn.constant"), 1);
  std::vector<float> x = randomInput(config.rows * config.inputs, 18);
  std::vector<bnn::HostTensor> results = run(config.name, {config.rows, config.inputs}, x);
  ASSERT_EQ(results.size(), 1u);
  for (int64_t m = 0; m < config.rows; ++m)
    for (int64_t o = 0; o < config.outputs; ++o) {
      double expected = 0;
      for (int64_t i = 0; i < config.inputs; ++i) {
        int64_t at = o * config.inputs + i;
        expected += x[m * config.inputs + i] *
                    (double(pb.alpha[o]) * pb.signs[at] + double(pb.salientScale[o]) * pb.salient[at]);
      }
      EXPECT_NEAR(results[0].data<float>()[m * config.outputs + o], expected,
                  1e-4 + 1e-4 * std::fabs(expected));
    }
}

TEST_F(GraphBuildersTest, DoubleBinaryLinearMatchesTheReference) {
  DoubleBinaryLinearConfig config;
  config.rows = 3;
  config.inputs = 100;
  config.outputs = 20;
  config.rank = 70;
  config.seed = 4;
  DoubleBinaryFactors f = randomDoubleBinaryFactors(config);
  ASSERT_TRUE(mlir::succeeded(buildDoubleBinaryLinear(*module, config, f)));
  EXPECT_EQ(countOps(*module, "bnn.constant"), 2);
  std::vector<float> x = randomInput(config.rows * config.inputs, 21);
  std::vector<bnn::HostTensor> results = run(config.name, {config.rows, config.inputs}, x);
  ASSERT_EQ(results.size(), 1u);
  int64_t k = config.inputs, r = config.rank, n = config.outputs;
  for (int64_t m = 0; m < config.rows; ++m)
    for (int64_t o = 0; o < n; ++o) {
      // W[o, i] = a[o] * sum_j B1[o, j] m[j] B2[j, i] * b[i].
      double expected = 0;
      for (int64_t i = 0; i < k; ++i) {
        double wi = 0;
        for (int64_t j = 0; j < r; ++j)
          wi += f.b1[o * r + j] * double(f.m[j]) * f.b2[j * k + i];
        expected += x[m * k + i] * f.a[o] * wi * f.b[i];
      }
      EXPECT_NEAR(results[0].data<float>()[m * n + o], expected,
                  1e-4 + 1e-4 * std::fabs(expected));
    }
}

} // namespace
