//===- Index.cpp - the Hamming k-NN index of the C API (bnn/bnn_index.h) -===//
//
// Codes live either in an owned vector or in a read-only mapping of a loaded file; search is
// bnn_ukernel_hamming_topk. The file format and the projection's generator are specified in
// docs/HammingIndex.md; this file is their implementation.
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/HammingTopK.h"
#include "bnn/runtime/Status.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using bnn::fail;

struct bnn_index {
  int64_t bits = 0, words = 0, dim = 0;
  uint64_t seed = 0;
  std::vector<uint64_t> owned;
  const uint64_t *codes = nullptr; // owned.data() or into the mapping
  int64_t count = 0;
  std::vector<float> projOwned;
  const float *proj = nullptr; // bits x dim, or null
  void *map = nullptr;
  size_t mapSize = 0;

  ~bnn_index() {
    if (map)
      munmap(map, mapSize);
  }
  /// Makes the codes owned (before appending to a loaded index).
  void own() {
    if (codes != owned.data() || map) {
      if (codes != owned.data())
        owned.assign(codes, codes + count * words);
      if (proj && proj != projOwned.data())
        projOwned.assign(proj, proj + bits * dim);
      if (proj)
        proj = projOwned.data();
      if (map)
        munmap(map, mapSize);
      map = nullptr;
      mapSize = 0;
    }
    codes = owned.data();
  }
};

namespace {

constexpr char kMagic[8] = {'B', 'N', 'N', 'H', 'I', 'D', 'X', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kFlagProjection = 1;
constexpr int64_t kHeaderBytes = 64;

uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The projection of docs/HammingIndex.md: bits x dim standard normals, row-major, by
/// Box-Muller over splitmix64 uniforms.
void generateProjection(uint64_t seed, int64_t n, std::vector<float> &out) {
  out.resize(static_cast<size_t>(n));
  uint64_t state = seed;
  const double pi = 3.14159265358979323846;
  for (int64_t i = 0; i < n; i += 2) {
    double u1 = (static_cast<double>(splitmix64(state) >> 11) + 0.5) * 0x1p-53;
    double u2 = (static_cast<double>(splitmix64(state) >> 11) + 0.5) * 0x1p-53;
    double r = std::sqrt(-2.0 * std::log(u1));
    out[i] = static_cast<float>(r * std::cos(2.0 * pi * u2));
    if (i + 1 < n)
      out[i + 1] = static_cast<float>(r * std::sin(2.0 * pi * u2));
  }
}

bool mulOk(int64_t a, int64_t b, int64_t &r) { return !__builtin_mul_overflow(a, b, &r); }

bnn_status checkBits(const char *fn, int64_t bits) {
  if (bits < 1 || bits > BNN_INDEX_MAX_CODE_BITS)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": code_bits must be 1 to " +
                                                 std::to_string(BNN_INDEX_MAX_CODE_BITS) +
                                                 ", found " + std::to_string(bits));
  return BNN_STATUS_OK;
}

/// Whether every code's padding bits (past `bits`) are zero; the first bad one in `bad`.
bool paddingZero(const uint64_t *codes, int64_t count, int64_t words, int64_t bits, int64_t &bad) {
  if (bits % 64 == 0)
    return true;
  const uint64_t mask = ~((uint64_t(1) << (bits % 64)) - 1);
  for (int64_t c = 0; c < count; ++c)
    if (codes[c * words + words - 1] & mask) {
      bad = c;
      return false;
    }
  return true;
}

bnn_status checkCounts(const char *fn, const char *what, int64_t count, const void *ptr) {
  if (count < 0)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": " + what + " must be >= 0, found " + std::to_string(count));
  if (count > 0 && !ptr)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": null pointer for " + std::to_string(count) + " " + what);
  return BNN_STATUS_OK;
}

