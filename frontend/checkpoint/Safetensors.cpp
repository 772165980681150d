//===- Safetensors.cpp - the safetensors reader and writer ----------------===//
//
// The container of docs/ModelFormat.md: an 8-byte little-endian header length N, N bytes of
// JSON, then the data section. Everything in the header is untrusted: each number is checked
// before it is used, each size is computed with overflow checks, and the tensors must tile the
// data section exactly (the rule of the reference implementation).
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Checkpoint.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

using namespace llvm;

namespace bnn::frontend {

namespace {
/// The reference implementation refuses headers above 100 MB; so does bnn.
constexpr uint64_t kMaxHeaderSize = 100000000;

struct DTypeInfo {
  SafetensorsDType dtype;
  const char *name;
  int64_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {SafetensorsDType::Bool, "BOOL", 1},       {SafetensorsDType::U8, "U8", 1},
    {SafetensorsDType::I8, "I8", 1},           {SafetensorsDType::F8_E5M2, "F8_E5M2", 1},
    {SafetensorsDType::F8_E4M3, "F8_E4M3", 1}, {SafetensorsDType::I16, "I16", 2},
    {SafetensorsDType::U16, "U16", 2},         {SafetensorsDType::F16, "F16", 2},
    {SafetensorsDType::BF16, "BF16", 2},       {SafetensorsDType::I32, "I32", 4},
    {SafetensorsDType::U32, "U32", 4},         {SafetensorsDType::F32, "F32", 4},
    {SafetensorsDType::F64, "F64", 8},         {SafetensorsDType::I64, "I64", 8},
    {SafetensorsDType::U64, "U64", 8},
};

const DTypeInfo &getInfo(SafetensorsDType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info;
  llvm_unreachable("every SafetensorsDType has an entry in kDTypes");
}

std::string listDTypeNames() {
  std::string names;
  for (const DTypeInfo &info : kDTypes) {
    if (!names.empty())
      names += ", ";
    names += info.name;
  }
  return names;
}

/// A JSON value's kind, for "expected X, found Y" messages.
StringRef describeKind(const json::Value &value) {
  switch (value.kind()) {
  case json::Value::Null: return "null";
  case json::Value::Boolean: return "a boolean";
  case json::Value::Number: return value.getAsInteger() ? "an integer" : "a number";
  case json::Value::String: return "a string";
  case json::Value::Array: return "an array";
  case json::Value::Object: return "an object";
  }
  return "a value";
}

/// llvm::json keeps the last of two equal keys; the format forbids them (one name, one tensor).
/// Scans the header (already known to be valid JSON) for a key repeated inside one object and
/// describes it.
std::optional<std::string> findDuplicateKey(StringRef text) {
  struct Frame {
    bool isObject;
    bool expectKey;
    StringSet<> keys;
  };
  SmallVector<Frame, 4> stack;
  std::string topLevelKey;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{') {
      stack.push_back({true, true, {}});
    } else if (c == '[') {
      stack.push_back({false, false, {}});
    } else if (c == '}' || c == ']') {
      if (!stack.empty())
        stack.pop_back();
    } else if (c == ',') {
      if (!stack.empty() && stack.back().isObject)
        stack.back().expectKey = true;
    } else if (c == '"') {
      size_t start = i;
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      if (stack.empty() || !stack.back().isObject || !stack.back().expectKey)
        continue;
      stack.back().expectKey = false;
      // Decode the key's escapes with the JSON parser itself, so that "a" and "\u0061" match.
      Expected<json::Value> key = json::parse(text.slice(start, i + 1));
      if (!key) {
        consumeError(key.takeError());
        continue;
      }
      std::string name = key->getAsString().value_or("").str();
      if (stack.size() == 1)
        topLevelKey = name;
      if (!stack.back().keys.insert(name).second) {
        if (stack.size() == 1)
          return "tensor name '" + name + "' appears twice in the header";
        return "key '" + name + "' appears twice inside header entry '" + topLevelKey + "'";
      }
    }
  }
  return std::nullopt;
}

/// A non-negative JSON integer, or an error built by `what`.
Expected<uint64_t> getNonNegativeInteger(const json::Value &value, const Twine &what) {
  std::optional<int64_t> integer = value.getAsInteger();
  if (!integer || *integer < 0)
    return createStringError(what + ": expected a non-negative integer, found " +
                             describeKind(value) +
                             (integer ? " (" + std::to_string(*integer) + ")" : std::string()));
  return static_cast<uint64_t>(*integer);
}

float halfToFloat(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  uint32_t bits = exponent == 31 ? (sign | 0x7f800000u | (mantissa << 13))
                                 : (sign | ((exponent + 112) << 23) | (mantissa << 13));
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}
} // namespace

