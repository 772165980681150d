//===- CPUPipeline.cpp - bnn-cpu-pipeline ---------------------------------===//

#include "bnn/Pipelines/CPUPipeline.h"

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"
#include "bnn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;


void ::bnn::buildCPUPipeline(OpPassManager &pm, const ::bnn::CPUPipelineOptions &options) {
  // bnn level.
  if (options.inference)
    pm.addPass(bnn::createBNNLowerSte());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bnn::createBNNFuse());
  pm.addPass(bnn::createBNNPackConstants());
  bnn::BNNTileOptions tile;
  tile.target = options.target;
  tile.tileRows = options.tileRows;
  tile.tileCols = options.tileCols;
  tile.tuningDb = options.tuningDb;
  tile.tuningRemarks = options.tuningRemarks;
  pm.addNestedPass<func::FuncOp>(bnn::createBNNTile(tile));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  ::bnn::ConvertBNNToCPUOptions convert;
  convert.target = options.target;
  convert.parallel = options.threads;
  pm.addPass(::bnn::createConvertBNNToCPU(convert));

  // What the ONNX frontend may emit besides linalg: TOSA.
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalgNamed());
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalg());
  pm.addNestedPass<func::FuncOp>(createTosaToArithPass());
  pm.addNestedPass<func::FuncOp>(createTosaToTensorPass());
  pm.addPass(createCanonicalizerPass());

  pm.addNestedPass<func::FuncOp>(bnn::createBNNFuseElementwiseBounded());

  // Tensors -> buffers; results become caller-provided out-parameters.
  pm.addNestedPass<func::FuncOp>(::bnn::createBNNCopyRepeatedResults());
  pm.addNestedPass<func::FuncOp>(bnn::createBNNUnshareEmptyTensors());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
    {
    bnn::BNNCheckBufferSizesOptions check;
    check.maxBufferBytes = options.maxBufferBytes;
    pm.addPass(bnn::createBNNCheckBufferSizes(check));
  }
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);

  // Loops, threads, LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  if (options.threads) {
    pm.addPass(createConvertSCFToOpenMPPass());
    // The memref.alloca_scope that scf-to-openmp wraps around each parallel body holds no
    // allocas of its own (kernel stack scratch has its own scope), so it is inlined away.
    pm.addPass(createCanonicalizerPass());
  }
  // Alloca scopes must be gone before scf-to-cf splits their bodies into blocks.
  pm.addNestedPass<func::FuncOp>(::bnn::createBNNLowerAllocaScopes());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  // Math ops LLVM has no intrinsic for, as the ONNX frontend emits them (Erf, integer Pow):
  // math.ipowi/fpowi become generated functions; what math-to-llvm leaves (math.erf) becomes a
  // libm call. math-to-libm must come after math-to-llvm, which owns math.ctpop and friends.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (options.threads)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  ::bnn::BNNSetCPUTargetOptions targetAttrs;
  targetAttrs.target = options.target;
  pm.addPass(::bnn::createBNNSetCPUTarget(targetAttrs));
}

void ::bnn::registerCPUPipeline() {
  PassPipelineRegistration<::bnn::CPUPipelineOptions>(
      "bnn-cpu-pipeline",
      "Compile bnn + tensor programs to the LLVM dialect for an x86 CPU (bnn passes, "
      "convert-bnn-to-cpu, bufferization, OpenMP threads, LLVM)",
      ::bnn::buildCPUPipeline);
}