bnn_status encode(const char *fn, const bnn_index *index, const float *x, int64_t count,
                  uint64_t *codes) {
  if (!index)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null index");
  if (!index->proj)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) +
                                                 ": the index has no projection (create it with "
                                                 "bnn_index_create_projected)");
  if (bnn_status s = checkCounts(fn, "vectors", count, x))
    return s;
  if (count > 0 && !codes)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null codes");
  int64_t total;
  if (!mulOk(count, index->dim, total) || !mulOk(count, index->words * 8, total))
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": count " + std::to_string(count) + " overflows");
  const int64_t dim = index->dim, bits = index->bits, words = index->words;
  for (int64_t v = 0; v < count; ++v)
    for (int64_t i = 0; i < dim; ++i)
      if (!std::isfinite(x[v * dim + i]))
        return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": vector " + std::to_string(v) +
                                                     " element " + std::to_string(i) +
                                                     " is not finite");
  for (int64_t v = 0; v < count; ++v) {
    const float *xv = x + v * dim;
    uint64_t *code = codes + v * words;
    std::memset(code, 0, static_cast<size_t>(words) * 8);
    for (int64_t j = 0; j < bits; ++j) {
      const float *row = index->proj + j * dim;
      double dot = 0;
      for (int64_t i = 0; i < dim; ++i)
        dot += static_cast<double>(row[i]) * xv[i];
      if (dot > 0)
        code[j / 64] |= uint64_t(1) << (j % 64);
    }
  }
  return BNN_STATUS_OK;
}

bnn_status search(const char *fn, const bnn_index *index, const uint64_t *queries,
                  int64_t numQueries, int64_t k, int32_t threads, int32_t *distances,
                  int64_t *indices) {
  if (!index)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null index");
  if (bnn_status s = checkCounts(fn, "queries", numQueries, queries))
    return s;
  if (k < 1)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": k must be >= 1, found " + std::to_string(k));
  int64_t outCount;
  if (!mulOk(numQueries, k, outCount) || !mulOk(outCount, 8, outCount))
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": num_queries " +
                                                 std::to_string(numQueries) + " x k " +
                                                 std::to_string(k) + " overflows");
  if (numQueries > 0 && (!distances || !indices))
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null distances or indices");
  int64_t bad;
  if (!paddingZero(queries, numQueries, index->words, index->bits, bad))
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": query " + std::to_string(bad) +
                                                 " has padding bits set (past bit " +
                                                 std::to_string(index->bits) + ")");
  bnn_ukernel_hamming_topk(queries, numQueries, index->codes, index->count, index->words, k,
                           distances, indices, threads);
  return BNN_STATUS_OK;
}

bnn_index *newIndex(int64_t bits) {
  auto *index = new bnn_index;
  index->bits = bits;
  index->words = (bits + 63) / 64;
  index->codes = index->owned.data();
  return index;
}

uint32_t readU32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}
uint64_t readU64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}
void putU32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void putU64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}

struct Header {
  int64_t bits, count, dim, words;
  uint64_t seed;
  int64_t codeBytes, projBytes;
};

/// Checks the header and payload of an index file of `size` bytes at `data`; `what` names it in
/// messages ("bnn_index_load: 'x.bnnidx'").
bnn_status parse(const std::string &what, const uint8_t *data, uint64_t size, Header &h) {
  auto bad = [&](const std::string &m) { return fail(BNN_STATUS_BAD_FORMAT, what + ": " + m); };
  if (size < static_cast<uint64_t>(kHeaderBytes))
    return bad("truncated header: expected at least 64 bytes, found " + std::to_string(size));
  if (std::memcmp(data, kMagic, 8) != 0)
    return bad("bad magic: expected \"BNNHIDX\\0\" (a bnn index file)");
  uint32_t version = readU32(data + 8);
  if (version != kVersion)
    return bad("unsupported version: expected 1, found " + std::to_string(version));
  uint32_t flags = readU32(data + 12);
  if (flags & ~kFlagProjection)
    return bad("unknown flags: expected 0 or 1, found " + std::to_string(flags));
  uint64_t bits = readU64(data + 16), count = readU64(data + 24), dim = readU64(data + 32);
  uint64_t payload = readU64(data + 48), checksum = readU64(data + 56);
  if (bits < 1 || bits > BNN_INDEX_MAX_CODE_BITS)
    return bad("code_bits must be 1 to " + std::to_string(BNN_INDEX_MAX_CODE_BITS) + ", found " +
               std::to_string(bits));
  bool hasProj = flags & kFlagProjection;
  if (hasProj && (dim < 1 || dim > BNN_INDEX_MAX_INPUT_DIM))
    return bad("input_dim must be 1 to " + std::to_string(BNN_INDEX_MAX_INPUT_DIM) +
               " with a projection, found " + std::to_string(dim));
  if (!hasProj && dim != 0)
    return bad("input_dim must be 0 without a projection, found " + std::to_string(dim));
  h.bits = static_cast<int64_t>(bits);
  h.words = (h.bits + 63) / 64;
  h.dim = static_cast<int64_t>(dim);
  h.seed = readU64(data + 40);
  h.projBytes = h.bits * h.dim * 4; // <= 2^16 * 2^20 * 4
  // Every count fits the file: count * words * 8 <= size.
  uint64_t bodyBytes = size - kHeaderBytes;
  if (count > bodyBytes / static_cast<uint64_t>(h.words * 8))
    return bad("count " + std::to_string(count) + " codes of " + std::to_string(h.words) +
               " words need more than the " + std::to_string(bodyBytes) +
               " bytes after the header (truncated file or bad count)");
  h.count = static_cast<int64_t>(count);
  h.codeBytes = h.count * h.words * 8;
  uint64_t expected = static_cast<uint64_t>(h.codeBytes) + static_cast<uint64_t>(h.projBytes);
  if (payload != expected)
    return bad(
        "payload_bytes is " + std::to_string(payload) + ", expected " + std::to_string(expected) +
        " for " + std::to_string(count) + " codes of " + std::to_string(bits) + " bits" +
        (hasProj ? " and a " + std::to_string(bits) + " x " + std::to_string(dim) + " projection"
                 : std::string()));
  if (bodyBytes != expected)
    return bad(std::string(bodyBytes < expected ? "truncated file" : "trailing bytes") +
               ": expected " + std::to_string(expected) +
               " payload bytes after the header, "
               "found " +
               std::to_string(bodyBytes));
  uint64_t sum = fnv1a(fnv1a(kFnvOffset, data, 56), data + kHeaderBytes, bodyBytes);
  if (sum != checksum) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "checksum mismatch: header says 0x%016llx, bytes give 0x%016llx",
                  static_cast<unsigned long long>(checksum), static_cast<unsigned long long>(sum));
    return bad(buf);
  }
  return BNN_STATUS_OK;
}

