//===- Checkpoint.h - model checkpoints: safetensors + config.json -*- C++ -*-===//
//
// A bnn model checkpoint is a Hugging Face style pair: `config.json` (Llama/BitNet fields plus
// bnn's per-layer weight kinds) and `model.safetensors` (Llama/BitNet tensor names). This header
// is the reader, writer and validator of both; docs/ModelFormat.md is their contract.
//
// Library BNNFrontendCheckpoint: LLVM's Support library only (llvm::json, memory maps), no MLIR,
// so tools that only inspect checkpoints (bnn-checkpoint, the fuzzer) stay small.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_CHECKPOINT_H
#define BNN_FRONTEND_CHECKPOINT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bnn::frontend {

//===----------------------------------------------------------------------===//
// safetensors
//===----------------------------------------------------------------------===//

/// The element types of the safetensors format that bnn reads (the byte-sized ones of the
/// specification; sub-byte types are refused as unsupported).
enum class SafetensorsDType : uint8_t {
  Bool,
  U8,
  I8,
  F8_E5M2,
  F8_E4M3,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  F64,
  I64,
  U64,
};

/// The name the format uses ("F32", "BF16", ...).
llvm::StringRef getDTypeName(SafetensorsDType dtype);
/// The dtype of a format name, or nullopt for an unknown one.
std::optional<SafetensorsDType> parseDTypeName(llvm::StringRef name);
/// Bytes per element.
int64_t getDTypeSize(SafetensorsDType dtype);
/// F32, F16 or BF16: the dtypes of a checkpoint's float tensors.
bool isFloatDType(SafetensorsDType dtype);

/// "[4, 6]"
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// One tensor of a safetensors file: its bytes point into the file's buffer.
struct TensorView {
  llvm::StringRef name;
  SafetensorsDType dtype;
  llvm::ArrayRef<int64_t> shape;
  /// Little-endian elements in row-major order; not necessarily aligned (read with memcpy).
  llvm::ArrayRef<uint8_t> bytes;
  /// Byte offsets [begin, end) in the data section.
  uint64_t dataBegin = 0, dataEnd = 0;

  int64_t getNumElements() const;
};

/// A validated safetensors file over a buffer it owns (a memory map of the file for
/// SafetensorsFile::open). Every size, offset and name was checked when it was parsed
/// (docs/ModelFormat.md, "The container"), so its views are always in bounds.
class SafetensorsFile {
public:
  /// Maps `path` (not copied) and parses it.
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);
  /// Parses `buffer` (its identifier names the file in messages).
  static llvm::Expected<SafetensorsFile> parse(std::unique_ptr<llvm::MemoryBuffer> buffer);

  SafetensorsFile(SafetensorsFile &&) = default;
  SafetensorsFile &operator=(SafetensorsFile &&) = default;

  /// Where the bytes came from (the path for open()).
  llvm::StringRef getName() const { return buffer->getBufferIdentifier(); }
  /// All tensors, sorted by name.
  llvm::ArrayRef<TensorView> getTensors() const { return tensors; }
  /// The tensor called `name`, or null.
  const TensorView *lookup(llvm::StringRef name) const;
  /// `__metadata__` (empty when absent).
  const std::map<std::string, std::string> &getMetadata() const { return metadata; }
  /// Bytes of the header (N) and of the data section.
  uint64_t getHeaderSize() const { return headerSize; }
  uint64_t getDataSize() const { return dataSize; }

private:
  SafetensorsFile() = default;
  llvm::Error parseHeader();

  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::vector<std::string> names;
  std::vector<llvm::SmallVector<int64_t, 4>> shapes;
  std::vector<TensorView> tensors;
  std::map<std::string, std::string> metadata;
  uint64_t headerSize = 0, dataSize = 0;
};

/// Widens a F32, F16 or BF16 tensor to f32 (any other dtype is an error naming the tensor).
llvm::Expected<std::vector<float>> readAsFloat32(const TensorView &tensor);

/// One tensor to write; `data` must hold product(shape) * size(dtype) bytes.
struct SafetensorsTensor {
  std::string name;
  SafetensorsDType dtype;
  llvm::SmallVector<int64_t, 4> shape;
  llvm::ArrayRef<uint8_t> data;
};

/// The bytes of a safetensors file holding `tensors` (deterministic: tensors in name order,
/// packed in that order, the header padded with spaces to a multiple of 8 bytes, `__metadata__`
/// first when not empty). Errors: a duplicate or empty name, `__metadata__` as a tensor name, a
/// negative dimension, a size that overflows, data of the wrong length.
llvm::Expected<std::string>
serializeSafetensors(llvm::ArrayRef<SafetensorsTensor> tensors,
                     const std::map<std::string, std::string> &metadata = {});
/// serializeSafetensors, written to `path` (through a temporary file renamed into place).
llvm::Error writeSafetensors(llvm::StringRef path, llvm::ArrayRef<SafetensorsTensor> tensors,
                             const std::map<std::string, std::string> &metadata = {});

//===----------------------------------------------------------------------===//
// config.json
//===----------------------------------------------------------------------===//

