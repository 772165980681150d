//===- Npy.cpp - A strict reader and writer of NumPy .npy arrays ----------===//
//
// The format (NumPy's numpy/lib/format.py): the magic "\x93NUMPY", a major and minor version
// byte, the header length (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0), then
// the header: a Python dict literal with exactly the keys 'descr', 'fortran_order' and 'shape',
// padded with spaces and ended by '\n'; then the data. The reader accepts exactly that, with
// the literal syntax NumPy writes (strings without escapes, True/False, tuples of decimal
// integers), and nothing it does not understand.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/Npy.h"
#include "bnn/runtime/Checked.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

namespace bnn::npy {

namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct DTypeInfo {
  DType dtype;
  const char *descr;
  int64_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::Float32, "<f4", 4}, {DType::Float64, "<f8", 8}, {DType::Int32, "<i4", 4},
    {DType::Int64, "<i8", 8},   {DType::UInt64, "<u8", 8},
};

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size())
      s += shape.size() == 1 ? "," : ", ";
  }
  return s + ")";
}

/// A cursor over the header dictionary's text.
class HeaderParser {
public:
  HeaderParser(const std::string &text, const Limits &limits) : text(text), limits(limits) {}

  bool parse(Array &out, std::string &error) {
    skipSpace();
    if (!consume('{'))
      return fail("expected '{' at the start of the header dictionary", error);
    bool haveDescr = false, haveOrder = false, haveShape = false;
    std::string descr;
    bool fortran = false;
    for (;;) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key or '}' in the header dictionary", error);
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after the key '" + key + "'", error);
      skipSpace();
      if (key == "descr") {
        if (haveDescr)
          return fail("the key 'descr' appears twice", error);
        haveDescr = true;
        if (!parseString(descr))
          return fail("'descr' must be a quoted type string such as '<f4' (structured "
                      "dtypes are not supported)",
                      error);
      } else if (key == "fortran_order") {
        if (haveOrder)
          return fail("the key 'fortran_order' appears twice", error);
        haveOrder = true;
        if (matchWord("True"))
          fortran = true;
        else if (matchWord("False"))
          fortran = false;
        else
          return fail("'fortran_order' must be True or False", error);
      } else if (key == "shape") {
        if (haveShape)
          return fail("the key 'shape' appears twice", error);
        haveShape = true;
        if (!parseShape(out.shape, error))
          return false;
      } else {
        return fail("unexpected key '" + key +
                        "' in the header (expected only 'descr', 'fortran_order', 'shape')",
                    error);
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return fail("expected ',' or '}' after the value of '" + key + "'", error);
    }
    // NumPy pads the header with spaces and ends it with a newline.
    while (pos < text.size() && text[pos] == ' ')
      ++pos;
    if (pos + 1 != text.size() || text[pos] != '\n')
      return fail("the header must end with spaces and one '\\n' after the dictionary", error);
    if (!haveDescr || !haveOrder || !haveShape)
      return fail(std::string("the header lacks the key '") +
                      (!haveDescr   ? "descr"
                       : !haveOrder ? "fortran_order"
                                    : "shape") +
                      "'",
                  error);
    const DTypeInfo *info = nullptr;
    for (const DTypeInfo &candidate : kDTypes)
      if (descr == candidate.descr)
        info = &candidate;
    if (!info) {
      std::string why =
          !descr.empty() && descr[0] == '>' ? " (big-endian data is not supported)" : "";
      return fail("unsupported dtype '" + descr + "'" + why +
                      ": expected one of '<f4', '<f8', '<i4', '<i8', '<u8'",
                  error);
    }
    if (fortran)
      return fail("fortran_order is True: only C-order arrays are supported (save with "
                  "np.ascontiguousarray)",
                  error);
    out.dtype = info->dtype;
    return true;
  }

private:
  bool fail(const std::string &message, std::string &error) {
    error = "bad .npy header: " + message;
    return false;
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
      ++pos;
  }
  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool matchWord(const char *word) {
    size_t n = std::strlen(word);
    if (text.compare(pos, n, word) != 0)
      return false;
    pos += n;
    return true;
  }
  /// A Python string literal in single or double quotes, without escapes.
  bool parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos++];
    size_t start = pos;
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\' || text[pos] == '\n')
        return false;
      ++pos;
    }
    if (pos >= text.size())
      return false;
    out = text.substr(start, pos - start);
    ++pos;
    return true;
  }
  /// A tuple of non-negative decimal integers: (), (n,), (n, m), (n, m,) ...
  bool parseShape(std::vector<int64_t> &shape, std::string &error) {
    shape.clear();
    if (!consume('('))
      return fail("'shape' must be a tuple of integers", error);
    skipSpace();
    if (consume(')'))
      return true;
    for (;;) {
      skipSpace();
      if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
        return fail("'shape' must hold non-negative decimal integers", error);
      int64_t value = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        std::optional<int64_t> next = checked::mul<int64_t>(value, 10);
        if (next)
          next = checked::add<int64_t>(*next, text[pos] - '0');
        if (!next)
          return fail("a 'shape' dimension does not fit in 64 bits", error);
        value = *next;
        ++pos;
      }
      shape.push_back(value);
      if (static_cast<int>(shape.size()) > limits.maxRank)
        return fail("'shape' has more than " + std::to_string(limits.maxRank) + " dimensions",
                    error);
      skipSpace();
      if (consume(')')) {
        if (shape.size() == 1)
          return fail("a one-dimensional 'shape' must be written (n,)", error);
        return true;
      }
      if (!consume(','))
        return fail("expected ',' or ')' in 'shape'", error);
      skipSpace();
      if (consume(')'))
        return true;
    }
  }

  const std::string &text;
  const Limits &limits;
  size_t pos = 0;
};

} // namespace

