// RUN: bnn-opt %s --convert-bnn-to-cpu="target=avx512" --split-input-file | FileCheck %s --check-prefix=AVX512
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=avx2" --split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: bnn-opt %s --convert-bnn-to-cpu="target=generic parallel=false" --split-input-file | FileCheck %s --check-prefix=GENERIC
// RUN: not bnn-opt %s --convert-bnn-to-cpu="target=z80" 2>&1 | FileCheck %s --check-prefix=BADTARGET
// BADTARGET: convert-bnn-to-cpu: unknown CPU target 'z80' (expected one of native, amx, avx512, avx2, generic)

// The outer-product form (8 rows or more, vector targets): the rhs is interleaved into panels
// of 8 (avx512) or 4 (avx2) rows with an in-register transpose (3 levels of shuffles), then
// 4 x 4 (avx512) or 2 x 3 (avx2) accumulators each hold the outputs of one lhs row against a
// panel: one broadcast lhs word XOR a panel vector, ctpop, add; no horizontal reduction, and
// lanes past N (300 = 37 panels + 4) masked off at the store. Row slabs run in parallel
// (enough work: 64 x 300 x 16 words). Generic has no vectors: the dot-product form.
// AVX512-LABEL: func.func @gemm
// AVX512-SAME: (%[[A:.*]]: tensor<64x16xi64>, %[[B:.*]]: tensor<300x16xi64>) -> tensor<64x300xi32>
// AVX512: bufferization.to_buffer %[[A]] read_only : tensor<64x16xi64> to memref<64x16xi64, strided<[?, 1], offset: ?>>
// AVX512: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x300xi32>
// AVX512: memref.alloca_scope {
// AVX512-NEXT: %[[PANELS:.*]] = memref.alloca() {alignment = 64 : i64} : memref<38x16x8xi64>
// AVX512-COUNT-8: vector.load %{{.*}} : memref<300x16xi64, strided<[?, 1], offset: ?>>, vector<8xi64>
// AVX512-COUNT-24: vector.shuffle
// AVX512-COUNT-8: vector.store %{{.*}}, %[[PANELS]]
// AVX512: scf.parallel
// AVX512: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// AVX512-COUNT-4: vector.load %[[PANELS]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<38x16x8xi64>, vector<8xi64>
// AVX512-COUNT-4: vector.broadcast %{{.*}} : i64 to vector<8xi64>
// AVX512-COUNT-16: math.ctpop %{{.*}} : vector<8xi64>
// AVX512: } {llvm.loop_annotation = #{{.*}}}
// AVX512-NOT: vector.shuffle
// AVX512: vector.create_mask %{{.*}} : vector<8xi1>
// AVX512: vector.maskedstore %[[OUT]][%{{.*}}, %{{.*}}], %{{.*}}, %{{.*}} : memref<64x300xi32>, vector<8xi1>, vector<8xi32>
// AVX512: bufferization.to_tensor %[[OUT]] restrict writable : memref<64x300xi32> to tensor<64x300xi32>
// AVX2-LABEL: func.func @gemm
// AVX2: memref.alloca() {alignment = 64 : i64} : memref<75x16x4xi64>
// AVX2-COUNT-3: vector.broadcast
// AVX2-COUNT-6: math.ctpop %{{.*}} : vector<4xi64>
// AVX2-NOT: vector.shuffle
// AVX2: vector.maskedstore
// GENERIC-LABEL: func.func @gemm
// GENERIC-NOT: scf.parallel
// GENERIC-COUNT-4: math.ctpop %{{.*}} : vector<1xi64>
func.func @gemm(%a: !bnn.packed<64x1000>, %b: !bnn.packed<300x1000>) -> tensor<64x300xi32> {
  %y = bnn.xnor_popcount %a, %b : !bnn.packed<64x1000>, !bnn.packed<300x1000> -> tensor<64x300xi32>
  return %y : tensor<64x300xi32>
}

// -----

