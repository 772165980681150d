//===- GraphBuilders.h - build binarized graphs in MLIR directly --*- C++ -*-===//
//
// C++ builders for the graphs bnn is made for, emitted as func/tensor/arith/math/linalg + bnn ops
// (the same form the ONNX importer produces):
//
//  * a binary embedding (random hyperplane hashing): Gaussian projection -> sign -> pack;
//  * a BitNet-style decoder block: BitLinear projections (binary or ternary absmean weights,
//    absmax 8-bit activations, computed exactly by bnn.lowbit_matmul), RMSNorm,
//    causal attention with RoPE, a SwiGLU or ReLU^2 MLP, residual connections;
//  * a partially-binarized linear layer (PB-LLM style: a fraction of salient weights kept in
//    8-bit, the rest binary);
//  * a double-binary-factorized linear layer (W ~ diag(a) B1 diag(m) B2 diag(b), B1 and B2
//    binary).
//
// Random parameters come from a portable generator (splitmix64 + Box-Muller), so the same seed
// gives the same graph on every platform. `buildGraphsFromJSON` reads a small JSON config; it is
// exposed as `bnn-translate --build-graph`.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_BUILDERS_GRAPHBUILDERS_H
#define BNN_FRONTEND_BUILDERS_GRAPHBUILDERS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace bnn::frontend {

/// Deterministic random numbers: splitmix64 for bits, Box-Muller for N(0, 1).
class PortableRandom {
public:
  explicit PortableRandom(uint64_t seed) : state(seed) {}
  uint64_t nextBits();
  /// Uniform in [0, 1).
  double uniform();
  /// Standard normal.
  double gaussian();

private:
  uint64_t state;
  bool hasSpare = false;
  double spare = 0;
};

//===----------------------------------------------------------------------===//
// Binary embedding
//===----------------------------------------------------------------------===//

struct EmbeddingConfig {
  std::string name = "embed";
  int64_t batch = 1;
  int64_t inputDim = 128;
  /// Code length in bits, 32 to 1024.
  int64_t codeBits = 256;
  uint64_t seed = 0;
};

/// The Gaussian hyperplanes, row-major codeBits x inputDim, N(0, 1) from `seed`.
std::vector<float> embeddingProjection(const EmbeddingConfig &config);

/// func @name(%x: tensor<batch x inputDim x f32>) -> !bnn.packed<batch x codeBits>:
/// pack(sign(x @ R^T)). Fails (with a diagnostic at `loc`) on an invalid config.
mlir::FailureOr<mlir::func::FuncOp> buildEmbeddingGraph(mlir::ModuleOp module, const EmbeddingConfig &config);

//===----------------------------------------------------------------------===//
// BitNet-style decoder block
//===----------------------------------------------------------------------===//

enum class LowBitKind { Binary, Ternary };
enum class MLPKind { SwiGLU, ReLU2 };

struct DecoderBlockConfig {
  std::string name = "decoder_block";
  int64_t seqLen = 8;
  int64_t hidden = 64;
  int64_t heads = 4;
  int64_t ffn = 128;
  LowBitKind weights = LowBitKind::Ternary;
  MLPKind mlp = MLPKind::SwiGLU;
  double ropeTheta = 10000.0;
  double rmsEpsilon = 1e-6;
  uint64_t seed = 0;
};

/// Latent float weights, row-major [out, in] (the quantized values are derived at build time).
struct DecoderBlockWeights {
  std::vector<float> wq, wk, wv, wo; ///< hidden x hidden
  std::vector<float> wGate, wUp;     ///< ffn x hidden (wGate empty for ReLU^2)
  std::vector<float> wDown;          ///< hidden x ffn
  std::vector<float> attnNorm, mlpNorm; ///< RMSNorm gains, hidden
};

DecoderBlockWeights randomDecoderBlockWeights(const DecoderBlockConfig &config);

/// BitLinear weight quantization (BitNet b1.58 / b1): s = max(mean|W|, 1e-5); ternary
/// t = clip(round(W / s), -1, 1), binary t = sign(W) (W >= 0 -> +1). `values` gets t row-major.
double quantizeBitLinearWeights(const std::vector<float> &w, LowBitKind kind,
                                std::vector<int8_t> &values);

