#!/usr/bin/env bash
# Runs every bnn test: installs missing Debian packages, configures and builds incrementally,
# then runs the lit + FileCheck suite (check-bnn) and the GoogleTest suite (ctest); then the same
# two suites again in the sanitized clang build (build-san/: ASan + UBSan, plus the fuzz targets,
# whose lit tests replay the committed corpora and a fixed number of seeded mutations).
# Exits non-zero if anything fails.
# Usage: scripts/test.sh [extra lit args...]; BNN_SANITIZED=0 skips the sanitized pass.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

status=0

bnn_build all
cd "$BNN_BUILD"
bnn_log "lit + FileCheck (check-bnn)"
"$BNN_LLVM_DIR/bin/lit" -sv "$@" "$BNN_BUILD/test" || status=1

# The ONNX backend node test summary (written by test/Frontend/ONNX/conformance.test).
if [ -f "$BNN_BUILD/onnx-conformance-summary.txt" ]; then
  bnn_log "ONNX conformance (libonnx-testdata node tests through import -> compile -> CPU)"
  tail -n 1 "$BNN_BUILD/onnx-conformance-summary.txt"
fi

bnn_log "GoogleTest (ctest)"
ctest --output-on-failure -j "$(nproc)" || status=1

if [ "${BNN_SANITIZED:-1}" != 0 ]; then
  bnn_build_san all
  cd "$BNN_BUILD_SAN"
  bnn_log "lit + FileCheck, sanitized (ASan + UBSan, fuzz corpora + seeded runs)"
  "$BNN_LLVM_DIR/bin/lit" -sv "$@" "$BNN_BUILD_SAN/test" || status=1
  bnn_log "GoogleTest (ctest), sanitized"
  ASAN_OPTIONS="$BNN_ASAN_OPTIONS" UBSAN_OPTIONS="$BNN_UBSAN_OPTIONS" \
    ctest --output-on-failure -j "$(nproc)" || status=1
fi

exit $status