// Scratch over 512 KiB (here 2500 panels x 64 words x 8 lanes, 10 MiB) goes on the heap.
// AVX512-LABEL: func.func @big_panels
// AVX512-NOT: memref.alloca_scope
// AVX512: memref.alloc() {alignment = 64 : i64} : memref<2500x64x8xi64>
func.func @big_panels(%a: !bnn.packed<16x4096>, %b: !bnn.packed<20000x4096>) -> tensor<16x20000xi32> {
  %y = bnn.xnor_popcount %a, %b : !bnn.packed<16x4096>, !bnn.packed<20000x4096> -> tensor<16x20000xi32>
  return %y : tensor<16x20000xi32>
}

// -----

// Fewer than 8 rows: interleaving would not pay, so the dot-product form: 4 x 4 (avx512) or
// 2 x 3 (avx2) blocks accumulate 8 or 4 words of one output per vector, reduced at the end by
// a transposing shuffle/add tree.
// AVX512-LABEL: func.func @few_rows
// AVX512-NOT: memref.alloc(%{{.*}}) {{.*}} : memref<?x16x8xi64>
// AVX512: scf.parallel
// AVX512: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// AVX512-COUNT-8: vector.load %{{.*}} : memref<{{.*}}>, vector<8xi64>
// AVX512-COUNT-16: math.ctpop %{{.*}} : vector<8xi64>
// AVX512: } {llvm.loop_annotation = #{{.*}}}
// AVX512: vector.shuffle
// AVX512: vector.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<4x3000xi32>, vector<4xi32>
// AVX2-LABEL: func.func @few_rows
// AVX2-COUNT-6: math.ctpop %{{.*}} : vector<4xi64>
// AVX2: vector.shuffle
func.func @few_rows(%a: !bnn.packed<4x1000>, %b: !bnn.packed<3000x1000>) -> tensor<4x3000xi32> {
  %y = bnn.xnor_popcount %a, %b : !bnn.packed<4x1000>, !bnn.packed<3000x1000> -> tensor<4x3000xi32>
  return %y : tensor<4x3000xi32>
}

// -----

// A tile of a bnn-tile loop writes its results straight into its slice of the loop's shared
// output (no per-tile buffer, so no copy at bufferization).
// AVX512-LABEL: func.func @tile_in_place
// AVX512: scf.forall {{.*}} shared_outs(%[[SHARED:.*]] = %{{.*}})
// AVX512: %[[SLICE:.*]] = tensor.extract_slice %[[SHARED]][%{{.*}}, %{{.*}}] [64, 256] [1, 1] : tensor<128x512xi32> to tensor<64x256xi32>
// AVX512: %[[BUF:.*]] = bufferization.to_buffer %[[SLICE]] : tensor<64x256xi32> to memref<64x256xi32, strided<[?, 1], offset: ?>>
// AVX512-NOT: memref.alloc() {{.*}} : memref<64x256xi32>
// AVX512: vector.maskedstore %[[BUF]]
// AVX512: %[[T:.*]] = bufferization.to_tensor %[[BUF]] restrict writable
// AVX512: tensor.parallel_insert_slice %[[T]] into %[[SHARED]]
func.func @tile_in_place(%a: !bnn.packed<128x1000>, %b: !bnn.packed<512x1000>) -> tensor<128x512xi32> {
  %init = tensor.empty() : tensor<128x512xi32>
  %r = scf.forall (%i, %j) = (0, 0) to (128, 512) step (64, 256) shared_outs(%o = %init) -> (tensor<128x512xi32>) {
    %sa = bnn.slice %a [%i] [64] : !bnn.packed<128x1000> -> !bnn.packed<64x1000>
    %sb = bnn.slice %b [%j] [256] : !bnn.packed<512x1000> -> !bnn.packed<256x1000>
    %y = bnn.xnor_popcount %sa, %sb : !bnn.packed<64x1000>, !bnn.packed<256x1000> -> tensor<64x256xi32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %o[%i, %j] [64, 256] [1, 1] : tensor<64x256xi32> into tensor<128x512xi32>
    }
  }
  return %r : tensor<128x512xi32>
}

// -----

