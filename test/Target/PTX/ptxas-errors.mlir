// ptxas' own complaints reach the user, and so does a missing temporary directory.
// REQUIRES: ptxas
// RUN: not bnn-translate %s --bnn-gpu-to-bundle --bnn-cubin=always --bnn-ptxas=%ptxas 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: env TMPDIR=%t.missing-dir not bnn-translate %s --bnn-gpu-to-bundle --bnn-cubin=auto --bnn-ptxas=%ptxas 2>&1 | FileCheck %s --check-prefix=TMP

// BAD: error: ptxas ({{.*}}ptxas -arch=sm_90a) failed
// BAD: Unknown symbol 'garbage'
// TMP: error: cannot create temporary files for ptxas
module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0\0A.target sm_90a\0A.address_size 64\0A.visible .entry k() { mov.u32 %r1, garbage; ret; }\0A">]
  func.func @f(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    return
  }
}
