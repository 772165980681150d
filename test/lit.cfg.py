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
tools = ["bnn-opt", "bnn-translate", "bnn-run", "bnn-onnx-conformance", "bnn-gpu-bundle-info"]
llvm_config.add_tool_substitutions(tools, [config.bnn_tools_dir])

# The CPU benchmark is built where OpenBLAS is installed (benchmarks/CMakeLists.txt).
if os.access(os.path.join(config.bnn_tools_dir, "bnn-bench-cpu"), os.X_OK):
    config.available_features.add("bnn-bench-cpu")

# The ONNX importer's libFuzzer binary, built by a clang configuration (frontend/CMakeLists.txt).
if config.bnn_onnx_fuzzer and os.path.exists(config.bnn_onnx_fuzzer):
    config.available_features.add("onnx-fuzzer")
    config.substitutions.append(("%onnx_fuzzer", config.bnn_onnx_fuzzer))

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
