#!/usr/bin/env bash
# Run HERE (the machine with MLIR): builds bnn and compiles the GPU correctness sweep and the
# GPU benchmark into bundles that the GPU machine runs without MLIR.
#
#   benchmarks/gpu/prepare.sh [DIR]      (default: gpu-bundles/, ignored by git)
#
# DIR then holds (about 30 MB):
#   sweep-sm_90a.bundle       full sweep, default kernels for sm_90a (wgmma for M > 64), PTX + cubin
#   sweep-sm_90a-sync.bundle  full sweep with mma=sync (mma.sync everywhere), PTX + cubin
#   sweep-sm_80.bundle        full sweep for sm_80, PTX only (the driver JIT-compiles it)
#   bench-sm_90a.bundle       benchmark shapes, default kernels
#   bench-sm_90a-sync.bundle  benchmark shapes, mma.sync kernels
#   bench-sm_90a-192.bundle   benchmark shapes, wgmma with 192 x 256 tiles (three warpgroups)
#   tune-sm_90a/              bnn-tune's sm_90a candidates for 4 shape classes (about 15 MB):
#                             bundles, plan.tsv and the results file bnn-tune-time appends to
# and the .mlir they came from. Next, on the GPU machine: benchmarks/gpu/run_on_gpu.sh DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
DIR="${1:-$BNN_ROOT/gpu-bundles}"
mkdir -p "$DIR"
bnn_build bnn-opt bnn-translate bnn-tune
OPT="$BNN_BUILD/bin/bnn-opt"
TRANSLATE="$BNN_BUILD/bin/bnn-translate"

compile() { # name source pipeline-options cubin-mode
  local name="$1" source="$2" options="$3" cubin="$4"
  bnn_log "Compiling $name ($options)"
  "$OPT" "$source" --bnn-gpu-pipeline="$options" -o "$DIR/$name.mlir"
  "$TRANSLATE" "$DIR/$name.mlir" --bnn-gpu-to-bundle --bnn-cubin="$cubin" -o "$DIR/$name.bundle"
  rm -f "$DIR/$name.mlir"
}

python3 "$BNN_ROOT/test/GPU/gen_sweep.py" > "$DIR/sweep.mlir"
python3 "$BNN_ROOT/benchmarks/gpu/gen_bench.py" > "$DIR/bench.mlir"
compile sweep-sm_90a "$DIR/sweep.mlir" "chip=sm_90a" auto
compile sweep-sm_90a-sync "$DIR/sweep.mlir" "chip=sm_90a mma=sync" auto
compile sweep-sm_80 "$DIR/sweep.mlir" "chip=sm_80" never
compile bench-sm_90a "$DIR/bench.mlir" "chip=sm_90a" auto
compile bench-sm_90a-sync "$DIR/bench.mlir" "chip=sm_90a mma=sync" auto
compile bench-sm_90a-192 "$DIR/bench.mlir" "chip=sm_90a mma=wgmma tile-m=192" auto
# Tuning candidates (docs/Tuning.md): compiled and ptxas-checked here, timed on the GPU machine
# by bnn-tune-time (run_on_gpu.sh); the classes that matter most (decode batches, prefill).
rm -rf "$DIR/tune-sm_90a"
bnn_log "Compiling bnn-tune candidates for sm_90a"
"$BNN_BUILD/bin/bnn-tune" --chip=sm_90a -j 2 --quiet \
  --shape=16x8192x8192 --shape=64x8192x8192 --shape=4096x4096x4096 --shape=8192x8192x8192 \
  --bundle-dir="$DIR/tune-sm_90a" --results="$DIR/tune-sm_90a/results.jsonl" \
  -o "$DIR/tune-sm_90a/sm_90a.json"
ls -l "$DIR"
du -sh "$DIR"
