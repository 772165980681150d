#!/usr/bin/env bash
# Runs every bnn test: installs missing Debian packages, configures and builds incrementally,
# then runs the lit + FileCheck suite (check-bnn) and the GoogleTest suite (ctest).
# Exits non-zero if anything fails. Usage: scripts/test.sh [extra lit args...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bnn_build all
cd "$BNN_BUILD"

status=0
bnn_log "lit + FileCheck (check-bnn)"
"$BNN_LLVM_DIR/bin/lit" -sv "$@" "$BNN_BUILD/test" || status=1

# The ONNX backend node test summary (written by test/Frontend/ONNX/conformance.test).
if [ -f "$BNN_BUILD/onnx-conformance-summary.txt" ]; then
  bnn_log "ONNX conformance (libonnx-testdata node tests through import -> compile -> CPU)"
  tail -n 1 "$BNN_BUILD/onnx-conformance-summary.txt"
fi

bnn_log "GoogleTest (ctest)"
ctest --output-on-failure -j "$(nproc)" || status=1

exit $status
