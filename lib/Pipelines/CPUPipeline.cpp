//===- CPUPipeline.cpp - bnn-cpu-pipeline ---------------------------------===//

#include "bnn/Pipelines/CPUPipeline.h"

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"
#include "bnn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;

namespace {
/// Gives every use of a tensor.empty its own tensor.empty. CSE merges identical empties (they
/// are pure), after which the destinations of N ops alias one value and One-Shot Bufferize's
/// conflict analysis grows with the square of N or worse (a chain of 1,000 elementwise ONNX
/// nodes took 42 s, 97% of it in bufferization; one empty per op bufferizes in linear time).
/// An empty tensor's contents are undefined, so the program is the same.
struct UnshareEmptyTensorsPass
    : PassWrapper<UnshareEmptyTensorsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(UnshareEmptyTensorsPass)
  StringRef getArgument() const final { return "bnn-unshare-empty-tensors"; }
  StringRef getDescription() const final {
    return "Give every use of a tensor.empty its own (before one-shot bufferization)";
  }
  void runOnOperation() override {
    getOperation().walk([](tensor::EmptyOp empty) {
      SmallVector<OpOperand *> uses = llvm::map_to_vector(
          empty->getUses(), [](OpOperand &use) { return &use; });
      OpBuilder builder(empty->getContext());
      builder.setInsertionPointAfter(empty);
      for (OpOperand *use : llvm::drop_begin(uses))
        use->set(builder.clone(*empty)->getResult(0));
    });
  }
};

/// Upstream elementwise fusion (linalg-fuse-elementwise-ops: single-use producers only), with
/// the fused body bounded: a chain of N elementwise ops becomes about N / kMaxFusedBodyOps loop
/// nests instead of N, and each fusion copies at most that many ops. Unbounded, fusing a chain
/// into one op copies the growing body at every step (quadratic: 12 s for 4,000 nodes); with no
/// fusion, the N loop nests in one function make SCF-to-CF and buffer deallocation grow faster
/// than N.
struct FuseElementwiseBoundedPass
    : PassWrapper<FuseElementwiseBoundedPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FuseElementwiseBoundedPass)
  static constexpr size_t kMaxFusedBodyOps = 64;
  StringRef getArgument() const final { return "bnn-fuse-elementwise-bounded"; }
  StringRef getDescription() const final {
    return "Fuse elementwise linalg ops into bodies of at most 64 ops";
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      auto producerOp = dyn_cast_or_null<linalg::GenericOp>(producer);
      auto consumerOp = dyn_cast<linalg::GenericOp>(fused->getOwner());
      if (!producerOp || !consumerOp || !producer->hasOneUse())
        return false;
      return producerOp.getBody()->getOperations().size() +
                 consumerOp.getBody()->getOperations().size() <=
             kMaxFusedBodyOps;
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
/// Fails on a statically shaped buffer larger than `maxBytes`: an intermediate the compiled
/// code would malloc (its null result is not checked: a segfault), a stack buffer, or a
/// constant that LLVM would materialize element by element (out of memory at compile time).
/// Runs after bufferization, when every allocation is explicit.
struct CheckBufferSizesPass : PassWrapper<CheckBufferSizesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckBufferSizesPass)
  explicit CheckBufferSizesPass(int64_t maxBytes) : maxBytes(maxBytes) {}
  StringRef getArgument() const final { return "bnn-check-buffer-sizes"; }
  StringRef getDescription() const final {
    return "Fail on statically shaped buffers larger than max-buffer-bytes";
  }
  void runOnOperation() override {
    if (maxBytes < 0) {
      emitError(getOperation().getLoc()) << "bnn-cpu-pipeline: max-buffer-bytes=" << maxBytes
                                 << ": expected 0 (no limit) or a positive byte count";
      return signalPassFailure();
    }
    if (maxBytes == 0)
      return;
    getOperation().walk([&](Operation *op) {
      MemRefType type;
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        type = alloc.getType();
      else if (auto alloca = dyn_cast<memref::AllocaOp>(op))
        type = alloca.getType();
      else if (auto global = dyn_cast<memref::GlobalOp>(op))
        type = global.getType();
      if (!type || !type.hasStaticShape())
        return;
      Type element = type.getElementType();
      int64_t elementBytes = element.isIndex() ? 8
                             : element.isIntOrFloat()
                                 ? (int64_t(element.getIntOrFloatBitWidth()) + 7) / 8
                                 : 0;
      if (elementBytes == 0)
        return;
      std::optional<int64_t> bytes = elementBytes;
      for (int64_t dim : type.getShape())
        bytes = bytes ? llvm::checkedMul(*bytes, dim) : std::nullopt;
      if (bytes && *bytes <= maxBytes)
        return;
      op->emitError() << "needs "
                      << (bytes ? std::to_string(*bytes) + " bytes" : "more than 2^63 bytes")
                      << " for " << type << ", more than max-buffer-bytes=" << maxBytes
                      << " allows";
      signalPassFailure();
    });
  }
  int64_t maxBytes;
};
} // namespace

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

  pm.addNestedPass<func::FuncOp>(std::make_unique<FuseElementwiseBoundedPass>());

  // Tensors -> buffers; results become caller-provided out-parameters.
  pm.addNestedPass<func::FuncOp>(::bnn::createBNNCopyRepeatedResults());
  pm.addNestedPass<func::FuncOp>(std::make_unique<UnshareEmptyTensorsPass>());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(std::make_unique<CheckBufferSizesPass>(options.maxBufferBytes));
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
