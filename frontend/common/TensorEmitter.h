//===- TensorEmitter.h - emit tensor computations as linalg/tensor/arith -*- C++ -*-===//
//
// The building blocks the ONNX importer and the graph builders share: elementwise maps with numpy
// broadcasting, reductions, matrix products, reshapes, transposes, slices and element type
// conversions, all on statically shaped tensors. Everything is emitted as upstream ops that lower
// to loops (linalg named ops or linalg.generic with projected-permutation maps, tensor, arith,
// math): broadcast dimensions are dropped with tensor.collapse_shape first instead of being
// addressed with constant indexing expressions, so tiling and vectorization see canonical maps.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_COMMON_TENSOREMITTER_H
#define BNN_FRONTEND_COMMON_TENSOREMITTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/APInt.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace bnn::frontend {

/// Body of an elementwise map: receives one scalar per input and returns the result scalar.
using ScalarFn =
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;
/// Body of a reduction: combines the running value `acc` with the element `x`.
using CombineFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                                 mlir::Value x, mlir::Value acc)>;

/// numpy (multidirectional) broadcasting of two static shapes; nullopt when incompatible.
std::optional<llvm::SmallVector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> lhs,
                                                          llvm::ArrayRef<int64_t> rhs);

/// Number of elements of a static shape; nullopt for negative dimensions or when the product
/// exceeds 2^48 (no tensor the frontend builds is that large; the bound keeps arithmetic on sizes
/// free of overflow).
std::optional<int64_t> numElements(llvm::ArrayRef<int64_t> shape);

/// A scalar arith.constant of a float or integer type (i1: value != 0).
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, double value);
/// The attribute of a scalar constant of a float or integer type (i1: value != 0). Integers
/// take `value` toward zero, saturated to int64_t (NaN: 0), then truncated to the type's width.
mlir::TypedAttr scalarAttr(mlir::Type type, double value);
/// `value` as a `width`-bit integer when it is a whole number within the range of that type
/// (signed, or unsigned when `isUnsigned`); nullopt for fractions, NaN, infinities and values out
/// of range. The check before any number read from a model becomes an integer constant.
std::optional<llvm::APInt> exactInteger(double value, unsigned width, bool isUnsigned);
/// A scalar integer arith.constant with an exact 64-bit value.
mlir::Value intConstant(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, int64_t value);

/// Converts one scalar between element types with C semantics: float -> int truncates toward
/// zero, anything -> i1 is `!= 0`, i1 -> number is 0/1; `srcUnsigned`/`dstUnsigned` select the
/// unsigned interpretation of integer types (MLIR integers are signless).
mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                          mlir::Type to, bool srcUnsigned, bool dstUnsigned);

class TensorEmitter {
public:
  TensorEmitter(mlir::OpBuilder &builder, mlir::Location loc) : b(builder), loc(loc) {}

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }
  void setLocation(mlir::Location newLoc) { loc = newLoc; }

  static mlir::RankedTensorType getType(mlir::Value tensor);
  static llvm::ArrayRef<int64_t> getShape(mlir::Value tensor);
  static mlir::Type getElementType(mlir::Value tensor);

  /// tensor.empty of a static shape.
  mlir::Value empty(llvm::ArrayRef<int64_t> shape, mlir::Type elementType);
  /// An arith.constant with the given little-endian element bytes (not i1): inline dense
  /// elements up to kResourceThreshold elements or when splat, otherwise a dense_resource blob
  /// named after `resourceName` (weights stay out of the textual IR and are not uniqued).
  mlir::Value constant(mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
                       llvm::StringRef resourceName);
  mlir::Value constant(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<float> values,
                       llvm::StringRef resourceName);
  static constexpr int64_t kResourceThreshold = 16;

  /// A dense splat arith.constant.
  mlir::Value splat(llvm::ArrayRef<int64_t> shape, mlir::Type elementType, double value);
  /// linalg.fill of a new tensor (used for accumulators).
  mlir::Value filled(llvm::ArrayRef<int64_t> shape, mlir::Type elementType, double value);
  mlir::Value filled(llvm::ArrayRef<int64_t> shape, mlir::TypedAttr value);

  /// An elementwise linalg.generic over `shape` with numpy broadcasting of the inputs (each input
  /// has rank <= shape's rank and is aligned to the trailing dimensions).
  mlir::Value map(llvm::ArrayRef<int64_t> shape, mlir::Type resultElementType,
                  mlir::ValueRange inputs, ScalarFn body);

  /// Reduces `input` over `axes` (normalised, any order) starting from `init`; the result has the
  /// reduced dimensions removed, or kept with size 1 when `keepDims`.
  mlir::Value reduce(mlir::Value input, llvm::ArrayRef<int64_t> axes, bool keepDims,
                     mlir::TypedAttr init, CombineFn combine);

  /// Softmax (or log-softmax) of a float tensor along `axis`: exp(x - max) / sum(exp(x - max)),
  /// computed as ONNX's reference does.
  mlir::Value softmax(mlir::Value input, int64_t axis, bool logarithm = false);

  /// numpy matmul: 1-D operands are promoted, batch dimensions broadcast. Float and integer
  /// element types (the operands must agree).
  mlir::Value matmul(mlir::Value lhs, mlir::Value rhs);

  /// Reshape to a static shape with the same number of elements (collapse/expand_shape).
  mlir::Value reshape(mlir::Value input, llvm::ArrayRef<int64_t> shape);
  /// linalg.transpose; `permutation[i]` is the input dimension that becomes result dimension i.
  mlir::Value transpose(mlir::Value input, llvm::ArrayRef<int64_t> permutation);
  /// Broadcast (numpy rules) to a larger static shape.
  mlir::Value broadcastTo(mlir::Value input, llvm::ArrayRef<int64_t> shape);
  /// Concatenation along `axis` (tensor.concat).
  mlir::Value concat(mlir::ValueRange inputs, int64_t axis);
  /// tensor.extract_slice with static offsets/sizes/positive strides.
  mlir::Value slice(mlir::Value input, llvm::ArrayRef<int64_t> offsets,
                    llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides);
  /// Elementwise element type conversion (see convertScalar).
  mlir::Value convert(mlir::Value input, mlir::Type to, bool srcUnsigned = false,
                      bool dstUnsigned = false);

  /// The value of a tensor known at compile time: an arith.constant (dense or dense_resource),
  /// possibly through tensor.collapse_shape/expand_shape; null otherwise.
  static mlir::DenseElementsAttr getConstantElements(mlir::Value tensor);

  /// Elementwise maps whose inputs are all compile-time constants and whose result has at most
  /// this many elements are evaluated while emitting (with the folders of the body's ops, so the
  /// result is what the compiled code would compute) and become arith.constant.
  static constexpr int64_t kMaxFoldedElements = 4096;

  /// Drops the dimensions marked in `drop` (each of size 1) with tensor.collapse_shape.
  mlir::Value dropUnitDims(mlir::Value input, llvm::ArrayRef<bool> drop);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace bnn::frontend

#endif // BNN_FRONTEND_COMMON_TENSOREMITTER_H
