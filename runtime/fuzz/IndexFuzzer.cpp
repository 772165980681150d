//===- IndexFuzzer.cpp - libFuzzer entry point for the index loader -------===//
//
// Feeds arbitrary bytes to bnn_index_load_buffer, as if they were a .bnnidx file
// (docs/HammingIndex.md). Every input must end in an index or in BNN_STATUS_BAD_FORMAT with a
// message; a crash, a sanitizer report, a leak or a time-out is a bug. Each input is loaded
// twice: as it is, and with its checksum field recomputed (FNV-1a 64 over bytes 0..55 and
// 64..end), so that mutations get past the checksum to the checks behind it (padding bits,
// finite projection) and to a search of the loaded index. Built in a clang configuration with
// -DBNN_FUZZERS=ON; run by test/Fuzz/index.test.
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

void loadAndUse(const uint8_t *data, size_t size) {
  bnn_index *index = nullptr;
  bnn_status status = bnn_index_load_buffer(data, static_cast<int64_t>(size), &index);
  if (status != BNN_STATUS_OK) {
    if (status != BNN_STATUS_BAD_FORMAT || bnn_last_error()[0] == '\0' || index != nullptr)
      std::abort(); // every error is a format error that says what went wrong
    return;
  }
  // What an application does next: look at it, search it (the bytes after the header are
  // exactly the codes and projection, so these sizes are small).
  const int64_t words = bnn_index_code_words(index), size0 = bnn_index_size(index);
  if (words < 1 || words > 1024 || size0 < 0 || bnn_index_code_bits(index) < 1)
    std::abort();
  std::vector<uint64_t> query(static_cast<size_t>(words), 0);
  int32_t dist[3];
  int64_t idx[3];
  if (bnn_index_search(index, query.data(), 1, 3, 1, dist, idx) != BNN_STATUS_OK)
    std::abort();
  for (int j = 0; j < 3; ++j)
    if ((j < size0) != (idx[j] >= 0) || (idx[j] < 0 && dist[j] != INT32_MAX) ||
        (idx[j] >= 0 && (idx[j] >= size0 || dist[j] < 0 || dist[j] > words * 64)))
      std::abort();
  if (int64_t dim = bnn_index_input_dim(index)) {
    std::vector<float> x(static_cast<size_t>(dim), 1.0f);
    if (bnn_index_encode(index, x.data(), 1, query.data()) != BNN_STATUS_OK)
      std::abort();
  }
  bnn_index_destroy(index);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  loadAndUse(data, size);
  if (size >= 64) {
    std::vector<uint8_t> sealed(data, data + size);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; ++i)
      if (i < 56 || i >= 64)
        h = (h ^ sealed[i]) * 0x100000001b3ull;
    for (int i = 0; i < 8; ++i)
      sealed[56 + i] = static_cast<uint8_t>(h >> (8 * i));
    loadAndUse(sealed.data(), sealed.size());
  }
  return 0;
}
