#!/usr/bin/env bash
# Compile time of the full CPU path against graph size:
#   bnn-translate --import-onnx MODEL | bnn-opt --bnn-cpu-pipeline
# for elementwise chains and Concats of several sizes (models from gen_chain.py).
#   benchmarks/compile-time/measure.sh [BUILD_DIR] [chain|concat] [SIZES...]
# Prints one line per size: kind, size, import seconds, pipeline seconds (wall and CPU). With
# BNN_TIMING=1 bnn-opt also prints --mlir-timing (the split between passes) on stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build}"
kind="${2:-chain}"
shift $(( $# > 2 ? 2 : $# ))
sizes=("$@")
if ((${#sizes[@]} == 0)); then
  if [ "$kind" = chain ]; then sizes=(500 1000 2000 4000); else sizes=(50 250 1000); fi
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Wall time and CPU time (user + sys, which other load on the machine disturbs less) of the
# pipeline; the import is a small fraction and is given as wall time.
printf '%-7s %6s %9s %11s %10s\n' kind size import_s pipeline_s cpu_s
for n in "${sizes[@]}"; do
  /usr/bin/python3 "$here/gen_chain.py" "$kind" "$n" "$tmp/m.onnx"
  t0=$(date +%s.%N)
  "$build/bin/bnn-translate" --import-onnx "$tmp/m.onnx" -o "$tmp/m.mlir"
  t1=$(date +%s.%N)
  timing=()
  [ -n "${BNN_TIMING:-}" ] && timing=(--mlir-timing)
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" \
    "$build/bin/bnn-opt" --bnn-cpu-pipeline "${timing[@]}" "$tmp/m.mlir" -o /dev/null
  t2=$(date +%s.%N)
  cpu=$(awk '{print $1 + $2}' "$tmp/cpu")
  printf '%-7s %6d %9.2f %11.2f %10.2f\n' "$kind" "$n" "$(echo "$t1 - $t0" | bc)" \
    "$(echo "$t2 - $t1" | bc)" "$cpu"
done
