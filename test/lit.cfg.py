# -*- Python -*-
# lit configuration of the bnn regression tests (check-bnn).

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "BNN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.bnn_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unittests", "Inputs"]

config.substitutions.append(("%bnn_src_root", config.bnn_src_root))
config.substitutions.append(("%bnn_obj_root", config.bnn_obj_root))
# Debian's interpreter, which has python3-onnx and python3-numpy (a python3 earlier on PATH may not).
config.substitutions.append(("%python", "/usr/bin/python3"))
# Debian's libonnx-testdata: the ONNX backend node tests.
config.substitutions.append(("%onnx_testdata", "/usr/share/libonnx-testdata/data/node"))
# Caps the address space of a test whose input declares far more than it holds (a splat of 4e9
# rows): a regression that allocates the declared size then fails at once instead of running
# the machine out of memory. ASan reserves terabytes of shadow memory, so a build sanitized
# with it runs uncapped.
config.substitutions.append(
    ("%{limit-memory}",
     "" if "address" in getattr(config, "bnn_sanitize", "") else "ulimit -v 4000000;"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# FileCheck, not and count come from LLVM's tool folder (Debian: /usr/lib/llvm-22/bin), which is
# not on PATH by default; bnn's own tools come first.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.bnn_tools_dir, append_path=True)
tools = [
    "bnn-opt",
    "bnn-translate",
    "bnn-run",
    "bnn-onnx-conformance",
    "bnn-gpu-bundle-info",
    "bnn-embed",
    "bnn-checkpoint",
    "bnn-sample-check",
    "bnn-compress",
    "bnn-tune",
]
llvm_config.add_tool_substitutions(tools, [config.bnn_tools_dir])

# Debian's python3-torch in %python: tests that check interoperability with PyTorch need it.
import subprocess as _subprocess

try:
    if _subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode == 0:
        config.available_features.add("torch")
except OSError:
    pass

# The CPU benchmark is built where OpenBLAS is installed (benchmarks/CMakeLists.txt).
if os.access(os.path.join(config.bnn_tools_dir, "bnn-bench-cpu"), os.X_OK):
    config.available_features.add("bnn-bench-cpu")

# The libFuzzer targets of a clang build with -DBNN_FUZZERS=ON (scripts/test.sh: build-san/);
# test/Fuzz/ replays their committed corpora and then a fixed number of seeded mutations.
if config.bnn_fuzzers:
    config.available_features.add("fuzzer")
    # The seeded fixed-run fuzz tests repeat exactly only without address-space randomization:
    # MLIR and LLVM hash pointers, so coverage (and with it the inputs libFuzzer keeps and
    # mutates next) depends on where the heap lies. `setarch -R` turns randomization off for the
    # fuzzer alone (%norandomize; empty where the kernel refuses, and the runs then vary).
    import platform
    import subprocess

    norandomize = ["setarch", platform.machine(), "-R"]
    try:
        usable = subprocess.run(norandomize + ["true"], capture_output=True).returncode == 0
    except OSError:
        usable = False
    config.substitutions.append(("%norandomize", " ".join(norandomize) if usable else ""))
    for fuzzer in [
        "bnn-onnx-fuzzer",
        "bnn-gpu-bundle-fuzzer",
        "bnn-mlir-fuzzer",
        "bnn-index-fuzzer",
        "bnn-npy-fuzzer",
        "bnn-safetensors-fuzzer",
        "bnn-onebit-fuzzer",
    ]:
        config.substitutions.append(
            ("%" + fuzzer.replace("-", "_"), os.path.join(config.bnn_tools_dir, fuzzer))
        )

# A sanitized build (-DBNN_SANITIZE=address,undefined): LLVM's BumpPtrAllocator poisons its
# slabs by hand under AddressSanitizer, and its inline copies in bnn's instrumented code and in
# Debian's uninstrumented MLIR libraries disagree about what is poisoned, so manual poisoning is
# off (ASan's own redzones around every heap block still catch overflows and use-after-free).
# Reports abort the process, so a test fails on its first report.
if config.bnn_sanitize:
    config.available_features.add("sanitized")
    for sanitizer in config.bnn_sanitize.split(","):
        config.available_features.add("sanitize-" + sanitizer.strip())
    config.environment["ASAN_OPTIONS"] = (
        "allow_user_poisoning=0:abort_on_error=1:detect_leaks=1"
    )
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:abort_on_error=1"

# GPU code generation: where the CUDA toolkit is installed, ptxas assembles the generated PTX
# (tests with `REQUIRES: ptxas`); elsewhere those tests are reported as unsupported.
import shutil

ptxas = shutil.which("ptxas")
if not ptxas and os.access("/usr/local/cuda/bin/ptxas", os.X_OK):
    ptxas = "/usr/local/cuda/bin/ptxas"
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
config.excludes.append("gen_sweep.py")
