// RUN: bnn-opt %s --convert-bnn-to-gpu --split-input-file | FileCheck %s
// RUN: bnn-opt %s --convert-bnn-to-gpu="chip=sm_80" --split-input-file | FileCheck %s --check-prefix=SM80

// A binary linear layer: the activations are packed on the GPU (row popcounts come out of the
// same kernel), the weights are a packed argument (a popcount kernel computes theirs), the
// result is written straight into the out-parameter.

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: memref<8x1000xf32> {bnn.logical_type = tensor<8x1000xf32>},
// CHECK-SAME: %[[W:.*]]: memref<64x16xi64> {bnn.logical_type = !bnn.packed<64x1000>},
// CHECK-SAME: %[[OUT:.*]]: memref<8x64xi32> {bnn.logical_type = tensor<8x64xi32>, bnn.result = 0 : i64})
// CHECK-SAME: attributes {bnn.gpu.host}
// CHECK: %[[XP:.*]] = memref.alloc() : memref<8x16xi64>
// CHECK: %[[XPOP:.*]] = memref.alloc() : memref<8xi32>
// CHECK: gpu.launch_func @bnn_kernels::@bnn_pack_8x1000xf32
// CHECK-SAME: args(%[[X]] : memref<8x1000xf32>, %[[XP]] : memref<8x16xi64>, %[[XPOP]] : memref<8xi32>)
// CHECK: %[[WPOP:.*]] = memref.alloc() : memref<64xi32>
// CHECK: gpu.launch_func @bnn_kernels::@bnn_popcount_64x16xi64
// CHECK-SAME: args(%[[W]] : memref<64x16xi64>, %[[WPOP]] : memref<64xi32>)
// The 8-row lhs uses a 16-row mma.sync tile, 64 columns wide so that small N still spreads
// over many blocks; K = 1000 bits is one 1024-bit stage, so two stages suffice:
// 2 * (16 + 64) rows * 128 bytes of shared memory, two warps.
// CHECK: %[[SMEM:.*]] = arith.constant 20480 : i32
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m8_n64_k1000_t16x64x2_i32_8x16xi64
// CHECK-SAME: dynamic_shared_memory_size %[[SMEM]]
// CHECK-SAME: args(%[[XP]] : memref<8x16xi64>, %[[XPOP]] : memref<8xi32>, %[[W]] : memref<64x16xi64>, %[[WPOP]] : memref<64xi32>, %[[OUT]] : memref<8x64xi32>)
// CHECK-DAG: memref.dealloc %[[XP]]
// CHECK-DAG: memref.dealloc %[[XPOP]]
// CHECK-DAG: memref.dealloc %[[WPOP]]
// CHECK: return
// CHECK-NOT: bnn.

