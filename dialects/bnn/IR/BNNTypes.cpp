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

LogicalResult PackedType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> shape) {
  if (shape.empty())
    return emitError() << "!bnn.packed expects at least one dimension (the bit length K), "
                          "found none";
  for (int64_t dim : shape.drop_back())
    if (dim < 0 && !ShapedType::isDynamic(dim))
      return emitError() << "!bnn.packed expects non-negative or dynamic leading dimensions, "
                            "found "
                         << dim;
  if (ShapedType::isDynamic(shape.back()))
    return emitError() << "!bnn.packed expects a static bit length K in its last dimension, "
                          "found ?";
  if (shape.back() < 1)
    return emitError() << "!bnn.packed expects a bit length K >= 1 in its last dimension, found "
                       << shape.back();
  if (shape.back() > kMaxBitLength)
    return emitError() << "!bnn.packed expects a bit length K <= " << kMaxBitLength
                       << " (a bnn.xnor_popcount dot product in [-K, K] must fit in i32), found "
                       << shape.back();
  // Every count derived from the type (rows, words, bytes, bits) must fit in int64_t; the
  // dynamic dimensions are checked where their values are known.
  std::optional<int64_t> words = wordsForBits(shape.back());
  for (int64_t dim : shape.drop_back())
    if (!ShapedType::isDynamic(dim) && words)
      words = llvm::checkedMul(*words, dim);
  if (!words || *words > kMaxStorageWords) {
    InFlightDiagnostic diag = emitError();
    diag << "!bnn.packed expects at most " << kMaxStorageWords
         << " storage words (rows x ceil(K / 64), so that the size in bits fits in int64), "
            "found ";
    diag << formatDims(shape.drop_back()) << " rows x " << *wordsForBits(shape.back()) << " words per row";
    return diag;
  }
  return success();
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
