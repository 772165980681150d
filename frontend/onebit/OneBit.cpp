//===- OneBit.cpp - OneBit-LLM's .1bit weight files -----------------------===//
//
// Reader, writer and C header of the .1bit format (docs/OneBitFormat.md), and its conversion
// to and from packed bnn constants.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/OneBit.h"

#include "bnn/IR/BNNDialect.h"
#include "bnn/IR/BNNOps.h"
#include "bnn/IR/BNNTypes.h"
#include "bnn/runtime/Reference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SourceMgr.h"

#include <cstring>

using namespace mlir;

namespace bnn::frontend {
namespace onebit {

uint64_t Tensor::numElements() const {
  uint64_t n = 1;
  for (uint64_t d : dims)
    n *= d; // checked for overflow by parse()
  return n;
}

int8_t Tensor::value(uint64_t i) const {
  if (kind == Kind::Binary)
    return (packed[i / 8] >> (i % 8)) & 1 ? 1 : -1;
  unsigned code = (packed[i / 4] >> (2 * (i % 4))) & 3;
  return code == 1 ? 1 : code == 3 ? -1 : 0;
}

uint64_t packedBytes(Kind kind, uint64_t elements) {
  return kind == Kind::Binary ? elements / 8 + (elements % 8 != 0)
                              : elements / 4 + (elements % 4 != 0);
}

std::vector<uint8_t> pack(Kind kind, const std::vector<int8_t> &values) {
  std::vector<uint8_t> out(packedBytes(kind, values.size()), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (kind == Kind::Binary) {
      if (values[i] > 0)
        out[i / 8] |= uint8_t(1u << (i % 8));
    } else if (values[i] != 0) {
      out[i / 4] |= uint8_t((values[i] > 0 ? 1u : 3u) << (2 * (i % 4)));
    }
  }
  return out;
}

namespace {

/// A bounds-checked little-endian cursor over the file.
class Reader {
public:
  Reader(llvm::StringRef bytes, llvm::StringRef fileName) : bytes(bytes), fileName(fileName) {}

  llvm::Error fail(const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'" + fileName + "': " + message + " (at byte " +
                                       llvm::Twine(offset) + ")");
  }
  uint64_t remaining() const { return bytes.size() - offset; }
  uint64_t position() const { return offset; }

