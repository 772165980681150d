#!/usr/bin/env bash
# The bnn demo: takes the bundled example (examples/binary_mlp.mlir, a two-layer binary MLP
# written in the bnn dialect) through bnn-opt and prints the module after each stage, then
# compiles it for this CPU, runs it (JIT with bnn-run, and ahead of time from a plain C program)
# and prints its output next to the reference and the time taken.
# Installs missing Debian packages and builds bnn incrementally first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bnn_build bnn-opt bnn-run binary_mlp_main
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
stage "4. Fused: each layer is one bnn.xnor_linear (scale, bias, re-binarization in the kernel)" \
  "$EXAMPLE" --bnn-lower-ste --canonicalize --bnn-fuse --bnn-pack-constants "${SHOW[@]}"
printf '\n\033[1;36m---- 5. Lowered for this CPU (bnn-cpu-pipeline): LLVM dialect, popcount of XORed words ----\033[0m\n'
printf '$ bnn-opt %s --bnn-cpu-pipeline | grep -E "llvm.func @mlp|ctpop"\n' "$EXAMPLE"
printf '(the example'"'"'s rows are one 64-bit word long, so its popcounts are one word wide)\n\n'
LOWERED="$("$OPT" "$EXAMPLE" --bnn-cpu-pipeline)"
grep -E "llvm.func @mlp|llvm.intr.ctpop" <<<"$LOWERED" | head -n 4 | cut -c 1-160

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

printf '\n\033[1;36m---- 6. JIT: bnn-run on the bundled input ----\033[0m\n'
"$BNN_BUILD/bin/bnn-run" "$EXAMPLE" --input="$BNN_ROOT/examples/binary_mlp.input.bin" \
  --repeat=1000 --print-limit=10

printf '\n\033[1;36m---- 7. Ahead of time: bnn-compile -> binary_mlp.o + binary_mlp.h, linked into a C program ----\033[0m\n'
printf 'Output next to the reference computed by examples/gen_binary_mlp.py (independent of bnn):\n\n'
"$BNN_BUILD/bin/binary_mlp_main" "$BNN_ROOT/examples/binary_mlp.input.bin" \
  "$BNN_ROOT/examples/binary_mlp.expected.bin" 100000
