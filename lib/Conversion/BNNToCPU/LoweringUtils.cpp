//===- LoweringUtils.cpp - IR helpers shared by the CPU lowerings -----------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;

namespace bnn::cpu {

Value indexConst(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// A rows x cols view of `tensor`: leading dimensions collapsed into one (rank 1 becomes one
/// row), the last dimension kept.
Value collapseToRows(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return tensor;
  if (rank == 1) {
    auto rowType = RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    return tensor::ExpandShapeOp::create(b, loc, rowType, tensor,
                                         ArrayRef<ReassociationIndices>{{0, 1}});
  }
  ReassociationIndices leading;
  for (int64_t i = 0; i < rank - 1; ++i)
    leading.push_back(i);
  return tensor::CollapseShapeOp::create(b, loc, tensor,
                                         ArrayRef<ReassociationIndices>{leading, {rank - 1}});
}

/// The inverse of collapseToRows for a result whose logical shape is `shape` (dynamic leading
/// dimensions are read from `shapeSource`, a tensor with the same leading dimensions).
Value expandFromRows(OpBuilder &b, Location loc, Value rows, RankedTensorType resultType,
                     Value shapeSource) {
  int64_t rank = resultType.getRank();
  if (rank == 2)
    return rows;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(b, loc, resultType, rows,
                                           ArrayRef<ReassociationIndices>{{0, 1}});
  ReassociationIndices leading;
  for (int64_t i = 0; i < rank - 1; ++i)
    leading.push_back(i);
  SmallVector<OpFoldResult> outputShape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!resultType.isDynamicDim(i))
      outputShape.push_back(b.getIndexAttr(resultType.getDimSize(i)));
    else if (i == rank - 1) // the result's own last dimension (N, or words), not the source's
      outputShape.push_back(tensor::DimOp::create(b, loc, rows, 1).getResult());
    else
      outputShape.push_back(tensor::DimOp::create(b, loc, shapeSource, i).getResult());
  }
  return tensor::ExpandShapeOp::create(b, loc, resultType, rows,
                                       ArrayRef<ReassociationIndices>{leading, {rank - 1}},
                                       outputShape);
}

/// A read-only buffer view of a rows x cols tensor whose rows are contiguous (all bnn kernels
/// read whole rows), with any row stride and offset.
Value readBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  strides.back() = 1;
  auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType(), layout);
  return bufferization::ToBufferOp::create(b, loc, memrefType, tensor, /*read_only=*/true);
}

/// A fresh, 64-byte aligned buffer of `type` (dynamic sizes from `dynamicSizes`).
Value allocBuffer(OpBuilder &b, Location loc, RankedTensorType type, ValueRange dynamicSizes) {
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  return memref::AllocOp::create(b, loc, memrefType, dynamicSizes, b.getI64IntegerAttr(64));
}

Value toTensor(OpBuilder &b, Location loc, Value buffer) {
  auto memrefType = cast<MemRefType>(buffer.getType());
  auto tensorType = RankedTensorType::get(memrefType.getShape(), memrefType.getElementType());
  return bufferization::ToTensorOp::create(b, loc, tensorType, buffer, /*restrict=*/true,
                                           /*writable=*/true);
}

Value dimOf(OpBuilder &b, Location loc, Value shaped, int64_t dim) {
  auto type = cast<ShapedType>(shaped.getType());
  if (!type.isDynamicDim(dim))
    return indexConst(b, loc, type.getDimSize(dim));
  if (isa<MemRefType>(type))
    return memref::DimOp::create(b, loc, shaped, dim);
  return tensor::DimOp::create(b, loc, shaped, dim);
}

/// Whether the kernel of `op`, doing about `work` 64-bit word operations (ShapedType::kDynamic
/// when unknown), runs its rows on several threads: not inside a parallel loop already (bnn-tile
/// made one), and not so small that forking threads costs more than the work.
bool runInParallel(Operation *op, bool parallel, const CPUTargetInfo &target, int64_t work) {
  if (!parallel || op->getParentOfType<scf::ForallOp>() || op->getParentOfType<scf::ParallelOp>())
    return false;
  return ShapedType::isDynamic(work) || work >= target.minParallelWork;
}

