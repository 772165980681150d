//===- Passes.td - bnn transformation passes ---------------*- tablegen -*-===//

#ifndef BNN_TRANSFORMS_PASSES_TD
#define BNN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def BNNLowerSte : Pass<"bnn-lower-ste"> {
  let summary = "Replace straight-through estimators with plain sign for inference";
  let description = [{
    `bnn.ste` differs from `bnn.sign` only in its backward rule. A graph compiled for inference
    has no backward pass, so every `bnn.ste` becomes a `bnn.sign` of the same operand; after this
    pass, canonicalization can fold the result into neighbouring packs and signs
    (`pack(sign(x)) -> pack(x)`). Training pipelines must not run it.

    Example:

    ```mlir
    %b = bnn.ste %x {clip = 1.0 : f32} : tensor<4x64xf32>
    // becomes
    %b = bnn.sign %x : tensor<4x64xf32>
    ```
  }];
  let dependentDialects = ["::bnn::BNNDialect"];
}

def BNNFuse : Pass<"bnn-fuse"> {
  let summary = "Fuse binarize+pack and absorb xnor_popcount epilogues into bnn.xnor_linear";
  let description = [{
    Rewrites the producer/consumer chains around binary matmuls so that intermediate `i32`
    and `f32` tensors are never materialised:

    * `pack(sign(x))` and `pack(ste(x))`-after-`bnn-lower-ste` become one `bnn.pack` of `x`
      (one pass over the data);
    * `bnn.xnor_popcount` followed by an elementwise `linalg.generic` whose body is
      `sitofp`, then optionally `mulf` by a per-column (`[N]`) scale, `mulf` by a per-row scale,
      `addf` of a per-column bias and `maximumf(y, 0)` (relu), in that order, becomes one
      `bnn.xnor_linear` (the order is kept, so results are bit-identical);
    * `bnn.pack` of a `bnn.xnor_linear` result (re-binarization for the next binary layer)
      becomes a `bnn.xnor_linear` with a `!bnn.packed` result.

    Only single-use intermediates are fused, so no work is duplicated.

    Example:

    ```mlir
    %acc = bnn.xnor_popcount %a, %w : !bnn.packed<4x64>, !bnn.packed<32x64> -> tensor<4x32xi32>
    %h = linalg.generic {...} ins(%acc, %alpha, %bias : ...) outs(%init : tensor<4x32xf32>) {
      sitofp, mulf by alpha[n], addf bias[n]
    }
    %hp = bnn.pack %h : tensor<4x32xf32> -> !bnn.packed<4x32>
    // becomes
    %hp = bnn.xnor_linear %a, %w col_scale(%alpha : tensor<32xf32>) bias(%bias : tensor<32xf32>)
            : !bnn.packed<4x64>, !bnn.packed<32x64> -> !bnn.packed<4x32>
    ```
  }];
  let dependentDialects = ["::bnn::BNNDialect", "::mlir::linalg::LinalgDialect"];
}

def BNNPackConstants : Pass<"bnn-pack-constants", "::mlir::ModuleOp"> {
  let summary = "Pack constant weights at compile time, one bit per binary weight";
  let description = [{
    Replaces every `bnn.pack` of a constant (dense elements or a `dense_resource` blob of
    `f32`, e.g. ONNX initializers) by a `bnn.constant` holding the packed words, so the
    compiled model stores 1 bit per binary weight and does no packing at run time. Packed
    constants larger than `inline-limit` bytes are stored as a `dense_resource` blob (kept out
    of the printed IR, and emitted as raw words into the object file). A splat is packed
    without expanding it: to a splat when all its words are equal (every row `-1`, or `+1`
    with `K` a multiple of 64 or at most 64), else row by row up to `max-bytes`.

    Example:

    ```mlir
    %w = arith.constant dense<...> : tensor<4096x4096xf32>     // 64 MiB
    %p = bnn.pack %w : tensor<4096x4096xf32> -> !bnn.packed<4096x4096>
    // becomes
    %p = bnn.constant dense_resource<bnn_packed_0> : tensor<4096x64xi64> -> !bnn.packed<4096x4096>  // 2 MiB
    ```
  }];
  let options = [
    Option<"inlineLimit", "inline-limit", "int64_t", /*default=*/"256",
           "Largest packed constant, in bytes, kept as inline dense elements">,
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"int64_t{1} << 30",
           "Largest packed constant, in bytes, the pass materialises; a larger one is an error. "
           "Only a splat can pack to more bytes than it occupies: one whose words are all "
           "equal packs to a splat of any size">
  ];
  let dependentDialects = ["::bnn::BNNDialect"];
}

#endif // BNN_TRANSFORMS_PASSES_TD