// A few hundred word operations: not worth waking threads.
// AVX512-LABEL: func.func @tiny
// AVX512-NOT: scf.parallel
// AVX512: math.ctpop
func.func @tiny(%a: !bnn.packed<8x1000>, %b: !bnn.packed<12x1000>) -> tensor<8x12xi32> {
  %y = bnn.xnor_popcount %a, %b : !bnn.packed<8x1000>, !bnn.packed<12x1000> -> tensor<8x12xi32>
  return %y : tensor<8x12xi32>
}

// -----

// K = 100: 2 words, fewer than one 8-word vector: only the narrower tail loads.
// AVX512-LABEL: func.func @short_rows
// AVX512-NOT: scf.for {{.*}} iter_args
// AVX512: vector.load %{{.*}} : memref<{{.*}}>, vector<2xi64>
// AVX512: math.ctpop %{{.*}} : vector<2xi64>
// AVX512: vector.insert_strided_slice %{{.*}}, %{{.*}} {offsets = [0], strides = [1]} : vector<2xi64> into vector<8xi64>
func.func @short_rows(%a: !bnn.packed<4x100>, %b: !bnn.packed<4x100>) -> tensor<4x4xi32> {
  %y = bnn.xnor_popcount %a, %b : !bnn.packed<4x100>, !bnn.packed<4x100> -> tensor<4x4xi32>
  return %y : tensor<4x4xi32>
}

// -----

// Pack: 64 floats -> one word through a vector compare (`uge 0`: -0.0 and NaN are +1) and an
// i1-vector bitcast; the partial last word reads -1 past K so its padding bits stay zero.
// AVX512-LABEL: func.func @pack
// AVX512: %[[PAD:.*]] = arith.constant -1.000000e+00 : f32
// AVX512: vector.transfer_read %{{.*}}[%{{.*}}, %{{.*}}], %[[PAD]] {in_bounds = [true]} : memref<3x130xf32, strided<[?, 1], offset: ?>>, vector<64xf32>
// AVX512: arith.cmpf uge, %{{.*}}, %{{.*}} : vector<64xf32>
// AVX512: vector.bitcast %{{.*}} : vector<64xi1> to vector<1xi64>
// AVX512: vector.transfer_read %{{.*}}[%{{.*}}, %{{.*}}], %[[PAD]] : memref<3x130xf32, strided<[?, 1], offset: ?>>, vector<64xf32>
func.func @pack(%x: tensor<3x130xf32>) -> !bnn.packed<3x130> {
  %p = bnn.pack %x : tensor<3x130xf32> -> !bnn.packed<3x130>
  return %p : !bnn.packed<3x130>
}

// -----

// AVX512-LABEL: func.func @unpack
// AVX512: vector.bitcast %{{.*}} : vector<1xi64> to vector<64xi1>
// AVX512: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi1>, vector<64xf32>
// AVX512: vector.transfer_write
func.func @unpack(%p: !bnn.packed<2x64>) -> tensor<2x64xf32> {
  %x = bnn.unpack %p : !bnn.packed<2x64> -> tensor<2x64xf32>
  return %x : tensor<2x64xf32>
}

// -----