StringRef getDTypeName(SafetensorsDType dtype) { return getInfo(dtype).name; }

std::optional<SafetensorsDType> parseDTypeName(StringRef name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return info.dtype;
  return std::nullopt;
}

int64_t getDTypeSize(SafetensorsDType dtype) { return getInfo(dtype).size; }

bool isFloatDType(SafetensorsDType dtype) {
  return dtype == SafetensorsDType::F32 || dtype == SafetensorsDType::F16 ||
         dtype == SafetensorsDType::BF16;
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

int64_t TensorView::getNumElements() const {
  // Checked when the file was parsed: the product fits (it times the dtype size is the length).
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

Expected<SafetensorsFile> SafetensorsFile::open(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return createStringError(buffer.getError(),
                             "cannot open '" + path + "': " + buffer.getError().message());
  return parse(std::move(*buffer));
}

Expected<SafetensorsFile> SafetensorsFile::parse(std::unique_ptr<MemoryBuffer> buffer) {
  SafetensorsFile file;
  file.buffer = std::move(buffer);
  if (Error error = file.parseHeader())
    return createStringError("'" + file.getName() + "': " + toString(std::move(error)));
  return std::move(file);
}

Error SafetensorsFile::parseHeader() {
  StringRef bytes = buffer->getBuffer();
  if (bytes.size() < 8)
    return createStringError("truncated: a safetensors file starts with an 8-byte header "
                             "length, the file has " +
                             Twine(bytes.size()) + " bytes");
  uint64_t length = support::endian::read64le(bytes.data());
  if (length > kMaxHeaderSize)
    return createStringError("header length " + Twine(length) + " exceeds the limit of " +
                             Twine(kMaxHeaderSize) + " bytes");
  if (length > bytes.size() - 8)
    return createStringError("truncated: the header length says " + Twine(length) +
                             " bytes of header after the first 8, the file has " +
                             Twine(bytes.size() - 8) + " after them");
  headerSize = length;
  dataSize = bytes.size() - 8 - length;
  StringRef headerText = bytes.substr(8, length);
  const uint8_t *data = reinterpret_cast<const uint8_t *>(bytes.data()) + 8 + length;

  Expected<json::Value> header = json::parse(headerText);
  if (!header)
    return createStringError("the header is not valid JSON: " + toString(header.takeError()));
  const json::Object *object = header->getAsObject();
  if (!object)
    return createStringError(Twine("the header is ") + describeKind(*header) +
                             ", expected a JSON object");
  if (std::optional<std::string> duplicate = findDuplicateKey(headerText))
    return createStringError(*duplicate);

  // Sorted, so that the first problem reported does not depend on hash order.
  std::vector<StringRef> keys;
  for (const auto &entry : *object)
    keys.push_back(entry.first);
  llvm::sort(keys);

  struct Parsed {
    StringRef name;
    SafetensorsDType dtype;
    SmallVector<int64_t, 4> shape;
    uint64_t begin, end;
  };
  std::vector<Parsed> parsed;
  for (StringRef key : keys) {
    const json::Value &value = *object->get(key);
    if (key == "__metadata__") {
      const json::Object *meta = value.getAsObject();
      if (!meta)
        return createStringError(Twine("__metadata__ is ") + describeKind(value) +
                                 ", expected an object of strings");
      for (const auto &item : *meta) {
        std::optional<StringRef> text = item.second.getAsString();
        if (!text)
          return createStringError("__metadata__ entry '" + StringRef(item.first) + "' is " +
                                   describeKind(item.second) + ", expected a string");
        metadata[item.first.str()] = text->str();
      }
      continue;
    }
    std::string tensor = ("tensor '" + key + "'").str();
    const json::Object *entry = value.getAsObject();
    if (!entry)
      return createStringError(tensor + " is " + describeKind(value) +
                               ", expected an object with dtype, shape and data_offsets");
    for (const auto &item : *entry)
      if (item.first != "dtype" && item.first != "shape" && item.first != "data_offsets")
        return createStringError(tensor + " has an unknown key '" + StringRef(item.first) +
                                 "' (expected dtype, shape and data_offsets)");
    Parsed info;
    info.name = key;

    const json::Value *dtypeValue = entry->get("dtype");
    if (!dtypeValue)
      return createStringError(tensor + " has no dtype");
    std::optional<StringRef> dtypeName = dtypeValue->getAsString();
    if (!dtypeName)
      return createStringError(tensor + ": dtype is " + describeKind(*dtypeValue) +
                               ", expected a string");
    std::optional<SafetensorsDType> dtype = parseDTypeName(*dtypeName);
    if (!dtype)
      return createStringError(tensor + ": unknown or unsupported dtype '" + *dtypeName +
                               "' (expected one of " + listDTypeNames() + ")");
    info.dtype = *dtype;

    const json::Value *shapeValue = entry->get("shape");
    if (!shapeValue)
      return createStringError(tensor + " has no shape");
    const json::Array *shape = shapeValue->getAsArray();
    if (!shape)
      return createStringError(tensor + ": shape is " + describeKind(*shapeValue) +
                               ", expected an array of non-negative integers");
    uint64_t numBytes = static_cast<uint64_t>(getDTypeSize(info.dtype));
    bool overflow = false;
    for (size_t i = 0; i < shape->size(); ++i) {
      Expected<uint64_t> dim =
          getNonNegativeInteger((*shape)[i], tensor + ": shape[" + Twine(i) + "]");
      if (!dim)
        return dim.takeError();
      info.shape.push_back(static_cast<int64_t>(*dim));
      uint64_t product;
      overflow |= __builtin_mul_overflow(numBytes, *dim, &product);
      numBytes = product;
    }
    // Sizes stay within int64_t so that element counts are signed-safe everywhere.
    if (overflow || numBytes > static_cast<uint64_t>(INT64_MAX))
      return createStringError(tensor + ": shape " + formatShape(info.shape) + " of " +
                               getDTypeName(info.dtype) +
                               " has a byte size that overflows 63 bits");

    const json::Value *offsetsValue = entry->get("data_offsets");
    if (!offsetsValue)
      return createStringError(tensor + " has no data_offsets");
    const json::Array *offsets = offsetsValue->getAsArray();
    if (!offsets || offsets->size() != 2)
      return createStringError(tensor + ": data_offsets is " +
                               (offsets
                                    ? ("an array of " + Twine(offsets->size()) + " elements").str()
                                    : describeKind(*offsetsValue).str()) +
                               ", expected [begin, end]");
    Expected<uint64_t> begin = getNonNegativeInteger((*offsets)[0], tensor + ": data_offsets[0]");
    if (!begin)
      return begin.takeError();
    Expected<uint64_t> end = getNonNegativeInteger((*offsets)[1], tensor + ": data_offsets[1]");
    if (!end)
      return end.takeError();
    std::string range = ("data_offsets [" + Twine(*begin) + ", " + Twine(*end) + "]").str();
    if (*end < *begin)
      return createStringError(tensor + ": " + range + " end before they begin");
    if (*end > dataSize)
      return createStringError(tensor + ": " + range + " reach beyond the data section of " +
                               Twine(dataSize) + " bytes (truncated file or lying offsets)");
    if (*end - *begin != numBytes)
      return createStringError(tensor + ": " + range + " span " + Twine(*end - *begin) +
                               " bytes, shape " + formatShape(info.shape) + " of " +
                               getDTypeName(info.dtype) + " needs " + Twine(numBytes));
    info.begin = *begin;
    info.end = *end;
    parsed.push_back(std::move(info));
  }

  // The tensors must tile the data section: no overlap, no hole, nothing after the last.
  std::vector<size_t> byOffset(parsed.size());
  std::iota(byOffset.begin(), byOffset.end(), 0);
  llvm::stable_sort(byOffset, [&](size_t a, size_t b) {
    return std::make_pair(parsed[a].begin, parsed[a].end) <
           std::make_pair(parsed[b].begin, parsed[b].end);
  });
  uint64_t covered = 0;
  const Parsed *previous = nullptr;
  for (size_t index : byOffset) {
    const Parsed &info = parsed[index];
    if (info.begin < covered)
      return createStringError("tensor '" + info.name + "' (bytes [" + Twine(info.begin) + ", " +
                               Twine(info.end) + ")) overlaps tensor '" + previous->name +
                               "' (bytes [" + Twine(previous->begin) + ", " + Twine(previous->end) +
                               "))");
    if (info.begin > covered)
      return createStringError("bytes [" + Twine(covered) + ", " + Twine(info.begin) +
                               ") of the data section belong to no tensor (a hole before "
                               "tensor '" +
                               info.name + "')");
    covered = info.end;
    previous = &info;
  }
  if (covered != dataSize)
    return createStringError("the data section has " + Twine(dataSize) +
                             " bytes, the tensors cover " + Twine(covered) +
                             " (trailing bytes after the last tensor)");

  // Keys were sorted: the tensors are in name order. The views point into names/shapes, whose
  // elements never move once these vectors are filled.
  names.reserve(parsed.size());
  shapes.reserve(parsed.size());
  tensors.reserve(parsed.size());
  for (Parsed &info : parsed) {
    names.push_back(info.name.str());
    shapes.push_back(std::move(info.shape));
    TensorView view;
    view.name = names.back();
    view.dtype = info.dtype;
    view.shape = shapes.back();
    view.bytes = ArrayRef<uint8_t>(data + info.begin, info.end - info.begin);
    view.dataBegin = info.begin;
    view.dataEnd = info.end;
    tensors.push_back(view);
  }
  return Error::success();
}

const TensorView *SafetensorsFile::lookup(StringRef name) const {
  auto it = llvm::partition_point(tensors, [&](const TensorView &t) { return t.name < name; });
  if (it == tensors.end() || it->name != name)
    return nullptr;
  return &*it;
}

Expected<std::vector<float>> readAsFloat32(const TensorView &tensor) {
  if (!isFloatDType(tensor.dtype))
    return createStringError("tensor '" + tensor.name + "' is " + getDTypeName(tensor.dtype) +
                             ", expected F32, F16 or BF16");
  int64_t count = tensor.getNumElements();
  std::vector<float> values(static_cast<size_t>(count));
  const uint8_t *bytes = tensor.bytes.data();
  for (int64_t i = 0; i < count; ++i) {
    switch (tensor.dtype) {
    case SafetensorsDType::F32: {
      uint32_t bits = support::endian::read32le(bytes + 4 * i);
      std::memcpy(&values[i], &bits, sizeof(float));
      break;
    }
    case SafetensorsDType::F16:
      values[i] = halfToFloat(support::endian::read16le(bytes + 2 * i));
      break;
    default: { // BF16: the upper half of an f32.
      uint32_t bits = static_cast<uint32_t>(support::endian::read16le(bytes + 2 * i)) << 16;
      std::memcpy(&values[i], &bits, sizeof(float));
      break;
    }
    }
  }
  return values;
}

Expected<std::string> serializeSafetensors(ArrayRef<SafetensorsTensor> tensors,
                                           const std::map<std::string, std::string> &metadata) {
  std::vector<const SafetensorsTensor *> sorted;
  for (const SafetensorsTensor &tensor : tensors)
    sorted.push_back(&tensor);
  llvm::sort(sorted, [](const SafetensorsTensor *a, const SafetensorsTensor *b) {
    return a->name < b->name;
  });
  for (const auto &item : metadata)
    if (!json::isUTF8(item.first) || !json::isUTF8(item.second))
      return createStringError("__metadata__ entry '" + item.first + "' is not valid UTF-8");
  uint64_t offset = 0;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const SafetensorsTensor &tensor = *sorted[i];
    if (tensor.name.empty() || tensor.name == "__metadata__" || !json::isUTF8(tensor.name))
      return createStringError("cannot write a tensor named '" + tensor.name +
                               "' (names are non-empty UTF-8 and not __metadata__)");
    if (i && sorted[i - 1]->name == tensor.name)
      return createStringError("two tensors are named '" + tensor.name + "'");
    uint64_t numBytes = static_cast<uint64_t>(getDTypeSize(tensor.dtype));
    bool overflow = false;
    for (int64_t dim : tensor.shape) {
      if (dim < 0)
        return createStringError("tensor '" + tensor.name + "' has a negative dimension in " +
                                 formatShape(tensor.shape));
      uint64_t product;
      overflow |= __builtin_mul_overflow(numBytes, static_cast<uint64_t>(dim), &product);
      numBytes = product;
    }
    uint64_t end;
    if (overflow || numBytes > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_add_overflow(offset, numBytes, &end) || end > static_cast<uint64_t>(INT64_MAX))
      return createStringError("tensor '" + tensor.name + "': the size of shape " +
                               formatShape(tensor.shape) + " overflows");
    if (tensor.data.size() != numBytes)
      return createStringError("tensor '" + tensor.name + "': shape " + formatShape(tensor.shape) +
                               " of " + getDTypeName(tensor.dtype) + " needs " + Twine(numBytes) +
                               " bytes, " + Twine(tensor.data.size()) + " given");
    ranges.emplace_back(offset, end);
    offset = end;
  }

  std::string header;
  {
    raw_string_ostream stream(header);
    json::OStream json(stream);
    json.objectBegin();
    if (!metadata.empty()) {
      json.attributeBegin("__metadata__");
      json.objectBegin();
      for (const auto &item : metadata)
        json.attribute(item.first, item.second);
      json.objectEnd();
      json.attributeEnd();
    }
    for (size_t i = 0; i < sorted.size(); ++i) {
      const SafetensorsTensor &tensor = *sorted[i];
      json.attributeBegin(tensor.name);
      json.objectBegin();
      json.attribute("dtype", getDTypeName(tensor.dtype));
      json.attributeArray("shape", [&] {
        for (int64_t dim : tensor.shape)
          json.value(dim);
      });
      json.attributeArray("data_offsets", [&] {
        json.value(static_cast<int64_t>(ranges[i].first));
        json.value(static_cast<int64_t>(ranges[i].second));
      });
      json.objectEnd();
      json.attributeEnd();
    }
    json.objectEnd();
  }
  // Spaces after the JSON (allowed by the format) so that the data section starts at a
  // multiple of 8 bytes.
  header.append((8 - header.size() % 8) % 8, ' ');

  std::string file;
  file.reserve(8 + header.size() + offset);
  char length[8];
  support::endian::write64le(length, header.size());
  file.append(length, sizeof(length));
  file += header;
  for (const SafetensorsTensor *tensor : sorted)
    file.append(reinterpret_cast<const char *>(tensor->data.data()), tensor->data.size());
  return file;
}

Error writeSafetensors(StringRef path, ArrayRef<SafetensorsTensor> tensors,
                       const std::map<std::string, std::string> &metadata) {
  Expected<std::string> bytes = serializeSafetensors(tensors, metadata);
  if (!bytes)
    return createStringError("cannot write '" + path + "': " + toString(bytes.takeError()));
  return writeToOutput(path, [&](raw_ostream &os) {
    os << *bytes;
    return Error::success();
  });
}

} // namespace bnn::frontend
