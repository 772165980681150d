// With no tuning-db option and no $BNN_TUNING_DIR, a build tree's pipelines read the source
// tree's shipped tuning/ (docs/Tuning.md). Only where the entry came from is checked: the
// tuned values change with every tuning run.
// RUN: env -u BNN_TUNING_DIR bnn-opt %s --bnn-cpu-pipeline="target=avx512 tuning-remarks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: remark: bnn-tuning: cpu.xnor_matmul m>64 n4096 k4096 from {{.*}}tuning{{/|\\}}cpu-avx512.json: tile {{[0-9]+x[0-9]+}} (measured
// RUN: env -u BNN_TUNING_DIR bnn-opt %s --bnn-gpu-pipeline="chip=sm_80 tuning-remarks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPU
// GPU: remark: bnn-tuning: the entry for gpu.xnor_gemm m>64 n4096 k4096 in {{.*}}tuning{{/|\\}}sm_80.json is untuned; using the sm_80 defaults: mma_sync tile 128x128, 4 stages
// An empty $BNN_TUNING_DIR is ignored like an unset one:
// RUN: env BNN_TUNING_DIR= bnn-opt %s --bnn-cpu-pipeline="target=avx512 tuning-remarks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU

func.func @gemm(%a: !bnn.packed<256x4096>, %b: !bnn.packed<4096x4096>) -> tensor<256x4096xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<256x4096>, !bnn.packed<4096x4096> -> tensor<256x4096xi32>
  return %c : tensor<256x4096xi32>
}
