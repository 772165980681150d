//===- bnn-checkpoint.cpp - inspect and validate model checkpoints -------===//
//
//   bnn-checkpoint info  DIR | --config FILE --weights FILE
//   bnn-checkpoint check DIR | --config FILE --weights FILE
//   bnn-checkpoint dump  DIR --tensor NAME...
//
// A checkpoint is config.json + model.safetensors (docs/ModelFormat.md). `info` prints the
// config and the tensors; `check` validates the pair. Links LLVM's Support library and the
// checkpoint library only, no MLIR.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Checkpoint.h"
#include "bnn/Support/ToolOptions.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace bnn::frontend;

static cl::OptionCategory checkpointCategory("bnn-checkpoint options");

static cl::opt<std::string> command(cl::Positional, cl::desc("<info|check|dump>"), cl::Required,
                                    cl::cat(checkpointCategory));
static cl::opt<std::string> directory(cl::Positional,
                                      cl::desc("[checkpoint directory: config.json + "
                                               "model.safetensors]"),
                                      cl::init(""), cl::cat(checkpointCategory));
static cl::opt<std::string> configPath("config",
                                       cl::desc("The config (instead of DIR/config.json)"),
                                       cl::value_desc("file"), cl::init(""),
                                       cl::cat(checkpointCategory));
static cl::opt<std::string> weightsPath("weights",
                                        cl::desc("The weights (instead of DIR/model.safetensors)"),
                                        cl::value_desc("file"), cl::init(""),
                                        cl::cat(checkpointCategory));

static cl::list<std::string> dumpTensors("tensor", cl::desc("dump: a tensor to print (repeatable)"),
                                         cl::value_desc("name"), cl::cat(checkpointCategory));

static const char *const overview =
    "bnn-checkpoint: inspect and validate a model checkpoint\n"
    "\n"
    "A checkpoint is a Hugging Face style config.json (Llama/BitNet fields plus bnn's\n"
    "per-layer weight kinds) and a model.safetensors file with Llama/BitNet tensor names;\n"
    "docs/ModelFormat.md specifies both.\n"
    "\n"
    "Commands:\n"
    "  info   parse both files; print the config, the weight kind of every projection and\n"
    "         a table of the tensors (name, dtype, shape, bytes). The safetensors container\n"
    "         is always checked; the tensors are not checked against the config (use check).\n"
    "  check  parse both files and check the tensors against the config (every expected\n"
    "         tensor present with its shape and a float dtype, or in its packed form; no\n"
    "         unexpected tensor). Prints 'OK: ...' and exits 0, or prints every problem and\n"
    "         exits 1.\n"
    "  dump   print the elements of each --tensor=NAME on one line after its name, dtype\n"
    "         and shape: float tensors (F32/F16/BF16) as the f32 values the reader returns,\n"
    "         in C's exact hexadecimal form (%a); I64/U64 words (packed weights) in hex.\n"
    "\n"
    "Any error (unreadable file, bad JSON, a truncated or lying safetensors header, a config\n"
    "field missing or out of range) is printed and the exit status is 1.\n"
    "\n"
    "Examples:\n"
    "  bnn-checkpoint info  models/tiny\n"
    "  bnn-checkpoint check models/tiny\n"
    "  bnn-checkpoint check --config c.json --weights w.safetensors\n";

static int fail(const Twine &message) {
  WithColor::error(errs(), "bnn-checkpoint") << message << "\n";
  return 1;
}

static void printConfig(raw_ostream &os, const ModelConfig &config) {
  os << "config:\n";
  os << "  model_type:              " << (config.modelType.empty() ? "-" : config.modelType)
     << "\n";
  os << "  vocab_size:              " << config.vocabSize << "\n";
  os << "  hidden_size:             " << config.hiddenSize << "\n";
  os << "  num_hidden_layers:       " << config.numHiddenLayers << "\n";
  os << "  num_attention_heads:     " << config.numAttentionHeads << "\n";
  os << "  num_key_value_heads:     " << config.numKeyValueHeads << "\n";
  os << "  head_dim:                " << config.headDim << "\n";
  os << "  intermediate_size:       " << config.intermediateSize << "\n";
  os << "  hidden_act:              " << getHiddenActName(config.hiddenAct) << "\n";
  os << "  rms_norm_eps:            " << format("%g", config.rmsNormEps) << "\n";
  os << "  rope_theta:              " << format("%g", config.ropeTheta) << "\n";
  os << "  max_position_embeddings: " << config.maxPositionEmbeddings << "\n";
  os << "  tie_word_embeddings:     " << (config.tieWordEmbeddings ? "true" : "false") << "\n";
  os << "  bnn.weight_kind:         " << getWeightKindName(config.weightKind) << "\n";
  os << "  bnn.activation_kind:     " << getActivationKindName(config.activationKind) << "\n";
  os << "  bnn.weight_scale:        " << getWeightScaleName(config.weightScale) << "\n";
  os << "  bnn.sub_norms:           " << (config.subNorms ? "true" : "false") << "\n";
  // Per-layer kinds, with runs of identical layers folded into one line.
  os << "weight kinds (q k v o gate up down):\n";
  for (int64_t first = 0; first < config.numHiddenLayers;) {
    int64_t last = first;
    while (last + 1 < config.numHiddenLayers &&
           config.layerKinds[last + 1] == config.layerKinds[first])
      ++last;
    std::string range = first == last
                            ? "layer " + std::to_string(first)
                            : "layers " + std::to_string(first) + "-" + std::to_string(last);
    os << "  " << left_justify(range + ":", 14);
    for (Projection projection : kAllProjections)
      os << " " << getWeightKindName(config.getWeightKind(first, projection));
    os << "\n";
    first = last + 1;
  }
}

