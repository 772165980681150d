// Target amx (CPUTargetInfo::lowBitGemm = Amx, amxMinRows = 8): int8 x ternary / binary
// products of at least 8 rows call the runtime's AMX kernel through @bnn_lowbit_gemm_call;
// fewer rows keep the vpdpbusd register kernel; a dynamic row count picks at run time; ternary
// x binary never calls it; bnn.lowbit_linear applies its epilogue to the kernel's i32 products.
// Target avx512 never calls it.
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=amx" --split-input-file | FileCheck %s
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=avx512" --split-input-file | FileCheck %s --check-prefix=AVX512
// The whole pipeline to LLVM IR: the wrapper becomes a call of the C kernel.
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=amx" | bnn-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @gemm_ternary
// CHECK: call @bnn_lowbit_gemm_call(%{{.*}}, %{{.*}}, %{{.*}}, %c1_i32{{(_[0-9]+)?}}, %{{.*}}) : (memref<?x?xi8, strided<[?, 1], offset: ?>>, memref<?x?xi64, strided<[?, 1], offset: ?>>, memref<?x?xi32, strided<[?, 1], offset: ?>>, i32, i32) -> ()
// CHECK-NOT: vpdpbusd
// CHECK: return
// CHECK-LABEL: func.func private @bnn_ukernel_int8_lowbit_gemm(!llvm.ptr, i64, i64, !llvm.ptr, i64, i64, i64, i32, !llvm.ptr, i64, i32)
// CHECK-LABEL: func.func private @bnn_lowbit_gemm_call
// CHECK: memref.extract_strided_metadata
// CHECK: call @bnn_ukernel_int8_lowbit_gemm
// AVX512-LABEL: func.func @gemm_ternary
// AVX512-NOT: bnn_lowbit_gemm_call
// AVX512: call @llvm.x86.avx512.vpdpbusd.512
// LLVM: call void @bnn_ukernel_int8_lowbit_gemm(ptr
func.func @gemm_ternary(%x: tensor<64x100xi8>, %w: !bnn.ternary<48x100>) -> tensor<64x48xi32> {
  %y = bnn.lowbit_matmul %x, %w : tensor<64x100xi8>, !bnn.ternary<48x100> -> tensor<64x48xi32>
  return %y : tensor<64x48xi32>
}

// -----

// Binary weights: ternary flag 0.
// CHECK-LABEL: func.func @gemm_binary
// CHECK: call @bnn_lowbit_gemm_call(%{{.*}}, %{{.*}}, %{{.*}}, %c0_i32, %{{.*}})
func.func @gemm_binary(%x: tensor<8x64xi8>, %w: !bnn.packed<20x64>) -> tensor<8x20xi32> {
  %y = bnn.lowbit_matmul %x, %w : tensor<8x64xi8>, !bnn.packed<20x64> -> tensor<8x20xi32>
  return %y : tensor<8x20xi32>
}

// -----

// 7 rows < amxMinRows: the streaming register kernel.
// CHECK-LABEL: func.func @few_rows
// CHECK-NOT: bnn_lowbit_gemm_call
// CHECK: call @llvm.x86.avx512.vpdpbusd.512
func.func @few_rows(%x: tensor<7x64xi8>, %w: !bnn.packed<20x64>) -> tensor<7x20xi32> {
  %y = bnn.lowbit_matmul %x, %w : tensor<7x64xi8>, !bnn.packed<20x64> -> tensor<7x20xi32>
  return %y : tensor<7x20xi32>
}

// -----

// Dynamic rows: rows >= 8 calls the kernel, else the register kernel.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: %[[MIN:.*]] = arith.constant 8 : index
// CHECK: %[[MANY:.*]] = arith.cmpi uge, %{{.*}}, %[[MIN]] : index
// CHECK: scf.if %[[MANY]] {
// CHECK: call @bnn_lowbit_gemm_call
// CHECK: } else {
// CHECK: call @llvm.x86.avx512.vpdpbusd.512
func.func @dynamic_rows(%x: tensor<?x64xi8>, %w: !bnn.ternary<20x64>) -> tensor<?x20xi32> {
  %y = bnn.lowbit_matmul %x, %w : tensor<?x64xi8>, !bnn.ternary<20x64> -> tensor<?x20xi32>
  return %y : tensor<?x20xi32>
}

// -----

// lowbit_linear: i32 products into a scratch buffer, then the f32 epilogue per output.
// CHECK-LABEL: func.func @linear
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<32x8xi32>
// CHECK: call @bnn_lowbit_gemm_call
// CHECK: memref.load %{{.*}} : memref<32x8xi32>
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @linear(%x: tensor<32x64xi8>, %w: !bnn.ternary<8x64>, %s: tensor<1xf32>) -> tensor<32x8xf32> {
  %y = bnn.lowbit_linear %x, %w weight_scale(%s : tensor<1xf32>) : tensor<32x64xi8>, !bnn.ternary<8x64> -> tensor<32x8xf32>
  return %y : tensor<32x8xf32>
}

// -----

// Ternary x binary stays bit-serial.
// CHECK-LABEL: func.func @ternary_binary
// CHECK-NOT: bnn_lowbit_gemm_call
// CHECK: math.ctpop
func.func @ternary_binary(%x: !bnn.packed<64x64>, %w: !bnn.ternary<20x64>) -> tensor<64x20xi32> {
  %y = bnn.lowbit_matmul %x, %w : !bnn.packed<64x64>, !bnn.ternary<20x64> -> tensor<64x20xi32>
  return %y : tensor<64x20xi32>
}
