//===- LowerAllocaScopes.cpp - bnn-lower-alloca-scopes ----------------------===//
//
// Part of bnn-cpu-pipeline, after bufferization and before scf-to-cf: memref.alloca_scope (the
// stack scratch of the outer-product kernels) becomes llvm.intr.stacksave/stackrestore.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToCPU/BNNToCPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace bnn {
#define GEN_PASS_DEF_BNNLOWERALLOCASCOPES
#include "bnn/Conversion/BNNToCPU/Passes.h.inc"
} // namespace bnn

using namespace mlir;
using bnn::CPUTargetInfo;

namespace {

struct BNNLowerAllocaScopesPass : ::bnn::impl::BNNLowerAllocaScopesBase<BNNLowerAllocaScopesPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    // scf.forall is an automatic allocation scope and scf.parallel is not: allocas that
    // canonicalization moved from a kernel's scope into a forall body would live until the
    // function returns once forall-to-parallel has run (and, without OpenMP, pile up on every
    // iteration). Give such parallel bodies their own scope, as scf-to-openmp does.
    getOperation()->walk([&](scf::ParallelOp parallel) {
      Block &body = parallel.getRegion().front();
      bool hasAlloca = false;
      for (Operation &op : body.without_terminator())
        hasAlloca |= isa<memref::AllocaOp>(op);
      if (!hasAlloca)
        return;
      b.setInsertionPointToStart(&body);
      auto scope = memref::AllocaScopeOp::create(b, parallel.getLoc(), TypeRange{});
      Block *inner = new Block();
      scope.getBodyRegion().push_back(inner);
      inner->getOperations().splice(inner->end(), body.getOperations(),
                                    std::next(Block::iterator(scope)),
                                    Block::iterator(body.getTerminator()));
      b.setInsertionPointToEnd(inner);
      memref::AllocaScopeReturnOp::create(b, parallel.getLoc());
    });

    SmallVector<memref::AllocaScopeOp> scopes;
    // Post-order: inner scopes first, so each one's body is still a single block.
    getOperation()->walk([&](memref::AllocaScopeOp scope) {
      if (scope->getNumResults() == 0)
        scopes.push_back(scope);
    });
    for (memref::AllocaScopeOp scope : scopes) {
      Block &body = scope.getBodyRegion().front();
      b.setInsertionPoint(scope);
      Value stack =
          LLVM::StackSaveOp::create(b, scope.getLoc(), LLVM::LLVMPointerType::get(&getContext()));
      Operation *terminator = body.getTerminator();
      scope->getBlock()->getOperations().splice(Block::iterator(scope), body.getOperations(),
                                                body.begin(), Block::iterator(terminator));
      LLVM::StackRestoreOp::create(b, scope.getLoc(), stack);
      scope->erase();
    }
  }
};

} // namespace
