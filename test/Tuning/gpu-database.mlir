// The GPU lowering takes GEMM tilings from the tuning database (docs/Tuning.md): a tuned entry
// of the shape class wins over the chip defaults, an untuned entry or a class without entry
// falls back to the defaults (with a remark when asked), explicit options win over the database.
// The kernel names carry the tile (t<M>x<N>x<stages>).
// RUN: bnn-opt %s --convert-bnn-to-gpu="chip=sm_90a tuning-db=%S/Inputs/sm_90a.json tuning-remarks=true" 2>%t.err | FileCheck %s --check-prefix=DB
// RUN: FileCheck %s --check-prefix=DB-REMARK < %t.err
// A directory holding <chip>.json, through bnn-gpu-pipeline:
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a tuning-db=%S/Inputs" | FileCheck %s --check-prefix=DB
// The default database comes from $BNN_TUNING_DIR first:
// RUN: env BNN_TUNING_DIR=%S/Inputs bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a" | FileCheck %s --check-prefix=DB
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a tuning-db=none tuning-remarks=true" 2>%t.none | FileCheck %s --check-prefix=NONE
// RUN: FileCheck %s --check-prefix=NONE-REMARK < %t.none
// RUN: bnn-opt %s --bnn-gpu-pipeline="chip=sm_90a tuning-db=%S/Inputs mma=sync tile-m=128 tile-n=128 tuning-remarks=true" 2>%t.explicit | FileCheck %s --check-prefix=EXPLICIT
// RUN: FileCheck %s --check-prefix=EXPLICIT-REMARK < %t.explicit
// A database for another chip, or none in a directory, is an error:
// RUN: not bnn-opt %s --bnn-gpu-pipeline="chip=sm_80 tuning-db=%S/Inputs/sm_90a.json" 2>&1 | FileCheck %s --check-prefix=WRONG-CHIP
// RUN: not bnn-opt %s --bnn-gpu-pipeline="chip=sm_80 tuning-db=%S/Inputs" 2>&1 | FileCheck %s --check-prefix=NO-FILE
// RUN: not bnn-opt %s --bnn-gpu-pipeline="chip=sm_80 tuning-db=%S/Inputs/missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING

// DB-LABEL: func.func @big
// DB: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m512_n1024_k4096_t64x128x3_
// DB-LABEL: func.func @persistent
// DB: gpu.launch_func @bnn_kernels::@bnn_gemm_wgmma_m256_n2048_k4096_t128x128x4_{{.*}} blocks in (%{{.*}}, %{{.*}}, %{{.*}})
// DB-LABEL: func.func @untuned
// DB: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m64_n1024_k4096_t64x64x4_
// DB-LABEL: func.func @small
// DB: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m16_n1024_k4096_t16x64x4_

// DB-REMARK: remark: bnn-tuning: gpu.xnor_gemm m>64 n1024 k4096 from {{.*}}sm_90a.json: mma_sync tile 64x128, 3 stages, warps 2x4 (measured 10.50 us at 512x1024x4096, CUDA 12.8, test fixture, 2026-12-03)
// DB-REMARK: remark: bnn-tuning: gpu.xnor_gemm m>64 n2048 k4096 from {{.*}}sm_90a.json: wgmma tile 128x128, 4 stages, warps 2x1, 132 persistent blocks
// DB-REMARK: remark: bnn-tuning: the entry for gpu.xnor_gemm m<=64 n1024 k4096 in {{.*}}sm_90a.json is untuned; using the sm_90a defaults: mma_sync tile 64x64, 4 stages
// DB-REMARK: remark: bnn-tuning: no entry for gpu.xnor_gemm m<=16 n1024 k4096 in {{.*}}sm_90a.json; using the sm_90a defaults: mma_sync tile 16x64, 4 stages

// NONE-LABEL: func.func @big
// NONE: gpu.launch_func @bnn_kernels::@bnn_gemm_wgmma_m512_n1024_k4096_t128x256x4_
// NONE-REMARK: remark: bnn-tuning: no tuning database for sm_90a; gpu.xnor_gemm m>64 n1024 k4096; using the sm_90a defaults: wgmma tile 128x256, 4 stages

// EXPLICIT-LABEL: func.func @big
// EXPLICIT: gpu.launch_func @bnn_kernels::@bnn_gemm_mma_sync_m512_n1024_k4096_t128x128x4_
// EXPLICIT-REMARK: remark: bnn-tuning: explicit tiling options (the tuning database is not consulted): mma_sync tile 128x128, 4 stages

// WRONG-CHIP: error: convert-bnn-to-gpu: {{.*}}sm_90a.json: a database for sm_90a, not sm_80
// NO-FILE: error: convert-bnn-to-gpu: tuning-db={{.*}}Inputs: the directory has no sm_80.json
// MISSING: error: convert-bnn-to-gpu: tuning-db={{.*}}missing.json: no such file or directory

func.func @big(%a: !bnn.packed<512x4096>, %b: !bnn.packed<1024x4096>) -> tensor<512x1024xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<512x4096>, !bnn.packed<1024x4096> -> tensor<512x1024xi32>
  return %c : tensor<512x1024xi32>
}
func.func @persistent(%a: !bnn.packed<256x4096>, %b: !bnn.packed<2048x4096>) -> tensor<256x2048xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<256x4096>, !bnn.packed<2048x4096> -> tensor<256x2048xi32>
  return %c : tensor<256x2048xi32>
}
func.func @untuned(%a: !bnn.packed<64x4096>, %b: !bnn.packed<1024x4096>) -> tensor<64x1024xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<64x4096>, !bnn.packed<1024x4096> -> tensor<64x1024xi32>
  return %c : tensor<64x1024xi32>
}
func.func @small(%a: !bnn.packed<16x4096>, %b: !bnn.packed<1024x4096>) -> tensor<16x1024xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<16x4096>, !bnn.packed<1024x4096> -> tensor<16x1024xi32>
  return %c : tensor<16x1024xi32>
}
