//===- ExternalizeDynamicSharedMemory.cpp - extern dynamic shared memory --===//

#include "bnn/Conversion/BNNToGPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace bnn {
#define GEN_PASS_DEF_BNNEXTERNALIZEDYNAMICSHAREDMEMORY
#include "bnn/Conversion/BNNToGPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;

namespace {
struct ExternalizeDynamicSharedMemoryPass
    : ::bnn::impl::BNNExternalizeDynamicSharedMemoryBase<ExternalizeDynamicSharedMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    const int64_t align = alignment;
    if (align <= 0 || (align & (align - 1)) != 0) {
      getOperation().emitError() << "bnn-externalize-dynamic-smem: alignment must be a "
                                    "positive power of two, found "
                                 << align;
      return signalPassFailure();
    }
    // convert-gpu-to-nvvm names these globals __dynamic_shmem__<n>; they are the zero-sized
    // arrays in address space 3 that stand for the dynamic shared memory of a launch.
    getOperation().walk([&](LLVM::GlobalOp global) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() != 3 || !array || array.getNumElements() != 0 ||
          !global.getSymName().starts_with("__dynamic_shmem_"))
        return;
      global.setLinkage(LLVM::Linkage::External);
      global.setDsoLocal(false);
      global.setVisibility_(LLVM::Visibility::Default);
      global.setAlignment(static_cast<uint64_t>(align));
    });
  }
};
} // namespace
