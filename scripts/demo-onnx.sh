#!/usr/bin/env bash
# The ONNX part of the demo (run by scripts/demo.sh): imports the bundled BitNet MLP
# (examples/onnx/bitnet_mlp.onnx, written by examples/onnx/make_onnx_models.py with Debian's
# python3-onnx), shows the bnn ops the binarization patterns produce, compiles and runs it with
# the JIT, and checks the result against the numpy reference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bnn_build bnn-translate bnn-run
TRANSLATE="$BNN_BUILD/bin/bnn-translate"
RUN="$BNN_BUILD/bin/bnn-run"
MODEL="$BNN_ROOT/examples/onnx/bitnet_mlp.onnx"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

title() { printf '\n\033[1;36m---- %s ----\033[0m\n' "$1"; }

title "ONNX 1. Import the bundled BitNet MLP (BitLinear 128->128 -> ReLU^2 -> BitLinear 128->64)"
printf '$ bnn-translate --import-onnx %s\n\n' "${MODEL#$BNN_ROOT/}"
"$TRANSLATE" --import-onnx "$MODEL" -o "$WORK/model.mlir"
echo "bnn ops in the imported module (the two MatMuls became bit-serial XNOR-popcounts):"
"$TRANSLATE" --import-onnx "$MODEL" --mlir-elide-elementsattrs-if-larger=4 |
  grep -o 'bnn\.[a-z_]* .*' | sed 's/^/  /'
printf '  linalg.matmul ops left: %s\n' "$(grep -c 'linalg.matmul' "$WORK/model.mlir" || true)"
printf '  weights: %s bytes as f32 in the ONNX file, %s bytes packed\n' \
  "$(( (128 * 128 + 128 * 64) * 4 ))" "$(( (2 * 128 + 2 * 64) * 2 * 8 ))"

title "ONNX 2. Compile with bnn-cpu-pipeline and run on the CPU (JIT)"
if /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  /usr/bin/python3 "$BNN_ROOT/examples/onnx/make_onnx_models.py" bitnet_mlp "$WORK/ref"
  cmp -s "$MODEL" "$WORK/ref/model.onnx" && echo "(the bundled model is what the generator writes)"
  "$RUN" "$WORK/model.mlir" --input="$WORK/ref/input0.bin" --output-dir="$WORK/out" --print-limit=6
  title "ONNX 3. Compare with the numpy reference"
  /usr/bin/python3 "$BNN_ROOT/examples/onnx/make_onnx_models.py" --compare "$WORK/ref" "$WORK/out"
else
  echo "(python3-onnx/numpy not importable from /usr/bin/python3: running on random inputs)"
  "$RUN" "$WORK/model.mlir" --random-seed=1 --print-limit=6
fi
