//===- ModelConfig.cpp - config.json: Hugging Face fields + bnn's kinds ---===//
//
// Parses and validates the config of docs/ModelFormat.md. Every error names the source, the
// field (a dotted path such as `bnn.layers.7.down_proj`), what was expected and what was found.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Checkpoint.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/JSON.h"

#include <cmath>

using namespace llvm;

namespace bnn::frontend {

StringRef getHiddenActName(HiddenAct act) { return act == HiddenAct::SiLU ? "silu" : "relu2"; }

StringRef getWeightKindName(WeightKind kind) {
  switch (kind) {
  case WeightKind::Binary: return "binary";
  case WeightKind::Ternary: return "ternary";
  case WeightKind::Float: return "float";
  case WeightKind::Pb: return "pb";
  case WeightKind::Dbf: return "dbf";
  }
  return "?";
}

StringRef getActivationKindName(ActivationKind kind) {
  return kind == ActivationKind::Int8 ? "int8" : "binary";
}

StringRef getWeightScaleName(WeightScale scale) {
  return scale == WeightScale::PerTensor ? "per_tensor" : "per_channel";
}

StringRef getProjectionName(Projection projection) {
  static const char *const names[kNumProjections] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                                     "gate_proj", "up_proj", "down_proj"};
  return names[static_cast<size_t>(projection)];
}

namespace {
/// The largest dimension a config may give: bnn's packed types hold K <= 2^31 - 1.
constexpr int64_t kMaxDimension = INT32_MAX;

std::string describe(const json::Value &value) {
  std::string text;
  raw_string_ostream os(text);
  switch (value.kind()) {
  case json::Value::Null: return "null";
  case json::Value::Boolean: return *value.getAsBoolean() ? "true" : "false";
  case json::Value::Number:
    os << (value.getAsInteger() ? "the integer " : "the number ") << value;
    return text;
  case json::Value::String: os << "the string " << value; return text;
  case json::Value::Array: return "an array";
  case json::Value::Object: return "an object";
  }
  return "a value";
}

class ConfigReader {
public:
  explicit ConfigReader(StringRef source) : source(source) {}

  Error fail(const Twine &field, const Twine &message) const {
    return createStringError(source + ": field '" + field + "' " + message);
  }

  /// An integer in [1, kMaxDimension]; `fallback` when absent (required when it is nullopt).
  Expected<int64_t> getDimension(const json::Object &object, StringRef key, const Twine &path,
                                 std::optional<int64_t> fallback) const {
    const json::Value *value = object.get(key);
    if (!value || (fallback && value->kind() == json::Value::Null)) {
      if (fallback)
        return *fallback;
      return fail(path, "is missing (required: a positive integer)");
    }
    std::optional<int64_t> integer = value->getAsInteger();
    if (!integer || *integer < 1 || *integer > kMaxDimension)
      return fail(path, "must be an integer in [1, " + Twine(kMaxDimension) + "], found " +
                            describe(*value));
    return *integer;
  }

  /// A finite number > 0 (required).
  Expected<double> getPositiveNumber(const json::Object &object, StringRef key) const {
    const json::Value *value = object.get(key);
    if (!value)
      return fail(key, "is missing (required: a positive number)");
    std::optional<double> number = value->getAsNumber();
    if (!number || !std::isfinite(*number) || !(*number > 0))
      return fail(key, "must be a finite number > 0, found " + describe(*value));
    return *number;
  }

  Expected<bool> getBool(const json::Object &object, StringRef key, const Twine &path,
                         bool fallback) const {
    const json::Value *value = object.get(key);
    if (!value)
      return fallback;
    std::optional<bool> flag = value->getAsBoolean();
    if (!flag)
      return fail(path, "must be true or false, found " + describe(*value));
    return *flag;
  }

  /// One of `choices` (or absent: nullopt).
  Expected<std::optional<size_t>> getChoice(const json::Object &object, StringRef key,
                                            const Twine &path, ArrayRef<StringRef> choices) const {
    const json::Value *value = object.get(key);
    if (!value)
      return std::optional<size_t>();
    return getChoice(*value, path, choices);
  }

