//===- LoweringUtils.h - IR helpers shared by the CPU lowerings -*- C++ -*-===//
//
// Private to the CPU conversion: the small builders every op family's lowering uses, and the
// populate functions of each family (ConvertBNNToCPU.cpp gathers them).
//
//===----------------------------------------------------------------------===//

#ifndef BNN_CONVERSION_BNNTOCPU_LOWERINGUTILS_H
#define BNN_CONVERSION_BNNTOCPU_LOWERINGUTILS_H

#include "bnn/Target/CPUTarget.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace mlir {
class ModuleOp;
class RewritePatternSet;
class TypeConverter;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace bnn::cpu {

constexpr int64_t kWordBits = 64;
/// Largest kernel scratch (bytes) kept on the stack; OpenMP worker threads have 4 MiB stacks.
constexpr int64_t kMaxStackScratchBytes = 512 * 1024;

mlir::Value indexConst(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// A rows x cols view of `tensor`: leading dimensions collapsed into one (rank 1 becomes one
/// row), the last dimension kept.
mlir::Value collapseToRows(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor);

/// The inverse of collapseToRows for a result of `resultType` whose leading dimensions are
/// those of `shapeSource` (dynamic ones are read from it); its last dimension is the result's.
mlir::Value expandFromRows(mlir::OpBuilder &b, mlir::Location loc, mlir::Value rows,
                           mlir::RankedTensorType resultType, mlir::Value shapeSource);

/// A read-only buffer view of a rows x cols tensor whose rows are contiguous (all bnn kernels
/// read whole rows), with any row stride and offset.
mlir::Value readBuffer(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor);

/// A fresh, 64-byte aligned buffer of `type` (dynamic sizes from `dynamicSizes`).
mlir::Value allocBuffer(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                        mlir::ValueRange dynamicSizes);

/// The tensor of a buffer the kernel wrote (restrict, writable).
mlir::Value toTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer);

/// Dimension `dim` of a tensor or memref as an index value (a constant when static).
mlir::Value dimOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value shaped, int64_t dim);

/// Whether the kernel of `op`, doing about `work` 64-bit word operations (ShapedType::kDynamic
/// when unknown), runs its rows on several threads: not inside a parallel loop already (bnn-tile
/// made one), and not so small that forking threads costs more than the work.
bool runInParallel(mlir::Operation *op, bool parallel, const CPUTargetInfo &target,
                   int64_t work);

/// rows * perRow, or kDynamic if rows is (or if the product overflows).
int64_t workOf(int64_t rows, int64_t perRow);

/// Emits `body(row)` for every row in [0, rows): an scf.parallel when `parallel`, else scf.for.
void forEachRow(mlir::OpBuilder &b, mlir::Location loc, mlir::Value rows, bool parallel,
                llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value)> body);

/// for (iv = lb; iv < ub; iv += step) body(iv), with no loop-carried values.
void forLoop(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lb, mlir::Value ub,
             int64_t step,
             llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value)> body);

/// The bnn sign rule on a float vector or scalar: +1 (true) unless x < 0, so -0.0 and NaN are
/// +1. `uge` is "unordered or greater-equal": exactly !(x < 0).
mlir::Value isPlusOne(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

//===----------------------------------------------------------------------===//
// Calls of runtime micro-kernels (bnn_ukernel_*)
//===----------------------------------------------------------------------===//

/// A 2-d buffer of `elementType` with contiguous rows and any row stride and offset: what the
/// call wrappers of runtime kernels take, so that every operand (a static or dynamic buffer, a
/// row slice) casts to it.
mlir::MemRefType rowsBufferType(mlir::MLIRContext *context, mlir::Type elementType);

/// Declares `name` in `module` with `type` unless it is there (the first lowering declares it,
/// the others reuse it). Returns the function, or null when a symbol of that name with another
/// type exists.
mlir::func::FuncOp getOrDeclare(mlir::OpBuilder &b, mlir::ModuleOp module, llvm::StringRef name,
                                mlir::FunctionType type);

/// Whether getOrDeclare would succeed: `name` is free in `module` or already a function of
/// `type`. Patterns check every symbol they need first, so that a failing pattern creates
/// nothing (a half-built function would leak when the conversion rolls back).
bool canDeclare(mlir::ModuleOp module, llvm::StringRef name, mlir::FunctionType type);

/// The address of element [0, 0] of a 2-d buffer as an !llvm.ptr.
mlir::Value elementPointer(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer);

/// bnn.constant, bnn.slice, bnn.pack, bnn.unpack, bnn.pack_ternary, bnn.unpack_ternary,
/// bnn.sign, bnn.ste, bnn.scaled_sign.
void populatePackSignToCPUPatterns(const mlir::TypeConverter &converter,
                                   mlir::RewritePatternSet &patterns,
                                   const CPUTargetInfo &target, bool parallel);

/// bnn.xnor_popcount, bnn.xnor_linear.
void populateMatmulToCPUPatterns(const mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns, const CPUTargetInfo &target,
                                 bool parallel);

/// bnn.hamming_topk (a call of the runtime's bnn_ukernel_hamming_topk).
void populateHammingTopKToCPUPatterns(const mlir::TypeConverter &converter,
                                      mlir::RewritePatternSet &patterns,
                                      const CPUTargetInfo &target, bool parallel);
/// bnn.ternary_constant, bnn.quantize_absmax, bnn.lowbit_matmul, bnn.lowbit_linear.
void populateLowBitToCPUPatterns(const mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns, const CPUTargetInfo &target,
                                 bool parallel);

} // namespace bnn::cpu

#endif // BNN_CONVERSION_BNNTOCPU_LOWERINGUTILS_H