enum class HiddenAct : uint8_t { SiLU, ReLU2 };
/// Pb (PB-LLM: salient int8 weights beside a binary rest) and Dbf (double binary
/// factorization) exist only in their quantized forms (written by bnn-compress).
enum class WeightKind : uint8_t { Binary, Ternary, Float, Pb, Dbf };
enum class ActivationKind : uint8_t { Int8, Binary };
enum class WeightScale : uint8_t { PerTensor, PerChannel };

/// The seven linear projections of a decoder layer, in the order of the format's table.
enum class Projection : uint8_t { Q, K, V, O, Gate, Up, Down };
constexpr int kNumProjections = 7;
constexpr std::array<Projection, kNumProjections> kAllProjections = {
    Projection::Q,    Projection::K,  Projection::V,   Projection::O,
    Projection::Gate, Projection::Up, Projection::Down};

llvm::StringRef getHiddenActName(HiddenAct act);            // "silu", "relu2"
llvm::StringRef getWeightKindName(WeightKind kind); // "binary", "ternary", "float", "pb", "dbf"
llvm::StringRef getActivationKindName(ActivationKind kind); // "int8", "binary"
llvm::StringRef getWeightScaleName(WeightScale scale);      // "per_tensor", "per_channel"
llvm::StringRef getProjectionName(Projection projection);   // "q_proj", ..., "down_proj"

/// A validated config.json (docs/ModelFormat.md, "config.json").
struct ModelConfig {
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numHiddenLayers = 0;
  int64_t numAttentionHeads = 0;
  int64_t numKeyValueHeads = 0;
  int64_t headDim = 0;
  int64_t intermediateSize = 0;
  int64_t maxPositionEmbeddings = 0;
  HiddenAct hiddenAct = HiddenAct::SiLU;
  double rmsNormEps = 0;
  double ropeTheta = 0;
  bool tieWordEmbeddings = false;
  std::string modelType;

  // The `bnn` object, resolved.
  WeightKind weightKind = WeightKind::Float; // the model-wide default
  ActivationKind activationKind = ActivationKind::Int8;
  WeightScale weightScale = WeightScale::PerTensor;
  bool subNorms = false;
  /// The kind of every projection of every layer, after the overrides.
  std::vector<std::array<WeightKind, kNumProjections>> layerKinds;

  int64_t getQDim() const { return numAttentionHeads * headDim; }
  int64_t getKVDim() const { return numKeyValueHeads * headDim; }
  WeightKind getWeightKind(int64_t layer, Projection projection) const {
    return layerKinds[static_cast<size_t>(layer)][static_cast<size_t>(projection)];
  }
};

/// Parses and validates config text; errors name `sourceName` and the field.
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef jsonText,
                                             llvm::StringRef sourceName = "config.json");
/// Reads and parses a config.json file.
llvm::Expected<ModelConfig> readModelConfig(llvm::StringRef path);

//===----------------------------------------------------------------------===//
// The tensors a config implies, and validation
//===----------------------------------------------------------------------===//

enum class TensorRole : uint8_t { Embedding, Norm, Projection, LMHead };

/// A tensor the config requires (in its float form).
struct ExpectedTensor {
  std::string name;                    // "model.layers.3.mlp.up_proj.weight"
  llvm::SmallVector<int64_t, 2> shape; // [rows, columns] or [length]
  std::string shapeFormula;            // "[num_attention_heads * head_dim, hidden_size]"
  TensorRole role;
  int64_t layer = -1;                    // -1 outside the decoder layers
  Projection projection = Projection::Q; // for TensorRole::Projection
  WeightKind kind = WeightKind::Float;   // for TensorRole::Projection
};

/// Every tensor the config implies, in the order of docs/ModelFormat.md's table (embedding,
/// layer by layer, final norm, LM head).
std::vector<ExpectedTensor> getExpectedTensors(const ModelConfig &config);

/// The form a projection is stored in.
enum class ProjectionForm : uint8_t { Float, Packed };

/// Checks `weights` against `config`: every expected tensor present in exactly one allowed form,
/// with its shape and dtype (float tensors F32/F16/BF16; packed ones I64/U64 words with F32
/// scales, padding bits zero, no ternary sign bit under a clear mask bit), and no unexpected
/// tensor (names ending in `.rotary_emb.inv_freq` and under `optimizer.` are skipped). Reports
/// every problem found (at most `maxProblems`, then how many more), one per line, each naming
/// the tensor, what was expected and what was found.
llvm::Error validateCheckpoint(const ModelConfig &config, const SafetensorsFile &weights,
                               size_t maxProblems = 50);

/// A config and its weights, opened and validated together.
struct Checkpoint {
  std::string configPath, weightsPath;
  ModelConfig config;
  SafetensorsFile weights;
};

/// Opens the two files (the weights memory-mapped); validates them against each other when
/// `validate`.
llvm::Expected<Checkpoint> openCheckpoint(llvm::StringRef configPath, llvm::StringRef weightsPath,
                                          bool validate = true);
/// openCheckpoint of `directory`/config.json and `directory`/model.safetensors.
llvm::Expected<Checkpoint> openCheckpointDirectory(llvm::StringRef directory, bool validate = true);

} // namespace bnn::frontend

#endif // BNN_FRONTEND_CHECKPOINT_H
