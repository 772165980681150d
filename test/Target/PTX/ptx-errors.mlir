// RUN: bnn-translate %s --bnn-gpu-to-ptx --split-input-file --verify-diagnostics
// RUN: not bnn-translate %s --bnn-gpu-to-bundle --bnn-cubin=always --bnn-ptxas=%t.nonexistent/ptxas --split-input-file 2>&1 | FileCheck %s --check-prefix=NOPTXAS

// --bnn-gpu-to-ptx prints PTX only.
// expected-error @+1 {{gpu.binary @bnn_kernels holds cubin, not PTX; compile with gpu-module-to-binary format=isa}}
module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, bin = "\7FELF">]
}

// A cubin cannot be made without ptxas when one is required.
// NOPTXAS: error: --bnn-cubin=always but ptxas was not found at {{.*}}.nonexistent/ptxas