// Elementwise ops are linalg.generic; the computed scale is a mean of |x| summed in f64.
// AVX512-LABEL: func.func @elementwise
// AVX512: linalg.generic
// AVX512: arith.cmpf uge
// AVX512: arith.select
// AVX512: arith.extf %{{.*}} : f32 to f64
// AVX512: math.absf %{{.*}} : f64
// AVX512: arith.negf
func.func @elementwise(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %s = bnn.sign %x : tensor<4x8xf32>
  %t = bnn.ste %x : tensor<4x8xf32>
  %c = bnn.scaled_sign per_channel %x : tensor<4x8xf32>
  return %s, %t, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Constants and slices act on the storage words.
// AVX512-LABEL: func.func @constant_slice
// AVX512: %[[C:.*]] = arith.constant dense<{{\[}}[5], [4]]> : tensor<2x1xi64>
// AVX512: tensor.extract_slice %[[C]][1, 0] [1, 1] [1, 1] : tensor<2x1xi64> to tensor<1x1xi64>
func.func @constant_slice() -> !bnn.packed<1x3> {
  %c = bnn.constant dense<[[5], [4]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
  %s = bnn.slice %c [1] [1] : !bnn.packed<2x3> -> !bnn.packed<1x3>
  return %s : !bnn.packed<1x3>
}

// -----

// A fused layer with a packed result re-binarizes into zeroed words.
// AVX512-LABEL: func.func @linear_packed
// AVX512: linalg.fill ins(%{{.*}} : i64) outs(%{{.*}} : memref<4x1xi64>)
// AVX512: arith.sitofp
// AVX512: arith.mulf
// AVX512: arith.cmpf uge
// AVX512: arith.ori
func.func @linear_packed(%a: !bnn.packed<4x64>, %w: !bnn.packed<8x64>, %s: tensor<8xf32>) -> !bnn.packed<4x8> {
  %y = bnn.xnor_linear %a, %w col_scale(%s : tensor<8xf32>) : !bnn.packed<4x64>, !bnn.packed<8x64> -> !bnn.packed<4x8>
  return %y : !bnn.packed<4x8>
}

// -----

// A ragged tile (rows and columns are affine.min of the tile size and what is left) chooses
// the form at run time from its row count, and sizes its stack scratch for the tile size
// bound (256 columns: 32 panels of 8).
// AVX512-LABEL: func.func @ragged_tile
// AVX512: scf.forall
// AVX512: %[[ENOUGH:.*]] = arith.cmpi uge, %{{.*}}, %c8{{.*}} : index
// AVX512: scf.if %[[ENOUGH]] {
// AVX512: memref.alloca_scope {
// AVX512-NEXT: memref.alloca() {alignment = 64 : i64} : memref<32x16x8xi64>
// AVX512: math.ctpop %{{.*}} : vector<8xi64>
// AVX512: vector.maskedstore
// AVX512: } else {
// AVX512: vector.shuffle
// AVX512: math.ctpop %{{.*}} : vector<8xi64>
func.func @ragged_tile(%a: !bnn.packed<100x1000>, %b: !bnn.packed<300x1000>) -> tensor<100x300xi32> {
  %init = tensor.empty() : tensor<100x300xi32>
  %r = scf.forall (%i, %j) = (0, 0) to (100, 300) step (64, 256) shared_outs(%o = %init) -> (tensor<100x300xi32>) {
    %m = affine.min affine_map<(d0) -> (-d0 + 100, 64)>(%i)
    %n = affine.min affine_map<(d0) -> (-d0 + 300, 256)>(%j)
    %sa = bnn.slice %a [%i] [%m] : !bnn.packed<100x1000> -> !bnn.packed<?x1000>
    %sb = bnn.slice %b [%j] [%n] : !bnn.packed<300x1000> -> !bnn.packed<?x1000>
    %y = bnn.xnor_popcount %sa, %sb : !bnn.packed<?x1000>, !bnn.packed<?x1000> -> tensor<?x?xi32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %o[%i, %j] [%m, %n] [1, 1] : tensor<?x?xi32> into tensor<100x300xi32>
    }
  }
  return %r : tensor<100x300xi32>
}

// -----

// A rank-3 lhs with dynamic rows and a dynamic N: the result's leading sizes come from the lhs,
// its N from the kernel's 2-d result (not from the lhs storage's word dimension).
// GENERIC-LABEL: func.func @dynamic_rank3
// GENERIC-SAME: (%[[A:.*]]: tensor<2x?x2xi64>, %[[W:.*]]: tensor<?x2xi64>)
// GENERIC: %[[R:.*]] = bufferization.to_tensor %{{.*}} restrict writable : memref<?x?xi32> to tensor<?x?xi32>
// GENERIC: %[[M:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<2x?x2xi64>
// GENERIC: %[[N:.*]] = tensor.dim %[[R]], %{{.*}} : tensor<?x?xi32>
// GENERIC: tensor.expand_shape %[[R]] {{\[}}[0, 1], [2]] output_shape [2, %[[M]], %[[N]]] : tensor<?x?xi32> into tensor<2x?x?xi32>
func.func @dynamic_rank3(%a: !bnn.packed<2x?x100>, %w: !bnn.packed<?x100>) -> tensor<2x?x?xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<2x?x100>, !bnn.packed<?x100> -> tensor<2x?x?xi32>
  return %y : tensor<2x?x?xi32>
}
