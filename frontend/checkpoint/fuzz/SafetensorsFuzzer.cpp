//===- SafetensorsFuzzer.cpp - libFuzzer entry point for the safetensors reader ===//
//
// Feeds arbitrary bytes to bnn::frontend::SafetensorsFile::parse, as if they were a
// model.safetensors file. Every input must end in a file or in an error; a crash, a sanitizer
// report, a leak or a time-out is a bug. What parses is read further (every tensor widened to
// f32 where it is a float, and validated against a small fixed config) so that mutations reach
// the code behind the parser too. Run by test/Fuzz/safetensors.test.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Checkpoint.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cstddef>
#include <cstdint>

using namespace bnn::frontend;

// A two-layer model whose tensors are small enough for the corpus (tiny-silu in the seeds).
static const char *const kConfig = R"({
  "vocab_size": 8, "hidden_size": 4, "num_hidden_layers": 2, "num_attention_heads": 2,
  "num_key_value_heads": 1, "intermediate_size": 6, "hidden_act": "silu",
  "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 16,
  "bnn": {"weight_kind": "ternary", "layers": {"1": {"q_proj": "binary", "k_proj": "float"}}}
})";

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const ModelConfig config = [] {
    llvm::Expected<ModelConfig> parsed = parseModelConfig(kConfig, "fuzz-config");
    if (!parsed) {
      llvm::consumeError(parsed.takeError());
      __builtin_trap();
    }
    return std::move(*parsed);
  }();
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<SafetensorsFile> file =
      SafetensorsFile::parse(llvm::MemoryBuffer::getMemBuffer(bytes, "fuzz-input",
                                                              /*RequiresNullTerminator=*/false));
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  for (const TensorView &tensor : file->getTensors()) {
    if (file->lookup(tensor.name) != &tensor)
      __builtin_trap(); // lookup must find every listed tensor
    if (isFloatDType(tensor.dtype)) {
      llvm::Expected<std::vector<float>> values = readAsFloat32(tensor);
      if (!values)
        __builtin_trap(); // a float tensor of a parsed file always converts
    }
  }
  llvm::consumeError(validateCheckpoint(config, *file));
  return 0;
}
