//===- GPUBundle.h - PTX/cubin and manifest emission ------------*- C++ -*-===//
//
// Reads a module after bnn-gpu-pipeline (gpu.binary objects + GPU host functions of memref
// buffers and gpu.launch_func) and writes what the runtime's CUDA backend loads without MLIR:
//
//   bnn-translate --bnn-gpu-to-ptx     the PTX of the kernels (for inspection and ptxas)
//   bnn-translate --bnn-gpu-to-bundle  a bundle: a text manifest (each host function's
//                                      arguments, temporaries, constants, and its launches
//                                      with grid, block, shared memory and kernel arguments)
//                                      followed by length-prefixed sections holding the PTX,
//                                      a cubin per binary when ptxas is available, and the
//                                      constant buffers' bytes.
//
// The format is documented in docs/GPU.md and parsed by runtime/lib/GpuBundle.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_TARGET_PTX_GPUBUNDLE_H
#define BNN_TARGET_PTX_GPUBUNDLE_H

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace bnn {

/// When bnn-translate produces cubins next to the PTX.
enum class CubinMode {
  Auto,   ///< when ptxas is found
  Always, ///< fail when ptxas is missing
  Never,
};

struct GPUBundleOptions {
  CubinMode cubin = CubinMode::Auto;
  /// ptxas to use; empty: `ptxas` on PATH, then /usr/local/cuda/bin/ptxas.
  std::string ptxasPath;
  /// Most bytes of constants the bundle may embed (written element by element, a splat too).
  int64_t maxConstantBytes = int64_t{4} << 30;
};

/// Writes the PTX of every gpu.binary in `module` (concatenated, each preceded by a comment
/// naming its binary).
mlir::LogicalResult writeGPUPtx(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Writes the bundle described above.
mlir::LogicalResult writeGPUBundle(mlir::ModuleOp module, llvm::raw_ostream &os,
                                   const GPUBundleOptions &options);

/// Registers --bnn-gpu-to-ptx and --bnn-gpu-to-bundle (with --bnn-cubin, --bnn-ptxas).
void registerGPUBundleTranslations();

} // namespace bnn

#endif // BNN_TARGET_PTX_GPUBUNDLE_H
