//===- BNNTypes.cpp - bnn types -------------------------------------------===//

#include "bnn/IR/BNNTypes.h"
#include "bnn/IR/BNNDialect.h"

#include "bnn/runtime/Reference.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace bnn;

#define GET_TYPEDEF_CLASSES
#include "bnn/IR/BNNTypes.cpp.inc"

void BNNDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "bnn/IR/BNNTypes.cpp.inc"
      >();
}

/// ceil(bits / 64) without the overflow of (bits + 63) / 64; none for a negative count.
static std::optional<int64_t> wordsForBits(int64_t bits) {
  if (bits < 0)
    return std::nullopt;
  return bits / ::bnn::ref::kBitsPerWord + (bits % ::bnn::ref::kBitsPerWord != 0);
}

Type PackedType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  // An empty list is accepted here so that the verifier, not the parser, explains what a packed
  // type needs.
  if (failed(parser.parseOptionalGreater())) {
    if (parser.parseDimensionList(shape, /*allowDynamic=*/true, /*withTrailingX=*/false) ||
        parser.parseGreater())
      return {};
  }
  return parser.getChecked<PackedType>(loc, parser.getContext(), shape);
}

std::string bnn::formatDims(ArrayRef<int64_t> dims, StringRef separator) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      dims, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << '?';
        else
          os << dim;
      },
      separator);
  return text;
}

void PackedType::print(AsmPrinter &printer) const {
  printer << '<' << formatDims(getShape()) << '>';
}

/// The checks `!bnn.packed` and `!bnn.ternary` share: a static K in [1, kMaxBitLength],
/// non-negative or dynamic leading dimensions, and at most kMaxStorageWords words of storage
/// (`planes` bit planes of ceil(K / 64) words per row).
static LogicalResult verifyBitPlaneShape(function_ref<InFlightDiagnostic()> emitError,
                                         StringRef typeName, ArrayRef<int64_t> shape,
                                         int64_t planes) {
  if (shape.empty())
    return emitError() << typeName << " expects at least one dimension (the bit length K), "
                                      "found none";
  for (int64_t dim : shape.drop_back())
    if (dim < 0 && !ShapedType::isDynamic(dim))
      return emitError() << typeName
                         << " expects non-negative or dynamic leading dimensions, found " << dim;
  if (ShapedType::isDynamic(shape.back()))
    return emitError() << typeName
                       << " expects a static bit length K in its last dimension, found ?";
  if (shape.back() < 1)
    return emitError() << typeName << " expects a bit length K >= 1 in its last dimension, found "
                       << shape.back();
  if (shape.back() > PackedType::kMaxBitLength)
    return emitError() << typeName << " expects a bit length K <= " << PackedType::kMaxBitLength
                       << " (a "
                       << (planes == 1 ? "bnn.xnor_popcount" : "bnn.lowbit_matmul")
                       << " dot product in [-K, K] must fit in i32), found " << shape.back();
  // Every count derived from the type (rows, words, bytes, bits) must fit in int64_t; the
  // dynamic dimensions are checked where their values are known.
  std::optional<int64_t> words = llvm::checkedMul(*wordsForBits(shape.back()), planes);
  for (int64_t dim : shape.drop_back())
    if (!ShapedType::isDynamic(dim) && words)
      words = llvm::checkedMul(*words, dim);
  if (!words || *words > PackedType::kMaxStorageWords) {
    InFlightDiagnostic diag = emitError();
    diag << typeName << " expects at most " << PackedType::kMaxStorageWords << " storage words (rows x "
         << (planes == 1 ? "" : "2 planes x ")
         << "ceil(K / 64), so that the size in bits fits in int64), found ";
    diag << formatDims(shape.drop_back()) << " rows x " << *wordsForBits(shape.back())
         << " words per " << (planes == 1 ? "row" : "plane");
    return diag;
  }
  return success();
}

LogicalResult PackedType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> shape) {
  return verifyBitPlaneShape(emitError, "!bnn.packed", shape, /*planes=*/1);
}

int64_t PackedType::getNumWords() const {
  std::optional<int64_t> words = wordsForBits(getK());
  if (!words)
    llvm::reportFatalInternalError("!bnn.packed has no static bit length K: the type was built "
                                   "without verification (use PackedType::getChecked)");
  return *words;
}

int64_t PackedType::getNumRows() const {
  int64_t rows = 1;
  for (int64_t dim : getShape().drop_back()) {
    if (ShapedType::isDynamic(dim))
      return ShapedType::kDynamic;
    std::optional<int64_t> product = llvm::checkedMul(rows, dim);
    if (!product)
      llvm::reportFatalInternalError("!bnn.packed row count overflows int64_t: the type was "
                                     "built without verification (use PackedType::getChecked)");
    rows = *product;
  }
  return rows;
}

bool PackedType::hasStaticShape() const {
  return llvm::none_of(getShape(), ShapedType::isDynamic);
}

RankedTensorType PackedType::getStorageType() const {
  SmallVector<int64_t> storageShape(getShape().drop_back());
  storageShape.push_back(getNumWords());
  return RankedTensorType::get(storageShape, IntegerType::get(getContext(), 64));
}

//===----------------------------------------------------------------------===//
// TernaryType
//===----------------------------------------------------------------------===//

Type TernaryType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  if (failed(parser.parseOptionalGreater())) {
    if (parser.parseDimensionList(shape, /*allowDynamic=*/true, /*withTrailingX=*/false) ||
        parser.parseGreater())
      return {};
  }
  return parser.getChecked<TernaryType>(loc, parser.getContext(), shape);
}

void TernaryType::print(AsmPrinter &printer) const {
  printer << '<' << formatDims(getShape()) << '>';
}

LogicalResult TernaryType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape) {
  return verifyBitPlaneShape(emitError, "!bnn.ternary", shape, kNumPlanes);
}

int64_t TernaryType::getNumWords() const {
  std::optional<int64_t> words = wordsForBits(getK());
  if (!words)
    llvm::reportFatalInternalError("!bnn.ternary has no static bit length K: the type was built "
                                   "without verification (use TernaryType::getChecked)");
  return *words;
}

int64_t TernaryType::getNumRows() const {
  int64_t rows = 1;
  for (int64_t dim : getShape().drop_back()) {
    if (ShapedType::isDynamic(dim))
      return ShapedType::kDynamic;
    std::optional<int64_t> product = llvm::checkedMul(rows, dim);
    if (!product)
      llvm::reportFatalInternalError("!bnn.ternary row count overflows int64_t: the type was "
                                     "built without verification (use TernaryType::getChecked)");
    rows = *product;
  }
  return rows;
}

bool TernaryType::hasStaticShape() const {
  return llvm::none_of(getShape(), ShapedType::isDynamic);
}

RankedTensorType TernaryType::getStorageType() const {
  SmallVector<int64_t> storageShape(getShape().drop_back());
  storageShape.push_back(kNumPlanes);
  storageShape.push_back(getNumWords());
  return RankedTensorType::get(storageShape, IntegerType::get(getContext(), 64));
}
