// The low-bit ops under convert-bnn-to-cpu: which int8 dot product each target uses (the
// CPUTargetInfo::int8Dot decision), the bit-serial ternary x binary kernel, the ternary planes.
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=avx512" --split-input-file | FileCheck %s --check-prefix=AVX512
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=avx2" --split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=generic parallel=false" --split-input-file | FileCheck %s --check-prefix=GENERIC
// The instructions the backend selects from them (the whole file as one module).
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=avx512" | bnn-translate --mlir-to-llvmir | llc -O3 | FileCheck %s --check-prefix=ASM512
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=avx2 threads=false" | bnn-translate --mlir-to-llvmir | llc -O3 | FileCheck %s --check-prefix=ASM2

// int8 activations x ternary weights: a weight word becomes 64 bytes u = w + 1 (two selects on
// the sign and mask bits), then one vpdpbusd per row and weight row (avx512), two
// vpmaddubsw + vpmaddwd (avx2) or widening multiplies and a reduction (generic).
// AVX512: func.func private @llvm.x86.avx512.vpdpbusd.512(vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// AVX512-LABEL: func.func @int8_ternary
// AVX512-SAME: (%{{.*}}: tensor<8x1000xi8>, %{{.*}}: tensor<64x2x16xi64>) -> tensor<8x64xi32>
// AVX512: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<64x2x16xi64> into tensor<64x32xi64>
// AVX512: vector.load %{{.*}} : memref<8x1000xi8, strided<[?, 1], offset: ?>>, vector<64xi8>
// AVX512: vector.bitcast %{{.*}} : vector<1xi64> to vector<64xi1>
// AVX512: arith.select %{{.*}} : vector<64xi1>, vector<64xi8>
// AVX512: call @llvm.x86.avx512.vpdpbusd.512(%{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// The last 1000 - 15 * 64 = 40 activations are read with padding 0.
// AVX512: vector.transfer_read %{{.*}}, %{{.*}} : memref<8x1000xi8, strided<[?, 1], offset: ?>>, vector<64xi8>
// AVX2-LABEL: func.func @int8_ternary
// AVX2: call @llvm.x86.avx2.pmadd.ub.sw(%{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2: call @llvm.x86.avx2.pmadd.wd(%{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// GENERIC-LABEL: func.func @int8_ternary
// GENERIC-NOT: call
// GENERIC: arith.muli %{{.*}} : vector<64xi32>
// GENERIC: vector.reduction <add>
// ASM512-LABEL: int8_ternary:
// ASM512: vpdpbusd %zmm
// ASM2-LABEL: int8_ternary:
// ASM2: vpmaddubsw %ymm
// ASM2: vpmaddwd %ymm
func.func @int8_ternary(%x: tensor<8x1000xi8>, %w: !bnn.ternary<64x1000>) -> tensor<8x64xi32> {
  %y = bnn.lowbit_matmul %x, %w : tensor<8x1000xi8>, !bnn.ternary<64x1000> -> tensor<8x64xi32>
  return %y : tensor<8x64xi32>
}

// -----

// int8 activations x binary weights: u = 2 * bit; the epilogue applies the per-tensor weight
// scale, then the row scale.
// AVX512-LABEL: func.func @int8_binary
// AVX512: call @llvm.x86.avx512.vpdpbusd.512
// AVX512: arith.sitofp %{{.*}} : i32 to f32
// AVX512: memref.load %{{.*}}[%c0{{.*}}] : memref<1xf32, strided<[?], offset: ?>>
// AVX512-NEXT: arith.mulf
// AVX512: memref.load %{{.*}} : memref<8xf32, strided<[?], offset: ?>>
// AVX512-NEXT: arith.mulf
// ASM512-LABEL: int8_binary:
// ASM512: vpdpbusd %zmm
func.func @int8_binary(%x: tensor<8x1000xi8>, %w: !bnn.packed<64x1000>, %g: tensor<1xf32>, %r: tensor<8xf32>) -> tensor<8x64xf32> {
  %y = bnn.lowbit_linear %x, %w weight_scale(%g : tensor<1xf32>) row_scale(%r : tensor<8xf32>) : tensor<8x1000xi8>, !bnn.packed<64x1000> -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

// Binary activations x ternary weights: bit-serial, popcount(mask AND (a XOR sign)) and
// popcount(mask) on vectors of 8 (avx512), 4 (avx2) or 1 (generic) words.
// AVX512-LABEL: func.func @ternary_binary
// AVX512-NOT: call
// AVX512: arith.xori %{{.*}} : vector<8xi64>
// AVX512-NEXT: arith.andi %{{.*}} : vector<8xi64>
// AVX512-NEXT: math.ctpop %{{.*}} : vector<8xi64>
// AVX2-LABEL: func.func @ternary_binary
// AVX2: math.ctpop %{{.*}} : vector<4xi64>
// GENERIC-LABEL: func.func @ternary_binary
// GENERIC: math.ctpop %{{.*}} : vector<1xi64>
// ASM512-LABEL: ternary_binary:
// ASM512: vpopcntq %zmm
func.func @ternary_binary(%a: !bnn.packed<8x1000>, %w: !bnn.ternary<64x1000>) -> tensor<8x64xi32> {
  %y = bnn.lowbit_matmul %a, %w : !bnn.packed<8x1000>, !bnn.ternary<64x1000> -> tensor<8x64xi32>
  return %y : tensor<8x64xi32>
}

// -----

// pack_ternary: per 64 elements a sign word (ugt 0: +1, NaN included) and a mask word (une 0),
// stored at word w and W + w of the row; the result is the storage rows x 2 x W.
// AVX512-LABEL: func.func @pack_ternary
// AVX512: arith.cmpf ugt, %{{.*}} : vector<64xf32>
// AVX512: arith.cmpf une, %{{.*}} : vector<64xf32>
// AVX512: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [4, 2, 2] : tensor<4x4xi64> into tensor<4x2x2xi64>
// The constant is its storage words.
// AVX512: arith.constant dense<{{\[\[\[}}1], [5]]]> : tensor<1x2x1xi64>
func.func @pack_ternary(%x: tensor<4x100xf32>) -> (!bnn.ternary<4x100>, tensor<4x100xf32>, !bnn.ternary<1x3>) {
  %t = bnn.pack_ternary %x : tensor<4x100xf32> -> !bnn.ternary<4x100>
  %u = bnn.unpack_ternary %t : !bnn.ternary<4x100> -> tensor<4x100xf32>
  %c = bnn.ternary_constant dense<[[[1], [5]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
  return %t, %u, %c : !bnn.ternary<4x100>, tensor<4x100xf32>, !bnn.ternary<1x3>
}