/// func @name(%x: tensor<seqLen x hidden x f32>) -> tensor<seqLen x hidden x f32>.
mlir::FailureOr<mlir::func::FuncOp> buildDecoderBlock(mlir::ModuleOp module, const DecoderBlockConfig &config,
                                          const DecoderBlockWeights &weights);

//===----------------------------------------------------------------------===//
// Partially-binarized and double-binary-factorized linear layers
//===----------------------------------------------------------------------===//

struct PartialBinaryLinearConfig {
  std::string name = "partial_binary_linear";
  int64_t rows = 4;     ///< M (batch of input vectors)
  int64_t inputs = 256; ///< K
  int64_t outputs = 64; ///< N
  /// Fraction of each row's weights (largest magnitudes) kept in 8 bits.
  double salientFraction = 0.05;
  uint64_t seed = 0;
};

/// W ~ diag(alpha) sign(W) + diag(scale8) Q8: sign(W) binary everywhere; Q8 int8, non-zero only
/// at the salient positions, holding the residual W - alpha sign(W) there.
struct PartialBinaryWeights {
  int64_t outputs = 0, inputs = 0;
  std::vector<int8_t> signs;  ///< N x K, +-1
  std::vector<float> alpha;   ///< N: mean |w| over each row's non-salient weights
  std::vector<int8_t> salient; ///< N x K int8 residuals, zero outside the salient positions
  std::vector<float> salientScale; ///< N
};

PartialBinaryWeights partiallyBinarize(const std::vector<float> &w, int64_t outputs,
                                       int64_t inputs, double salientFraction);

/// func @name(%x: tensor<M x K x f32>) -> tensor<M x N x f32>:
/// y = (x @ sign(W)^T) * alpha + (x @ Q8^T) * scale8, with sign(W) a packed constant.
mlir::FailureOr<mlir::func::FuncOp> buildPartialBinaryLinear(mlir::ModuleOp module,
                                                 const PartialBinaryLinearConfig &config,
                                                 const PartialBinaryWeights &weights);

struct DoubleBinaryLinearConfig {
  std::string name = "double_binary_linear";
  int64_t rows = 4;     ///< M
  int64_t inputs = 256; ///< K
  int64_t outputs = 64; ///< N
  int64_t rank = 128;   ///< R, the inner dimension of the factorization
  uint64_t seed = 0;
};

/// W = diag(a) B1 diag(m) B2 diag(b), B1: N x R and B2: R x K of +-1.
struct DoubleBinaryFactors {
  std::vector<float> a, m, b;   ///< N, R, K
  std::vector<int8_t> b1, b2;   ///< N x R, R x K
};

DoubleBinaryFactors randomDoubleBinaryFactors(const DoubleBinaryLinearConfig &config);

/// func @name(%x: tensor<M x K x f32>) -> tensor<M x N x f32>:
/// y = (((x * b) @ B2^T) * m) @ B1^T * a with B1, B2 packed constants.
mlir::FailureOr<mlir::func::FuncOp> buildDoubleBinaryLinear(mlir::ModuleOp module,
                                                const DoubleBinaryLinearConfig &config,
                                                const DoubleBinaryFactors &factors);

//===----------------------------------------------------------------------===//
// JSON driver
//===----------------------------------------------------------------------===//

/// Builds the graphs a JSON config describes into a new module; null after diagnostics on
/// errors. The config is one object or {"graphs": [objects]}; each object has "graph" (one of
/// "embedding", "decoder_block", "partial_binary_linear", "double_binary_linear") and that
/// graph's fields in snake_case (see docs/Frontend.md), e.g.
///   {"graph": "embedding", "batch": 4, "input_dim": 128, "code_bits": 256, "seed": 7}
mlir::OwningOpRef<mlir::ModuleOp> buildGraphsFromJSON(llvm::StringRef json, llvm::StringRef bufferName,
                                          mlir::MLIRContext *context);

void registerGraphBuilderDialects(mlir::DialectRegistry &registry);

/// Registers `bnn-translate --build-graph` (input: the JSON config).
void registerGraphBuilderTranslation();

} // namespace bnn::frontend

#endif // BNN_FRONTEND_BUILDERS_GRAPHBUILDERS_H
