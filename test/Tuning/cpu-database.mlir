// bnn-tile takes its tile sizes from the tuning database (docs/Tuning.md) when neither
// tile-rows nor tile-cols is given: the entry of the op's shape class (M x N x K rounded to
// the class), else the target defaults (64 x 256 on avx512), with a remark when asked.
// RUN: bnn-opt %s --bnn-tile="target=avx512 tuning-db=%S/Inputs/cpu-avx512.json tuning-remarks=true" 2>%t.err | FileCheck %s --check-prefix=DB
// RUN: FileCheck %s --check-prefix=DB-REMARK < %t.err
// RUN: bnn-opt %s --bnn-tile="target=avx512 tuning-db=%S/Inputs tile-rows=16 tuning-remarks=true" 2>%t.explicit | FileCheck %s --check-prefix=EXPLICIT
// RUN: FileCheck %s --check-prefix=EXPLICIT-REMARK < %t.explicit
// RUN: bnn-opt %s --bnn-tile="target=avx512" | FileCheck %s --check-prefix=NONE
// The pipelines read the database by default ($BNN_TUNING_DIR first, docs/Tuning.md):
// RUN: env BNN_TUNING_DIR=%S/Inputs bnn-opt %s --bnn-cpu-pipeline="target=avx512 tuning-remarks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DB-REMARK
// RUN: bnn-opt %s --bnn-cpu-pipeline="target=avx512 tuning-db=none tuning-remarks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE-REMARK
// RUN: not bnn-opt %s --bnn-cpu-pipeline="target=avx2 tuning-db=%S/Inputs/cpu-avx512.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=WRONG

// DB-LABEL: func.func @tuned
// DB: scf.forall ({{.*}}) = (0, 0) to (256, 1024) step (32, 128)
// DB-LABEL: func.func @fallback
// DB: scf.forall ({{.*}}) = (0, 0) to (128, 512) step (64, 256)

// DB-REMARK: remark: bnn-tuning: cpu.xnor_matmul m>64 n1024 k4096 from {{.*}}cpu-avx512.json: tile 32x128 (measured 100.00 us at 256x1024x4096 on 1 thread(s), test fixture, 2026-12-03)
// DB-REMARK: remark: bnn-tuning: no entry for cpu.xnor_matmul m>64 n512 k4096 in {{.*}}cpu-avx512.json; using the avx512 defaults: tile 64x256

// EXPLICIT: scf.forall ({{.*}}) = (0, 0) to (256, 1024) step (16, 256)
// EXPLICIT-REMARK: remark: bnn-tuning: explicit tile sizes (the tuning database is not consulted): tile 16x256

// The pass itself reads no database unless told to.
// NONE: scf.forall ({{.*}}) = (0, 0) to (256, 1024) step (64, 256)
// NONE-REMARK: remark: bnn-tuning: no tuning database for cpu-avx512; cpu.xnor_matmul m>64 n1024 k4096; using the avx512 defaults: tile 64x256

// WRONG: error: bnn-tile: {{.*}}cpu-avx512.json: a database for cpu-avx512, not cpu-avx2

func.func @tuned(%a: !bnn.packed<256x4000>, %b: !bnn.packed<1024x4000>) -> tensor<256x1024xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<256x4000>, !bnn.packed<1024x4000> -> tensor<256x1024xi32>
  return %c : tensor<256x1024xi32>
}
func.func @fallback(%a: !bnn.packed<128x4096>, %b: !bnn.packed<512x4096>) -> tensor<128x512xi32> {
  %c = bnn.xnor_popcount %a, %b : !bnn.packed<128x4096>, !bnn.packed<512x4096> -> tensor<128x512xi32>
  return %c : tensor<128x512xi32>
}
