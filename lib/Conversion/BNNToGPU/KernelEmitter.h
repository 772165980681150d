//===- KernelEmitter.h - terse IR building for kernel bodies ----*- C++ -*-===//
//
// Kernel bodies are long sequences of index arithmetic; this wrapper around
// ImplicitLocOpBuilder keeps them readable. Every helper creates ordinary upstream ops
// (arith, scf, memref, vector, gpu, nvvm) with OpTy::create.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_LIB_CONVERSION_BNNTOGPU_KERNELEMITTER_H
#define BNN_LIB_CONVERSION_BNNTOGPU_KERNELEMITTER_H

#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace bnn::gpugen {

class KernelEmitter {
public:
  explicit KernelEmitter(mlir::ImplicitLocOpBuilder &b) : b(b) {}

  mlir::ImplicitLocOpBuilder &b;

  mlir::Type indexTy() { return b.getIndexType(); }
  mlir::Type i32Ty() { return b.getI32Type(); }
  mlir::Type i64Ty() { return b.getI64Type(); }

  // Constants.
  mlir::Value idx(int64_t v) { return mlir::arith::ConstantIndexOp::create(b, v); }
  mlir::Value i32(int64_t v) { return mlir::arith::ConstantIntOp::create(b, v, 32); }
  mlir::Value i64(int64_t v) { return mlir::arith::ConstantIntOp::create(b, v, 64); }
  mlir::Value f32(float v) {
    return mlir::arith::ConstantFloatOp::create(b, b.getF32Type(), llvm::APFloat(v));
  }
  mlir::Value boolean(bool v) { return mlir::arith::ConstantIntOp::create(b, v, 1); }

  // Integer arithmetic (index or iN; both operands of the same type).
  mlir::Value add(mlir::Value x, mlir::Value y) { return mlir::arith::AddIOp::create(b, x, y); }
  mlir::Value sub(mlir::Value x, mlir::Value y) { return mlir::arith::SubIOp::create(b, x, y); }
  mlir::Value mul(mlir::Value x, mlir::Value y) { return mlir::arith::MulIOp::create(b, x, y); }
  mlir::Value divu(mlir::Value x, mlir::Value y) { return mlir::arith::DivUIOp::create(b, x, y); }
  mlir::Value remu(mlir::Value x, mlir::Value y) { return mlir::arith::RemUIOp::create(b, x, y); }
  mlir::Value andi(mlir::Value x, mlir::Value y) { return mlir::arith::AndIOp::create(b, x, y); }
  mlir::Value ori(mlir::Value x, mlir::Value y) { return mlir::arith::OrIOp::create(b, x, y); }
  mlir::Value xori(mlir::Value x, mlir::Value y) { return mlir::arith::XOrIOp::create(b, x, y); }
  mlir::Value shl(mlir::Value x, mlir::Value y) { return mlir::arith::ShLIOp::create(b, x, y); }
  mlir::Value shru(mlir::Value x, mlir::Value y) { return mlir::arith::ShRUIOp::create(b, x, y); }
  mlir::Value minu(mlir::Value x, mlir::Value y) { return mlir::arith::MinUIOp::create(b, x, y); }
  mlir::Value cmp(mlir::arith::CmpIPredicate p, mlir::Value x, mlir::Value y) {
    return mlir::arith::CmpIOp::create(b, p, x, y);
  }
  mlir::Value ult(mlir::Value x, mlir::Value y) { return cmp(mlir::arith::CmpIPredicate::ult, x, y); }
  mlir::Value eq(mlir::Value x, mlir::Value y) { return cmp(mlir::arith::CmpIPredicate::eq, x, y); }
  mlir::Value land(mlir::Value x, mlir::Value y) { return andi(x, y); }
  mlir::Value select(mlir::Value c, mlir::Value x, mlir::Value y) {
    return mlir::arith::SelectOp::create(b, c, x, y);
  }
  mlir::Value addc(mlir::Value x, int64_t c) { return c == 0 ? x : add(x, constLike(x, c)); }
  mlir::Value mulc(mlir::Value x, int64_t c) { return c == 1 ? x : mul(x, constLike(x, c)); }
  mlir::Value constLike(mlir::Value like, int64_t c) {
    if (like.getType().isIndex())
      return idx(c);
    return mlir::arith::ConstantIntOp::create(b, like.getType(), c);
  }

  // Conversions.
  mlir::Value indexToI32(mlir::Value v) {
    return mlir::arith::IndexCastUIOp::create(b, i32Ty(), v);
  }
  mlir::Value indexToI64(mlir::Value v) {
    return mlir::arith::IndexCastUIOp::create(b, i64Ty(), v);
  }
  mlir::Value i32ToIndex(mlir::Value v) {
    return mlir::arith::IndexCastUIOp::create(b, indexTy(), v);
  }
  mlir::Value trunc32(mlir::Value v) { return mlir::arith::TruncIOp::create(b, i32Ty(), v); }
  mlir::Value zext64(mlir::Value v) { return mlir::arith::ExtUIOp::create(b, i64Ty(), v); }
  mlir::Value popcount(mlir::Value v) { return mlir::math::CtPopOp::create(b, v); }

