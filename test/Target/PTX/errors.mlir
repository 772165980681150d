// RUN: bnn-translate %s --bnn-gpu-to-bundle --bnn-cubin=never --split-input-file --verify-diagnostics --allow-unregistered-dialect

// What bnn-translate --bnn-gpu-to-bundle refuses to describe, each with a diagnostic on the
// offending op. (Modules come from bnn-opt --bnn-gpu-pipeline; these are written by hand.)

// expected-error @+1 {{has no gpu.binary with NVIDIA code; run bnn-opt --bnn-gpu-pipeline before bnn-translate}}
module attributes {gpu.container_module} {
  func.func @f(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    return
  }
}

// -----

module attributes {gpu.container_module} {
  // expected-error @+1 {{holds an offload (LLVM bitcode) object; compile it to PTX first (gpu-module-to-binary format=isa)}}
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, offload = "BC">]
  func.func @f(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    return
  }
}

// -----

// expected-error @+1 {{has no GPU host function (func.func with the bnn.gpu.host attribute, made by convert-bnn-to-gpu)}}
module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  func.func @not_host(%a: memref<4xi32>) {
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  // expected-error @+1 {{buffer of type 'memref<?xi32>' cannot be described in a GPU bundle (expected a statically shaped, contiguous memref in global memory)}}
  func.func @dynamic(%a: memref<?xi32>) attributes {bnn.gpu.host} {
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  // expected-error @+1 {{element type 'i4' is not supported by the GPU bundle manifest}}
  func.func @nibbles(%a: memref<8xi4>) attributes {bnn.gpu.host} {
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  func.func @arith(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{'arith.addi' op cannot be described in a GPU bundle manifest (a host function may hold memref.alloc/dealloc/get_global/copy, arith.constant, gpu.launch_func and func.return)}}
    %c2 = arith.addi %c1, %c1 : index
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  memref.global "private" @state : memref<4xi32> = dense<0>
  func.func @mutable(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    // expected-error @+1 {{'memref.get_global' op refers to a global that is not a constant memref.global}}
    %g = memref.get_global @state : memref<4xi32>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  // expected-error @+1 {{has no initial value; a GPU bundle embeds constants only}}
  memref.global "private" constant @weights : memref<4xi32>
  func.func @uninitialized(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    %g = memref.get_global @weights : memref<4xi32>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  // expected-error @+1 {{has an initial value whose elements cannot be read}}
  memref.global "private" constant @weights : memref<4xi32> = dense_resource<__elided__>
  func.func @elided(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    %g = memref.get_global @weights : memref<4xi32>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  func.func @scalar_operand(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{'gpu.launch_func' op uses a value that is not a known buffer of the host function}}
    gpu.launch_func @bnn_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%c1 : index)
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  func.func @copy_of_unknown(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    %c1 = arith.constant 1 : index
    %b = memref.alloc() : memref<4xi32>
    memref.copy %a, %b : memref<4xi32> to memref<4xi32>
    // expected-error @+1 {{'gpu.launch_func' op is asynchronous or clustered; the GPU bundle manifest describes synchronous, cluster-free launches}}
    %t = gpu.launch_func async @bnn_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xi32>)
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  func.func @returns(%a: memref<4xi32>) -> memref<4xi32> attributes {bnn.gpu.host} {
    // expected-error @+1 {{'func.return' op returns values; GPU host functions write out-parameters}}
    return %a : memref<4xi32>
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a">, assembly = ".version 8.0">]
  // expected-error @+1 {{'func.func' op has more than one block; a GPU host function is straight-line}}
  func.func @branches(%a: memref<4xi32>) attributes {bnn.gpu.host} {
    "test.br"()[^next] : () -> ()
  ^next:
    return
  }
}