  llvm::Error take(uint64_t n, llvm::StringRef what, llvm::StringRef &out) {
    if (n > remaining())
      return fail("truncated: " + what + " needs " + llvm::Twine(n) + " bytes, " +
                  llvm::Twine(remaining()) + " left");
    out = bytes.substr(offset, n);
    offset += n;
    return llvm::Error::success();
  }
  template <typename T> llvm::Error read(llvm::StringRef what, T &value) {
    llvm::StringRef raw;
    if (llvm::Error e = take(sizeof(T), what, raw))
      return e;
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      v |= uint64_t(uint8_t(raw[i])) << (8 * i);
    value = static_cast<T>(v);
    return llvm::Error::success();
  }

private:
  llvm::StringRef bytes, fileName;
  uint64_t offset = 0;
};

template <typename T> void append(std::string &out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out.push_back(char((uint64_t(value) >> (8 * i)) & 0xff));
}

} // namespace

llvm::Expected<File> parse(llvm::StringRef bytes, llvm::StringRef fileName) {
  Reader r(bytes, fileName);
  File file;
  llvm::StringRef magic;
  if (llvm::Error e = r.take(4, "the magic", magic))
    return std::move(e);
  if (std::memcmp(magic.data(), kMagic, 4) != 0)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'" + fileName +
                                       "': not a .1bit file (its first 4 bytes "
                                       "are not \"1BIT\")");
  if (llvm::Error e = r.read("the version", file.version))
    return std::move(e);
  if (file.version != kVersion)
    return r.fail("unsupported version " + llvm::Twine(file.version) + " (this reader reads " +
                  llvm::Twine(kVersion) + ")");
  uint32_t count = 0, configBytes = 0;
  if (llvm::Error e = r.read("the tensor count", count))
    return std::move(e);
  if (llvm::Error e = r.read("the config length", configBytes))
    return std::move(e);
  llvm::StringRef config;
  if (llvm::Error e = r.take(configBytes, "the config JSON", config))
    return std::move(e);
  if (llvm::Expected<llvm::json::Value> json = llvm::json::parse(config); !json)
    return r.fail("the config is not valid JSON: " + llvm::toString(json.takeError()));
  file.configJson = config.str();
  // Every tensor takes at least 4 + 1 + 4 + 8 bytes: a count beyond that is a lie.
  if (count > r.remaining() / 17)
    return r.fail("the header says " + llvm::Twine(count) + " tensors, but only " +
                  llvm::Twine(r.remaining()) + " bytes follow");
  llvm::StringSet<> names;
  for (uint32_t t = 0; t < count; ++t) {
    Tensor tensor;
    std::string what = "tensor " + std::to_string(t);
    uint32_t nameBytes = 0;
    if (llvm::Error e = r.read(("the name length of " + what).c_str(), nameBytes))
      return std::move(e);
    if (nameBytes == 0 || nameBytes > kMaxNameBytes)
      return r.fail(what + " has a name of " + llvm::Twine(nameBytes) + " bytes (expected 1 to " +
                    llvm::Twine(kMaxNameBytes) + ")");
    llvm::StringRef name;
    if (llvm::Error e = r.take(nameBytes, "the name of " + what, name))
      return std::move(e);
    tensor.name = name.str();
    what = "tensor '" + tensor.name + "'";
    if (!names.insert(tensor.name).second)
      return r.fail(what + " appears twice");
    uint8_t tag = 0;
    if (llvm::Error e = r.read(("the dtype of " + what).c_str(), tag))
      return std::move(e);
    if (tag != uint8_t(Kind::Binary) && tag != uint8_t(Kind::Ternary))
      return r.fail(what + " has dtype tag " + llvm::Twine(unsigned(tag)) +
                    " (expected 1 = binary or 2 = ternary)");
    tensor.kind = Kind(tag);
    uint32_t rank = 0;
    if (llvm::Error e = r.read(("the rank of " + what).c_str(), rank))
      return std::move(e);
    if (rank > kMaxDims)
      return r.fail(what + " has " + llvm::Twine(rank) + " dimensions (at most " +
                    llvm::Twine(kMaxDims) + ")");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      uint64_t dim = 0;
      if (llvm::Error e = r.read(("the dimension of " + what).c_str(), dim))
        return std::move(e);
      if (dim != 0 && elements > std::numeric_limits<uint64_t>::max() / dim)
        return r.fail("the dimensions of " + what + " overflow 64 bits");
      elements *= dim;
      tensor.dims.push_back(dim);
    }
    uint64_t dataBytes = 0;
    if (llvm::Error e = r.read(("the data length of " + what).c_str(), dataBytes))
      return std::move(e);
    uint64_t expected = packedBytes(tensor.kind, elements);
    if (dataBytes != expected)
      return r.fail(what + " has " + llvm::Twine(dataBytes) + " data bytes, but " +
                    llvm::Twine(elements) + " " +
                    (tensor.kind == Kind::Binary ? "binary" : "ternary") + " values take " +
                    llvm::Twine(expected));
    uint64_t dataStart = r.position();
    llvm::StringRef data;
    if (llvm::Error e = r.take(dataBytes, "the data of " + what, data))
      return std::move(e);
    tensor.packed.assign(data.bytes_begin(), data.bytes_end());
    // No undefined code (10), and the bits past the last element are zero, so that the
    // file has one meaning and round-trips.
    if (tensor.kind == Kind::Ternary)
      for (uint64_t i = 0; i < elements; ++i)
        if (((tensor.packed[i / 4] >> (2 * (i % 4))) & 3) == 2)
          return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                         "'" + fileName + "': " + what + " element " +
                                             llvm::Twine(i) +
                                             " has the undefined ternary code 10 (at byte " +
                                             llvm::Twine(dataStart + i / 4) + ")");
    uint64_t usedBits = elements * (tensor.kind == Kind::Binary ? 1 : 2);
    if (usedBits % 8 != 0 && (tensor.packed.back() >> (usedBits % 8)) != 0)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "'" + fileName + "': " + what +
                                         " has nonzero padding bits after its last element (at "
                                         "byte " +
                                         llvm::Twine(dataStart + dataBytes - 1) + ")");
    file.tensors.push_back(std::move(tensor));
  }
  if (r.remaining() != 0)
    return r.fail(llvm::Twine(r.remaining()) + " bytes after the last tensor");
  return file;
}

std::string serialize(const File &file) {
  std::string out(kMagic, 4);
  append<uint32_t>(out, file.version);
  append<uint32_t>(out, file.tensors.size());
  append<uint32_t>(out, file.configJson.size());
  out += file.configJson;
  for (const Tensor &t : file.tensors) {
    append<uint32_t>(out, t.name.size());
    out += t.name;
    out.push_back(char(t.kind));
    append<uint32_t>(out, t.dims.size());
    for (uint64_t d : t.dims)
      append<uint64_t>(out, d);
    append<uint64_t>(out, t.packed.size());
    out.append(reinterpret_cast<const char *>(t.packed.data()), t.packed.size());
  }
  return out;
}

