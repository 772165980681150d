//===- BNNTypes.cpp - bnn types -------------------------------------------===//

#include "bnn/IR/BNNTypes.h"
#include "bnn/IR/BNNDialect.h"

#include "bnn/runtime/Reference.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
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

void PackedType::print(AsmPrinter &printer) const {
  printer << '<';
  llvm::interleave(
      getShape(), printer.getStream(),
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          printer << '?';
        else
          printer << dim;
      },
      "x");
  printer << '>';
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
  return success();
}

int64_t PackedType::getNumWords() const { return ::bnn::ref::wordsPerRow(getK()); }

int64_t PackedType::getNumRows() const {
  int64_t rows = 1;
  for (int64_t dim : getShape().drop_back()) {
    if (ShapedType::isDynamic(dim))
      return ShapedType::kDynamic;
    rows *= dim;
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
