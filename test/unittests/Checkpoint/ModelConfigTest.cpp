// config.json parsing (bnn/Frontend/Checkpoint.h): defaults, the `bnn` object's precedence
// rules, and every error path, each message naming the field.
#include "bnn/Frontend/Checkpoint.h"

#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

using namespace bnn::frontend;

namespace {

/// A valid Llama-style config; tests edit it.
llvm::json::Object baseConfig() {
  return llvm::json::Object{
      {"vocab_size", 32},         {"hidden_size", 64},       {"num_hidden_layers", 3},
      {"num_attention_heads", 4}, {"intermediate_size", 96}, {"hidden_act", "silu"},
      {"rms_norm_eps", 1e-6},     {"rope_theta", 10000.0},   {"max_position_embeddings", 128}};
}

std::string text(llvm::json::Object object) {
  return llvm::formatv("{0}", llvm::json::Value(std::move(object))).str();
}

llvm::Expected<ModelConfig> parse(llvm::json::Object object) {
  return parseModelConfig(text(std::move(object)), "c.json");
}

/// The error of parsing `object` ("" when it parses).
std::string error(llvm::json::Object object) {
  llvm::Expected<ModelConfig> config = parse(std::move(object));
  return config ? std::string() : llvm::toString(config.takeError());
}

llvm::json::Object with(llvm::StringRef key, llvm::json::Value value) {
  llvm::json::Object object = baseConfig();
  object[key] = std::move(value);
  return object;
}

llvm::json::Object without(llvm::StringRef key) {
  llvm::json::Object object = baseConfig();
  object.erase(key);
  return object;
}

llvm::json::Object withBnn(llvm::json::Value bnn) { return with("bnn", std::move(bnn)); }

TEST(ModelConfig, DefaultsOfALlamaConfig) {
  llvm::Expected<ModelConfig> config = parse(baseConfig());
  ASSERT_TRUE(static_cast<bool>(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->vocabSize, 32);
  EXPECT_EQ(config->numKeyValueHeads, 4); // = heads
  EXPECT_EQ(config->headDim, 16);         // hidden / heads
  EXPECT_EQ(config->getQDim(), 64);
  EXPECT_EQ(config->getKVDim(), 64);
  EXPECT_EQ(config->hiddenAct, HiddenAct::SiLU);
  EXPECT_DOUBLE_EQ(config->rmsNormEps, 1e-6);
  EXPECT_FALSE(config->tieWordEmbeddings);
  EXPECT_FALSE(config->subNorms);
  EXPECT_EQ(config->weightKind, WeightKind::Float);
  EXPECT_EQ(config->activationKind, ActivationKind::Int8);
  EXPECT_EQ(config->weightScale, WeightScale::PerTensor);
  ASSERT_EQ(config->layerKinds.size(), 3u);
  for (int64_t layer = 0; layer < 3; ++layer)
    for (Projection p : kAllProjections)
      EXPECT_EQ(config->getWeightKind(layer, p), WeightKind::Float);
}

TEST(ModelConfig, BitNetDefaultsAndExplicitFields) {
  llvm::json::Object object = baseConfig();
  object["model_type"] = "bitnet";
  object["hidden_act"] = "relu2";
  object["num_key_value_heads"] = 1;
  object["tie_word_embeddings"] = true;
  object["head_dim"] = 8; // hidden != heads * head_dim is allowed when head_dim is given
  object["hidden_size"] = 60;
  object["intermediate_size"] = 96.0;                               // an integral number
  object["architectures"] = llvm::json::Array{"BitNetForCausalLM"}; // ignored
  object["rope_scaling"] = nullptr;
  object["attention_bias"] = false;
  llvm::Expected<ModelConfig> config = parse(std::move(object));
  ASSERT_TRUE(static_cast<bool>(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->modelType, "bitnet");
  EXPECT_EQ(config->hiddenAct, HiddenAct::ReLU2);
  EXPECT_EQ(config->weightKind, WeightKind::Ternary);
  EXPECT_TRUE(config->subNorms);
  EXPECT_TRUE(config->tieWordEmbeddings);
  EXPECT_EQ(config->headDim, 8);
  EXPECT_EQ(config->getQDim(), 32);
  EXPECT_EQ(config->getKVDim(), 8);
  EXPECT_EQ(config->intermediateSize, 96);
  EXPECT_EQ(config->getWeightKind(2, Projection::Down), WeightKind::Ternary);

  // Explicit bnn fields win over the model_type defaults.
  llvm::json::Object bitnet = baseConfig();
  bitnet["model_type"] = "bitnet";
  bitnet["bnn"] = llvm::json::Object{{"weight_kind", "binary"},
                                     {"sub_norms", false},
                                     {"activation_kind", "binary"},
                                     {"weight_scale", "per_channel"}};
  config = parse(std::move(bitnet));
  ASSERT_TRUE(static_cast<bool>(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->weightKind, WeightKind::Binary);
  EXPECT_FALSE(config->subNorms);
  EXPECT_EQ(config->activationKind, ActivationKind::Binary);
  EXPECT_EQ(config->weightScale, WeightScale::PerChannel);
}

TEST(ModelConfig, LayerOverridesFollowTheirPrecedence) {
  llvm::Expected<ModelConfig> config = parse(withBnn(llvm::json::Object{
      {"weight_kind", "ternary"},
      {"layers", llvm::json::Object{
                     {"0", llvm::json::Object{{"q_proj", "float"}, {"k_proj", "binary"}}},
                     {"1", "float"},
                     {"2", llvm::json::Object{{"weight_kind", "binary"}, {"down_proj", "ternary"}}},
                 }}}));
  ASSERT_TRUE(static_cast<bool>(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->getWeightKind(0, Projection::Q), WeightKind::Float);
  EXPECT_EQ(config->getWeightKind(0, Projection::K), WeightKind::Binary);
  EXPECT_EQ(config->getWeightKind(0, Projection::V), WeightKind::Ternary);
  for (Projection p : kAllProjections)
    EXPECT_EQ(config->getWeightKind(1, p), WeightKind::Float);
  EXPECT_EQ(config->getWeightKind(2, Projection::Gate), WeightKind::Binary);
  EXPECT_EQ(config->getWeightKind(2, Projection::Down), WeightKind::Ternary);
}

TEST(ModelConfig, PbAndDbfKinds) {
  llvm::Expected<ModelConfig> config = parse(withBnn(llvm::json::Object{
      {"weight_kind", "pb"},
      {"layers",
       llvm::json::Object{{"1", "dbf"}, {"2", llvm::json::Object{{"up_proj", "dbf"}}}}}}));
  ASSERT_TRUE(static_cast<bool>(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->getWeightKind(0, Projection::Q), WeightKind::Pb);
  EXPECT_EQ(config->getWeightKind(1, Projection::Down), WeightKind::Dbf);
  EXPECT_EQ(config->getWeightKind(2, Projection::Up), WeightKind::Dbf);
  EXPECT_EQ(config->getWeightKind(2, Projection::Gate), WeightKind::Pb);
  EXPECT_EQ(getWeightKindName(WeightKind::Pb), "pb");
  EXPECT_EQ(getWeightKindName(WeightKind::Dbf), "dbf");
}

TEST(ModelConfig, MissingAndMistypedFields) {
  for (const char *field : {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                            "intermediate_size", "max_position_embeddings"})
    EXPECT_EQ(error(without(field)), "c.json: field '" + std::string(field) +
                                         "' is missing (required: a positive integer)");
  EXPECT_EQ(error(without("hidden_act")),
            "c.json: field 'hidden_act' is missing (required: \"silu\" or \"relu2\")");
  EXPECT_EQ(error(without("rms_norm_eps")),
            "c.json: field 'rms_norm_eps' is missing (required: a positive number)");
  EXPECT_EQ(error(without("rope_theta")),
            "c.json: field 'rope_theta' is missing (required: a positive number)");

  const std::string range = "must be an integer in [1, 2147483647], found ";
  EXPECT_EQ(error(with("hidden_size", "64")),
            "c.json: field 'hidden_size' " + range + "the string \"64\"");
  EXPECT_EQ(error(with("hidden_size", 64.5)),
            "c.json: field 'hidden_size' " + range + "the number 64.5");
  EXPECT_EQ(error(with("vocab_size", 0)), "c.json: field 'vocab_size' " + range + "the integer 0");
  EXPECT_EQ(error(with("num_hidden_layers", -2)),
            "c.json: field 'num_hidden_layers' " + range + "the integer -2");
  EXPECT_EQ(error(with("intermediate_size", int64_t(1) << 31)),
            "c.json: field 'intermediate_size' " + range + "the integer 2147483648");
  EXPECT_EQ(error(with("num_attention_heads", true)),
            "c.json: field 'num_attention_heads' " + range + "true");
  EXPECT_EQ(error(with("num_key_value_heads", llvm::json::Array{})),
            "c.json: field 'num_key_value_heads' " + range + "an array");
  EXPECT_EQ(error(with("head_dim", llvm::json::Object{})),
            "c.json: field 'head_dim' " + range + "an object");
  EXPECT_EQ(error(with("rms_norm_eps", 0)),
            "c.json: field 'rms_norm_eps' must be a finite number > 0, found the integer 0");
  EXPECT_EQ(error(with("rope_theta", -1.5)),
            "c.json: field 'rope_theta' must be a finite number > 0, found the number -1.5");
  EXPECT_EQ(error(with("rope_theta", "1e4")),
            "c.json: field 'rope_theta' must be a finite number > 0, found the string \"1e4\"");
  EXPECT_EQ(error(with("hidden_act", "gelu")),
            "c.json: field 'hidden_act' must be one of \"silu\", \"relu2\", found the string "
            "\"gelu\"");
  EXPECT_EQ(error(with("hidden_act", 2)),
            "c.json: field 'hidden_act' must be one of \"silu\", \"relu2\", found the integer 2");
  EXPECT_EQ(error(with("tie_word_embeddings", "yes")),
            "c.json: field 'tie_word_embeddings' must be true or false, found the string \"yes\"");
  EXPECT_EQ(error(with("model_type", 7)),
            "c.json: field 'model_type' must be a string, found the integer 7");
}

TEST(ModelConfig, ShapeRelations) {
  EXPECT_EQ(error(with("num_attention_heads", 6)),
            "c.json: field 'hidden_size' (64) must be a multiple of num_attention_heads (6) when "
            "head_dim is not given");
  EXPECT_EQ(error(with("num_key_value_heads", 3)),
            "c.json: field 'num_key_value_heads' (3) must divide num_attention_heads (4)");
  EXPECT_EQ(error(with("head_dim", 7)),
            "c.json: field 'head_dim' (7) must be even (RoPE rotates pairs of channels)");
  llvm::json::Object odd = with("hidden_size", 60); // 60 / 4 = 15
  EXPECT_EQ(error(std::move(odd)),
            "c.json: field 'hidden_size' (60) / num_attention_heads (4) = 15 is the head "
            "dimension and must be even (RoPE rotates pairs of channels)");
  llvm::json::Object wide = with("head_dim", 65536);
  wide["num_attention_heads"] = 65536;
  wide["num_key_value_heads"] = 1;
  EXPECT_EQ(error(std::move(wide)), "c.json: num_attention_heads * head_dim = 4294967296 exceeds "
                                    "the limit of 2147483647");
  llvm::json::Object huge = with("vocab_size", 2147483647);
  huge["hidden_size"] = 2147483644;
  huge["num_attention_heads"] = 2;
  EXPECT_EQ(error(std::move(huge)), "c.json: a [2147483647, 2147483644] tensor of f32 would not "
                                    "fit in 63-bit byte counts");
}

TEST(ModelConfig, RefusesArithmeticItDoesNotImplement) {
  EXPECT_EQ(error(with("rope_scaling", llvm::json::Object{{"type", "linear"}})),
            "c.json: field 'rope_scaling' is not supported (expected absent or null, found an "
            "object)");
  EXPECT_EQ(error(with("attention_bias", true)),
            "c.json: field 'attention_bias' is true: biases are not supported (expected absent "
            "or false)");
  EXPECT_EQ(error(with("mlp_bias", true)),
            "c.json: field 'mlp_bias' is true: biases are not supported (expected absent or "
            "false)");
  EXPECT_EQ(error(with("mlp_bias", 1)),
            "c.json: field 'mlp_bias' must be true or false, found the integer 1");
}

TEST(ModelConfig, BnnObjectErrors) {
  EXPECT_EQ(error(withBnn("ternary")),
            "c.json: field 'bnn' must be an object, found the string \"ternary\"");
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"weight_kinds", "binary"}})),
            "c.json: field 'bnn.weight_kinds' is unknown (expected one of weight_kind, "
            "activation_kind, weight_scale, sub_norms, layers)");
  const std::string kinds =
      "must be one of \"binary\", \"ternary\", \"float\", \"pb\", \"dbf\", found ";
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"weight_kind", "int4"}})),
            "c.json: field 'bnn.weight_kind' " + kinds + "the string \"int4\"");
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"activation_kind", "int4"}})),
            "c.json: field 'bnn.activation_kind' must be one of \"int8\", \"binary\", found the "
            "string \"int4\"");
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"weight_scale", "per_group"}})),
            "c.json: field 'bnn.weight_scale' must be one of \"per_tensor\", \"per_channel\", "
            "found the string \"per_group\"");
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"sub_norms", "true"}})),
            "c.json: field 'bnn.sub_norms' must be true or false, found the string \"true\"");
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"layers", llvm::json::Array{}}})),
            "c.json: field 'bnn.layers' must be an object keyed by layer index, found an array");
  for (const char *key : {"3", "01", "-1", "x", "1.0", "", "99999999999"})
    EXPECT_EQ(error(withBnn(llvm::json::Object{{"layers", llvm::json::Object{{key, "float"}}}})),
              "c.json: field 'bnn.layers." + std::string(key) +
                  "' is not a layer: expected a decimal index in [0, 2] (num_hidden_layers = 3)")
        << key;
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"layers", llvm::json::Object{{"1", 3}}}})),
            "c.json: field 'bnn.layers.1' must be a weight kind or an object of per-projection "
            "kinds, found the integer 3");
  EXPECT_EQ(error(withBnn(llvm::json::Object{{"layers", llvm::json::Object{{"1", "half"}}}})),
            "c.json: field 'bnn.layers.1' " + kinds + "the string \"half\"");
  EXPECT_EQ(error(withBnn(llvm::json::Object{
                {"layers", llvm::json::Object{{"1", llvm::json::Object{{"dwn_proj", "float"}}}}}})),
            "c.json: field 'bnn.layers.1.dwn_proj' is unknown (expected one of weight_kind, "
            "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
  EXPECT_EQ(error(withBnn(llvm::json::Object{
                {"layers", llvm::json::Object{{"2", llvm::json::Object{{"up_proj", true}}}}}})),
            "c.json: field 'bnn.layers.2.up_proj' " + kinds + "true");
}

