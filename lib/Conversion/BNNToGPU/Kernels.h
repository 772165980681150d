//===- Kernels.h - GPU kernels for bnn ops ----------------------*- C++ -*-===//
//
// KernelLibrary writes the gpu.func kernels that convert-bnn-to-gpu launches into the module's
// `gpu.module @bnn_kernels`, once per distinct signature and configuration, and tells the host
// side how to launch each one (LaunchGeometry).
//
// Every kernel is specialised for static shapes. Arguments are memrefs with the exact types of
// the host buffers (so gpu.launch_func type-checks); kernels flatten them to 1-D internally.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_LIB_CONVERSION_BNNTOGPU_KERNELS_H
#define BNN_LIB_CONVERSION_BNNTOGPU_KERNELS_H

#include "bnn/Conversion/BNNToGPU/BNNToGPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include <array>

namespace bnn::gpugen {

/// Grid, block and dynamic shared memory of one launch.
struct LaunchGeometry {
  std::array<int64_t, 3> grid = {1, 1, 1};
  std::array<int64_t, 3> block = {1, 1, 1};
  int64_t sharedMemoryBytes = 0;
};

struct KernelInfo {
  mlir::gpu::GPUFuncOp func;
  LaunchGeometry geometry;
};

/// What happens to the i32 dot products of a binary GEMM/GEMV before they are stored.
/// Mirrors bnn.xnor_linear: y = act(((float(dot) * col_scale[n]) * row_scale[m]) + bias[n]).
struct EpilogueSpec {
  enum class Output { Int32, Float32, Packed };
  Output output = Output::Int32;
  bool colScale = false;
  bool rowScale = false;
  bool bias = false;
  bool relu = false;

  /// A short, unique tag for kernel names ("i32", "f32_cs_b_relu", ...).
  std::string tag() const;
};

/// The memref types of a binary GEMM/GEMV kernel's arguments, in launch order:
/// lhs, [lhsPopcounts], rhs, [rhsPopcounts], [colScale], [rowScale], [bias], out.
/// Popcounts are present for the tensor-core kernels only.
struct XnorKernelTypes {
  mlir::MemRefType lhs, lhsPopcounts, rhs, rhsPopcounts, colScale, rowScale, bias, out;
  llvm::SmallVector<mlir::Type> inLaunchOrder() const;
};

/// How bnn.hamming_topk runs: one scan kernel over (query, database shard) blocks, and with
/// more than one shard a merge kernel of the shards' lists, which the scan writes to scratch
/// buffers (shards * k entries per query) the host allocates.
struct HammingTopKPlan {
  KernelInfo scan;
  KernelInfo merge; ///< null func when shards == 1 (the scan writes the results)
  int64_t shards = 1;
  mlir::MemRefType scratchDistances, scratchIndices;
};

class KernelLibrary {
public:
  /// Finds or creates `gpu.module @bnn_kernels` in `module` (and marks `module` as a GPU
  /// container module).
  KernelLibrary(mlir::ModuleOp module, ChipInfo chip);

  /// Packs `input` (float or i1, rows x K) into `words` (rows x ceil(K/64) i64) and writes the
  /// popcount of every packed row to `popcounts` (rows x i32).
  KernelInfo getPackKernel(mlir::MemRefType input, mlir::MemRefType words,
                           mlir::MemRefType popcounts);

  /// Writes the popcount of every packed row of `words` to `popcounts`.
  KernelInfo getPopcountKernel(mlir::MemRefType words, mlir::MemRefType popcounts);

  /// The binary GEMM/GEMV for logical sizes m x n x k with the given tiling and epilogue.
  KernelInfo getXnorKernel(const GemmTiling &tiling, int64_t m, int64_t n, int64_t k,
                           const XnorKernelTypes &types, const EpilogueSpec &epilogue);

  /// The k nearest rows of `database` (N x W words) to every row of `queries` (Q x W words) by
  /// Hamming distance, ties by the smaller index: `distances` (Q x k i32) and `indices`
  /// (Q x k i64), as bnn.hamming_topk. k <= kMaxHammingTopKOnGPU.
  HammingTopKPlan getHammingTopKKernels(mlir::MemRefType queries, mlir::MemRefType database,
                                        mlir::MemRefType distances, mlir::MemRefType indices,
                                        int64_t k);

  mlir::gpu::GPUModuleOp getGPUModule() { return gpuModule; }

private:
  mlir::gpu::GPUFuncOp createKernel(llvm::StringRef name, mlir::TypeRange argTypes,
                                    int64_t blockSize);
  KernelInfo getHammingScanKernel(mlir::MemRefType queries, mlir::MemRefType database,
                                  mlir::MemRefType distances, mlir::MemRefType indices, int64_t k,
                                  int64_t shards);
  KernelInfo getHammingMergeKernel(mlir::MemRefType scratchDistances,
                                   mlir::MemRefType scratchIndices, mlir::MemRefType distances,
                                   mlir::MemRefType indices, int64_t k, int64_t shards);

  mlir::ModuleOp module;
  mlir::gpu::GPUModuleOp gpuModule;
  ChipInfo chip;
  llvm::StringMap<KernelInfo> cache;
};

/// The largest k of the GPU Hamming top-k kernel (its per-thread lists live in shared memory).
constexpr int64_t kMaxHammingTopKOnGPU = 32;

/// Name of the gpu.module that holds bnn's kernels.
constexpr llvm::StringLiteral kKernelModuleName = "bnn_kernels";

} // namespace bnn::gpugen

#endif // BNN_LIB_CONVERSION_BNNTOGPU_KERNELS_H
