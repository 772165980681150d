//===- Binarize.h - emit binary and ternary linear algebra with bnn ops -*- C++ -*-===//
//
// The pieces of a binarized network that the ONNX binarization patterns and the graph builders
// both emit:
//
//  * packed constants: host +1/-1 weights become one `bnn.constant` bit each;
//  * `bnn.xnor_popcount` followed by the canonical float epilogue (one elementwise linalg.generic
//    taking the i32 result first: arith.sitofp, arith.mulf by per-column and/or per-row scales,
//    arith.addf bias, optional arith.maximumf with 0), the form `bnn-fuse` absorbs;
//  * the exact product of 8-bit integer activations with binary or ternary weights (BitLinear):
//    int8 activations times a packed ternary or binary constant in one `bnn.lowbit_matmul`.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_FRONTEND_COMMON_BINARIZE_H
#define BNN_FRONTEND_COMMON_BINARIZE_H

#include "common/TensorEmitter.h"

#include <optional>
#include <vector>

namespace bnn::frontend {

/// A `bnn.constant` of logical shape `shape` (last entry K) whose element `i` (row-major) is +1
/// (bit 1) when `isPlusOne(i)`.
mlir::Value createPackedConstant(mlir::OpBuilder &b, mlir::Location loc,
                                 llvm::ArrayRef<int64_t> shape,
                                 llvm::function_ref<bool(int64_t)> isPlusOne);

/// What the canonical epilogue applies after the integer product, in this order (the order of
/// bnn.xnor_linear: float(dot) * col_scale[n] * row_scale[m] + bias[n], then relu).
struct BinaryEpilogue {
  mlir::Value columnScale;           ///< tensor<N x f>: scale per output column n
  mlir::Value rowScale;              ///< tensor<lhs leading dims x f>: scale per output row
  mlir::Value bias;                  ///< tensor<N x f>: added per output column
  bool relu = false;                 ///< max(x, 0) last
};

/// `y = epilogue(xnor_popcount(lhs, rhs))` for packed `lhs` [..., M, K] and `rhs` [N, K]; the
/// result is a `floatType` tensor [..., M, N].
mlir::Value emitXnorMatmul(TensorEmitter &e, mlir::Value lhsPacked, mlir::Value rhsPacked,
                           mlir::FloatType floatType, const BinaryEpilogue &epilogue);

/// The canonical epilogue alone, applied to an i32 tensor [..., M, N].
mlir::Value emitBinaryEpilogue(TensorEmitter &e, mlir::Value product, mlir::FloatType floatType,
                               const BinaryEpilogue &epilogue);

/// Binary or ternary weights of a linear layer, N output rows of K inputs, values in {-1, 0, +1}
/// (binary: no zeros), stored row-major as int8.
struct LowBitWeights {
  int64_t rows = 0; ///< N
  int64_t cols = 0; ///< K
  std::vector<int8_t> values;
  bool isTernary() const;
};

/// Exact integer product `q @ t^T` of integer-valued activations `q` (a float tensor [M, K] whose
/// values are integers in [-128, 127]) and the weights `t` (N x K) with the native low-bit op: `q`
/// converted to i8, the weights as a
/// `bnn.ternary_constant` (ternary) or a `bnn.constant` (binary), one `bnn.lowbit_matmul`
/// (int8 x ternary or int8 x binary). Returns the i32 tensor [M, N] of `q @ t^T` itself (no
/// factor). Needs K <= bnn::LowBitMatmulOp::kMaxInt8K.
mlir::Value emitLowBitMatmul(TensorEmitter &e, mlir::Value q, const LowBitWeights &weights);

} // namespace bnn::frontend

#endif // BNN_FRONTEND_COMMON_BINARIZE_H
