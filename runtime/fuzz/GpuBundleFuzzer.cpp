//===- GpuBundleFuzzer.cpp - libFuzzer entry point for the GPU bundle parser ===//
//
// Feeds arbitrary bytes to bnn::cuda::Bundle::parse, as if they were a .bundle file. Every input
// must end in a bundle or in an error status; a crash, a sanitizer report, a leak or a time-out
// (the parser once looped forever on a wrapped section size) is a bug. Built in a clang
// configuration with -DBNN_FUZZERS=ON; run by test/Fuzz/gpu-bundle.test.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/GpuBundle.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace bnn::cuda;
  Bundle bundle;
  Status status =
      Bundle::parse(std::string_view(reinterpret_cast<const char *>(data), size), bundle);
  if (!status.ok()) {
    if (status.message().empty())
      std::abort(); // every error says what went wrong
    return 0;
  }
  // What the runtime does with a parsed bundle before it touches a GPU: sizes of every buffer
  // (exact by the parser's contract), descriptions, lookups.
  auto checkBuffer = [](const BufferDesc &desc) {
    if (desc.numElements() < 0 || desc.bytes() == SIZE_MAX)
      std::abort();
    (void)desc.str();
  };
  for (const BundleConstant &c : bundle.constants) {
    checkBuffer(c.buffer);
    if (c.data.size() != c.buffer.bytes())
      std::abort();
  }
  for (const BundleFunction &f : bundle.functions) {
    if (bundle.findFunction(f.name) == nullptr)
      std::abort();
    for (const FunctionArg &arg : f.args)
      checkBuffer(arg.buffer);
    for (const BufferDesc &temp : f.temps)
      checkBuffer(temp);
  }
  return 0;
}
