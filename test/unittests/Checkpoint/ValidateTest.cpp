// The tensors a config implies and the validation of weights against them
// (bnn/Frontend/Checkpoint.h): names and shapes from docs/ModelFormat.md's table written out
// here by hand, float and packed forms, and every problem the validator reports.
#include "bnn/Frontend/Checkpoint.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <map>

using namespace bnn::frontend;

namespace {

// V = 10, H = 8, L = 2, nh = 2, nkv = 1, d = 4, I = 12 (q_dim 8, kv_dim 4); K = 8 or 12 for the
// projections, so every packed row is one word with padding bits.
const char *const kConfig = R"({
  "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
  "num_key_value_heads": 1, "intermediate_size": 12, "hidden_act": "relu2",
  "rms_norm_eps": 1e-5, "rope_theta": 10000, "max_position_embeddings": 16 %s
})";

ModelConfig config(const std::string &extra = "") {
  std::string text = kConfig;
  text.replace(text.find("%s"), 2, extra);
  llvm::Expected<ModelConfig> parsed = parseModelConfig(text, "c.json");
  if (!parsed) {
    ADD_FAILURE() << llvm::toString(parsed.takeError());
    return ModelConfig();
  }
  return std::move(*parsed);
}

/// Name -> (dtype, shape); data zeros of the right size unless given.
struct Tensors {
  struct Spec {
    SafetensorsDType dtype;
    llvm::SmallVector<int64_t, 4> shape;
    std::vector<uint8_t> data;
  };
  std::map<std::string, Spec> specs;

  void add(const std::string &name, llvm::SmallVector<int64_t, 4> shape,
           SafetensorsDType dtype = SafetensorsDType::F32, std::vector<uint8_t> data = {}) {
    int64_t bytes = getDTypeSize(dtype);
    for (int64_t d : shape)
      bytes *= d;
    if (data.empty())
      data.assign(static_cast<size_t>(bytes), 0);
    specs[name] = {dtype, std::move(shape), std::move(data)};
  }

  SafetensorsFile file() const {
    std::vector<SafetensorsTensor> tensors;
    for (const auto &item : specs)
      tensors.push_back({item.first, item.second.dtype, item.second.shape, item.second.data});
    llvm::Expected<std::string> bytes = serializeSafetensors(tensors);
    EXPECT_TRUE(static_cast<bool>(bytes));
    llvm::Expected<SafetensorsFile> parsed =
        SafetensorsFile::parse(llvm::MemoryBuffer::getMemBufferCopy(*bytes, "w.safetensors"));
    EXPECT_TRUE(static_cast<bool>(parsed));
    return std::move(*parsed);
  }
};

/// The float tensors of kConfig's model, written out from the format's table.
Tensors floatModel(bool tied = false, bool subNorms = false) {
  Tensors t;
  t.add("model.embed_tokens.weight", {10, 8}, SafetensorsDType::BF16);
  for (int layer = 0; layer < 2; ++layer) {
    std::string p = "model.layers." + std::to_string(layer) + ".";
    t.add(p + "input_layernorm.weight", {8}, SafetensorsDType::F16);
    t.add(p + "self_attn.q_proj.weight", {8, 8});
    t.add(p + "self_attn.k_proj.weight", {4, 8});
    t.add(p + "self_attn.v_proj.weight", {4, 8});
    t.add(p + "self_attn.o_proj.weight", {8, 8});
    t.add(p + "post_attention_layernorm.weight", {8});
    t.add(p + "mlp.gate_proj.weight", {12, 8});
    t.add(p + "mlp.up_proj.weight", {12, 8});
    t.add(p + "mlp.down_proj.weight", {8, 12});
    if (subNorms) {
      t.add(p + "self_attn.attn_sub_norm.weight", {8});
      t.add(p + "mlp.ffn_sub_norm.weight", {12});
    }
  }
  t.add("model.norm.weight", {8});
  if (!tied)
    t.add("lm_head.weight", {10, 8});
  return t;
}

std::string validate(const ModelConfig &c, const Tensors &t, size_t maxProblems = 50) {
  SafetensorsFile file = t.file();
  llvm::Error error = validateCheckpoint(c, file, maxProblems);
  return error ? llvm::toString(std::move(error)) : std::string();
}

std::string oneProblem(const std::string &problem) {
  return "'w.safetensors' does not match its config (1 problem):\n  " + problem;
}

std::vector<uint8_t> words(std::initializer_list<uint64_t> values) {
  std::vector<uint8_t> bytes;
  for (uint64_t v : values)
    for (int i = 0; i < 8; ++i)
      bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return bytes;
}