/// rows * perRow, or kDynamic if rows is.
int64_t workOf(int64_t rows, int64_t perRow) {
  if (ShapedType::isDynamic(rows) || ShapedType::isDynamic(perRow))
    return ShapedType::kDynamic;
  std::optional<int64_t> work = llvm::checkedMul(rows, perRow);
  return work ? *work : ShapedType::kDynamic;
}

/// Emits `body(row)` for every row in [0, rows): an scf.parallel when `parallel`, else scf.for.
void forEachRow(OpBuilder &b, Location loc, Value rows, bool parallel,
                function_ref<void(OpBuilder &, Location, Value)> body) {
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  if (parallel) {
    scf::ParallelOp::create(b, loc, ValueRange{zero}, ValueRange{rows}, ValueRange{one},
                            [&](OpBuilder &nb, Location nloc, ValueRange ivs) {
                              body(nb, nloc, ivs[0]);
                            });
    return;
  }
  scf::ForOp::create(b, loc, zero, rows, one, ValueRange{},
                     [&](OpBuilder &nb, Location nloc, Value iv, ValueRange) {
                       body(nb, nloc, iv);
                       scf::YieldOp::create(nb, nloc);
                     });
}

/// for (iv = lb; iv < ub; iv += step) body(iv), with no loop-carried values.
void forLoop(OpBuilder &b, Location loc, Value lb, Value ub, int64_t step,
             function_ref<void(OpBuilder &, Location, Value)> body) {
  scf::ForOp::create(b, loc, lb, ub, indexConst(b, loc, step), ValueRange{},
                     [&](OpBuilder &nb, Location nloc, Value iv, ValueRange) {
                       body(nb, nloc, iv);
                       scf::YieldOp::create(nb, nloc);
                     });
}

/// The bnn sign rule on a float vector or scalar: +1 (true) unless x < 0, so -0.0 and NaN are
/// +1. `uge` is "unordered or greater-equal": exactly !(x < 0).
Value isPlusOne(OpBuilder &b, Location loc, Value x) {
  Type elementType = getElementTypeOrSelf(x.getType());
  if (elementType.isInteger(1))
    return x;
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(x.getType()));
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGE, x, zero);
}
} // namespace bnn::cpu

/// A 2-d buffer of `elementType` with contiguous rows and any row stride and offset: what the
/// call wrapper takes, so that every operand (a static or dynamic buffer, a row slice) casts
/// to it.
MemRefType bnn::cpu::rowsBufferType(MLIRContext *context, Type elementType) {
  auto layout = StridedLayoutAttr::get(context, ShapedType::kDynamic,
                                       ArrayRef<int64_t>{ShapedType::kDynamic, 1});
  return MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, elementType, layout);
}

/// Declares `name` in `module` with `type` unless it is there (the first lowering declares it,
/// the others reuse it). Returns the function, or null when a symbol of that name with another
/// type exists.
bool bnn::cpu::canDeclare(ModuleOp module, StringRef name, FunctionType type) {
  Operation *existing = module.lookupSymbol(name);
  auto func = dyn_cast_or_null<func::FuncOp>(existing);
  return !existing || (func && func.getFunctionType() == type);
}

func::FuncOp bnn::cpu::getOrDeclare(OpBuilder &b, ModuleOp module, StringRef name,
                                    FunctionType type) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing.getFunctionType() == type ? existing : func::FuncOp();
  if (module.lookupSymbol(name))
    return func::FuncOp();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, module.getLoc(), name, type);
  func.setPrivate();
  return func;
}

/// The address of element [0, 0] of a 2-d buffer as an !llvm.ptr.
Value bnn::cpu::elementPointer(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, metadata.getBaseBuffer());
  Value elementBytes = indexConst(b, loc, type.getElementTypeBitWidth() / 8);
  Value offsetBytes = arith::MulIOp::create(b, loc, metadata.getOffset(), elementBytes);
  Value address = arith::AddIOp::create(b, loc, base, offsetBytes);
  Value address64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), address);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), address64);
}