// The kernels: the pack is warp-cooperative (lane l reads elements 32*j + l, one ballot per
// 32 elements gives half a word) and applies the sign rule !(x < 0) (uge, so -0 and NaN pack
// as +1); the GEMM feeds ldmatrix fragments to the b1 AND+POPC MMA.
// CHECK: gpu.module @bnn_kernels
// Eight rows of 16 words: two warps per row (two steps of 8 words each), whose popcounts
// meet in shared memory.
// CHECK: gpu.func @bnn_pack_8x1000xf32(%{{.*}}: memref<8x1000xf32> {llvm.noalias}, %{{.*}}: memref<8x16xi64> {llvm.noalias}, %{{.*}}: memref<8xi32> {llvm.noalias}) workgroup(%{{.*}} : memref<8xi32, #gpu.address_space<workgroup>>) kernel
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: memref.load %{{.*}} : memref<8000xf32>
// CHECK: arith.cmpf uge
// CHECK: nvvm.vote.sync ballot
// CHECK: math.ctpop
// CHECK: gpu.shuffle xor
// CHECK: gpu.func @bnn_popcount_64x16xi64
// CHECK: gpu.func @bnn_gemm_mma_sync_m8_n64_k1000_t16x64x2_i32_8x16xi64
// CHECK-SAME: known_block_size = array<i32: 64, 1, 1>
// CHECK: gpu.dynamic_shared_memory
// CHECK: nvgpu.device_async_copy {{.*}}, 2, {{.*}} {bypassL1}
// CHECK: nvvm.cp.async.commit.group
// CHECK: scf.for
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false} : memref<{{.*}}xi32, #gpu.address_space<workgroup>> -> vector<4x1xi32>
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {b1Op = #nvvm.mma_b1op<and_popc>, layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<b1>, multiplicandBPtxType = #nvvm.mma_type<b1>, shape = #nvvm.shape<m = 16, n = 8, k = 256>}
// CHECK-NOT: xor_popc
func.func @linear(%x: tensor<8x1000xf32>, %w: !bnn.packed<64x1000>) -> tensor<8x64xi32> {
  %xp = bnn.pack %x : tensor<8x1000xf32> -> !bnn.packed<8x1000>
  %y = bnn.xnor_popcount %xp, %w : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xi32>
  return %y : tensor<8x64xi32>
}

// -----

// Constant weights: their row popcounts are computed at compile time (popc(5) + popc(1) = 3,
// popc(-1) + popc(63) = 64 + 6 = 70). A returned constant is copied into its out-parameter.

// CHECK-DAG: memref.global "private" constant @__bnn_constant_0 : memref<2x2xi64> = dense<{{\[}}[5, 1], [-1, 63]]>
// CHECK-DAG: memref.global "private" constant @__bnn_constant_0_popcounts : memref<2xi32> = dense<[3, 70]>
// CHECK-LABEL: func.func @constant_weights
// CHECK-SAME: %[[OUT0:[^:]*]]: memref<3x2xi32> {bnn.logical_type = tensor<3x2xi32>, bnn.result = 0 : i64}
// CHECK-SAME: %[[OUT1:[^:]*]]: memref<2x2xi64> {bnn.logical_type = !bnn.packed<2x70>, bnn.result = 1 : i64}
// CHECK: %[[WORDS:.*]] = memref.get_global @__bnn_constant_0 : memref<2x2xi64>
// CHECK: %[[POPS:.*]] = memref.get_global @__bnn_constant_0_popcounts : memref<2xi32>
// CHECK: gpu.launch_func @bnn_kernels::@bnn_pack_3x70xf32
// CHECK-NOT: bnn_popcount
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m3_n2_k70
// CHECK-SAME: %[[WORDS]] : memref<2x2xi64>, %[[POPS]] : memref<2xi32>, %[[OUT0]] : memref<3x2xi32>
// CHECK: memref.copy %[[WORDS]], %[[OUT1]]
func.func @constant_weights(%x: tensor<3x70xf32>) -> (tensor<3x2xi32>, !bnn.packed<2x70>) {
  %w = bnn.constant dense<[[5, 1], [-1, 63]]> : tensor<2x2xi64> -> !bnn.packed<2x70>
  %xp = bnn.pack %x : tensor<3x70xf32> -> !bnn.packed<3x70>
  %y = bnn.xnor_popcount %xp, %w : !bnn.packed<3x70>, !bnn.packed<2x70> -> tensor<3x2xi32>
  return %y, %w : tensor<3x2xi32>, !bnn.packed<2x70>
}

// -----

// A single lhs row is a GEMV: no popcounts, the CUDA cores stream the weights with
// popc(a XOR b) in 16-byte loads.

// CHECK-LABEL: func.func @decode
// CHECK-NOT: bnn_popcount
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemv_n4096_k4096_i32_64xi64 blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in
// CHECK-SAME: args(%{{.*}} : memref<64xi64>, %{{.*}} : memref<4096x64xi64>, %{{.*}} : memref<4096xi32>)
// K = 4096 is two steps of 32 lanes x 16 bytes: unrolled, every load issued first.
// CHECK: gpu.func @bnn_gemv_n4096_k4096_i32_64xi64
// CHECK-NOT: scf.for
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<64xi64>, vector<2xi64>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<262144xi64>, vector<2xi64>
// CHECK: arith.xori
// CHECK: math.ctpop
func.func @decode(%x: !bnn.packed<4096>, %w: !bnn.packed<4096x4096>) -> tensor<4096xi32> {
  %y = bnn.xnor_popcount %x, %w : !bnn.packed<4096>, !bnn.packed<4096x4096> -> tensor<4096xi32>
  return %y : tensor<4096xi32>
}

// -----

// Large lhs on sm_90a: the wgmma kernel (two m64n256k256 warpgroups, four 48 KiB stages);
// on sm_80 the mma.sync kernel with 128 x 128 tiles.

// CHECK-LABEL: func.func @prefill
// CHECK: %[[SMEM:.*]] = arith.constant 196608 : i32
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemm_wgmma_m512_n4096_k4096_t128x256x4_i32_512x64xi64
// CHECK-SAME: dynamic_shared_memory_size %[[SMEM]]
// CHECK: gpu.func @bnn_gemm_wgmma_m512_n4096_k4096_t128x256x4_i32_512x64xi64
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "{\0A.reg .pred p;\0Asetp.ne.b32 p, 1, 0;\0Awgmma.mma_async.sync.aligned.m64n256k256.s32.b1.b1.and.popc
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1

// SM80-LABEL: func.func @prefill
// SM80: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m512_n4096_k4096_t128x128x4_i32_512x64xi64
// SM80-NOT: wgmma
func.func @prefill(%a: !bnn.packed<512x4096>, %w: !bnn.packed<4096x4096>) -> tensor<512x4096xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<512x4096>, !bnn.packed<4096x4096> -> tensor<512x4096xi32>
  return %y : tensor<512x4096xi32>
}