static void printTensors(raw_ostream &os, const SafetensorsFile &weights) {
  size_t width = 4;
  for (const TensorView &tensor : weights.getTensors())
    width = std::max(width, tensor.name.size());
  os << "tensors: " << weights.getTensors().size() << " in '" << weights.getName() << "' ("
     << weights.getDataSize() << " bytes of data, " << weights.getHeaderSize()
     << " bytes of header)\n";
  os << "  " << left_justify("name", width) << "  dtype    " << left_justify("shape", 20)
     << " bytes\n";
  for (const TensorView &tensor : weights.getTensors())
    os << "  " << left_justify(tensor.name, width) << "  "
       << left_justify(getDTypeName(tensor.dtype), 8) << " "
       << left_justify(formatShape(tensor.shape), 20) << " " << tensor.bytes.size() << "\n";
  for (const auto &item : weights.getMetadata())
    os << "metadata: " << item.first << " = " << item.second << "\n";
}

static int dump(raw_ostream &os, const SafetensorsFile &weights) {
  for (const std::string &name : dumpTensors) {
    const TensorView *tensor = weights.lookup(name);
    if (!tensor)
      return fail("no tensor '" + name + "' in '" + weights.getName() + "'");
    os << tensor->name << ": " << getDTypeName(tensor->dtype) << " " << formatShape(tensor->shape)
       << ":";
    if (isFloatDType(tensor->dtype)) {
      Expected<std::vector<float>> values = readAsFloat32(*tensor);
      if (!values)
        return fail(toString(values.takeError()));
      for (float value : *values)
        os << " " << format("%a", static_cast<double>(value));
    } else if (tensor->dtype == SafetensorsDType::I64 || tensor->dtype == SafetensorsDType::U64) {
      for (size_t i = 0; i < tensor->bytes.size(); i += 8)
        os << " " << format_hex(support::endian::read64le(tensor->bytes.data() + i), 18);
    } else {
      return fail("tensor '" + name + "' is " + getDTypeName(tensor->dtype) +
                  ": dump prints F32, F16, BF16, I64 and U64 tensors");
    }
    os << "\n";
  }
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bnn::hideUnrelatedOptions({&checkpointCategory});
  cl::ParseCommandLineOptions(argc, argv, overview);

  if (command != "info" && command != "check" && command != "dump")
    return fail("unknown command '" + command + "' (expected info, check or dump)");
  if (command == "dump" && dumpTensors.empty())
    return fail("dump needs at least one --tensor=NAME");
  if (command != "dump" && !dumpTensors.empty())
    return fail("--tensor is an option of dump only");
  if (!directory.empty() && (!configPath.empty() || !weightsPath.empty()))
    return fail("give either a checkpoint directory or --config and --weights, not both");
  std::string config = configPath, weights = weightsPath;
  if (!directory.empty()) {
    SmallString<256> path(directory);
    sys::path::append(path, "config.json");
    config = std::string(path);
    path = directory;
    sys::path::append(path, "model.safetensors");
    weights = std::string(path);
  }
  if (config.empty() || weights.empty())
    return fail("no checkpoint: give a directory, or both --config and --weights");

  Expected<Checkpoint> checkpoint = openCheckpoint(config, weights, /*validate=*/false);
  if (!checkpoint)
    return fail(toString(checkpoint.takeError()));

  if (command == "dump")
    return dump(outs(), checkpoint->weights);
  if (command == "info") {
    printConfig(outs(), checkpoint->config);
    printTensors(outs(), checkpoint->weights);
    return 0;
  }
  if (Error error = validateCheckpoint(checkpoint->config, checkpoint->weights))
    return fail(toString(std::move(error)));
  outs() << "OK: '" << weights << "' matches '" << config << "' ("
         << checkpoint->weights.getTensors().size()
         << " tensors, num_hidden_layers = " << checkpoint->config.numHiddenLayers << ")\n";
  return 0;
}
