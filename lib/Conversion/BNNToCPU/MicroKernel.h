//===- MicroKernel.h - the binary matmul micro-kernels ----------------------===//
//
// Private to the CPU conversion.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_CONVERSION_BNNTOCPU_MICROKERNEL_H
#define BNN_CONVERSION_BNNTOCPU_MICROKERNEL_H

#include "bnn/Target/CPUTarget.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace bnn::cpu {

/// What happens to each dot product once it is computed.
struct Epilogue {
  enum class Kind { Int32, Float, Packed } kind = Kind::Int32;
  mlir::Value colScale, rowScale, bias; // buffers, or null
  bool relu = false;
};

/// Which form of the kernel to emit: the register-blocked dot product (each output reduced
/// horizontally; streams the rhs once, best for GEMV), the outer product (rhs interleaved into
/// panels first, one output per lane), or `Choose`: decided at run time from the row count
/// (for dynamically shaped tiles and operands).
enum class KernelForm { DotProduct, OuterProduct, Choose };

/// Emits `output = lhs x rhs^T` with `epilogue` for 2-d buffers of packed rows (`lhs`: M x
/// words, `rhs`: N x words, both i64 with unit inner stride) of `k` logical bits; `output` is
/// M x N (i32 or f32) or M x ceil(N/64) words for a packed result (zero-filled by the caller).
/// `colsBound` is a constant upper bound of N when N is dynamic (ShapedType::kDynamic if none
/// is known); it sizes the outer-product scratch. With `parallel`, rows run on threads.
void emitBinaryMatmulKernel(mlir::OpBuilder &b, mlir::Location loc, const CPUTargetInfo &target,
                            mlir::Value lhs, mlir::Value rhs, mlir::Value output, int64_t k,
                            int64_t words, const Epilogue &epilogue, bool parallel,
                            KernelForm form, int64_t colsBound);

} // namespace bnn::cpu

#endif // BNN_CONVERSION_BNNTOCPU_MICROKERNEL_H
