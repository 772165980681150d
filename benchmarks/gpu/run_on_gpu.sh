#!/usr/bin/env bash
# Run ON THE GPU MACHINE (CUDA toolkit + driver + PyTorch, no MLIR), after prepare.sh made the
# bundles here and they were carried over:
#
#   benchmarks/gpu/run_on_gpu.sh [DIR]   (DIR: the bundles, default gpu-bundles/)
#
# One command: builds the runtime, the sweep and the benchmark with cmake (+ the toolkit's
# headers), runs the bit-exact correctness sweep of every sweep bundle, times bnn's kernels and
# cuBLAS FP16/INT8 GEMMs (PyTorch) in the same run, and writes under $OUT (default
# benchmarks/results/gpu-latest/):
#   gpu-benchmark.md  the table (also printed at the end)
#   sweep.log         one PASS/FAIL line per function and bundle
#   bnn.jsonl         bnn-gpu-bench's measurements
#   baselines.jsonl   baselines.py's measurements
#   build.log         the cmake build
#   tune-sm_90a.results.jsonl, tune.log  bnn-tune-time's timings of the tuning candidates
# Exit status: non-zero when the sweep fails or a step breaks.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${1:-$ROOT/gpu-bundles}"
RESULTS="${OUT:-$ROOT/benchmarks/results/gpu-latest}"
BUILD="${BNN_GPU_BUILD:-/tmp/bnn-gpu-build}"
mkdir -p "$RESULTS"
status=0

echo "==> GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true

echo "==> Building runtime, bnn-gpu-sweep and bnn-gpu-bench"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if ! { cmake -S "$ROOT/benchmarks/gpu" -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release &&
       cmake --build "$BUILD" -j "$(nproc)"; } >"$RESULTS/build.log" 2>&1; then
  tail -30 "$RESULTS/build.log"
  echo "build failed (see $RESULTS/build.log)"
  exit 1
fi

echo "==> Correctness sweep (bit-exact against the reference semantics)"
ls "$DIR"/sweep-*.bundle "$DIR"/bench-*.bundle >/dev/null || {
  echo "no bundles in $DIR: run benchmarks/gpu/prepare.sh where bnn is built, and carry $DIR"
  exit 1
}
"$BUILD/bin/bnn-gpu-sweep" "$DIR"/sweep-*.bundle >"$RESULTS/sweep.log" 2>&1
sweep=$?
grep -E "^(FAIL|bundle|device|bnn-gpu-sweep|SKIPPED)" "$RESULTS/sweep.log" | head -60
if [ $sweep -eq 77 ]; then
  echo "No usable GPU here: nothing was measured (run this on the GPU machine)."
  exit 77
fi
[ $sweep -eq 0 ] || status=1

echo "==> bnn kernels"
"$BUILD/bin/bnn-gpu-bench" "$DIR"/bench-*.bundle | tee "$RESULTS/bnn.jsonl" || status=1

if [ -f "$DIR/tune-sm_90a/plan.tsv" ]; then
  # bnn-tune's candidates: checked bit-exact, timed with CUDA events; the results file comes
  # back and `bnn-tune --results=...` writes tuning/sm_90a.json from it (docs/Tuning.md).
  echo "==> Tuning candidates (bnn-tune-time)"
  cp "$DIR/tune-sm_90a/results.jsonl" "$RESULTS/tune-sm_90a.results.jsonl"
  "$BUILD/bin/bnn-tune-time" "$DIR/tune-sm_90a/plan.tsv" "$RESULTS/tune-sm_90a.results.jsonl" \
    >"$RESULTS/tune.log" 2>&1 || status=1
  tail -5 "$RESULTS/tune.log"
fi

echo "==> cuBLAS baselines (PyTorch)"
PYTHONUNBUFFERED=1 python3 "$ROOT/benchmarks/gpu/baselines.py" | tee "$RESULTS/baselines.jsonl" || status=1

# The issue's last target: sm_90 code must not use the emulated XOR+POPC MMA.
xor_popc=$(cat "$DIR"/sweep-sm_90a*.bundle "$DIR"/bench-sm_90a*.bundle | grep -ac "xor.popc" || true)

echo "==> Report"
python3 "$ROOT/benchmarks/gpu/report.py" "$RESULTS/bnn.jsonl" "$RESULTS/baselines.jsonl" \
  --sweep "$RESULTS/sweep.log" --xor-popc "$xor_popc" >"$RESULTS/gpu-benchmark.md" || status=1
cat "$RESULTS/gpu-benchmark.md"
exit $status