  Expected<std::optional<size_t>> getChoice(const json::Value &value, const Twine &path,
                                            ArrayRef<StringRef> choices) const {
    std::string list;
    for (StringRef choice : choices)
      list += (list.empty() ? "\"" : ", \"") + choice.str() + "\"";
    std::optional<StringRef> text = value.getAsString();
    if (text)
      for (size_t i = 0; i < choices.size(); ++i)
        if (*text == choices[i])
          return std::optional<size_t>(i);
    return fail(path, "must be one of " + list + ", found " + describe(value));
  }

  Error rejectUnknownKeys(const json::Object &object, const std::string &path,
                          ArrayRef<StringRef> known) const {
    std::vector<StringRef> keys;
    for (const auto &item : object)
      keys.push_back(item.first);
    llvm::sort(keys);
    for (StringRef key : keys)
      if (!llvm::is_contained(known, key)) {
        std::string list;
        for (StringRef name : known)
          list += (list.empty() ? "" : ", ") + name.str();
        return fail(path + "." + key, "is unknown (expected one of " + list + ")");
      }
    return Error::success();
  }

private:
  StringRef source;
};

const StringRef kWeightKinds[] = {"binary", "ternary", "float", "pb", "dbf"};

Error parseBnnObject(const ConfigReader &reader, const json::Value &value, ModelConfig &config) {
  const json::Object *bnn = value.getAsObject();
  if (!bnn)
    return reader.fail("bnn", "must be an object, found " + describe(value));
  if (Error error = reader.rejectUnknownKeys(
          *bnn, "bnn", {"weight_kind", "activation_kind", "weight_scale", "sub_norms", "layers"}))
    return error;

  Expected<std::optional<size_t>> kind =
      reader.getChoice(*bnn, "weight_kind", "bnn.weight_kind", kWeightKinds);
  if (!kind)
    return kind.takeError();
  if (*kind)
    config.weightKind = static_cast<WeightKind>(**kind);
  Expected<std::optional<size_t>> activation =
      reader.getChoice(*bnn, "activation_kind", "bnn.activation_kind", {"int8", "binary"});
  if (!activation)
    return activation.takeError();
  if (*activation)
    config.activationKind = static_cast<ActivationKind>(**activation);
  Expected<std::optional<size_t>> scale =
      reader.getChoice(*bnn, "weight_scale", "bnn.weight_scale", {"per_tensor", "per_channel"});
  if (!scale)
    return scale.takeError();
  if (*scale)
    config.weightScale = static_cast<WeightScale>(**scale);
  Expected<bool> subNorms = reader.getBool(*bnn, "sub_norms", "bnn.sub_norms", config.subNorms);
  if (!subNorms)
    return subNorms.takeError();
  config.subNorms = *subNorms;

  std::array<WeightKind, kNumProjections> defaults;
  defaults.fill(config.weightKind);
  config.layerKinds.assign(static_cast<size_t>(config.numHiddenLayers), defaults);

  const json::Value *layersValue = bnn->get("layers");
  if (!layersValue)
    return Error::success();
  const json::Object *layers = layersValue->getAsObject();
  if (!layers)
    return reader.fail("bnn.layers",
                       "must be an object keyed by layer index, found " + describe(*layersValue));
  std::vector<StringRef> keys;
  for (const auto &item : *layers)
    keys.push_back(item.first);
  llvm::sort(keys);
  for (StringRef key : keys) {
    std::string path = ("bnn.layers." + key).str();
    uint64_t index = 0;
    bool canonical = !key.empty() && llvm::all_of(key, isDigit) &&
                     (key == "0" || key.front() != '0') && key.size() <= 10 &&
                     !key.getAsInteger(10, index);
    if (!canonical || index >= static_cast<uint64_t>(config.numHiddenLayers))
      return reader.fail(path, "is not a layer: expected a decimal index in [0, " +
                                   Twine(config.numHiddenLayers - 1) +
                                   "] (num_hidden_layers = " + Twine(config.numHiddenLayers) + ")");
    const json::Value &entry = *layers->get(key);
    std::array<WeightKind, kNumProjections> &kinds = config.layerKinds[index];
    if (entry.kind() == json::Value::String) {
      Expected<std::optional<size_t>> layerKind = reader.getChoice(entry, path, kWeightKinds);
      if (!layerKind)
        return layerKind.takeError();
      kinds.fill(static_cast<WeightKind>(**layerKind));
      continue;
    }
    const json::Object *overrides = entry.getAsObject();
    if (!overrides)
      return reader.fail(path, "must be a weight kind or an object of per-projection kinds, "
                               "found " +
                                   describe(entry));
    if (Error error = reader.rejectUnknownKeys(*overrides, path,
                                               {"weight_kind", "q_proj", "k_proj", "v_proj",
                                                "o_proj", "gate_proj", "up_proj", "down_proj"}))
      return error;
    Expected<std::optional<size_t>> layerKind =
        reader.getChoice(*overrides, "weight_kind", path + ".weight_kind", kWeightKinds);
    if (!layerKind)
      return layerKind.takeError();
    if (*layerKind)
      kinds.fill(static_cast<WeightKind>(**layerKind));
    for (Projection projection : kAllProjections) {
      StringRef name = getProjectionName(projection);
      Expected<std::optional<size_t>> projectionKind =
          reader.getChoice(*overrides, name, path + "." + name, kWeightKinds);
      if (!projectionKind)
        return projectionKind.takeError();
      if (*projectionKind)
        kinds[static_cast<size_t>(projection)] = static_cast<WeightKind>(**projectionKind);
    }
  }
  return Error::success();
}
} // namespace

