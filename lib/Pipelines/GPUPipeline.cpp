//===- GPUPipeline.cpp - bnn -> PTX pipeline ------------------------------===//

#include "bnn/Pipelines/GPUPipeline.h"

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

void bnn::registerGPUPipeline() {
  PassPipelineRegistration<GPUPipelineOptions>(
      "bnn-gpu-pipeline",
      "Lower bnn ops to GPU kernels and compile them to PTX (NVPTX backend): "
      "convert-bnn-to-gpu, nvvm-attach-target, convert-gpu-to-nvvm, gpu-module-to-binary",
      buildGPUPipeline);
}