/// Builds the index from parsed bytes whose codes and projection stay where they are (the
/// caller keeps `data` alive: a mapping, or the index's own copy).
bnn_status finish(const std::string &what, const uint8_t *data, const Header &h, bnn_index *index) {
  const uint64_t *codes = reinterpret_cast<const uint64_t *>(data + kHeaderBytes);
  int64_t badCode;
  if (!paddingZero(codes, h.count, h.words, h.bits, badCode))
    return fail(BNN_STATUS_BAD_FORMAT, what + ": code " + std::to_string(badCode) +
                                           " has padding bits set (past bit " +
                                           std::to_string(h.bits) + ")");
  const float *proj =
      h.dim ? reinterpret_cast<const float *>(data + kHeaderBytes + h.codeBytes) : nullptr;
  for (int64_t i = 0; i < h.bits * h.dim; ++i)
    if (!std::isfinite(proj[i]))
      return fail(BNN_STATUS_BAD_FORMAT,
                  what + ": projection element " + std::to_string(i) + " is not finite");
  index->bits = h.bits;
  index->words = h.words;
  index->dim = h.dim;
  index->seed = h.seed;
  index->count = h.count;
  index->codes = codes;
  index->proj = proj;
  return BNN_STATUS_OK;
}

} // namespace

extern "C" {

bnn_status bnn_index_create(int64_t code_bits, bnn_index **out) {
  return bnn::guardedCall("bnn_index_create", [&] {
    if (!out)
      return fail(BNN_STATUS_INVALID_ARGUMENT, "bnn_index_create: null out");
    if (bnn_status s = checkBits("bnn_index_create", code_bits))
      return s;
    *out = newIndex(code_bits);
    return BNN_STATUS_OK;
  });
}

bnn_status bnn_index_create_projected(int64_t code_bits, int64_t input_dim, uint64_t seed,
                                      bnn_index **out) {
  const char *fn = "bnn_index_create_projected";
  return bnn::guardedCall(fn, [&] {
    if (!out)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null out");
    if (bnn_status s = checkBits(fn, code_bits))
      return s;
    if (input_dim < 1 || input_dim > BNN_INDEX_MAX_INPUT_DIM)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": input_dim must be 1 to " +
                                                   std::to_string(BNN_INDEX_MAX_INPUT_DIM) +
                                                   ", found " + std::to_string(input_dim));
    bnn_index *index = newIndex(code_bits);
    try {
      generateProjection(seed, code_bits * input_dim, index->projOwned);
    } catch (...) {
      delete index;
      throw;
    }
    index->dim = input_dim;
    index->seed = seed;
    index->proj = index->projOwned.data();
    *out = index;
    return BNN_STATUS_OK;
  });
}

