//===- OneBit.h - OneBit-LLM's .1bit weight files ---------------*- C++ -*-===//
//
// The `.1bit` format of OneBit-LLM (docs/OneBitFormat.md has the layout byte by byte): a header
// with the model's config JSON, then tensors of ternary values as 2-bit codes (00 = 0, 01 = +1,
// 11 = -1, four per byte) or binary values as bits (0 = -1, 1 = +1, eight per byte), each
// tensor's elements in row-major order, packed without row padding, LSB first.
//
// The reader checks every field (magic, version, counts, lengths, dims, the data length the
// dims imply, codes 10, nonzero padding bits, duplicate names, trailing bytes) and reports the
// first violation naming the tensor. `importOneBit` turns a file into bnn constants (one
// function per tensor returning a `bnn.constant` / `bnn.ternary_constant`); `exportOneBit`
// writes a module's constants back, so that a file round-trips byte for byte.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_ONEBIT_H
#define BNN_FRONTEND_ONEBIT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace bnn::frontend {

namespace onebit {

constexpr char kMagic[4] = {'1', 'B', 'I', 'T'};
constexpr uint32_t kVersion = 1;
/// Limits of the reader (a file beyond them is rejected, not truncated).
constexpr uint32_t kMaxNameBytes = 4096;
constexpr uint32_t kMaxDims = 8;

enum class Kind : uint8_t { Binary = 1, Ternary = 2 };

/// One tensor: its element values (-1, 0, +1) are in `packed` as the file stores them.
struct Tensor {
  std::string name;
  Kind kind = Kind::Binary;
  std::vector<uint64_t> dims;
  std::vector<uint8_t> packed;

  /// Number of elements (the product of dims; checked when read).
  uint64_t numElements() const;
  /// Element i as -1, 0 or +1.
  int8_t value(uint64_t i) const;
};

struct File {
  uint32_t version = kVersion;
  std::string configJson;
  std::vector<Tensor> tensors;
};

/// Bytes a tensor of `elements` values of `kind` takes.
uint64_t packedBytes(Kind kind, uint64_t elements);

/// Packs values (-1, 0, +1; binary: -1 or +1) in the file's encoding.
std::vector<uint8_t> pack(Kind kind, const std::vector<int8_t> &values);

/// Parses and checks a whole file; `fileName` names it in messages.
llvm::Expected<File> parse(llvm::StringRef bytes, llvm::StringRef fileName);

/// The file's bytes (the exact inverse of parse).
std::string serialize(const File &file);

/// A C header for applications reading .1bit files: the magic, version, dtype tags and
/// inline decoders of one element.
std::string cHeader();

} // namespace onebit

/// A module with one `func.func` per tensor (named after the tensor, made a valid symbol; the
/// original name in `bnn.onebit_name`) returning the tensor as a packed bnn constant of the
/// tensor's shape (`!bnn.packed<dims>` or `!bnn.ternary<dims>`); the config JSON and the
/// version are module attributes (`bnn.onebit_config`, `bnn.onebit_version`).
mlir::OwningOpRef<mlir::ModuleOp> importOneBit(const onebit::File &file, mlir::MLIRContext *ctx,
                                               llvm::StringRef fileName = "<.1bit>");

/// The constants of `module` as a .1bit file: every `bnn.constant` and `bnn.ternary_constant`
/// in order, named by the enclosing function's `bnn.onebit_name` (or the function's name, with
/// `.N` appended after the first constant of a function); the config from `bnn.onebit_config`
/// ("{}" when absent).
llvm::Expected<onebit::File> exportOneBit(mlir::ModuleOp module);

/// The dialects importOneBit creates.
void registerOneBitDialects(mlir::DialectRegistry &registry);

/// Registers `bnn-translate --import-1bit`.
void registerOneBitImportTranslation();

} // namespace bnn::frontend

#endif // BNN_FRONTEND_ONEBIT_H
