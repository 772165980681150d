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
  let dependentDialects = ["::mlir::bnn::BNNDialect"];
}

#endif // BNN_TRANSFORMS_PASSES_TD