std::string cHeader() {
  return R"(/* .1bit weight files (OneBit-LLM's format), as written by bnn-compile --emit-1bit.
 * Layout (little-endian): "1BIT", u32 version, u32 tensor count, u32 config length, config
 * JSON; per tensor: u32 name length, name, u8 dtype, u32 rank, u64 dims[rank], u64 data
 * length, data. Values in row-major order, LSB first, no row padding (docs/OneBitFormat.md). */
#ifndef BNN_ONEBIT_FORMAT_H
#define BNN_ONEBIT_FORMAT_H

#include <stdint.h>

#define BNN_ONEBIT_MAGIC "1BIT"
#define BNN_ONEBIT_VERSION 1u
#define BNN_ONEBIT_DTYPE_BINARY 1u  /* 1 bit per value: 0 = -1, 1 = +1, 8 per byte */
#define BNN_ONEBIT_DTYPE_TERNARY 2u /* 2 bits per value: 00 = 0, 01 = +1, 11 = -1, 4 per byte */

/* Bytes of a tensor of n values. */
static inline uint64_t bnn_onebit_data_bytes(uint32_t dtype, uint64_t n) {
  return dtype == BNN_ONEBIT_DTYPE_BINARY ? (n + 7) / 8 : (n + 3) / 4;
}

/* Value i (-1, 0 or +1) of a tensor's data. */
static inline int bnn_onebit_value(uint32_t dtype, const uint8_t *data, uint64_t i) {
  if (dtype == BNN_ONEBIT_DTYPE_BINARY)
    return (data[i / 8] >> (i % 8)) & 1u ? 1 : -1;
  switch ((data[i / 4] >> (2 * (i % 4))) & 3u) {
  case 1u: return 1;
  case 3u: return -1;
  default: return 0; /* 00; 10 is not written */
  }
}

#endif /* BNN_ONEBIT_FORMAT_H */
)";
}

} // namespace onebit

namespace {

/// A symbol name from a tensor name: letters, digits and '_' kept, anything else '_', a
/// leading digit prefixed, made unique with a suffix.
std::string symbolFor(llvm::StringRef name, llvm::StringSet<> &used) {
  std::string s;
  for (char c : name)
    s.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (s.empty() || llvm::isDigit(s.front()))
    s = "t_" + s;
  std::string unique = s;
  for (int i = 1; !used.insert(unique).second; ++i)
    unique = s + "_" + std::to_string(i);
  return unique;
}

} // namespace

