// RUN: bnn-opt %s --bnn-lower-alloca-scopes --split-input-file | FileCheck %s

// A kernel's scratch scope becomes a stack save/restore around its inlined body, so the
// scratch is released on every iteration of the loop around it.
// CHECK-LABEL: func.func @kernel_scope
// CHECK: scf.for
// CHECK-NEXT: %[[SP:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK-NEXT: %[[A:.*]] = memref.alloca() {alignment = 64 : i64} : memref<32x16x8xi64>
// CHECK-NEXT: memref.store %{{.*}}, %[[A]]
// CHECK-NEXT: llvm.intr.stackrestore %[[SP]] : !llvm.ptr
// CHECK-NOT: memref.alloca_scope
func.func @kernel_scope(%n: index, %v: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    memref.alloca_scope {
      %a = memref.alloca() {alignment = 64 : i64} : memref<32x16x8xi64>
      memref.store %v, %a[%c0, %c0, %c0] : memref<32x16x8xi64>
    }
  }
  return
}

// -----

// Allocas left directly in a parallel body (canonicalization moved them into an scf.forall
// body, which scf-forall-to-parallel turned into this loop) get a scope of their own first.
// CHECK-LABEL: func.func @parallel_body
// CHECK: scf.parallel
// CHECK-NEXT: %[[SP:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK-NEXT: memref.alloca()
// CHECK-NEXT: memref.store
// CHECK-NEXT: llvm.intr.stackrestore %[[SP]] : !llvm.ptr
// CHECK-NEXT: scf.reduce
func.func @parallel_body(%n: index, %v: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %a = memref.alloca() : memref<64xi64>
    memref.store %v, %a[%i] : memref<64xi64>
    scf.reduce
  }
  return
}

// -----

// Scopes with results, and parallel bodies without allocas, are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: llvm.intr.stacksave
// CHECK: memref.alloca_scope -> (i64)
func.func @untouched(%n: index, %v: i64) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.reduce
  }
  %r = memref.alloca_scope -> (i64) {
    %a = memref.alloca() : memref<1xi64>
    memref.store %v, %a[%c0] : memref<1xi64>
    %x = memref.load %a[%c0] : memref<1xi64>
    memref.alloca_scope.return %x : i64
  }
  return %r : i64
}