TEST(ExpectedTensors, FollowTheTable) {
  std::vector<ExpectedTensor> tensors = getExpectedTensors(config());
  ASSERT_EQ(tensors.size(), 1u + 2 * 9 + 2);
  EXPECT_EQ(tensors[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(tensors[0].shapeFormula, "[vocab_size, hidden_size]");
  EXPECT_EQ(tensors[2].name, "model.layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(tensors[2].role, TensorRole::Projection);
  EXPECT_EQ(tensors[2].layer, 0);
  EXPECT_EQ(tensors[2].projection, Projection::Q);
  EXPECT_EQ(tensors[3].shape, (llvm::SmallVector<int64_t, 2>{4, 8}));
  EXPECT_EQ(tensors[5].name, "model.layers.0.self_attn.o_proj.weight");
  EXPECT_EQ(tensors[9].name, "model.layers.0.mlp.down_proj.weight");
  EXPECT_EQ(tensors[9].shape, (llvm::SmallVector<int64_t, 2>{8, 12}));
  EXPECT_EQ(tensors.back().name, "lm_head.weight");
  EXPECT_EQ(tensors.back().role, TensorRole::LMHead);

  std::vector<ExpectedTensor> bitnet =
      getExpectedTensors(config(R"(, "tie_word_embeddings": true, "model_type": "bitnet")"));
  ASSERT_EQ(bitnet.size(), 1u + 2 * 11 + 1);
  EXPECT_EQ(bitnet[5].name, "model.layers.0.self_attn.attn_sub_norm.weight");
  EXPECT_EQ(bitnet[5].shape, (llvm::SmallVector<int64_t, 2>{8}));
  EXPECT_EQ(bitnet[10].name, "model.layers.0.mlp.ffn_sub_norm.weight");
  EXPECT_EQ(bitnet[2].kind, WeightKind::Ternary);
  EXPECT_EQ(bitnet.back().name, "model.norm.weight");
}

TEST(ValidateCheckpoint, AcceptsTheModelAndSkipsReservedNames) {
  EXPECT_EQ(validate(config(), floatModel()), "");
  EXPECT_EQ(validate(config(R"(, "tie_word_embeddings": true, "bnn": {"sub_norms": true})"),
                     floatModel(/*tied=*/true, /*subNorms=*/true)),
            "");
  Tensors training = floatModel();
  training.add("optimizer.model.norm.weight.exp_avg", {8});
  training.add("optimizer.step", {1}, SafetensorsDType::I64);
  training.add("model.layers.0.self_attn.rotary_emb.inv_freq", {2});
  EXPECT_EQ(validate(config(), training), "");
}

TEST(ValidateCheckpoint, ReportsFloatProblems) {
  Tensors missing = floatModel();
  missing.specs.erase("model.layers.1.self_attn.v_proj.weight");
  EXPECT_EQ(validate(config(), missing),
            oneProblem("missing tensor 'model.layers.1.self_attn.v_proj.weight' (expected shape "
                       "[num_key_value_heads * head_dim, hidden_size] = [4, 8], F32/F16/BF16)"));
  Tensors shape = floatModel();
  shape.add("model.layers.0.mlp.down_proj.weight", {12, 8});
  EXPECT_EQ(validate(config(), shape),
            oneProblem("tensor 'model.layers.0.mlp.down_proj.weight' has shape [12, 8], expected "
                       "[hidden_size, intermediate_size] = [8, 12]"));
  Tensors dtype = floatModel();
  dtype.add("model.norm.weight", {8}, SafetensorsDType::F64);
  EXPECT_EQ(validate(config(), dtype),
            oneProblem("tensor 'model.norm.weight' is F64, expected F32, F16 or BF16"));
  Tensors extra = floatModel();
  extra.add("model.layers.2.input_layernorm.weight", {8});
  EXPECT_EQ(validate(config(), extra),
            oneProblem("unexpected tensor 'model.layers.2.input_layernorm.weight' (F32 [8]): "
                       "num_hidden_layers is 2"));
  EXPECT_EQ(validate(config(R"(, "tie_word_embeddings": true)"), floatModel()),
            oneProblem("unexpected tensor 'lm_head.weight' (F32 [10, 8]): tie_word_embeddings is "
                       "true"));
  EXPECT_EQ(validate(config(), floatModel(false, /*subNorms=*/true)),
            "'w.safetensors' does not match its config (4 problems):\n"
            "  unexpected tensor 'model.layers.0.mlp.ffn_sub_norm.weight' (F32 [12]): "
            "bnn.sub_norms is false\n"
            "  unexpected tensor 'model.layers.0.self_attn.attn_sub_norm.weight' (F32 [8]): "
            "bnn.sub_norms is false\n"
            "  unexpected tensor 'model.layers.1.mlp.ffn_sub_norm.weight' (F32 [12]): "
            "bnn.sub_norms is false\n"
            "  unexpected tensor 'model.layers.1.self_attn.attn_sub_norm.weight' (F32 [8]): "
            "bnn.sub_norms is false");
  Tensors other;
  other.add("x", {1});
  EXPECT_EQ(validate(config(), other, /*maxProblems=*/2),
            "'w.safetensors' does not match its config (22 problems):\n"
            "  missing tensor 'model.embed_tokens.weight' (expected shape [vocab_size, "
            "hidden_size] = [10, 8], F32/F16/BF16)\n"
            "  missing tensor 'model.layers.0.input_layernorm.weight' (expected shape "
            "[hidden_size] = [8], F32/F16/BF16)\n"
            "  ... and 20 more");
}

TEST(ValidateCheckpoint, PackedForms) {
  // Layer 0: q binary, k ternary; everything else float.
  ModelConfig c =
      config(R"(, "bnn": {"layers": {"0": {"q_proj": "binary", "k_proj": "ternary"}}})");
  // A float latent is accepted for a low-bit projection (quantized at compile time).
  EXPECT_EQ(validate(c, floatModel()), "");

  Tensors packed = floatModel();
  packed.specs.erase("model.layers.0.self_attn.q_proj.weight");
  packed.specs.erase("model.layers.0.self_attn.k_proj.weight");
  // q: [8, 8] binary -> [8, 1] words, K = 8: bits 8..63 are padding.
  std::vector<uint8_t> q = words({0xff, 0x00, 0x5a, 0xa5, 0x01, 0x80, 0x7f, 0xfe});
  packed.add("model.layers.0.self_attn.q_proj.weight.packed", {8, 1}, SafetensorsDType::I64, q);
  packed.add("model.layers.0.self_attn.q_proj.weight.scale", {1});
  // k: [4, 8] ternary -> [4, 2, 1] words: sign, mask per row; sign only under mask.
  std::vector<uint8_t> k = words({0x01, 0x03, 0x00, 0xff, 0x80, 0x80, 0x00, 0x00});
  packed.add("model.layers.0.self_attn.k_proj.weight.packed", {4, 2, 1}, SafetensorsDType::U64, k);
  packed.add("model.layers.0.self_attn.k_proj.weight.scale", {4});
  EXPECT_EQ(validate(c, packed), "");

  const std::string qName = "model.layers.0.self_attn.q_proj.weight";
  const std::string kName = "model.layers.0.self_attn.k_proj.weight";
  {
    Tensors t = packed;
    t.add(qName + ".packed", {8, 1}, SafetensorsDType::I64, words({0xff, 0x100, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(validate(c, t), oneProblem("tensor '" + qName +
                                         ".packed': row 1 has padding bits set past K = 8 "
                                         "(expected zero)"));
  }
  {
    Tensors t = packed;
    t.add(kName + ".packed", {4, 2, 1}, SafetensorsDType::I64,
          words({0x01, 0x03, 0x00, 0xff, 0x80, 0x80, 0x00, 0x100}));
    EXPECT_EQ(validate(c, t), oneProblem("tensor '" + kName +
                                         ".packed': row 3 (mask plane) has padding bits set past "
                                         "K = 8 (expected zero)"));
    t.add(kName + ".packed", {4, 2, 1}, SafetensorsDType::I64,
          words({0x01, 0x03, 0x00, 0xff, 0x81, 0x80, 0x00, 0x00}));
    EXPECT_EQ(validate(c, t), oneProblem("tensor '" + kName +
                                         ".packed': row 2, word 0: sign bits set under clear "
                                         "mask bits (expected none)"));
  }
  {
    Tensors t = packed;
    t.add(qName + ".packed", {8, 1}, SafetensorsDType::I32);
    EXPECT_EQ(validate(c, t),
              oneProblem("tensor '" + qName + ".packed' is I32, expected I64 or U64 words"));
    t.add(qName + ".packed", {8, 2}, SafetensorsDType::I64);
    EXPECT_EQ(validate(c, t),
              oneProblem("tensor '" + qName +
                         ".packed' has shape [8, 2], expected [rows, ceil(K / 64)] = [8, 1] "
                         "(layer 0's q_proj is binary, logical shape [8, 8])"));
  }
  {
    Tensors t = packed;
    t.add(kName + ".scale", {4}, SafetensorsDType::F16);
    EXPECT_EQ(validate(c, t), oneProblem("tensor '" + kName + ".scale' is F16, expected F32"));
    t.add(kName + ".scale", {2});
    EXPECT_EQ(validate(c, t), oneProblem("tensor '" + kName +
                                         ".scale' has shape [2], expected [1] (per tensor) or "
                                         "[4] (per output channel)"));
    t.specs.erase(kName + ".scale");
    EXPECT_EQ(validate(c, t), oneProblem("missing tensor '" + kName + ".scale' beside '" + kName +
                                         ".packed' (expected F32 [1] or [4])"));
  }
  {
    Tensors t = packed;
    t.specs.erase(qName + ".packed");
    EXPECT_EQ(validate(c, t), oneProblem("missing tensor '" + qName + ".packed' beside '" + qName +
                                         ".scale' (expected I64 [rows, ceil(K / 64)] = [8, 1], "
                                         "since layer 0's q_proj is binary)"));
    t.specs.erase(qName + ".scale");
    EXPECT_EQ(validate(c, t), oneProblem("missing tensor '" + qName +
                                         "' (expected shape [num_attention_heads * head_dim, "
                                         "hidden_size] = [8, 8], F32/F16/BF16; or, since layer "
                                         "0's q_proj is binary, '" +
                                         qName + ".packed' + '" + qName + ".scale')"));
  }
  {
    Tensors t = packed;
    t.add(qName, {8, 8});
    EXPECT_EQ(validate(c, t), oneProblem("tensor '" + qName +
                                         "' is present both as a float tensor and quantized ('" +
                                         qName + ".packed'); expected one form"));
  }
  {
    // A quantized form for a float projection.
    Tensors t = floatModel();
    t.add("model.layers.1.mlp.up_proj.weight.scale", {1});
    EXPECT_EQ(validate(c, t), oneProblem("tensor 'model.layers.1.mlp.up_proj.weight.scale' is a "
                                         "quantized form, but layer 1's up_proj is float in the "
                                         "config (expected only "
                                         "'model.layers.1.mlp.up_proj.weight')"));
  }
}

TEST(OpenCheckpoint, DirectoryAndPaths) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("bnn-checkpoint-test", dir));
  llvm::SmallString<128> configPath(dir), weightsPath(dir);
  llvm::sys::path::append(configPath, "config.json");
  llvm::sys::path::append(weightsPath, "model.safetensors");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(configPath, ec);
    ASSERT_FALSE(ec);
    std::string text = kConfig;
    text.replace(text.find("%s"), 2, "");
    os << text;
  }
  Tensors model = floatModel();
  std::vector<SafetensorsTensor> tensors;
  for (const auto &item : model.specs)
    tensors.push_back({item.first, item.second.dtype, item.second.shape, item.second.data});
  ASSERT_FALSE(static_cast<bool>(writeSafetensors(weightsPath, tensors)));

  llvm::Expected<Checkpoint> checkpoint = openCheckpointDirectory(dir);
  ASSERT_TRUE(static_cast<bool>(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_EQ(checkpoint->config.numHiddenLayers, 2);
  EXPECT_EQ(checkpoint->weights.getTensors().size(), model.specs.size());
  EXPECT_EQ(checkpoint->configPath, configPath.str());

  // Drop a tensor: validation fails unless turned off.
  tensors.pop_back();
  ASSERT_FALSE(static_cast<bool>(writeSafetensors(weightsPath, tensors)));
  llvm::Expected<Checkpoint> broken = openCheckpoint(configPath, weightsPath);
  ASSERT_FALSE(static_cast<bool>(broken));
  EXPECT_NE(llvm::toString(broken.takeError()).find("missing tensor"), std::string::npos);
  EXPECT_TRUE(static_cast<bool>(openCheckpoint(configPath, weightsPath, /*validate=*/false)));

  llvm::sys::fs::remove(weightsPath);
  llvm::Expected<Checkpoint> noWeights = openCheckpointDirectory(dir);
  ASSERT_FALSE(static_cast<bool>(noWeights));
  EXPECT_EQ(llvm::toString(noWeights.takeError()).rfind("cannot open '", 0), 0u);
  llvm::sys::fs::remove(configPath);
  llvm::sys::fs::remove(dir);
}

} // namespace