// -----

// The fused epilogue of bnn.xnor_linear, in its operation order ((dot * col_scale) *
// row_scale) + bias, then relu; the packed variant re-binarizes along N, one u32 per 32
// columns.

// CHECK-LABEL: func.func @linear_f32
// CHECK-SAME: (%[[A:[^:]*]]: memref<64x5xi64>{{.*}}, %[[W:[^:]*]]: memref<100x5xi64>{{.*}}, %[[CS:[^:]*]]: memref<100xf32>{{.*}}, %[[RS:[^:]*]]: memref<64xf32>{{.*}}, %[[B:[^:]*]]: memref<100xf32>{{.*}}, %[[OUT:[^:]*]]: memref<64x100xf32>
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m64_n100_k300_t64x64x2_f32_cs_rs_b_relu_64x5xi64
// CHECK-SAME: args(%[[A]] : memref<64x5xi64>, %{{.*}} : memref<64xi32>, %[[W]] : memref<100x5xi64>, %{{.*}} : memref<100xi32>, %[[CS]] : memref<100xf32>, %[[RS]] : memref<64xf32>, %[[B]] : memref<100xf32>, %[[OUT]] : memref<64x100xf32>)
// CHECK: gpu.func @bnn_gemm_mma_sync_m64_n100_k300_t64x64x2_f32_cs_rs_b_relu_64x5xi64
// CHECK: %[[Y0:.*]] = arith.sitofp %{{.*}} : i32 to f32
// CHECK: %[[Y1:.*]] = arith.mulf %[[Y0]], %{{.*}} : f32
// CHECK: %[[Y2:.*]] = arith.mulf %[[Y1]], %{{.*}} : f32
// CHECK: %[[Y3:.*]] = arith.addf %[[Y2]], %{{.*}} : f32
// CHECK: arith.maximumf %[[Y3]], %{{.*}} : f32
// CHECK: vector.store %{{.*}} {alignment = 8 : i64} : memref<6400xf32>, vector<2xf32>
func.func @linear_f32(%a: !bnn.packed<64x300>, %w: !bnn.packed<100x300>, %cs: tensor<100xf32>,
                      %rs: tensor<64xf32>, %bias: tensor<100xf32>) -> tensor<64x100xf32> {
  %y = bnn.xnor_linear %a, %w col_scale(%cs : tensor<100xf32>) row_scale(%rs : tensor<64xf32>)
         bias(%bias : tensor<100xf32>) activation(relu)
         : !bnn.packed<64x300>, !bnn.packed<100x300> -> tensor<64x100xf32>
  return %y : tensor<64x100xf32>
}

// -----

// CHECK-LABEL: func.func @linear_bits
// CHECK-SAME: memref<200x2xi64> {bnn.logical_type = !bnn.packed<200x100>, bnn.result = 0 : i64}
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemm_wgmma_m200_n100_k300_t128x256x3_bits_cs_200x5xi64
// CHECK: gpu.func @bnn_gemm_wgmma_m200_n100_k300_t128x256x3_bits_cs_200x5xi64
// CHECK: arith.cmpf uge
// CHECK: gpu.shuffle xor
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : i32, !llvm.ptr<1>
func.func @linear_bits(%a: !bnn.packed<200x300>, %w: !bnn.packed<100x300>, %cs: tensor<100xf32>)
    -> !bnn.packed<200x100> {
  %y = bnn.xnor_linear %a, %w col_scale(%cs : tensor<100xf32>)
         : !bnn.packed<200x300>, !bnn.packed<100x300> -> !bnn.packed<200x100>
  return %y : !bnn.packed<200x100>
}

// -----

// A packed xnor_linear result feeding the next layer gets a popcount kernel; kernels are
// shared between identical launches.