void bnn_index_destroy(bnn_index *index) { delete index; }

int64_t bnn_index_code_bits(const bnn_index *index) { return index ? index->bits : 0; }
int64_t bnn_index_code_words(const bnn_index *index) { return index ? index->words : 0; }
int64_t bnn_index_size(const bnn_index *index) { return index ? index->count : 0; }
int64_t bnn_index_input_dim(const bnn_index *index) { return index ? index->dim : 0; }

bnn_status bnn_index_add(bnn_index *index, const uint64_t *codes, int64_t count) {
  const char *fn = "bnn_index_add";
  return bnn::guardedCall(fn, [&] {
    if (!index)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null index");
    if (bnn_status s = checkCounts(fn, "codes", count, codes))
      return s;
    int64_t total, words;
    if (__builtin_add_overflow(index->count, count, &total) ||
        !mulOk(total, index->words * 8, words))
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": " + std::to_string(count) +
                                                   " more codes overflow the index");
    int64_t bad;
    if (!paddingZero(codes, count, index->words, index->bits, bad))
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": code " + std::to_string(bad) +
                                                   " has padding bits set (past bit " +
                                                   std::to_string(index->bits) + ")");
    index->own();
    index->owned.insert(index->owned.end(), codes, codes + count * index->words);
    index->codes = index->owned.data();
    index->count = total;
    return BNN_STATUS_OK;
  });
}

bnn_status bnn_index_encode(const bnn_index *index, const float *vectors, int64_t count,
                            uint64_t *codes) {
  return bnn::guardedCall("bnn_index_encode",
                          [&] { return encode("bnn_index_encode", index, vectors, count, codes); });
}

bnn_status bnn_index_add_floats(bnn_index *index, const float *vectors, int64_t count) {
  const char *fn = "bnn_index_add_floats";
  return bnn::guardedCall(fn, [&] {
    if (!index)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null index");
    if (count < 0 || count > INT64_MAX / 8 / index->words)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) +
                                                   ": count must be >= 0 and not overflow, found " +
                                                   std::to_string(count));
    std::vector<uint64_t> codes(static_cast<size_t>(count * index->words));
    if (bnn_status s = encode(fn, index, vectors, count, codes.data()))
      return s;
    return bnn_index_add(index, codes.data(), count);
  });
}

bnn_status bnn_index_search(const bnn_index *index, const uint64_t *queries, int64_t num_queries,
                            int64_t k, int32_t threads, int32_t *distances, int64_t *indices) {
  return bnn::guardedCall("bnn_index_search", [&] {
    return search("bnn_index_search", index, queries, num_queries, k, threads, distances, indices);
  });
}

bnn_status bnn_index_search_floats(const bnn_index *index, const float *queries,
                                   int64_t num_queries, int64_t k, int32_t threads,
                                   int32_t *distances, int64_t *indices) {
  const char *fn = "bnn_index_search_floats";
  return bnn::guardedCall(fn, [&] {
    if (!index)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null index");
    if (num_queries < 0 || num_queries > INT64_MAX / 8 / index->words)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": num_queries must be >= 0 and not overflow, found " +
                      std::to_string(num_queries));
    std::vector<uint64_t> codes(static_cast<size_t>(num_queries * index->words));
    if (bnn_status s = encode(fn, index, queries, num_queries, codes.data()))
      return s;
    return search(fn, index, codes.data(), num_queries, k, threads, distances, indices);
  });
}