  // Thread geometry (index values).
  mlir::Value threadIdX() { return mlir::gpu::ThreadIdOp::create(b, mlir::gpu::Dimension::x); }
  mlir::Value blockIdX() { return mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::x); }
  mlir::Value blockIdY() { return mlir::gpu::BlockIdOp::create(b, mlir::gpu::Dimension::y); }
  void barrier() { mlir::gpu::BarrierOp::create(b); }

  /// Butterfly sum of an i32 over groups of `width` consecutive lanes (a power of two <= 32);
  /// every lane of the warp must execute it.
  mlir::Value groupSum(mlir::Value v, int64_t width) {
    for (int64_t offset = width / 2; offset >= 1; offset /= 2) {
      auto shuffle = mlir::gpu::ShuffleOp::create(b, v, static_cast<int32_t>(offset), 32,
                                                  mlir::gpu::ShuffleMode::XOR);
      v = add(v, shuffle.getShuffleResult());
    }
    return v;
  }
  /// Butterfly OR, as groupSum.
  mlir::Value groupOr(mlir::Value v, int64_t width) {
    for (int64_t offset = width / 2; offset >= 1; offset /= 2) {
      auto shuffle = mlir::gpu::ShuffleOp::create(b, v, static_cast<int32_t>(offset), 32,
                                                  mlir::gpu::ShuffleMode::XOR);
      v = ori(v, shuffle.getShuffleResult());
    }
    return v;
  }

  /// A 1-D view of a statically shaped, contiguous memref (no-op for rank 1).
  mlir::Value flatten(mlir::Value memref) {
    auto type = llvm::cast<mlir::MemRefType>(memref.getType());
    if (type.getRank() == 1)
      return memref;
    mlir::ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    return mlir::memref::CollapseShapeOp::create(b, memref,
                                                 llvm::ArrayRef<mlir::ReassociationIndices>{all});
  }

  mlir::Value load(mlir::Value memref, mlir::Value index) {
    return mlir::memref::LoadOp::create(b, memref, mlir::ValueRange{index});
  }
  void store(mlir::Value value, mlir::Value memref, mlir::Value index) {
    mlir::memref::StoreOp::create(b, value, memref, mlir::ValueRange{index});
  }
  /// An aligned vector load (`alignment` bytes; the caller guarantees it).
  mlir::Value vload(mlir::VectorType type, mlir::Value memref, mlir::Value index,
                    int64_t alignment) {
    return mlir::vector::LoadOp::create(b, type, memref, mlir::ValueRange{index},
                                        /*nontemporal=*/false, llvm::MaybeAlign(alignment));
  }
  void vstore(mlir::Value value, mlir::Value memref, mlir::Value index, int64_t alignment) {
    mlir::vector::StoreOp::create(b, value, memref, mlir::ValueRange{index},
                                  /*nontemporal=*/false, llvm::MaybeAlign(alignment));
  }
  mlir::Value extract(mlir::Value vector, int64_t position) {
    return mlir::vector::ExtractOp::create(b, vector, llvm::ArrayRef<int64_t>{position});
  }

  /// scf.for with loop-carried values; `body` returns the values to yield.
  llvm::SmallVector<mlir::Value>
  forLoop(mlir::Value lb, mlir::Value ub, mlir::Value step, mlir::ValueRange inits,
          llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value, mlir::ValueRange)> body) {
    auto loop = mlir::scf::ForOp::create(b, lb, ub, step, inits);
    mlir::OpBuilder::InsertionGuard guard(b);
    mlir::Block *block = loop.getBody();
    if (!block->empty())
      block->getTerminator()->erase();
    b.setInsertionPointToEnd(block);
    llvm::SmallVector<mlir::Value> yields = body(loop.getInductionVar(), loop.getRegionIterArgs());
    mlir::scf::YieldOp::create(b, yields);
    return llvm::SmallVector<mlir::Value>(loop.getResults());
  }

  /// scf.if without results.
  void ifThen(mlir::Value cond, llvm::function_ref<void()> then) {
    auto op = mlir::scf::IfOp::create(b, mlir::TypeRange{}, cond, /*withElseRegion=*/false);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(op.thenBlock());
    then();
  }

  /// scf.if yielding values from both branches.
  llvm::SmallVector<mlir::Value>
  ifThenElse(mlir::Value cond, mlir::TypeRange types,
             llvm::function_ref<llvm::SmallVector<mlir::Value>()> then,
             llvm::function_ref<llvm::SmallVector<mlir::Value>()> otherwise) {
    auto op = mlir::scf::IfOp::create(b, types, cond, /*withElseRegion=*/true);
    {
      mlir::OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(op.thenBlock());
      mlir::scf::YieldOp::create(b, then());
      b.setInsertionPointToStart(op.elseBlock());
      mlir::scf::YieldOp::create(b, otherwise());
    }
    return llvm::SmallVector<mlir::Value>(op.getResults());
  }

  /// The address of a global-memory memref's data as an LLVM pointer in the global address
  /// space, for accesses whose element type differs from the memref's (u32 halves of words).
  mlir::Value globalPointer(mlir::Value memref) {
    mlir::Value address = mlir::memref::ExtractAlignedPointerAsIndexOp::create(b, memref);
    return mlir::LLVM::IntToPtrOp::create(
        b, mlir::LLVM::LLVMPointerType::get(b.getContext(), /*addressSpace=*/1),
        indexToI64(address));
  }
};

} // namespace bnn::gpugen

#endif // BNN_LIB_CONVERSION_BNNTOGPU_KERNELEMITTER_H
