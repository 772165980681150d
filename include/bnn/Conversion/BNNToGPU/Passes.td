//===- Passes.td - bnn to GPU conversion passes ------------*- tablegen -*-===//

#ifndef BNN_CONVERSION_BNNTOGPU_PASSES_TD
#define BNN_CONVERSION_BNNTOGPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertBNNToGPU : Pass<"convert-bnn-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower bnn ops to GPU kernels (b1 tensor cores) launched from host functions";
  let description = [{
    Every function that uses bnn ops becomes a *GPU host function*: tensors and `!bnn.packed`
    values become memrefs (a packed value becomes its `i64` storage, see
    `PackedType::getStorageType()`), results become trailing out-parameters (marked with the
    argument attribute `bnn.result = i`), and each bnn op becomes one or more `gpu.launch_func`
    of kernels that the pass writes into the `gpu.module @bnn_kernels`:

    | op | kernel(s) |
    |---|---|
    | `bnn.pack` | `pack`: one thread per 64-bit word, per-row popcounts as a by-product |
    | `bnn.constant` | none: the words and their row popcounts become `memref.global` constants |
    | `bnn.xnor_popcount`, M = 1 | `gemv`: streams the packed weights, `K - 2*popc(a XOR b)` |
    | `bnn.xnor_popcount`, M > 1 | `gemm`: `mma.sync.m16n8k256...b1.and.popc` or, on `sm_90a`, `wgmma ... b1.and.popc` |

    The tensor cores only compute AND+POPC natively on sm_90 (XOR is emulated), so the GEMM
    computes `K - 2*(popc(a) + popc(b) - 2*popc(a AND b))`, taking the row popcounts from the
    producing `bnn.pack`, from the constant, or from a `popcount` kernel for function arguments.

    Tile sizes come from per-chip defaults or from the options below; the choice is made in
    one place (`bnn::gpugen::selectGemmTiling`). Grid, block and shared-memory sizes are constants
    on each `gpu.launch_func`, so `bnn-translate --bnn-gpu-to-bundle` can write them to the
    runtime's manifest.

    Example:

    ```mlir
    func.func @linear(%x: tensor<8x1000xf32>, %w: !bnn.packed<64x1000>) -> tensor<8x64xi32> {
      %xp = bnn.pack %x : tensor<8x1000xf32> -> !bnn.packed<8x1000>
      %y = bnn.xnor_popcount %xp, %w : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xi32>
      return %y : tensor<8x64xi32>
    }
    // becomes
    func.func @linear(%x: memref<8x1000xf32>, %w: memref<64x16xi64>,
                      %out: memref<8x64xi32> {bnn.result = 0 : i64}) attributes {bnn.gpu.host} {
      // pack %x (words + popcounts), popcount %w, then the GEMM kernel
      gpu.launch_func @bnn_kernels::@bnn_pack_... blocks in (...) threads in (...) args(...)
      ...
      return
    }
    ```
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "Target GPU: sm_80, sm_86, sm_89, sm_90 or sm_90a (wgmma needs sm_90a)">,
    Option<"mma", "mma", "std::string", /*default=*/"\"auto\"",
           "GEMM instruction: auto (chip default), sync (mma.sync) or wgmma (sm_90a only)">,
    Option<"tileM", "tile-m", "int64_t", /*default=*/"0",
           "GEMM tile rows of the lhs per thread block (0: chip default)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"0",
           "GEMM tile rows of the rhs (output columns) per thread block (0: chip default)">,
    Option<"stages", "stages", "int64_t", /*default=*/"0",
           "Shared-memory pipeline depth of the GEMM, each stage 1024 bits of K (0: chip default)">,
    Option<"persistentBlocks", "persistent-blocks", "int64_t", /*default=*/"0",
           "wgmma GEMM: > 0 makes the kernel persistent with this many thread blocks (0: one "
           "block per output tile)">,
    Option<"tuningDb", "tuning-db", "std::string", /*default=*/"\"none\"",
           "Tuning database (docs/Tuning.md) whose entries choose the GEMM tiling when no "
           "mma/tile-m/tile-n/stages/persistent-blocks option is given: none, default (the shipped tuning/ "
           "directory), a directory holding <chip>.json, or a file">,
    Option<"tuningRemarks", "tuning-remarks", "bool", /*default=*/"false",
           "Emit a remark per GEMM saying where its tiling came from (database entry, "
           "untuned entry, no entry: chip defaults, or explicit options)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def BNNExternalizeDynamicSharedMemory
    : Pass<"bnn-externalize-dynamic-smem", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Declare the dynamic shared memory of lowered GPU kernels as extern";
  let description = [{
    `convert-gpu-to-nvvm` lowers `gpu.dynamic_shared_memory` to an *internal* zero-sized global
    in address space 3. The NVPTX backend then emits a one-byte `.shared` variable instead of
    `.extern .shared .b8 name[]`, so the kernel would address past its static allocation. This
    pass gives those globals external linkage (the PTX becomes `.extern .shared`) and raises
    their alignment to `alignment` bytes, which the 128-byte-swizzled `wgmma` operand tiles
    need (1024). Run it on each `gpu.module` after `convert-gpu-to-nvvm`.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"1024",
           "Alignment in bytes of the dynamic shared memory base">,
  ];
}

#endif // BNN_CONVERSION_BNNTOGPU_PASSES_TD