bnn_status bnn_index_save(const bnn_index *index, const char *path) {
  const char *fn = "bnn_index_save";
  return bnn::guardedCall(fn, [&] {
    if (!index || !path)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null index or path");
    uint8_t header[kHeaderBytes] = {};
    std::memcpy(header, kMagic, 8);
    putU32(header + 8, kVersion);
    putU32(header + 12, index->proj ? kFlagProjection : 0);
    putU64(header + 16, static_cast<uint64_t>(index->bits));
    putU64(header + 24, static_cast<uint64_t>(index->count));
    putU64(header + 32, static_cast<uint64_t>(index->dim));
    putU64(header + 40, index->seed);
    const size_t codeBytes = static_cast<size_t>(index->count * index->words * 8);
    const size_t projBytes = index->proj ? static_cast<size_t>(index->bits * index->dim * 4) : 0;
    putU64(header + 48, codeBytes + projBytes);
    // Little-endian payload: the in-memory layout on the (little-endian) targets bnn supports.
    const uint8_t *codes = reinterpret_cast<const uint8_t *>(index->codes);
    const uint8_t *proj = reinterpret_cast<const uint8_t *>(index->proj);
    uint64_t sum = fnv1a(kFnvOffset, header, 56);
    sum = fnv1a(sum, codes, codeBytes);
    sum = fnv1a(sum, proj, projBytes);
    putU64(header + 56, sum);
    std::FILE *f = std::fopen(path, "wb");
    if (!f)
      return fail(BNN_STATUS_IO_ERROR, std::string(fn) + ": cannot open '" + path +
                                           "' for writing: " + std::strerror(errno));
    bool ok = std::fwrite(header, 1, sizeof header, f) == sizeof header &&
              (codeBytes == 0 || std::fwrite(codes, 1, codeBytes, f) == codeBytes) &&
              (projBytes == 0 || std::fwrite(proj, 1, projBytes, f) == projBytes);
    ok = (std::fclose(f) == 0) && ok;
    if (!ok)
      return fail(BNN_STATUS_IO_ERROR,
                  std::string(fn) + ": cannot write '" + path + "': " + std::strerror(errno));
    return BNN_STATUS_OK;
  });
}

bnn_status bnn_index_load(const char *path, bnn_index **out) {
  const char *fn = "bnn_index_load";
  return bnn::guardedCall(fn, [&] {
    if (!path || !out)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null path or out");
    std::string what = std::string(fn) + ": '" + path + "'";
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return fail(BNN_STATUS_IO_ERROR, what + ": cannot open: " + std::strerror(errno));
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return fail(BNN_STATUS_IO_ERROR, what + ": not a regular file");
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < static_cast<uint64_t>(kHeaderBytes)) {
      ::close(fd);
      return fail(BNN_STATUS_BAD_FORMAT, what +
                                             ": truncated header: expected at least 64 "
                                             "bytes, found " +
                                             std::to_string(size));
    }
    void *map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int mapErrno = errno;
    ::close(fd);
    if (map == MAP_FAILED)
      return fail(BNN_STATUS_IO_ERROR, what + ": cannot map: " + std::strerror(mapErrno));
    auto *index = new (std::nothrow) bnn_index;
    if (!index) {
      munmap(map, size);
      return fail(BNN_STATUS_OUT_OF_MEMORY, what + ": out of memory");
    }
    index->map = map;
    index->mapSize = size;
    const uint8_t *data = static_cast<const uint8_t *>(map);
    Header h;
    bnn_status s = parse(what, data, size, h);
    if (s == BNN_STATUS_OK)
      s = finish(what, data, h, index);
    if (s != BNN_STATUS_OK) {
      delete index;
      return s;
    }
    *out = index;
    return BNN_STATUS_OK;
  });
}

bnn_status bnn_index_load_buffer(const void *data, int64_t size, bnn_index **out) {
  const char *fn = "bnn_index_load_buffer";
  return bnn::guardedCall(fn, [&] {
    if (!out || size < 0 || (size > 0 && !data))
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": null out or data, or negative size");
    // Parse first, from the caller's bytes: a lying size allocates nothing.
    std::string what = fn;
    const uint8_t *bytes = static_cast<const uint8_t *>(data);
    Header h;
    if (bnn_status s = parse(what, bytes, static_cast<uint64_t>(size), h))
      return s;
    auto *index = new bnn_index;
    // An aligned copy: the codes are read as uint64 words.
    index->owned.resize(static_cast<size_t>((size + 7) / 8));
    std::memcpy(index->owned.data(), bytes, static_cast<size_t>(size));
    const uint8_t *copy = reinterpret_cast<const uint8_t *>(index->owned.data());
    if (bnn_status s = finish(what, copy, h, index)) {
      delete index;
      return s;
    }
    // Own the codes and projection in their vectors (the copy held the header too).
    std::vector<uint64_t> codes(index->codes, index->codes + h.count * h.words);
    if (h.dim)
      index->projOwned.assign(index->proj, index->proj + h.bits * h.dim);
    index->owned.swap(codes);
    index->codes = index->owned.data();
    index->proj = h.dim ? index->projOwned.data() : nullptr;
    *out = index;
    return BNN_STATUS_OK;
  });
}

} // extern "C"