OwningOpRef<ModuleOp> importOneBit(const onebit::File &file, MLIRContext *ctx,
                                   llvm::StringRef fileName) {
  ctx->loadDialect<func::FuncDialect, bnn::BNNDialect>();
  Location loc = FileLineColLoc::get(ctx, fileName, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(ctx);
  module->getOperation()->setAttr("bnn.onebit_config", b.getStringAttr(file.configJson));
  module->getOperation()->setAttr("bnn.onebit_version", b.getI64IntegerAttr(file.version));
  b.setInsertionPointToEnd(module->getBody());
  llvm::StringSet<> used;
  for (const onebit::Tensor &t : file.tensors) {
    Location tensorLoc = NameLoc::get(b.getStringAttr(t.name), loc);
    if (t.dims.empty() || llvm::is_contained(t.dims, 0u)) {
      emitError(tensorLoc) << "tensor '" << t.name
                           << "': a packed bnn value needs rank >= 1 and no zero dimension";
      return nullptr;
    }
    SmallVector<int64_t> shape;
    for (uint64_t d : t.dims) {
      if (d > uint64_t(1) << 40) {
        emitError(tensorLoc) << "tensor '" << t.name << "': dimension " << d << " is beyond 2^40";
        return nullptr;
      }
      shape.push_back(int64_t(d));
    }
    int64_t k = shape.back();
    int64_t rows = int64_t(t.numElements() / uint64_t(k));
    std::vector<float> values(t.numElements());
    for (uint64_t i = 0; i < values.size(); ++i)
      values[i] = float(t.value(i));
    Type type;
    Attribute words;
    if (t.kind == onebit::Kind::Binary) {
      auto packed = bnn::PackedType::get(ctx, shape);
      std::vector<uint64_t> storage(packed.getStorageType().getNumElements());
      ::bnn::ref::packBitsLSBFirst(values.data(), rows, k, storage.data());
      type = packed;
      words = DenseElementsAttr::get(packed.getStorageType(), ArrayRef<uint64_t>(storage));
    } else {
      auto ternary = bnn::TernaryType::get(ctx, shape);
      std::vector<uint64_t> storage(ternary.getStorageType().getNumElements());
      ::bnn::ref::packTernary(values.data(), rows, k, storage.data());
      type = ternary;
      words = DenseElementsAttr::get(ternary.getStorageType(), ArrayRef<uint64_t>(storage));
    }
    auto func =
        func::FuncOp::create(b, tensorLoc, symbolFor(t.name, used), b.getFunctionType({}, {type}));
    func->setAttr("bnn.onebit_name", b.getStringAttr(t.name));
    OpBuilder body = OpBuilder::atBlockEnd(func.addEntryBlock());
    Value constant;
    if (t.kind == onebit::Kind::Binary)
      constant = bnn::ConstantOp::create(body, tensorLoc, type, cast<ElementsAttr>(words));
    else
      constant =
          bnn::TernaryConstantOp::create(body, tensorLoc, type, cast<DenseIntElementsAttr>(words));
    func::ReturnOp::create(body, tensorLoc, constant);
  }
  return module;
}

llvm::Expected<onebit::File> exportOneBit(ModuleOp module) {
  onebit::File file;
  file.configJson = "{}";
  if (auto config = module->getAttrOfType<StringAttr>("bnn.onebit_config"))
    file.configJson = config.str();
  llvm::StringSet<> names;
  std::string error;
  module.walk([&](Operation *op) -> WalkResult {
    auto binary = dyn_cast<bnn::ConstantOp>(op);
    auto ternary = dyn_cast<bnn::TernaryConstantOp>(op);
    if (!binary && !ternary)
      return WalkResult::advance();
    auto func = op->getParentOfType<func::FuncOp>();
    std::string base = func ? func.getSymName().str() : "constant";
    if (func)
      if (auto name = func->getAttrOfType<StringAttr>("bnn.onebit_name"))
        base = name.str();
    std::string name = base;
    for (int i = 1; names.contains(name); ++i)
      name = base + "." + std::to_string(i);
    names.insert(name);
    onebit::Tensor t;
    t.name = name;
    ArrayRef<int64_t> shape = binary ? cast<bnn::PackedType>(binary.getType()).getShape()
                                     : cast<bnn::TernaryType>(ternary.getType()).getShape();
    int64_t k = shape.back(), elements = 1;
    for (int64_t d : shape) {
      t.dims.push_back(uint64_t(d));
      elements *= d;
    }
    ElementsAttr value = binary ? binary.getValue() : cast<ElementsAttr>(ternary.getValue());
    auto words = value.tryGetValues<APInt>();
    if (!words) {
      error = "a constant's words cannot be read (an elided or external resource?)";
      return WalkResult::interrupt();
    }
    std::vector<uint64_t> storage;
    for (const APInt &w : *words)
      storage.push_back(w.getZExtValue());
    std::vector<float> floats(elements);
    std::vector<int8_t> values(elements);
    if (binary) {
      t.kind = onebit::Kind::Binary;
      ::bnn::ref::unpackBitsLSBFirst(storage.data(), elements / k, k, floats.data());
    } else {
      t.kind = onebit::Kind::Ternary;
      ::bnn::ref::unpackTernary(storage.data(), elements / k, k, floats.data());
    }
    for (int64_t i = 0; i < elements; ++i)
      values[i] = floats[i] > 0 ? 1 : floats[i] < 0 ? -1 : 0;
    t.packed = onebit::pack(t.kind, values);
    file.tensors.push_back(std::move(t));
    return WalkResult::advance();
  });
  if (!error.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  return file;
}

void registerOneBitDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, bnn::BNNDialect>();
}

void registerOneBitImportTranslation() {
  static TranslateToMLIRRegistration registration(
      "import-1bit",
      "Import a OneBit-LLM .1bit weight file as packed bnn constants (one function per tensor)",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        llvm::Expected<onebit::File> file =
            onebit::parse(buffer->getBuffer(), buffer->getBufferIdentifier());
        if (!file) {
          emitError(FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0))
              << llvm::toString(file.takeError());
          return nullptr;
        }
        OwningOpRef<ModuleOp> module = importOneBit(*file, context, buffer->getBufferIdentifier());
        if (!module)
          return nullptr;
        return module.release().getOperation();
      },
      [](DialectRegistry &registry) { registerOneBitDialects(registry); });
}

} // namespace bnn::frontend