TEST(ModelConfig, BadDocuments) {
  llvm::Expected<ModelConfig> config = parseModelConfig("{\"vocab_size\": 1,", "c.json");
  ASSERT_FALSE(static_cast<bool>(config));
  EXPECT_EQ(llvm::toString(config.takeError()).rfind("c.json: not valid JSON: [1:", 0), 0u);
  config = parseModelConfig("[]", "c.json");
  ASSERT_FALSE(static_cast<bool>(config));
  EXPECT_EQ(llvm::toString(config.takeError()), "c.json: expected a JSON object, found an array");
  config = readModelConfig("/nonexistent/config.json");
  ASSERT_FALSE(static_cast<bool>(config));
  EXPECT_EQ(llvm::toString(config.takeError()).rfind("cannot open '/nonexistent/config.json': ", 0),
            0u);
}

TEST(ModelConfig, Names) {
  EXPECT_EQ(getProjectionName(Projection::Gate), "gate_proj");
  EXPECT_EQ(getProjectionName(Projection::Down), "down_proj");
  EXPECT_EQ(getWeightKindName(WeightKind::Ternary), "ternary");
  EXPECT_EQ(getHiddenActName(HiddenAct::ReLU2), "relu2");
  EXPECT_EQ(getActivationKindName(ActivationKind::Binary), "binary");
  EXPECT_EQ(getWeightScaleName(WeightScale::PerChannel), "per_channel");
}

} // namespace
