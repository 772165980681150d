//===- Passes.td - bnn to CPU conversion -------------------*- tablegen -*-===//

#ifndef BNN_CONVERSION_BNNTOCPU_PASSES_TD
#define BNN_CONVERSION_BNNTOCPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertBNNToCPU : Pass<"convert-bnn-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Lower bnn ops to vectorized XOR/popcount loops for x86 CPUs";
  let description = [{
    Replaces every bnn op by code on the packed storage (`tensor<... x ceil(K/64) x i64>`) that
    one-shot bufferization and the upstream LLVM lowering turn into machine code:

    * `bnn.xnor_popcount` / `bnn.xnor_linear`: a register-blocked micro-kernel (target
      `registerRows x registerCols` block of accumulators) whose inner loop is
      `vector.load` + `arith.xori` + `math.ctpop` + `arith.addi` on `vector<Nxi64>`
      (8 words on `avx512`, which LLVM turns into `vpopcntq`; 4 on `avx2`, the `vpshufb`
      popcount sequence; scalar on `generic`), followed by the epilogue
      `K - 2 * popcount`, scales, bias, activation and, for packed results, re-binarization;
    * `bnn.pack` / `bnn.unpack`: 64 elements per step via a vector compare and an
      `i1`-vector bitcast;
    * `bnn.sign`, `bnn.ste` (forward), `bnn.scaled_sign`: `linalg` elementwise ops;
    * `bnn.constant`, `bnn.slice`: constants and slices of the storage tensor.

    Binary matmuls of at least the target's `outerProductMinRows` rows on a vector target
    (tested at run time when the row count is dynamic) use the outer-product form instead: the rhs is first interleaved into panels of
    8 (avx512) or 4 (avx2) rows, word by word (an in-register transpose, into stack scratch
    inside a `memref.alloca_scope` when it is small enough), then each accumulator lane holds
    a different output, so no horizontal reduction is left; lanes past N are masked off at the
    store. A tile of a `bnn-tile` loop writes its results straight into its slice of the loop's
    shared output.

    Packed function arguments and results become their storage tensors. Kernels of ops that are
    not already inside a parallel loop (made by `bnn-tile`) get an `scf.parallel` over row
    blocks when `parallel` is set.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"native\"",
           "CPU target: native, avx512, avx2 or generic">,
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "Emit scf.parallel over row blocks for kernels outside parallel loops">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

def BNNCopyRepeatedResults : Pass<"bnn-copy-repeated-results", "::mlir::func::FuncOp"> {
  let summary = "Give every function result its own tensor before bufferization";
  let description = [{
    When a `func.return` returns the same tensor more than once, each later occurrence is
    replaced by a copy (`linalg.copy` into a fresh `tensor.empty`). Results then bufferize to
    distinct buffers, which `buffer-results-to-out-params` turns into distinct out-parameters.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def BNNLowerAllocaScopes : Pass<"bnn-lower-alloca-scopes", "::mlir::func::FuncOp"> {
  let summary = "Replace memref.alloca_scope by a stack save/restore around its body";
  let description = [{
    The outer-product kernels of `convert-bnn-to-cpu` keep their scratch (the interleaved rhs
    panels) on the stack inside a `memref.alloca_scope`, so that a kernel inside a loop over
    tiles releases it on every iteration. `scf-to-cf` would turn the scope's single-block body
    into many blocks, which `memref.alloca_scope` does not allow, so this pass (run after
    bufferization and buffer deallocation, before `scf-to-cf`) inlines each scope between
    `llvm.intr.stacksave` and `llvm.intr.stackrestore`. Scopes with results are left alone.
    Because `scf.forall` is an automatic allocation scope and `scf.parallel` is not,
    canonicalization may have moved a kernel's allocas into a forall body that
    `scf-forall-to-parallel` then turned into a parallel loop: such a body first gets a scope
    of its own (as `scf-to-openmp` gives its bodies), so scratch never outlives an iteration.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def BNNSetCPUTarget : Pass<"bnn-set-cpu-target", "::mlir::ModuleOp"> {
  let summary = "Attach the CPU target's LLVM cpu and feature string to every llvm.func";
  let description = [{
    The last step of `bnn-cpu-pipeline`: sets `target_cpu` and `target_features` on every
    `llvm.func` from the CPU target (`avx512`: icelake-server with `+avx512vpopcntdq`, ...), so
    that LLVM selects `vpopcntq`, the AVX2 popcount sequence or scalar code whatever machine
    compiles it (the JIT and the object-file emitter both honour these attributes). It also
    turns the `llvm.loop_annotation` that bnn kernels put on their loops (and scf-to-cf carries
    to the latch branch) into the branch's loop metadata.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"native\"",
           "CPU target: native, avx512, avx2 or generic">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // BNN_CONVERSION_BNNTOCPU_PASSES_TD
