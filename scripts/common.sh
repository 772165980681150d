# Shared by scripts/demo.sh and scripts/test.sh: install what is missing, configure, build.
# Source it; it defines bnn_setup and bnn_build and sets BNN_ROOT / BNN_BUILD.

BNN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BNN_BUILD="${BNN_BUILD:-$BNN_ROOT/build}"
# The sanitized clang build (ASan + UBSan, and the libFuzzer targets), see bnn_configure_san.
BNN_BUILD_SAN="${BNN_BUILD_SAN:-$BNN_ROOT/build-san}"
BNN_LLVM_DIR=/usr/lib/llvm-22
# ccache rewrites paths under the checkout relative to the build folder, so that a fresh clone
# in another folder hits the objects another clone compiled.
export CCACHE_BASEDIR="$BNN_ROOT"
# Runtime options of the sanitized build (the lit suite sets the same in test/lit.cfg.py): see
# docs/Testing.md for why allow_user_poisoning is off.
BNN_ASAN_OPTIONS="allow_user_poisoning=0:abort_on_error=1:detect_leaks=1"
BNN_UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"

# Debian packages bnn needs to build and test (CPU only; the CUDA toolkit is optional).
BNN_PACKAGES=(
  cmake ninja-build g++ ccache
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libgtest-dev libomp-22-dev libopenblas-dev
  # ONNX frontend: the ONNX library, its test data, python3-onnx for the model generators, and
  # clang with libFuzzer and the sanitizer runtimes for the sanitized build (build-san/).
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata python3-onnx python3-numpy
  clang libclang-rt-dev
  # Independent references of the tests and baselines of the benchmarks (linked or imported by
  # them only, never by bnn): FAISS (Hamming search agreement), SciPy (bnn-embed's metrics),
  # PyTorch (attention, checkpoints, compression), oneDNN (low-bit GEMM baseline).
  libfaiss-dev python3-scipy python3-torch libdnnl-dev
)

bnn_log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

bnn_setup() {
  local missing=()
  for pkg in "${BNN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    bnn_log "Installing missing packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# Configures build directory $1 (once; later builds are incremental) with the compilers and
# extra CMake arguments that follow, ccache and lld when present.
bnn_configure_dir() {
  local dir="$1" what="$2"
  shift 2
  if [ -f "$dir/build.ninja" ]; then
    return
  fi
  bnn_log "Configuring $what in $dir"
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  local linker=()
  command -v ld.lld >/dev/null && linker=(-DLLVM_USE_LINKER=lld)
  cmake -G Ninja -S "$BNN_ROOT" -B "$dir" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$BNN_LLVM_DIR/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$BNN_LLVM_DIR/bin/lit" \
    "${launcher[@]}" "${linker[@]}" "$@"
}

bnn_configure() {
  bnn_configure_dir "$BNN_BUILD" "the build" -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
}

# The sanitized build in $BNN_BUILD_SAN: clang, -DBNN_SANITIZE=address,undefined and
# -DBNN_FUZZERS=ON (one build directory for the sanitized suites and the fuzz targets), -O1 as
# OSS-Fuzz builds, with line tables for symbolized reports.
bnn_configure_san() {
  bnn_configure_dir "$BNN_BUILD_SAN" "the sanitized build" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    "-DCMAKE_C_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
    -DBNN_SANITIZE=address,undefined -DBNN_FUZZERS=ON
}

# Builds the given targets (all by default) with as many jobs as the machine has cores.
bnn_build() {
  bnn_setup
  bnn_configure
  bnn_log "Building ${*:-all}"
  cmake --build "$BNN_BUILD" -j "$(nproc)" ${1:+--target "$@"}
}

# Builds the given targets of the sanitized build (all by default).
bnn_build_san() {
  bnn_setup
  bnn_configure_san
  bnn_log "Building ${*:-all} (sanitized, $BNN_BUILD_SAN)"
  cmake --build "$BNN_BUILD_SAN" -j "$(nproc)" ${1:+--target "$@"}
}
