//===- Compress.h - post-training compression of linear layers -*- C++ -*-===//
//
// Turns float weight matrices into binary, ternary, PB-LLM (partially binarized) and DBF
// (double binary factorization) layers, with an f32 reference forward of a checkpoint's model
// to collect each projection's calibration statistics (H = X^T X), and a per-layer choice of
// method under a size budget. docs/Compression.md describes every method and choice;
// docs/ModelFormat.md the tensors they are stored as.
//
// Library BNNFrontendCompress: BNNFrontendCheckpoint + LLVM Support, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_COMPRESS_H
#define BNN_FRONTEND_COMPRESS_H

#include "bnn/Frontend/Checkpoint.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bnn::frontend::compress {

/// A row-major f32 matrix.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> data;
  float at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

/// H = X^T X of calibration inputs (K x K, row-major, double), accumulated over tokens.
struct Hessian {
  int64_t dim = 0;
  int64_t tokens = 0;
  std::vector<double> data;
  void accumulate(const float *x, int64_t rows, int64_t cols);
};

enum class Method : uint8_t { Binary, Ternary, Threshold, PB, DBF, Float };
/// "binary", "ternary", "twn", "pb", "dbf", "float"
llvm::StringRef getMethodName(Method method);
std::optional<Method> parseMethodName(llvm::StringRef name);

enum class Saliency : uint8_t { Magnitude, Hessian, Activation };
llvm::StringRef getSaliencyName(Saliency saliency); // "magnitude", "hessian", "activation"
std::optional<Saliency> parseSaliencyName(llvm::StringRef name);

struct PBOptions {
  /// Fraction of the weights kept in int8 (salient), 0 <= fraction <= 1.
  double fraction = 0.1;
  Saliency saliency = Saliency::Magnitude;
  /// GPTQ-style error compensation of the binarized part (needs a Hessian).
  bool gptq = true;
  /// Damping added to H's diagonal: damp * mean(diag(H)).
  double damp = 0.01;
};

struct DBFOptions {
  /// The middle dimension r; 0 = from bitsPerWeight.
  int64_t rank = 0;
  double bitsPerWeight = 1.5;
  int64_t iterations = 20;
  /// ADMM steps per factor and outer iteration.
  int64_t admmSteps = 4;
  /// ADMM penalty relative to trace(G) / r of the factor's Gram matrix.
  double rho = 1.0;
  uint64_t seed = 0;
};

/// A quantized matrix: its stored representation and its reconstruction Wq (f32, N x K).
struct QuantizedLayer {
  Method method = Method::Float;
  int64_t rows = 0, cols = 0;
  std::vector<float> reconstruction;
  /// Binary [rows, W] / ternary [rows, 2, W] words (bit contract); PB: the binary part.
  std::vector<uint64_t> packed;
  /// Binary/ternary: [1] (per tensor) or [rows]; PB: alpha per row [rows].
  std::vector<float> scale;
  /// PB: flat indices n * K + k (ascending), int8 values and the per-row int8 scale.
  std::vector<int32_t> salientIndex;
  std::vector<int8_t> salientValue;
  std::vector<float> salientScale;
  /// DBF: W ~ diag(a) B1 diag(m) B2 diag(b); B1 [rows, ceil(r/64)] and B2 [r, ceil(K/64)] words.
  int64_t rank = 0;
  std::vector<float> a, m, b;
  std::vector<uint64_t> b1Packed, b2Packed;
  /// DBF: ||W - Wq||_F^2 / ||W||_F^2 after each iteration (index 0: the SVID initialisation).
  std::vector<double> iterationError;

  /// Bytes of the tensors it is stored as (float: f32).
  int64_t getStorageBytes() const;
};

/// Called with one progress line (no newline); may be empty.
using ProgressFn = std::function<void(const std::string &)>;

