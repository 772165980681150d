#!/usr/bin/env bash
# A long fuzzing campaign for one fuzz target, bounded by time (CI never does this: the lit
# tests in test/Fuzz/ replay the corpus and a fixed number of seeded mutations instead).
#
# Usage: scripts/fuzz.sh TARGET MINUTES
#   TARGET: onnx-import | gpu-bundle | bnn-mlir | index | safetensors | npy | onebit
#   BNN_FUZZ_JOBS=N runs N fuzzing processes (libFuzzer -fork=N; default 1).
#   BNN_FUZZ_MAX_LEN=B caps the size of generated inputs (default 16384 bytes), so that what
#   the campaign adds to the committed corpus stays small.
#
# Builds the target in the sanitized build (build-san/, see docs/Testing.md), fuzzes from the
# committed corpus test/Fuzz/corpus/TARGET/ for MINUTES minutes, then
#   * merges the inputs that reached new coverage into that corpus (libFuzzer -merge=1, so only
#     inputs that add coverage are kept, the corpus stays small), and
#   * minimizes every crash, leak, time-out and out-of-memory input (-minimize_crash=1) and
#     copies it into the corpus as regression-<kind>-<sha1>, where the lit test replays it:
#     the test fails until the bug is fixed, and keeps it fixed afterwards.
# Review the new files with `git status test/Fuzz/corpus` and commit them with the fix.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -eq 0 ]; then
  sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
target="$1"
minutes="$2"
case "$target" in
  onnx-import) fuzzer=bnn-onnx-fuzzer extra=(-rss_limit_mb=4096) ;;
  gpu-bundle) fuzzer=bnn-gpu-bundle-fuzzer extra=(-rss_limit_mb=2048) ;;
  index) fuzzer=bnn-index-fuzzer extra=(-rss_limit_mb=2048) ;;
  bnn-mlir) fuzzer=bnn-mlir-fuzzer extra=(-rss_limit_mb=2048 "-dict=$BNN_ROOT/test/Fuzz/bnn-mlir.dict") ;;
  safetensors) fuzzer=bnn-safetensors-fuzzer extra=(-rss_limit_mb=2048 "-dict=$BNN_ROOT/test/Fuzz/safetensors.dict") ;;
  npy) fuzzer=bnn-npy-fuzzer extra=(-rss_limit_mb=2048) ;;
  onebit) fuzzer=bnn-onebit-fuzzer extra=(-rss_limit_mb=2048) ;;
  *) echo "fuzz.sh: unknown target '$target' (onnx-import, gpu-bundle, bnn-mlir, index, safetensors, npy or onebit)" >&2; exit 2 ;;
esac

bnn_build_san "$fuzzer"
export ASAN_OPTIONS="$BNN_ASAN_OPTIONS" UBSAN_OPTIONS="$BNN_UBSAN_OPTIONS"
binary="$BNN_BUILD_SAN/bin/$fuzzer"
corpus="$BNN_ROOT/test/Fuzz/corpus/$target"
work="$BNN_BUILD_SAN/fuzz-campaigns/$target-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$work/new" "$work/artifacts" "$work/minimized"

bnn_log "Fuzzing $target for $minutes minute(s) in $work"
# Crashes, leaks, time-outs and OOMs do not end the campaign (fork mode keeps going); each one
# lands in artifacts/. The exit status is looked at through the artifacts, not here.
"$binary" -fork="${BNN_FUZZ_JOBS:-1}" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
  -max_total_time=$((minutes * 60)) -max_len="${BNN_FUZZ_MAX_LEN:-16384}" -timeout=60 "${extra[@]}" \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  "$work/new" "$corpus" 2>&1 | tee "$work/fuzz.log" | grep -E "^#|ERROR|SUMMARY|INFO: fuzzed" || true

bnn_log "Merging inputs with new coverage into $corpus"
before=$(ls "$corpus" | wc -l)
"$binary" -merge=1 "${extra[@]}" -timeout=60 "$corpus" "$work/new" >"$work/merge.log" 2>&1 ||
  { echo "merge failed, see $work/merge.log" >&2; exit 1; }
after=$(ls "$corpus" | wc -l)
echo "corpus: $before -> $after inputs"

findings=0
for artifact in "$work"/artifacts/*; do
  [ -f "$artifact" ] || continue
  findings=$((findings + 1))
  kind="$(basename "$artifact" | cut -d- -f1)" # crash, leak, timeout, oom, slow-unit
  minimized="$work/minimized/$(basename "$artifact")"
  bnn_log "Minimizing $(basename "$artifact")"
  if ! "$binary" -minimize_crash=1 -runs=20000 -timeout=60 "${extra[@]}" \
    -exact_artifact_path="$minimized" "$artifact" >"$minimized.log" 2>&1 ||
    [ ! -f "$minimized" ]; then
    cp "$artifact" "$minimized" # could not be minimized (e.g. a time-out): keep it whole
  fi
  name="regression-$kind-$(sha1sum "$minimized" | cut -c1-16)"
  cp "$minimized" "$corpus/$name"
  echo "  $corpus/$name ($(wc -c <"$minimized") bytes); reproduce: $binary $corpus/$name"
done

if ((findings)); then
  bnn_log "$findings finding(s), added to the corpus: fix them, then commit the corpus"
  exit 1
fi
bnn_log "No findings; commit the new corpus inputs (git status test/Fuzz/corpus)"
