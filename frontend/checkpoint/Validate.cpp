//===- Validate.cpp - the tensors a config implies, checked against a file ===//
//
// docs/ModelFormat.md's tensor table as code: the names and shapes a config implies, and the
// check of a safetensors file against them (float and packed forms, unexpected tensors).
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Checkpoint.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace bnn::frontend {

std::vector<ExpectedTensor> getExpectedTensors(const ModelConfig &config) {
  std::vector<ExpectedTensor> tensors;
  auto add = [&](std::string name, SmallVector<int64_t, 2> shape, std::string formula,
                 TensorRole role, int64_t layer = -1, Projection projection = Projection::Q) {
    ExpectedTensor tensor;
    tensor.name = std::move(name);
    tensor.shape = std::move(shape);
    tensor.shapeFormula = std::move(formula);
    tensor.role = role;
    tensor.layer = layer;
    tensor.projection = projection;
    if (role == TensorRole::Projection)
      tensor.kind = config.getWeightKind(layer, projection);
    tensors.push_back(std::move(tensor));
  };
  const int64_t hidden = config.hiddenSize, ffn = config.intermediateSize;
  const int64_t qDim = config.getQDim(), kvDim = config.getKVDim();
  const std::string q = "num_attention_heads * head_dim", kv = "num_key_value_heads * head_dim";
  add("model.embed_tokens.weight", {config.vocabSize, hidden}, "[vocab_size, hidden_size]",
      TensorRole::Embedding);
  for (int64_t layer = 0; layer < config.numHiddenLayers; ++layer) {
    std::string prefix = "model.layers." + std::to_string(layer) + ".";
    auto projection = [&](StringRef module, Projection which, int64_t rows, int64_t columns,
                          std::string formula) {
      add(prefix + module.str() + "." + getProjectionName(which).str() + ".weight", {rows, columns},
          std::move(formula), TensorRole::Projection, layer, which);
    };
    add(prefix + "input_layernorm.weight", {hidden}, "[hidden_size]", TensorRole::Norm, layer);
    projection("self_attn", Projection::Q, qDim, hidden, "[" + q + ", hidden_size]");
    projection("self_attn", Projection::K, kvDim, hidden, "[" + kv + ", hidden_size]");
    projection("self_attn", Projection::V, kvDim, hidden, "[" + kv + ", hidden_size]");
    if (config.subNorms)
      add(prefix + "self_attn.attn_sub_norm.weight", {qDim}, "[" + q + "]", TensorRole::Norm,
          layer);
    projection("self_attn", Projection::O, hidden, qDim, "[hidden_size, " + q + "]");
    add(prefix + "post_attention_layernorm.weight", {hidden}, "[hidden_size]", TensorRole::Norm,
        layer);
    projection("mlp", Projection::Gate, ffn, hidden, "[intermediate_size, hidden_size]");
    projection("mlp", Projection::Up, ffn, hidden, "[intermediate_size, hidden_size]");
    if (config.subNorms)
      add(prefix + "mlp.ffn_sub_norm.weight", {ffn}, "[intermediate_size]", TensorRole::Norm,
          layer);
    projection("mlp", Projection::Down, hidden, ffn, "[hidden_size, intermediate_size]");
  }
  add("model.norm.weight", {hidden}, "[hidden_size]", TensorRole::Norm);
  if (!config.tieWordEmbeddings)
    add("lm_head.weight", {config.vocabSize, hidden}, "[vocab_size, hidden_size]",
        TensorRole::LMHead);
  return tensors;
}

namespace {
class Validator {
public:
  Validator(const ModelConfig &config, const SafetensorsFile &weights, size_t maxProblems)
      : config(config), weights(weights), maxProblems(maxProblems) {}

  Error run() {
    for (const ExpectedTensor &expected : getExpectedTensors(config))
      checkExpected(expected);
    for (const TensorView &tensor : weights.getTensors())
      if (!claimed.contains(tensor.name) && !tensor.name.starts_with("optimizer.") &&
          !tensor.name.ends_with(".rotary_emb.inv_freq"))
        problem("unexpected tensor '" + tensor.name + "' (" + getDTypeName(tensor.dtype).str() +
                " " + formatShape(tensor.shape) + ")" + explainUnexpected(tensor.name));
    if (problems.empty())
      return Error::success();
    std::string message;
    raw_string_ostream os(message);
    size_t total = problems.size() + dropped;
    os << "'" << weights.getName() << "' does not match its config (" << total
       << (total == 1 ? " problem" : " problems") << "):";
    for (const std::string &line : problems)
      os << "\n  " << line;
    if (dropped)
      os << "\n  ... and " << dropped << " more";
    return createStringError(message);
  }

private:
  void problem(const Twine &message) {
    if (problems.size() < maxProblems)
      problems.push_back(message.str());
    else
      ++dropped;
  }

  const TensorView *claim(const std::string &name) {
    const TensorView *tensor = weights.lookup(name);
    if (tensor)
      claimed.insert(name);
    return tensor;
  }

  std::string describeProjection(const ExpectedTensor &expected) const {
    return ("layer " + Twine(expected.layer) + "'s " + getProjectionName(expected.projection) +
            " is " + getWeightKindName(expected.kind))
        .str();
  }

  void checkExpected(const ExpectedTensor &expected) {
    if (expected.role == TensorRole::Projection &&
        (expected.kind == WeightKind::Pb || expected.kind == WeightKind::Dbf))
      return checkFactored(expected);
    const TensorView *floatForm = claim(expected.name);
    bool quantizable =
        expected.role == TensorRole::Projection && expected.kind != WeightKind::Float;
    const TensorView *packed = nullptr, *scale = nullptr;
    if (expected.role == TensorRole::Projection) {
      packed = claim(expected.name + ".packed");
      scale = claim(expected.name + ".scale");
    }
    if (!quantizable) {
      for (const TensorView *tensor : {packed, scale})
        if (tensor)
          problem("tensor '" + tensor->name.str() + "' is a quantized form, but " +
                  describeProjection(expected) + " in the config (expected only '" + expected.name +
                  "')");
      if (!floatForm)
        problem("missing tensor '" + expected.name + "' (expected shape " + expected.shapeFormula +
                " = " + formatShape(expected.shape) + ", F32/F16/BF16)");
      else
        checkFloat(expected, *floatForm);
      return;
    }
    if (floatForm && (packed || scale)) {
      problem("tensor '" + expected.name + "' is present both as a float tensor and quantized ('" +
              (packed ? packed : scale)->name.str() + "'); expected one form");
      return;
    }
    if (floatForm)
      return checkFloat(expected, *floatForm);
    if (!packed && !scale) {
      problem("missing tensor '" + expected.name + "' (expected shape " + expected.shapeFormula +
              " = " + formatShape(expected.shape) + ", F32/F16/BF16; or, since " +
              describeProjection(expected) + ", '" + expected.name + ".packed' + '" +
              expected.name + ".scale')");
      return;
    }
    checkPacked(expected, packed, scale);
  }

  /// A tensor of a PB or DBF form: present, of `dtype`, of `shape`. Returns it when all hold.
  const TensorView *requirePart(const ExpectedTensor &expected, const std::string &suffix,
                                SafetensorsDType dtype, ArrayRef<int64_t> shape,
                                const std::string &formula) {
    std::string name = expected.name + suffix;
    const TensorView *tensor = claim(name);
    if (!tensor) {
      problem("missing tensor '" + name + "' (expected " + getDTypeName(dtype).str() + " " +
              formula + " = " + formatShape(shape) + ", since " + describeProjection(expected) +
              ")");
      return nullptr;
    }
    bool words = dtype == SafetensorsDType::I64;
    if (tensor->dtype != dtype && !(words && tensor->dtype == SafetensorsDType::U64)) {
      problem("tensor '" + name + "' is " + getDTypeName(tensor->dtype).str() + ", expected " +
              getDTypeName(dtype).str() + (words ? " (or U64)" : ""));
      return nullptr;
    }
    if (shape != tensor->shape) {
      problem("tensor '" + name + "' has shape " + formatShape(tensor->shape) + ", expected " +
              formula + " = " + formatShape(shape));
      return nullptr;
    }
    return tensor;
  }

  /// The PB and DBF forms (docs/ModelFormat.md, "PB and DBF tensors"): no float form.
  void checkFactored(const ExpectedTensor &expected) {
    const int64_t rows = expected.shape[0], columns = expected.shape[1];
    const int64_t words = (columns + 63) / 64;
    if (const TensorView *floatForm = claim(expected.name))
      problem("tensor '" + floatForm->name.str() + "' is a float form, but " +
              describeProjection(expected) + ", which has only its quantized form");
    if (expected.kind == WeightKind::Pb) {
      if (const TensorView *packed = requirePart(expected, ".packed", SafetensorsDType::I64,
                                                 {rows, words}, "[rows, ceil(K / 64)]"))
        checkBits(expected.name + ".packed", *packed, rows, columns, words, false);
      requirePart(expected, ".scale", SafetensorsDType::F32, {rows}, "[rows]");
      requirePart(expected, ".salient_scale", SafetensorsDType::F32, {rows}, "[rows]");
      const TensorView *index = claim(expected.name + ".salient_index");
      const TensorView *value = claim(expected.name + ".salient_value");
      if (!index || !value) {
        problem("missing tensor '" + expected.name + (index ? ".salient_value" : ".salient_index") +
                "' (expected " + (index ? "I8" : "I32") + " [S], since " +
                describeProjection(expected) + ")");
        return;
      }
      if (index->dtype != SafetensorsDType::I32 || index->shape.size() != 1)
        return problem("tensor '" + index->name.str() + "' is " + getDTypeName(index->dtype).str() +
                       " " + formatShape(index->shape) + ", expected I32 [S]");
      if (value->dtype != SafetensorsDType::I8 || value->shape != index->shape)
        return problem("tensor '" + value->name.str() + "' is " + getDTypeName(value->dtype).str() +
                       " " + formatShape(value->shape) + ", expected I8 " +
                       formatShape(index->shape) + " (one per salient index)");
      // Indices strictly ascending in [0, rows * K), their binary bits clear.
      const TensorView *packed = weights.lookup(expected.name + ".packed");
      bool packedOk =
          packed && packed->shape == ArrayRef<int64_t>({rows, words}) &&
          (packed->dtype == SafetensorsDType::I64 || packed->dtype == SafetensorsDType::U64);
      int64_t previous = -1;
      for (int64_t i = 0; i < index->shape[0]; ++i) {
        int64_t flat = static_cast<int32_t>(support::endian::read32le(index->bytes.data() + 4 * i));
        if (flat <= previous || flat >= rows * columns)
          return problem("tensor '" + index->name.str() + "': element " + std::to_string(i) +
                         " is " + std::to_string(flat) + ", expected ascending flat indices in (" +
                         std::to_string(previous) + ", " + std::to_string(rows * columns) + ")");
        previous = flat;
        if (packedOk) {
          int64_t row = flat / columns, column = flat % columns;
          uint64_t word =
              support::endian::read64le(packed->bytes.data() + 8 * (row * words + column / 64));
          if ((word >> (column % 64)) & 1)
            return problem("tensor '" + packed->name.str() + "': the bit of salient element " +
                           std::to_string(flat) + " (row " + std::to_string(row) + ", column " +
                           std::to_string(column) + ") is set (expected zero)");
        }
      }
      return;
    }
    // DBF: the middle dimension r is the length of `.m`. Every part is claimed first, so that a
    // missing `.m` is one problem, not also four unexpected tensors.
    for (const char *part : {".a", ".b", ".b1.packed", ".b2.packed"})
      claim(expected.name + part);
    const TensorView *mid = claim(expected.name + ".m");
    if (!mid) {
      problem("missing tensor '" + expected.name + ".m' (expected F32 [r], since " +
              describeProjection(expected) + ")");
      return;
    }
    if (mid->dtype != SafetensorsDType::F32 || mid->shape.size() != 1 || mid->shape[0] < 1)
      return problem("tensor '" + mid->name.str() + "' is " + getDTypeName(mid->dtype).str() + " " +
                     formatShape(mid->shape) + ", expected F32 [r] with r >= 1");
    const int64_t r = mid->shape[0], rWords = (r + 63) / 64;
    requirePart(expected, ".a", SafetensorsDType::F32, {rows}, "[rows]");
    requirePart(expected, ".b", SafetensorsDType::F32, {columns}, "[K]");
    if (const TensorView *b1 = requirePart(expected, ".b1.packed", SafetensorsDType::I64,
                                           {rows, rWords}, "[rows, ceil(r / 64)]"))
      checkBits(expected.name + ".b1.packed", *b1, rows, r, rWords, false);
    if (const TensorView *b2 = requirePart(expected, ".b2.packed", SafetensorsDType::I64,
                                           {r, words}, "[r, ceil(K / 64)]"))
      checkBits(expected.name + ".b2.packed", *b2, r, columns, words, false);
  }

  void checkFloat(const ExpectedTensor &expected, const TensorView &tensor) {
    if (ArrayRef<int64_t>(expected.shape) != tensor.shape)
      problem("tensor '" + expected.name + "' has shape " + formatShape(tensor.shape) +
              ", expected " + expected.shapeFormula + " = " + formatShape(expected.shape));
    if (!isFloatDType(tensor.dtype))
      problem("tensor '" + expected.name + "' is " + getDTypeName(tensor.dtype).str() +
              ", expected F32, F16 or BF16");
  }

  void checkPacked(const ExpectedTensor &expected, const TensorView *packed,
                   const TensorView *scale) {
    const int64_t rows = expected.shape[0], columns = expected.shape[1];
    const int64_t words = (columns + 63) / 64;
    bool ternary = expected.kind == WeightKind::Ternary;
    SmallVector<int64_t, 3> packedShape = {rows};
    if (ternary)
      packedShape.push_back(2);
    packedShape.push_back(words);
    std::string packedName = expected.name + ".packed", scaleName = expected.name + ".scale";
    std::string packedFormula = ternary ? "[rows, 2, ceil(K / 64)]" : "[rows, ceil(K / 64)]";
    if (!packed) {
      problem("missing tensor '" + packedName + "' beside '" + scaleName + "' (expected I64 " +
              packedFormula + " = " + formatShape(packedShape) + ", since " +
              describeProjection(expected) + ")");
    } else if (packed->dtype != SafetensorsDType::I64 && packed->dtype != SafetensorsDType::U64) {
      problem("tensor '" + packedName + "' is " + getDTypeName(packed->dtype).str() +
              ", expected I64 or U64 words");
    } else if (ArrayRef<int64_t>(packedShape) != packed->shape) {
      problem("tensor '" + packedName + "' has shape " + formatShape(packed->shape) +
              ", expected " + packedFormula + " = " + formatShape(packedShape) + " (" +
              describeProjection(expected) + ", logical shape " + formatShape(expected.shape) +
              ")");
    } else {
      checkBits(packedName, *packed, rows, columns, words, ternary);
    }
    if (!scale) {
      problem("missing tensor '" + scaleName + "' beside '" + packedName +
              "' (expected F32 [1] or " + formatShape({rows}) + ")");
    } else {
      if (scale->dtype != SafetensorsDType::F32)
        problem("tensor '" + scaleName + "' is " + getDTypeName(scale->dtype).str() +
                ", expected F32");
      if (scale->shape.size() != 1 || (scale->shape[0] != 1 && scale->shape[0] != rows))
        problem("tensor '" + scaleName + "' has shape " + formatShape(scale->shape) +
                ", expected [1] (per tensor) or " + formatShape({rows}) + " (per output channel)");
    }
  }

  /// The bit contract's invariants: padding bits past K zero in every plane; for ternary, no
  /// sign bit under a clear mask bit. Reports the first offending row.
  void checkBits(const std::string &name, const TensorView &packed, int64_t rows, int64_t columns,
                 int64_t words, bool ternary) {
    const int64_t planes = ternary ? 2 : 1;
    const uint64_t padding = columns % 64 ? ~uint64_t(0) << (columns % 64) : 0;
    const uint8_t *bytes = packed.bytes.data();
    auto word = [&](int64_t row, int64_t plane, int64_t w) {
      return support::endian::read64le(bytes + 8 * ((row * planes + plane) * words + w));
    };
    for (int64_t row = 0; row < rows; ++row) {
      for (int64_t plane = 0; plane < planes; ++plane)
        if (word(row, plane, words - 1) & padding)
          return problem("tensor '" + name + "': row " + std::to_string(row) +
                         (ternary ? (plane ? " (mask plane)" : " (sign plane)") : "") +
                         " has padding bits set past K = " + std::to_string(columns) +
                         " (expected zero)");
      if (ternary)
        for (int64_t w = 0; w < words; ++w)
          if (word(row, 0, w) & ~word(row, 1, w))
            return problem("tensor '" + name + "': row " + std::to_string(row) + ", word " +
                           std::to_string(w) +
                           ": sign bits set under clear mask bits (expected none)");
    }
  }

  std::string explainUnexpected(StringRef name) const {
    if (name == "lm_head.weight" && config.tieWordEmbeddings)
      return ": tie_word_embeddings is true";
    if ((name.ends_with(".attn_sub_norm.weight") || name.ends_with(".ffn_sub_norm.weight")) &&
        !config.subNorms)
      return ": bnn.sub_norms is false";
    if (name.consume_front("model.layers.")) {
      uint64_t layer;
      StringRef index = name.take_while(isDigit);
      if (!index.getAsInteger(10, layer) && layer >= static_cast<uint64_t>(config.numHiddenLayers))
        return (": num_hidden_layers is " + Twine(config.numHiddenLayers)).str();
    }
    return ": not part of the model the config describes";
  }

  const ModelConfig &config;
  const SafetensorsFile &weights;
  size_t maxProblems;
  std::vector<std::string> problems;
  size_t dropped = 0;
  StringSet<> claimed;
};
} // namespace

Error validateCheckpoint(const ModelConfig &config, const SafetensorsFile &weights,
                         size_t maxProblems) {
  return Validator(config, weights, maxProblems).run();
}

Expected<Checkpoint> openCheckpoint(StringRef configPath, StringRef weightsPath, bool validate) {
  Expected<ModelConfig> config = readModelConfig(configPath);
  if (!config)
    return config.takeError();
  Expected<SafetensorsFile> weights = SafetensorsFile::open(weightsPath);
  if (!weights)
    return weights.takeError();
  if (validate)
    if (Error error = validateCheckpoint(*config, *weights))
      return std::move(error);
  return Checkpoint{configPath.str(), weightsPath.str(), std::move(*config), std::move(*weights)};
}

Expected<Checkpoint> openCheckpointDirectory(StringRef directory, bool validate) {
  SmallString<256> configPath(directory), weightsPath(directory);
  sys::path::append(configPath, "config.json");
  sys::path::append(weightsPath, "model.safetensors");
  return openCheckpoint(configPath, weightsPath, validate);
}

} // namespace bnn::frontend
