// RUN: bnn-opt %s --bnn-tile="tile-rows=64 tile-cols=256" --split-input-file | FileCheck %s
// RUN: bnn-opt %s --bnn-tile="target=avx512" --split-input-file | FileCheck %s --check-prefix=DEFAULT
// RUN: bnn-opt %s --bnn-tile="tile-rows=16 tile-cols=64 fuse-packs" --split-input-file | FileCheck %s --check-prefix=FUSE
// RUN: not bnn-opt %s --bnn-tile="target=sparc" 2>&1 | FileCheck %s --check-prefix=BADTARGET
// BADTARGET: bnn-tile: unknown CPU target 'sparc' (expected one of native, amx, avx512, avx2, generic)

// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:.*]]: !bnn.packed<128x1000>, %[[W:.*]]: !bnn.packed<300x1000>)
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<128x300xi32>
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (128, 300) step (64, 256) shared_outs(%[[OUT:.*]] = %[[INIT]])
// CHECK:   %[[N:.*]] = affine.min
// CHECK:   %[[AT:.*]] = bnn.slice %[[A]] [%[[I]]] [64] : !bnn.packed<128x1000> -> !bnn.packed<64x1000>
// CHECK:   %[[WT:.*]] = bnn.slice %[[W]] [%[[J]]] [%[[N]]] : !bnn.packed<300x1000> -> !bnn.packed<?x1000>
// CHECK:   %[[T:.*]] = bnn.xnor_popcount %[[AT]], %[[WT]] : !bnn.packed<64x1000>, !bnn.packed<?x1000> -> tensor<64x?xi32>
// CHECK:   tensor.parallel_insert_slice %[[T]] into %[[OUT]][%[[I]], %[[J]]] [64, %[[N]]] [1, 1]
// DEFAULT-LABEL: func.func @gemm
// DEFAULT: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (128, 300) step (64, 256)
func.func @gemm(%a: !bnn.packed<128x1000>, %w: !bnn.packed<300x1000>) -> tensor<128x300xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<128x1000>, !bnn.packed<300x1000> -> tensor<128x300xi32>
  return %y : tensor<128x300xi32>
}

// -----

// GEMV: the single row is one tile row; columns are split across tiles.
// CHECK-LABEL: func.func @gemv
// CHECK-SAME: (%[[X:.*]]: !bnn.packed<4096>,
// CHECK: scf.forall (%[[J:.*]]) = (0) to (1024) step (256)
// CHECK-NOT: bnn.slice %[[X]]
// CHECK: bnn.slice %{{.*}} [%{{.*}}] [256] : !bnn.packed<1024x4096> -> !bnn.packed<256x4096>
// CHECK: bnn.xnor_popcount %[[X]], %{{.*}} : !bnn.packed<4096>, !bnn.packed<256x4096> -> tensor<256xi32>
func.func @gemv(%x: !bnn.packed<4096>, %w: !bnn.packed<1024x4096>) -> tensor<1024xi32> {
  %y = bnn.xnor_popcount %x, %w : !bnn.packed<4096>, !bnn.packed<1024x4096> -> tensor<1024xi32>
  return %y : tensor<1024xi32>
}

// -----

// The fused layer tiles its scales and bias with the columns.
// CHECK-LABEL: func.func @linear
// CHECK: scf.forall
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}] [256] [1] : tensor<512xf32> to tensor<256xf32>
// CHECK: bnn.xnor_linear %{{.*}}, %{{.*}} col_scale(%{{.*}} : tensor<256xf32>) activation(relu) : !bnn.packed<64x640>, !bnn.packed<256x640> -> tensor<64x256xf32>
func.func @linear(%a: !bnn.packed<64x640>, %w: !bnn.packed<512x640>, %s: tensor<512xf32>) -> tensor<64x512xf32> {
  %y = bnn.xnor_linear %a, %w col_scale(%s : tensor<512xf32>) activation(relu) : !bnn.packed<64x640>, !bnn.packed<512x640> -> tensor<64x512xf32>
  return %y : tensor<64x512xf32>
}

// -----

// Too little work to be worth threads (64 x 64 outputs x 1 word < 2^16): left as one kernel.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.forall
func.func @small(%a: !bnn.packed<64x64>, %w: !bnn.packed<64x64>) -> tensor<64x64xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<64x64>, !bnn.packed<64x64> -> tensor<64x64xi32>
  return %y : tensor<64x64xi32>
}

// -----

// A packed result shares words between 64 columns: not tiled.
// CHECK-LABEL: func.func @packed_result
// CHECK-NOT: scf.forall
// CHECK: bnn.xnor_linear
func.func @packed_result(%a: !bnn.packed<128x64>, %w: !bnn.packed<512x64>) -> !bnn.packed<128x512> {
  %y = bnn.xnor_linear %a, %w : !bnn.packed<128x64>, !bnn.packed<512x64> -> !bnn.packed<128x512>
  return %y : !bnn.packed<128x512>
}

// -----

// With fuse-packs, each tile packs its own rows of the activations.
// FUSE-LABEL: func.func @fused_pack
// FUSE: scf.forall
// FUSE: %[[ROWS:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0] [16, 1000] [1, 1] : tensor<32x1000xf32> to tensor<16x1000xf32>
// FUSE: bnn.pack %[[ROWS]] : tensor<16x1000xf32> -> !bnn.packed<16x1000>
// CHECK-LABEL: func.func @fused_pack
// CHECK: bnn.pack %{{.*}} : tensor<32x1000xf32> -> !bnn.packed<32x1000>
// CHECK: scf.forall
func.func @fused_pack(%x: tensor<32x1000xf32>, %w: !bnn.packed<256x1000>) -> tensor<32x256xi32> {
  %p = bnn.pack %x : tensor<32x1000xf32> -> !bnn.packed<32x1000>
  %y = bnn.xnor_popcount %p, %w : !bnn.packed<32x1000>, !bnn.packed<256x1000> -> tensor<32x256xi32>
  return %y : tensor<32x256xi32>
}

// -----

// The work estimate M x N x words (2^32 x 2^32 x 2) exceeds int64_t: it used to wrap to 0, and
// the largest products ran as a single, untiled kernel.
// CHECK-LABEL: func.func @work_past_int64
// CHECK: scf.forall {{.*}} to (4294967296, 4294967296) step (64, 256)
// CHECK: bnn.xnor_popcount {{.*}} -> tensor<64x256xi32>
func.func @work_past_int64(%a: !bnn.packed<4294967296x128>, %b: !bnn.packed<4294967296x128>) -> tensor<4294967296x4294967296xi32> {
  %0 = bnn.xnor_popcount %a, %b : !bnn.packed<4294967296x128>, !bnn.packed<4294967296x128> -> tensor<4294967296x4294967296xi32>
  return %0 : tensor<4294967296x4294967296xi32>
}