Expected<ModelConfig> parseModelConfig(StringRef jsonText, StringRef sourceName) {
  ConfigReader reader(sourceName);
  Expected<json::Value> parsed = json::parse(jsonText);
  if (!parsed)
    return createStringError(sourceName + ": not valid JSON: " + toString(parsed.takeError()));
  const json::Object *object = parsed->getAsObject();
  if (!object)
    return createStringError(sourceName + ": expected a JSON object, found " + describe(*parsed));

  ModelConfig config;
  struct Dimension {
    const char *key;
    int64_t *field;
  };
  for (Dimension dim :
       {Dimension{"vocab_size", &config.vocabSize}, Dimension{"hidden_size", &config.hiddenSize},
        Dimension{"num_hidden_layers", &config.numHiddenLayers},
        Dimension{"num_attention_heads", &config.numAttentionHeads},
        Dimension{"intermediate_size", &config.intermediateSize},
        Dimension{"max_position_embeddings", &config.maxPositionEmbeddings}}) {
    Expected<int64_t> value = reader.getDimension(*object, dim.key, dim.key, std::nullopt);
    if (!value)
      return value.takeError();
    *dim.field = *value;
  }
  Expected<int64_t> kvHeads = reader.getDimension(*object, "num_key_value_heads",
                                                  "num_key_value_heads", config.numAttentionHeads);
  if (!kvHeads)
    return kvHeads.takeError();
  config.numKeyValueHeads = *kvHeads;
  if (config.numAttentionHeads % config.numKeyValueHeads != 0)
    return reader.fail("num_key_value_heads", "(" + Twine(config.numKeyValueHeads) +
                                                  ") must divide num_attention_heads (" +
                                                  Twine(config.numAttentionHeads) + ")");

  const json::Value *headDim = object->get("head_dim");
  if (headDim && headDim->kind() != json::Value::Null) {
    Expected<int64_t> value = reader.getDimension(*object, "head_dim", "head_dim", std::nullopt);
    if (!value)
      return value.takeError();
    config.headDim = *value;
    if (config.headDim % 2 != 0)
      return reader.fail("head_dim", "(" + Twine(config.headDim) +
                                         ") must be even (RoPE rotates pairs of channels)");
  } else {
    if (config.hiddenSize % config.numAttentionHeads != 0)
      return reader.fail("hidden_size", "(" + Twine(config.hiddenSize) +
                                            ") must be a multiple of num_attention_heads (" +
                                            Twine(config.numAttentionHeads) +
                                            ") when head_dim is not given");
    config.headDim = config.hiddenSize / config.numAttentionHeads;
    if (config.headDim % 2 != 0)
      return reader.fail("hidden_size",
                         "(" + Twine(config.hiddenSize) + ") / num_attention_heads (" +
                             Twine(config.numAttentionHeads) + ") = " + Twine(config.headDim) +
                             " is the head dimension and must be even (RoPE "
                             "rotates pairs of channels)");
  }
  // Widths of the attention projections, and the element counts of the largest tensors: all
  // within bnn's K limit and int64_t (bytes of f32).
  for (auto [name, value] :
       {std::pair<const char *, int64_t>{"num_attention_heads * head_dim", config.getQDim()},
        {"num_key_value_heads * head_dim", config.getKVDim()}})
    if (value > kMaxDimension)
      return createStringError(sourceName + ": " + name + " = " + Twine(value) +
                               " exceeds the limit of " + Twine(kMaxDimension));
  for (auto [rows, columns] : {std::pair<int64_t, int64_t>{config.vocabSize, config.hiddenSize},
                               {config.intermediateSize, config.hiddenSize},
                               {config.getQDim(), config.hiddenSize}}) {
    std::optional<int64_t> elements = checkedMul(rows, columns);
    if (!elements || !checkedMul(*elements, int64_t(4)))
      return createStringError(sourceName + ": a [" + Twine(rows) + ", " + Twine(columns) +
                               "] tensor of f32 would not fit in 63-bit byte counts");
  }

  Expected<std::optional<size_t>> act =
      reader.getChoice(*object, "hidden_act", "hidden_act", {"silu", "relu2"});
  if (!act)
    return act.takeError();
  if (!*act)
    return reader.fail("hidden_act", "is missing (required: \"silu\" or \"relu2\")");
  config.hiddenAct = static_cast<HiddenAct>(**act);

  Expected<double> eps = reader.getPositiveNumber(*object, "rms_norm_eps");
  if (!eps)
    return eps.takeError();
  config.rmsNormEps = *eps;
  Expected<double> theta = reader.getPositiveNumber(*object, "rope_theta");
  if (!theta)
    return theta.takeError();
  config.ropeTheta = *theta;
  Expected<bool> tie = reader.getBool(*object, "tie_word_embeddings", "tie_word_embeddings", false);
  if (!tie)
    return tie.takeError();
  config.tieWordEmbeddings = *tie;

  if (const json::Value *modelType = object->get("model_type")) {
    std::optional<StringRef> text = modelType->getAsString();
    if (!text)
      return reader.fail("model_type", "must be a string, found " + describe(*modelType));
    config.modelType = text->str();
  }

  // Fields that change the arithmetic in ways bnn does not implement are refused, not dropped.
  if (const json::Value *scaling = object->get("rope_scaling"))
    if (scaling->kind() != json::Value::Null)
      return reader.fail("rope_scaling", "is not supported (expected absent or null, found " +
                                             describe(*scaling) + ")");
  for (const char *key : {"attention_bias", "mlp_bias"}) {
    Expected<bool> bias = reader.getBool(*object, key, key, false);
    if (!bias)
      return bias.takeError();
    if (*bias)
      return reader.fail(key, "is true: biases are not supported (expected absent or false)");
  }

  bool bitnet = config.modelType == "bitnet";
  config.weightKind = bitnet ? WeightKind::Ternary : WeightKind::Float;
  config.subNorms = bitnet;
  std::array<WeightKind, kNumProjections> defaults;
  defaults.fill(config.weightKind);
  config.layerKinds.assign(static_cast<size_t>(config.numHiddenLayers), defaults);
  if (const json::Value *bnn = object->get("bnn"))
    if (Error error = parseBnnObject(reader, *bnn, config))
      return std::move(error);
  return config;
}

Expected<ModelConfig> readModelConfig(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return createStringError(buffer.getError(),
                             "cannot open '" + path + "': " + buffer.getError().message());
  return parseModelConfig((*buffer)->getBuffer(), path);
}

} // namespace bnn::frontend