const char *dtypeDescr(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.descr;
  return "?";
}

int64_t dtypeSize(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.size;
  return 0;
}

int64_t Array::numElements() const { return static_cast<int64_t>(data.size()) / dtypeSize(dtype); }

double Array::elementAsDouble(int64_t i) const {
  const uint8_t *p = data.data() + i * dtypeSize(dtype);
  switch (dtype) {
  case DType::Float32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::Float64: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  default: return static_cast<double>(elementAsInt64(i));
  }
}

int64_t Array::elementAsInt64(int64_t i) const {
  const uint8_t *p = data.data() + i * dtypeSize(dtype);
  switch (dtype) {
  case DType::Int32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::Int64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case DType::UInt64: {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<int64_t>(v);
  }
  default: return static_cast<int64_t>(elementAsDouble(i));
  }
}

bool parse(const uint8_t *bytes, size_t size, Array &out, std::string &error,
           const Limits &limits) {
  if (size < 8 || std::memcmp(bytes, kMagic, 6) != 0) {
    error = "not a .npy file: expected the magic \"\\x93NUMPY\" at the start";
    if (size < 8)
      error += " (the file has only " + std::to_string(size) + " bytes)";
    return false;
  }
  int major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    error = "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
            ": expected 1.0, 2.0 or 3.0";
    return false;
  }
  const size_t lengthBytes = major == 1 ? 2 : 4;
  if (size < 8 + lengthBytes) {
    error = "truncated .npy header: the file ends inside the header length";
    return false;
  }
  uint64_t headerLen = 0;
  for (size_t i = lengthBytes; i-- > 0;)
    headerLen = (headerLen << 8) | bytes[8 + i];
  const uint64_t headerStart = 8 + lengthBytes;
  if (headerLen > limits.maxHeaderBytes) {
    error = "bad .npy header: its length " + std::to_string(headerLen) + " exceeds the limit of " +
            std::to_string(limits.maxHeaderBytes) + " bytes";
    return false;
  }
  if (headerLen > size - headerStart) {
    error = "truncated .npy header: it declares " + std::to_string(headerLen) +
            " bytes, the file has " + std::to_string(size - headerStart) + " after the length";
    return false;
  }
  std::string text(reinterpret_cast<const char *>(bytes + headerStart),
                   static_cast<size_t>(headerLen));
  for (unsigned char c : text)
    if (c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t')) {
      error = "bad .npy header: it holds a byte that is not printable ASCII";
      return false;
    }
  Array parsed;
  parsed.majorVersion = major;
  HeaderParser parser(text, limits);
  if (!parser.parse(parsed, error))
    return false;
  std::optional<int64_t> elements = checked::product<int64_t>(parsed.shape);
  std::optional<int64_t> dataBytes =
      elements ? checked::mul<int64_t>(*elements, dtypeSize(parsed.dtype)) : std::nullopt;
  const uint64_t have = size - headerStart - headerLen;
  if (!dataBytes) {
    error = "bad .npy header: shape " + shapeString(parsed.shape) + " overflows 64 bits";
    return false;
  }
  if (static_cast<uint64_t>(*dataBytes) != have) {
    error = std::string(static_cast<uint64_t>(*dataBytes) > have ? "truncated .npy data"
                                                                 : "trailing bytes in .npy") +
            ": shape " + shapeString(parsed.shape) + " of '" + dtypeDescr(parsed.dtype) +
            "' needs " + std::to_string(*dataBytes) + " data bytes, the file has " +
            std::to_string(have);
    return false;
  }
  const uint8_t *data = bytes + headerStart + headerLen;
  parsed.data.assign(data, data + have);
  out = std::move(parsed);
  return true;
}

bool load(const std::string &path, Array &out, std::string &error, const Limits &limits) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "'" + path + "': cannot open: " + std::strerror(errno);
    return false;
  }
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
    bytes.insert(bytes.end(), buffer, buffer + n);
  bool readError = std::ferror(f) != 0;
  std::fclose(f);
  if (readError) {
    error = "'" + path + "': read error";
    return false;
  }
  if (!parse(bytes.data(), bytes.size(), out, error, limits)) {
    error = "'" + path + "': " + error;
    return false;
  }
  return true;
}

std::vector<uint8_t> serialize(DType dtype, const std::vector<int64_t> &shape, const void *data,
                               size_t dataBytes) {
  std::string dict = std::string("{'descr': '") + dtypeDescr(dtype) +
                     "', 'fortran_order': False, 'shape': " + shapeString(shape) + ", }";
  // magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::vector<uint8_t> bytes(kMagic, kMagic + 6);
  bytes.push_back(1);
  bytes.push_back(0);
  bytes.push_back(static_cast<uint8_t>(dict.size() & 0xff));
  bytes.push_back(static_cast<uint8_t>(dict.size() >> 8));
  bytes.insert(bytes.end(), dict.begin(), dict.end());
  const uint8_t *p = static_cast<const uint8_t *>(data);
  bytes.insert(bytes.end(), p, p + dataBytes);
  return bytes;
}

bool save(const std::string &path, DType dtype, const std::vector<int64_t> &shape, const void *data,
          size_t dataBytes, std::string &error) {
  std::vector<uint8_t> bytes = serialize(dtype, shape, data, dataBytes);
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "'" + path + "': cannot open for writing: " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok)
    error = "'" + path + "': cannot write: " + std::strerror(errno);
  return ok;
}

} // namespace bnn::npy