// CHECK-LABEL: func.func @two_layers
// CHECK: gpu.launch_func @bnn_kernels::@bnn_popcount_128x2xi64
// CHECK: gpu.launch_func @bnn_kernels::@bnn_popcount_100x2xi64
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemm_wgmma_m128_n100_k100_t128x256x3_bits_128x2xi64
// CHECK: gpu.launch_func @bnn_kernels::@bnn_popcount_128x2xi64
// CHECK: gpu.launch_func @bnn_kernels::@bnn_gemm_wgmma_m128_n100_k100_t128x256x3_i32_128x2xi64
// CHECK-COUNT-1: gpu.func @bnn_popcount_128x2xi64
// CHECK-NOT: gpu.func @bnn_popcount_128x2xi64
func.func @two_layers(%a: !bnn.packed<128x100>, %w: !bnn.packed<100x100>) -> tensor<128x100xi32> {
  %h = bnn.xnor_linear %a, %w : !bnn.packed<128x100>, !bnn.packed<100x100> -> !bnn.packed<128x100>
  %y = bnn.xnor_popcount %h, %w : !bnn.packed<128x100>, !bnn.packed<100x100> -> tensor<128x100xi32>
  return %y : tensor<128x100xi32>
}

// -----

// Functions without bnn ops are left alone.

// CHECK-LABEL: func.func @unrelated
// CHECK-SAME: (%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NOT: gpu.module
func.func @unrelated(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// Hamming top-k: one block per query, both results written into their out-parameters; the
// per-thread lists and the merge buffers are workgroup attributions (2 x 64 lists of 10).
// CHECK-LABEL: func.func @search
// CHECK-SAME: (%[[Q:.*]]: memref<5x4xi64> {bnn.logical_type = !bnn.packed<5x256>},
// CHECK-SAME: %[[DB:.*]]: memref<300x4xi64> {bnn.logical_type = !bnn.packed<300x256>},
// CHECK-SAME: %[[D:.*]]: memref<5x10xi32> {bnn.logical_type = tensor<5x10xi32>, bnn.result = 0 : i64},
// CHECK-SAME: %[[I:.*]]: memref<5x10xi64> {bnn.logical_type = tensor<5x10xi64>, bnn.result = 1 : i64})
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: gpu.launch_func @bnn_kernels::@bnn_hamming_topk_q5_n300_w4_k10_s1 blocks in (%[[C5]], %{{.*}}, %{{.*}}) threads in (%[[C64]], %{{.*}}, %{{.*}}) {{.*}} args(%[[Q]] : memref<5x4xi64>, %[[DB]] : memref<300x4xi64>, %[[D]] : memref<5x10xi32>, %[[I]] : memref<5x10xi64>)
// CHECK-NEXT: return
// CHECK: gpu.func @bnn_hamming_topk_q5_n300_w4_k10_s1({{.*}}) workgroup(%{{.*}} : memref<640xi32, #gpu.address_space<workgroup>>, %{{.*}} : memref<640xi64, #gpu.address_space<workgroup>>, %{{.*}} : memref<640xi32, #gpu.address_space<workgroup>>, %{{.*}} : memref<640xi64, #gpu.address_space<workgroup>>) kernel
// log2(64) merge rounds and the final barrier.
// CHECK-COUNT-7: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
func.func @search(%q: !bnn.packed<5x256>, %db: !bnn.packed<300x256>) -> (tensor<5x10xi32>, tensor<5x10xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(10) : !bnn.packed<5x256>, !bnn.packed<300x256> -> tensor<5x10xi32>, tensor<5x10xi64>
  return %d, %i : tensor<5x10xi32>, tensor<5x10xi64>
}

// -----

// One query over many codes: the database is split into shards (blocks of the scan kernel)
// whose lists go to scratch, then a merge kernel (one thread per shard) writes the results.
// CHECK-LABEL: func.func @one_query
// CHECK: %[[SD:.*]] = memref.alloc() : memref<40xi32>
// CHECK: %[[SI:.*]] = memref.alloc() : memref<40xi64>
// CHECK: gpu.launch_func @bnn_kernels::@bnn_hamming_topk_q1_n100000_w4_k10_s4 {{.*}} args(%{{.*}} : memref<1x4xi64>, %{{.*}} : memref<100000x4xi64>, %[[SD]] : memref<40xi32>, %[[SI]] : memref<40xi64>)
// CHECK: gpu.launch_func @bnn_kernels::@bnn_hamming_topk_merge_q1_k10_s4 {{.*}} args(%[[SD]] : memref<40xi32>, %[[SI]] : memref<40xi64>, %{{.*}} : memref<1x10xi32>, %{{.*}} : memref<1x10xi64>)
// CHECK-DAG: memref.dealloc %[[SD]]
// CHECK-DAG: memref.dealloc %[[SI]]
func.func @one_query(%q: !bnn.packed<1x256>, %db: !bnn.packed<100000x256>) -> (tensor<1x10xi32>, tensor<1x10xi64>) {
  %d, %i = bnn.hamming_topk %q, %db k(10) : !bnn.packed<1x256>, !bnn.packed<100000x256> -> tensor<1x10xi32>, tensor<1x10xi64>
  return %d, %i : tensor<1x10xi32>, tensor<1x10xi64>
}
