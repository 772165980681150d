// RUN: bnn-opt %s --pass-pipeline="builtin.module(gpu.module(bnn-externalize-dynamic-smem))" | FileCheck %s
// RUN: bnn-opt %s --pass-pipeline="builtin.module(gpu.module(bnn-externalize-dynamic-smem{alignment=128}))" | FileCheck %s --check-prefix=ALIGN
// RUN: not bnn-opt %s --pass-pipeline="builtin.module(gpu.module(bnn-externalize-dynamic-smem{alignment=48}))" 2>&1 | FileCheck %s --check-prefix=BAD

// What convert-gpu-to-nvvm makes of gpu.dynamic_shared_memory becomes an extern declaration
// (PTX `.extern .shared .align 1024 .b8 name[]`); other globals keep their linkage.

// CHECK: llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
// CHECK: llvm.mlir.global internal @static_tile() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<64 x i8>
// ALIGN: llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 128 : i64}
// BAD: error: bnn-externalize-dynamic-smem: alignment must be a positive power of two, found 48
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64, dso_local} : !llvm.array<0 x i8>
    llvm.mlir.global internal @static_tile() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<64 x i8>
  }
}
