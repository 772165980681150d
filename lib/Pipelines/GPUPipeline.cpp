//===- GPUPipeline.cpp - bnn -> PTX pipeline ------------------------------===//

#include "bnn/Pipelines/GPUPipeline.h"

#include "bnn/Conversion/BNNToGPU/BNNToGPU.h"
#include "bnn/Conversion/BNNToGPU/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void bnn::buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options) {
  ConvertBNNToGPUOptions lowering;
  lowering.chip = options.chip;
  lowering.mma = options.mma;
  lowering.tileM = options.tileM;
  lowering.tileN = options.tileN;
  lowering.stages = options.stages;
  lowering.persistentBlocks = options.persistentBlocks;
  lowering.tuningDb = options.tuningDb;
  lowering.tuningRemarks = options.tuningRemarks;
  pm.addPass(createConvertBNNToGPU(lowering));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.ptxFeatures;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createConvertNVGPUToNVVMPass());

  // Kernels: scf/memref/vector/gpu/nvvm -> LLVM + NVVM. Memref arguments become bare pointers
  // (all shapes are static), which is the launch ABI the runtime's manifest describes.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createSCFToControlFlowPass());
  ConvertGpuOpsToNVVMOpsOptions toNVVM;
  toNVVM.useBarePtrCallConv = true;
  toNVVM.indexBitwidth = 64;
  kernels.addPass(createConvertGpuOpsToNVVMOps(toNVVM));
  // convert-gpu-to-nvvm leaves math.ctpop behind.
  kernels.addPass(createConvertMathToLLVMPass());
  kernels.addPass(createConvertNVVMToLLVMPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createBNNExternalizeDynamicSharedMemory());

  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa"; // PTX text; bnn-translate runs ptxas for cubins
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

llvm::Error bnn::checkGPUPipelineOptions(const GPUPipelineOptions &options) {
  llvm::Expected<gpugen::ChipInfo> chip = gpugen::parseChipOption(options.chip);
  if (!chip)
    return chip.takeError();
  gpugen::GemmTilingOverrides overrides;
  overrides.mma = options.mma;
  overrides.tileM = options.tileM;
  overrides.tileN = options.tileN;
  overrides.stages = options.stages;
  overrides.persistentBlocks = options.persistentBlocks;
  if (llvm::Error error = gpugen::checkGemmTilingOverrides(*chip, overrides))
    return error;
  if (llvm::Expected<int> version = gpugen::parsePtxFeatures(options.ptxFeatures, *chip);
      !version)
    return version.takeError();
  if (options.optLevel > 3)
    return llvm::createStringError("opt-level=" + llvm::Twine(options.optLevel) +
                                   ": expected 0 to 3");
  return llvm::Error::success();
}

void bnn::registerGPUPipeline() {
  // PassPipelineRegistration, plus the checks of checkGPUPipelineOptions where the options are
  // parsed: a bad ptx-features would otherwise end in a fatal LLVM error in the NVPTX back end.
  mlir::registerPassPipeline(
      "bnn-gpu-pipeline",
      "Lower bnn ops to GPU kernels and compile them to PTX (NVPTX backend): "
      "convert-bnn-to-gpu, nvvm-attach-target, convert-gpu-to-nvvm, gpu-module-to-binary",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) -> LogicalResult {
        GPUPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        if (llvm::Error error = checkGPUPipelineOptions(options))
          return errorHandler("bnn-gpu-pipeline: " + llvm::toString(std::move(error)));
        buildGPUPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optHandler) {
        optHandler(GPUPipelineOptions());
      });
}
