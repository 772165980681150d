//===- BNNAttrs.td - bnn attribute definitions -------------*- tablegen -*-===//

#ifndef BNN_ATTRS_TD
#define BNN_ATTRS_TD

include "bnn/IR/BNNDialect.td"
include "mlir/IR/EnumAttr.td"

def BNN_ScaleGranularityPerTensor : I32EnumAttrCase<"PerTensor", 0, "per_tensor">;
def BNN_ScaleGranularityPerChannel : I32EnumAttrCase<"PerChannel", 1, "per_channel">;

def BNN_ScaleGranularity : I32EnumAttr<"ScaleGranularity",
    "how many scale factors a scaled binarisation uses",
    [BNN_ScaleGranularityPerTensor, BNN_ScaleGranularityPerChannel]> {
  let cppNamespace = "::bnn";
}

def BNN_ActivationNone : I32EnumAttrCase<"None", 0, "none">;
def BNN_ActivationRelu : I32EnumAttrCase<"Relu", 1, "relu">;

def BNN_Activation : I32EnumAttr<"Activation",
    "activation applied by a fused binary layer epilogue",
    [BNN_ActivationNone, BNN_ActivationRelu]> {
  let cppNamespace = "::bnn";
}

#endif // BNN_ATTRS_TD
