// bnn-gpu-pipeline end to end: bnn ops -> kernels -> NVVM -> PTX (LLVM's NVPTX backend).
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a" | FileCheck %s --check-prefix=HOST
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a" | bnn-translate --bnn-gpu-to-ptx | FileCheck %s --check-prefixes=PTX,SM90A --implicit-check-not=xor.popc
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a mma=sync" | bnn-translate --bnn-gpu-to-ptx | FileCheck %s --check-prefixes=PTX,SYNC --implicit-check-not=xor.popc --implicit-check-not=wgmma
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_80" | bnn-translate --bnn-gpu-to-ptx | FileCheck %s --check-prefixes=PTX,SM80 --implicit-check-not=xor.popc --implicit-check-not=wgmma

// The host side stays memref + gpu.launch_func (for the bundle manifest); the kernels are PTX.
// HOST: module attributes {gpu.container_module}
// HOST: func.func @layer({{.*}}) attributes {bnn.gpu.host}
// HOST: gpu.launch_func @bnn_kernels::@bnn_pack_512x4096xf32
// HOST: gpu.launch_func @bnn_kernels::@bnn_gemm_wgmma_m512_n1024_k4096_t128x256x4_f32_cs_relu_512x64xi64
// HOST: func.func @decode
// HOST: gpu.launch_func @bnn_kernels::@bnn_gemv_n1024_k4096_bits_cs_64xi64
// HOST: gpu.binary @bnn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">

// PTX: .version 8.0
// SM90A: .target sm_90a
// SYNC: .target sm_90a
// SM80: .target sm_80
// The dynamic shared memory of the GEMM is a real extern declaration, 1024-byte aligned.
// PTX: .extern .shared .align 1024 .b8 __dynamic_shmem__0[];
// The pack: a warp reads 32 consecutive floats per load and ballots their sign bits.
// PTX-LABEL: .entry bnn_pack_512x4096xf32(
// PTX-COUNT-16: ld.global.nc.b32
// PTX: vote.sync.ballot.b32
// PTX: popc.b64
// PTX: shfl.sync.bfly.b32

// SM90A-LABEL: .entry bnn_gemm_wgmma_m512_n1024_k4096_t128x256x4_f32_cs_relu_512x64xi64(
// SM90A: cp.async.cg.shared.global [%rd{{[0-9]+}}], [%rd{{[0-9]+}}], 16, %r{{[0-9]+}};
// SM90A: fence.proxy.async.shared::cta;
// SM90A: wgmma.fence.sync.aligned;
// SM90A-COUNT-4: wgmma.mma_async.sync.aligned.m64n256k256.s32.b1.b1.and.popc
// SM90A: wgmma.commit_group.sync.aligned;
// SM90A: wgmma.wait_group.sync.aligned 1;
// No FMA contraction: the epilogue rounds like the unfused f32 computation.
// SM90A: cvt.rn.f32.s32
// SM90A: mul.rn.f32

// SYNC-LABEL: .entry bnn_gemm_mma_sync_m512_n1024_k4096_t128x128x4_f32_cs_relu_512x64xi64(
// SM80-LABEL: .entry bnn_gemm_mma_sync_m512_n1024_k4096_t128x128x4_f32_cs_relu_512x64xi64(
// SYNC: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// SYNC: mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc
// SM80: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// SM80: mma.sync.aligned.m16n8k256.row.col.s32.b1.b1.s32.and.popc

// PTX-LABEL: .entry bnn_gemv_n1024_k4096_bits_cs_64xi64(
// PTX: ld.global.nc.v2.b64
// PTX: xor.b64
// PTX: popc.b64

func.func @layer(%x: tensor<512x4096xf32>, %w: !bnn.packed<1024x4096>, %alpha: tensor<1024xf32>)
    -> tensor<512x1024xf32> {
  %xp = bnn.pack %x : tensor<512x4096xf32> -> !bnn.packed<512x4096>
  %y = bnn.xnor_linear %xp, %w col_scale(%alpha : tensor<1024xf32>) activation(relu)
         : !bnn.packed<512x4096>, !bnn.packed<1024x4096> -> tensor<512x1024xf32>
  return %y : tensor<512x1024xf32>
}

func.func @decode(%x: !bnn.packed<4096>, %w: !bnn.packed<1024x4096>, %alpha: tensor<1024xf32>)
    -> !bnn.packed<1024> {
  %y = bnn.xnor_linear %x, %w col_scale(%alpha : tensor<1024xf32>)
         : !bnn.packed<4096>, !bnn.packed<1024x4096> -> !bnn.packed<1024>
  return %y : !bnn.packed<1024>
}
