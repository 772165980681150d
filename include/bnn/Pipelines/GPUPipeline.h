//===- GPUPipeline.h - bnn -> PTX pipeline ----------------------*- C++ -*-===//
//
// bnn-gpu-pipeline: bnn ops -> GPU kernels (convert-bnn-to-gpu) -> NVVM -> PTX (embedded in a
// gpu.binary by gpu-module-to-binary, LLVM's NVPTX backend). Host functions stay as memref +
// gpu.launch_func for bnn-translate --bnn-gpu-to-bundle, which writes the runtime's manifest.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_PIPELINES_GPUPIPELINE_H
#define BNN_PIPELINES_GPUPIPELINE_H

#include "mlir/Pass/PassOptions.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace bnn {

struct GPUPipelineOptions : public mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("Target GPU (sm_80, sm_86, sm_89, "
                                                         "sm_90, sm_90a)"),
                           llvm::cl::init("sm_90a")};
  Option<std::string> mma{*this, "mma",
                          llvm::cl::desc("GEMM instruction: auto, sync (mma.sync) or wgmma"),
                          llvm::cl::init("auto")};
  Option<int64_t> tileM{*this, "tile-m", llvm::cl::desc("GEMM tile rows (0: chip default)"),
                        llvm::cl::init(0)};
  Option<int64_t> tileN{*this, "tile-n", llvm::cl::desc("GEMM tile columns (0: chip default)"),
                        llvm::cl::init(0)};
  Option<int64_t> stages{*this, "stages",
                         llvm::cl::desc("GEMM shared-memory stages (0: chip default)"),
                         llvm::cl::init(0)};
  Option<std::string> ptxFeatures{
      *this, "ptx-features",
      llvm::cl::desc("PTX ISA version for the NVPTX backend, +ptxNN (upstream defaults to "
                     "+ptx60, too old for b1 AND+POPC and wgmma; at least +ptx71, +ptx78 for "
                     "sm_89/sm_90, +ptx80 for sm_90a)"),
      llvm::cl::init("+ptx80")};
  Option<int64_t> persistentBlocks{
      *this, "persistent-blocks",
      llvm::cl::desc("wgmma GEMM: > 0 makes the kernel persistent with this many thread blocks "
                     "(0: one block per output tile)"),
      llvm::cl::init(0)};
  Option<std::string> tuningDb{
      *this, "tuning-db",
      llvm::cl::desc("Tuning database choosing GEMM tilings when no mma/tile-m/tile-n/stages/"
                     "persistent-blocks option is given (docs/Tuning.md): default (the shipped tuning/<chip>.json), "
                     "none, a directory holding <chip>.json, or a file"),
      llvm::cl::init("default")};
  Option<bool> tuningRemarks{
      *this, "tuning-remarks",
      llvm::cl::desc("Remark, per GEMM, where its tiling came from (entry, defaults, options)"),
      llvm::cl::init(false)};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("Optimization level of the NVPTX backend (0-3)"),
                            llvm::cl::init(3)};
};

/// Checks every option against its valid range (the chip names, the tile ranges, a
/// `+ptxNN` that LLVM knows and the chip accepts, opt-level 0-3); the error names the option,
/// the value and the range. bnn-gpu-pipeline runs it where its options are parsed.
llvm::Error checkGPUPipelineOptions(const GPUPipelineOptions &options);

/// Appends the bnn -> PTX pipeline to `pm` (which runs on a builtin.module); the options should
/// have passed checkGPUPipelineOptions.
void buildGPUPipeline(mlir::OpPassManager &pm, const GPUPipelineOptions &options);

/// Registers `bnn-gpu-pipeline` for bnn-opt's --pass-pipeline / --bnn-gpu-pipeline.
void registerGPUPipeline();

} // namespace bnn

#endif // BNN_PIPELINES_GPUPIPELINE_H
