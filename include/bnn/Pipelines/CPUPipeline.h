//===- CPUPipeline.h - bnn-cpu-pipeline -------------------------*- C++ -*-===//

#ifndef BNN_PIPELINES_CPUPIPELINE_H
#define BNN_PIPELINES_CPUPIPELINE_H

#include "bnn/Target/CPUTarget.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace bnn {

struct CPUPipelineOptions : mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc(kCPUTargetOptionHelp),
                             llvm::cl::init("native")};
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("Run output tiles and row blocks on all cores (OpenMP); "
                                      "results are identical either way"),
                       llvm::cl::init(true)};
  Option<bool> inference{*this, "inference",
                         llvm::cl::desc("Compile for inference: bnn.ste becomes bnn.sign"),
                         llvm::cl::init(true)};
  Option<int64_t> tileRows{*this, "tile-rows",
                           llvm::cl::desc("bnn-tile rows per tile (0: target default)"),
                           llvm::cl::init(0)};
  Option<int64_t> tileCols{*this, "tile-cols",
                           llvm::cl::desc("bnn-tile columns per tile (0: target default)"),
                           llvm::cl::init(0)};
  Option<std::string> tuningDb{
      *this, "tuning-db",
      llvm::cl::desc("Tuning database choosing bnn-tile sizes when neither tile-rows nor "
                     "tile-cols is given (docs/Tuning.md): default (the shipped "
                     "tuning/cpu-<target>.json), none, a directory, or a file"),
      llvm::cl::init("default")};
  Option<bool> tuningRemarks{
      *this, "tuning-remarks",
      llvm::cl::desc("Remark, per tiled op, where its tile sizes came from"),
      llvm::cl::init(false)};
  Option<int64_t> maxBufferBytes{
      *this, "max-buffer-bytes",
      llvm::cl::desc("Most bytes one buffer of the compiled code (memref.alloc, memref.alloca "
                     "or a constant memref.global) may take; a larger one is an error here, "
                     "not a failed malloc or an out-of-memory at run or link time (0: no limit)"),
      llvm::cl::init(0)};
};

/// bnn + func/tensor/arith/math/linalg/tosa on tensors -> LLVM dialect for a CPU:
/// bnn passes (lower-ste, fuse, pack-constants, tile), convert-bnn-to-cpu, one-shot
/// bufferization with results as out-parameters, loops (OpenMP when `threads`), LLVM.
void buildCPUPipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers `bnn-cpu-pipeline` for bnn-opt.
void registerCPUPipeline();

} // namespace bnn

#endif // BNN_PIPELINES_CPUPIPELINE_H
