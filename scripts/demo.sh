#!/usr/bin/env bash
# The bnn demo: takes the bundled example (examples/binary_mlp.mlir, a two-layer binary MLP
# written in the bnn dialect) through bnn-opt and prints the module after each stage.
# Installs missing Debian packages and builds bnn incrementally first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bnn_build bnn-opt
OPT="$BNN_BUILD/bin/bnn-opt"
EXAMPLE="$BNN_ROOT/examples/binary_mlp.mlir"
# Weights are printed as elided resources so each stage fits on a screen.
SHOW=(--mlir-elide-elementsattrs-if-larger=8)

stage() {
  local title="$1"
  shift
  printf '\n\033[1;36m---- %s ----\033[0m\n' "$title"
  printf '$ bnn-opt %s\n\n' "$*"
  "$OPT" "$@"
}

stage "1. The example as written (parsed and verified)" \
  "$EXAMPLE" "${SHOW[@]}"
stage "2. Inference form: bnn.ste becomes bnn.sign (--bnn-lower-ste)" \
  "$EXAMPLE" --bnn-lower-ste "${SHOW[@]}"
stage "3. Canonicalized: pack(sign(x)) -> pack(x), constant weights packed to 1 bit each" \
  "$EXAMPLE" --bnn-lower-ste --canonicalize "${SHOW[@]}"

# How much smaller the packed weights are than the float ones.
printf '\n\033[1;36m---- Weight storage ----\033[0m\n'
"$OPT" "$EXAMPLE" --bnn-lower-ste --canonicalize | awk '
  /bnn.constant/ {
    match($0, /tensor<[0-9x]+xi64>/); t = substr($0, RSTART + 7, RLENGTH - 12)
    match($0, /!bnn.packed<[0-9x]+>/); p = substr($0, RSTART + 12, RLENGTH - 13)
    n = split(t, w, "x"); words = 1; for (i = 1; i <= n; i++) words *= w[i]
    n = split(p, l, "x"); elems = 1; for (i = 1; i <= n; i++) elems *= l[i]
    printf "  !bnn.packed<%s>: %d weights, %d bytes packed vs %d bytes as f32 (%.0fx smaller)\n",
           p, elems, words * 8, elems * 4, (elems * 4) / (words * 8)
  }'

# The ONNX frontend: import a bundled ONNX model, compile and run it.
"$BNN_ROOT/scripts/demo-onnx.sh"