QuantizedLayer quantizeFloat(const Matrix &w);
/// sign(W) (+1 for W >= 0), alpha = mean|W| per tensor or per row.
QuantizedLayer quantizeBinary(const Matrix &w, bool perChannel = false);
/// BitNet b1.58 absmean: gamma = mean|W|, q = clip(round_half_even(W / (gamma + 1e-5)), -1, 1).
QuantizedLayer quantizeTernary(const Matrix &w, bool perChannel = false);
/// Threshold ternary (TWN, OneBit-LLM's baseline): zero where |W| < 0.7 mean|W|, scale = mean
/// |W| of the kept weights.
QuantizedLayer quantizeThreshold(const Matrix &w, bool perChannel = false);
/// PB-LLM. `hessian` may be null for magnitude saliency without GPTQ.
llvm::Expected<QuantizedLayer> quantizePB(const Matrix &w, const Hessian *hessian,
                                          const PBOptions &options,
                                          const ProgressFn &progress = {});
/// The salient set PB-LLM keeps (flat indices, ascending): exposed for tests.
llvm::Expected<std::vector<int32_t>> selectSalient(const Matrix &w, const Hessian *hessian,
                                                   const PBOptions &options);
/// DBF by SVID initialisation and ADMM alternating minimisation.
llvm::Expected<QuantizedLayer> quantizeDBF(const Matrix &w, const DBFOptions &options,
                                           const ProgressFn &progress = {});
/// The middle dimension of a target bits per weight:
/// floor((bpw * N * K - 32 (N + K)) / (N + K + 32)), clamped to [1, min(N, K)].
int64_t getDBFRank(int64_t rows, int64_t cols, double bitsPerWeight);

/// The proxy of the calibration loss increase: sum_n (w_n - wq_n)^T H (w_n - wq_n) =
/// ||X W^T - X Wq^T||_F^2, or ||W - Wq||_F^2 without a Hessian.
double getOutputError(const Matrix &w, const std::vector<float> &reconstruction,
                      const Hessian *hessian);

/// A tensor with its own bytes.
struct OwnedTensor {
  std::string name;
  SafetensorsDType dtype;
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<uint8_t> bytes;
};
/// The tensors of `layer` under `weightName` (for example "model.layers.0.mlp.up_proj.weight";
/// float: the name itself; otherwise `.packed`, `.scale`, ... as docs/ModelFormat.md says).
std::vector<OwnedTensor> getLayerTensors(const QuantizedLayer &layer,
                                         const std::string &weightName);
/// Views of `tensors` for serializeSafetensors.
std::vector<SafetensorsTensor> getViews(const std::vector<OwnedTensor> &tensors);

//===----------------------------------------------------------------------===//
// The f32 reference forward (docs/ModelFormat.md's pseudocode)
//===----------------------------------------------------------------------===//

/// A checkpoint's model with every tensor widened to f32 (projections must be float).
struct FloatModel {
  ModelConfig config;
  std::map<std::string, std::vector<float>> tensors;
  static llvm::Expected<FloatModel> load(const Checkpoint &checkpoint);
  const std::vector<float> &get(const std::string &name) const { return tensors.at(name); }
};

/// Called with the input of each projection: x is [tokens, K].
using CaptureFn = std::function<void(int64_t layer, Projection projection, const float *x,
                                     int64_t tokens, int64_t cols)>;

/// One causal forward of `tokens` (ids < vocab_size, positions 0..T-1, T <=
/// max_position_embeddings); returns the logits [T, V].
llvm::Expected<std::vector<float>> forward(const FloatModel &model, llvm::ArrayRef<int32_t> tokens,
                                           const CaptureFn &capture = {});

//===----------------------------------------------------------------------===//
// Per-layer choice under a size budget
//===----------------------------------------------------------------------===//

struct Candidate {
  Method method;
  int64_t bytes = 0;
  double error = 0; // getOutputError
};

/// Picks one candidate per layer so that fixedBytes + sum bytes <= budget, by the greedy rule of
/// docs/Compression.md: start from each layer's smallest candidate, then repeatedly take the
/// upgrade with the largest error decrease per extra byte that still fits. Returns the index
/// of the chosen candidate per layer, or an error when even the smallest do not fit.
llvm::Expected<std::vector<size_t>>
chooseUnderBudget(const std::vector<std::vector<Candidate>> &layers, int64_t fixedBytes,
                  int64_t budgetBytes);

} // namespace bnn::frontend::compress

#endif // BNN_FRONTEND_COMPRESS_H
