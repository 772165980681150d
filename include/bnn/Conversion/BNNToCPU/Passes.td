//===- Passes.td - bnn to CPU conversion -------------------*- tablegen -*-===//

#ifndef BNN_CONVERSION_BNNTOCPU_PASSES_TD
#define BNN_CONVERSION_BNNTOCPU_PASSES_TD

include "mlir/Pass/PassBase.td"

// The one help text of a CPU `target` option in the passes; the same text is
// bnn::kCPUTargetOptionHelp (bnn/Target/CPUTarget.h) for the pipeline and the tools, and the
// names resolve through bnn::getCPUTargetInfo alone.
defvar CPUTargetHelp = "CPU target: native (this machine), amx, avx512, avx2 or generic";

// bnn-tile lives with the CPU conversion (as IREE keeps target-specific tiling in
// Codegen/LLVMCPU): its tile sizes are CPU target decisions (bnn::getCPUTargetInfo).
def BNNTile : Pass<"bnn-tile", "::mlir::func::FuncOp"> {
  let summary = "Tile binary matmuls into parallel output tiles (scf.forall)";
  let description = [{
    Tiles `bnn.xnor_popcount` and `bnn.xnor_linear` (float results) over their output with the
    upstream TilingInterface driver (`scf::tileUsingSCF`), producing an `scf.forall` whose
    iterations are independent output tiles: the unit of thread parallelism, and a cache
    block (a tile reads `tile-cols` rows of the weight matrix, sized to stay in L2). Operand rows
    are handed to each tile with `bnn.slice`.

    Tile sizes come from `tile-rows` / `tile-cols` when given (non-zero) and otherwise from the
    tuning database (`tuning-db`, an entry for the op's kernel kind and shape class; see
    docs/Tuning.md) and otherwise from the defaults of `target` (`bnn::getCPUTargetInfo`).
    Leading batch dimensions beyond the row dimension are tiled by 1. Ops with dynamic result
    shapes, packed results, or already inside a parallel loop are left alone. With
    `fuse-packs`, a `bnn.pack` feeding a tile is moved into it (`slice(pack(x)) ->
    pack(slice(x))`), which trades repeated packing for never materialising the packed
    operand.

    Example (`tile-rows=64 tile-cols=256`):

    ```mlir
    %y = bnn.xnor_popcount %a, %w : !bnn.packed<128x1000>, !bnn.packed<512x1000> -> tensor<128x512xi32>
    // becomes
    %y = scf.forall (%i, %j) = (0, 0) to (128, 512) step (64, 256) shared_outs(%o = %init) -> ... {
      %at = bnn.slice %a [%i] [64] : !bnn.packed<128x1000> -> !bnn.packed<64x1000>
      %wt = bnn.slice %w [%j] [256] : !bnn.packed<512x1000> -> !bnn.packed<256x1000>
      %t = bnn.xnor_popcount %at, %wt : ... -> tensor<64x256xi32>
      scf.forall.in_parallel { tensor.parallel_insert_slice %t into %o[%i, %j] [64, 256] [1, 1] ... }
    }
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"native\"",
           CPUTargetHelp>,
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"0",
           "Rows of the output per tile (0: the target's default)">,
    Option<"tileCols", "tile-cols", "int64_t", /*default=*/"0",
           "Columns of the output per tile (0: the target's default)">,
    Option<"fusePacks", "fuse-packs", "bool", /*default=*/"false",
           "Move bnn.pack producers of operand slices into the tiles">,
    Option<"tuningDb", "tuning-db", "std::string", /*default=*/"\"none\"",
           "Tuning database (docs/Tuning.md) whose entries choose the tile sizes when neither "
           "tile-rows nor tile-cols is given: none, default (the shipped tuning/ directory), a "
           "directory holding cpu-<target>.json, or a file">,
    Option<"tuningRemarks", "tuning-remarks", "bool", /*default=*/"false",
           "Emit a remark per tiled op saying where its tile sizes came from">
  ];
  let dependentDialects = ["::bnn::BNNDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

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
           CPUTargetHelp>,
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

def BNNFuseElementwiseBounded : Pass<"bnn-fuse-elementwise-bounded", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg ops into bodies of at most 64 ops";
  let description = [{
    Part of `bnn-cpu-pipeline`, before bufferization: upstream elementwise fusion
    (`linalg-fuse-elementwise-ops`, single-use producers only) with the fused body bounded to 64
    ops, so a chain of N elementwise ops becomes about N / 64 loop nests. Unbounded, fusing a
    chain into one op copies the growing body at every step (quadratic: 12 s for 4,000 ONNX
    nodes); with no fusion, N loop nests in one function make SCF-to-CF and buffer deallocation
    grow faster than N (benchmarks/results/compile-time-2026-12-02.md).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def BNNUnshareEmptyTensors : Pass<"bnn-unshare-empty-tensors", "::mlir::func::FuncOp"> {
  let summary = "Give every use of a tensor.empty its own (before one-shot bufferization)";
  let description = [{
    CSE merges identical `tensor.empty` ops (they are pure), after which the destinations of N
    ops alias one value and One-Shot Bufferize's conflict analysis grows with the square of N or
    worse (a chain of 1,000 elementwise ONNX nodes took 42 s, 97% of it in bufferization). Each
    use after the first gets a clone; an empty tensor's contents are undefined, so the program
    is the same.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def BNNCheckBufferSizes : Pass<"bnn-check-buffer-sizes", "::mlir::ModuleOp"> {
  let summary = "Fail on statically shaped buffers larger than a limit";
  let description = [{
    Part of `bnn-cpu-pipeline`, after bufferization (when every allocation is explicit): an error
    on any statically shaped `memref.alloc` (an intermediate the compiled code would malloc; its
    null result is not checked), `memref.alloca`, or `memref.global` (a constant LLVM would
    materialize element by element, running the compiler out of memory) larger than
    `max-buffer-bytes`. The tools set the limit from their `--max-memory-mb`.
  }];
  let options = [
    Option<"maxBufferBytes", "max-buffer-bytes", "int64_t", /*default=*/"0",
           "Largest buffer in bytes (0: no limit)">
  ];
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
           CPUTargetHelp>
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // BNN_CONVERSION_BNNTOCPU_PASSES_TD
