//===- NpyFuzzer.cpp - libFuzzer entry point for the .npy reader ----------===//
//
// Feeds arbitrary bytes to bnn::npy::parse (bnn/runtime/Npy.h), as bnn-embed reads its
// embeddings and labels. Every input must end in an array whose data is exactly its shape's
// bytes, or in an error message; a crash, a sanitizer report, a leak or a time-out is a bug. A
// parsed array is written back with serialize() and parsed again, which must give the same
// array. Built in a clang configuration with -DBNN_FUZZERS=ON; run by test/Fuzz/npy.test.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/Npy.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // An exact-size copy: a read past the input is a heap overflow under AddressSanitizer.
  std::vector<uint8_t> bytes(data, data + size);
  bnn::npy::Array array;
  std::string error;
  if (!bnn::npy::parse(bytes.data(), bytes.size(), array, error)) {
    if (error.empty())
      std::abort(); // every rejection says why
    return 0;
  }
  if (array.majorVersion < 1 || array.majorVersion > 3 || array.shape.size() > 8)
    std::abort();
  uint64_t elements = 1;
  for (int64_t d : array.shape) {
    if (d < 0)
      std::abort();
    elements *= static_cast<uint64_t>(d);
  }
  if (elements * static_cast<uint64_t>(bnn::npy::dtypeSize(array.dtype)) != array.data.size())
    std::abort();
  std::vector<uint8_t> again =
      bnn::npy::serialize(array.dtype, array.shape, array.data.data(), array.data.size());
  bnn::npy::Array reparsed;
  if (!bnn::npy::parse(again.data(), again.size(), reparsed, error) ||
      reparsed.dtype != array.dtype || reparsed.shape != array.shape || reparsed.data != array.data)
    std::abort();
  return 0;
}
