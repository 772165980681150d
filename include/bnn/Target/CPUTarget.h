//===- CPUTarget.h - what bnn knows about an x86 CPU target -----*- C++ -*-===//
//
// The one place that maps a CPU target name (`native`, `amx`, `avx512`, `avx2`, `generic`) to
// the decisions code generation takes from it: the vector width of the XOR/popcount loop, the
// register block of the micro-kernel, the cache/thread tile sizes of bnn-tile, which low-bit
// GEMM method runs (register kernels or the runtime's AMX kernel), and the LLVM CPU and
// features the code is compiled for. These are the defaults: bnn-tile's tile sizes are
// overridden per shape class by the tuning database (tuning/cpu-<target>.json, docs/Tuning.md).
//
//===----------------------------------------------------------------------===//

#ifndef BNN_TARGET_CPUTARGET_H
#define BNN_TARGET_CPUTARGET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir {
class Operation;
} // namespace mlir

namespace bnn {

struct CPUTargetInfo {
  /// Canonical name: amx, avx512, avx2 or generic (`native` resolves to one of them).
  std::string name;
  /// 64-bit words per vector in the XOR/popcount loop (8 = 512 bits, 4 = 256, 1 = scalar).
  int64_t vectorWords = 1;
  /// Micro-kernel register block: rows of lhs x rows of rhs accumulated at once.
  int64_t registerRows = 1;
  int64_t registerCols = 1;
  /// Columns of the single-row block (GEMV, and rows left over below registerRows): with one
  /// lhs row live, more rhs rows fit, and a multiple of vectorWords reduces with one add tree.
  int64_t singleRowCols = 1;
  /// Outer-product micro-kernel (0 rows: not used): outerRows lhs rows x outerPanels panels of
  /// vectorWords rhs rows, so outerRows * outerPanels accumulators each holding vectorWords
  /// outputs. Used for products of at least outerProductMinRows rows (static), where
  /// interleaving the rhs into panels pays for itself; fewer rows use the dot-product block.
  int64_t outerRows = 0;
  int64_t outerPanels = 1;
  int64_t outerProductMinRows = 8;
  /// bnn-tile's default tile of the output (rows x columns): one unit of thread parallelism,
  /// sized so that the rhs panel it reads stays in L2.
  int64_t tileRows = 64;
  int64_t tileCols = 256;
  /// Least work (64-bit word operations) for which a kernel runs on several threads: below
  /// it, forking and joining threads costs more than the work itself.
  int64_t minParallelWork = int64_t(1) << 16;
  /// How the low-bit kernels (bnn.lowbit_matmul, bnn.lowbit_linear) multiply int8 activations
  /// by weights unpacked from bits to bytes in registers: `vpdpbusd` (AVX-512 VNNI, 64 byte
  /// products per instruction), `vpmaddubsw` + `vpmaddwd` (AVX2, 32 per pair), or plain vector
  /// arithmetic (widening multiplies and a reduction) on other targets.
  enum class Int8Dot { Vnni, MaddUbs, Plain };
  Int8Dot int8Dot = Int8Dot::Plain;
  /// Register block of the low-bit kernels: activation rows x weight rows accumulated at once.
  int64_t lowBitRows = 1;
  int64_t lowBitCols = 1;
  /// How int8 x ternary and int8 x binary products (bnn.lowbit_matmul, bnn.lowbit_linear) of
  /// at least amxMinRows activation rows run: the register-blocked kernel above (Registers,
  /// every target) or a call of the runtime's AMX-INT8 micro-kernel (Amx:
  /// bnn_ukernel_int8_lowbit_gemm, bnn/runtime/LowBitGemm.h), which keeps the weights as bits
  /// in memory and unpacks panels of them to +-1/0 int8 tiles reused by every row block.
  /// Fewer rows (GEMV, small batches) stream the bits through the register kernel.
  /// Measured in docs/CPU.md.
  enum class LowBitGemm { Registers, Amx };
  LowBitGemm lowBitGemm = LowBitGemm::Registers;
  int64_t amxMinRows = 0;
  /// What LLVM compiles for: a CPU name and a feature string (`+avx2,+popcnt,...`).
  std::string llvmCPU;
  std::string llvmFeatures;
};

/// The target names accepted by the `target` options of bnn's CPU passes and tools.
llvm::StringRef getCPUTargetNames();

/// The help text of every CPU `target` option (tools, pipeline; the passes' .td says the same).
inline constexpr const char kCPUTargetOptionHelp[] =
    "CPU target: native (this machine), amx, avx512, avx2 or generic";

/// Resolves `name` (native, amx, avx512, avx2, generic) to its code generation decisions;
/// `native` asks the host CPU. Fails with a message naming the valid targets for anything else.
llvm::Expected<CPUTargetInfo> getCPUTargetInfo(llvm::StringRef name);

/// The `target` option of a CPU pass: getCPUTargetInfo(name), or, for an unknown name, the
/// one diagnostic every pass gives, on `op`: "<pass>: unknown CPU target 'x' (expected one of
/// native, amx, avx512, avx2, generic)". The pass then signals failure.
std::optional<CPUTargetInfo> resolveCPUTargetOption(mlir::Operation *op, llvm::StringRef pass,
                                                    llvm::StringRef name);

/// True when the host can run code compiled for `info` (used by tests to skip what the machine
/// cannot execute).
bool hostSupports(const CPUTargetInfo &info);

/// The tuning database chip of a target's XNOR tiles (`cpu-<name>`, docs/Tuning.md). `amx`
/// shares avx512's XNOR kernels (it differs only in the low-bit GEMM method), so it shares
/// their tuned tiles: `cpu-avx512`.
std::string cpuTuningChip(const CPUTargetInfo &info);

} // namespace bnn

#endif // BNN_TARGET_CPUTARGET_H
