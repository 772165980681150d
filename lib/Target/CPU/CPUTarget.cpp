//===- CPUTarget.cpp - CPU target decisions -------------------------------===//

#include "bnn/Target/CPUTarget.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/TargetParser/Host.h"

using namespace bnn;

namespace {

/// The CPU targets, one row each (the fields of CPUTargetInfo, in its order).
struct TargetRow {
  const char *name;
  int64_t vectorWords, registerRows, registerCols, singleRowCols, outerRows, outerPanels,
      tileRows, tileCols;
  CPUTargetInfo::Int8Dot int8Dot;
  int64_t lowBitRows, lowBitCols;
  CPUTargetInfo::LowBitGemm lowBitGemm;
  int64_t amxMinRows;
  const char *llvmCPU, *llvmFeatures;
};

using Int8Dot = CPUTargetInfo::Int8Dot;
using LowBitGemm = CPUTargetInfo::LowBitGemm;

constexpr const char kAvx512Features[] =
    "+avx512f,+avx512bw,+avx512dq,+avx512vl,+avx512vpopcntdq,+avx512vnni,+avx2,+popcnt";

const TargetRow kTargets[] = {
    // avx512 plus AMX-INT8 (Sapphire Rapids and later): the same generated code, except that
    // int8 x ternary / binary products of at least amxMinRows rows call the runtime's AMX
    // micro-kernel (docs/CPU.md: measured crossover against the vpdpbusd kernel).
    {"amx", /*vectorWords=*/8, /*registerRows=*/4, /*registerCols=*/4, /*singleRowCols=*/8,
     /*outerRows=*/4, /*outerPanels=*/4, /*tileRows=*/64, /*tileCols=*/256, Int8Dot::Vnni,
     /*lowBitRows=*/4, /*lowBitCols=*/4, LowBitGemm::Amx, /*amxMinRows=*/8, "icelake-server",
     kAvx512Features},
    // AVX-512 VPOPCNTDQ (32 zmm registers). Dot-product block: 4 x 4 zmm accumulators + 4 + 4
    // operands. Outer-product block: 4 x 4 zmm accumulators (128 outputs) + 4 panel vectors + a
    // broadcast lhs word. Ice Lake server is the first x86-64-v4 core with VPOPCNTDQ; it has
    // VNNI too, so int8 x low-bit products use vpdpbusd (4 x 4 zmm accumulators).
    {"avx512", /*vectorWords=*/8, /*registerRows=*/4, /*registerCols=*/4, /*singleRowCols=*/8,
     /*outerRows=*/4, /*outerPanels=*/4, /*tileRows=*/64, /*tileCols=*/256, Int8Dot::Vnni,
     /*lowBitRows=*/4, /*lowBitCols=*/4, LowBitGemm::Registers, /*amxMinRows=*/0,
     "icelake-server", kAvx512Features},
    // AVX2 (16 ymm registers); its popcount sequence (vpshufb nibble table) keeps three constants
    // live. Dot-product block: 2 x 3 accumulators + 2 + 3 operands fit without spills.
    // Outer-product block: 2 x 3 accumulators + 3 panel vectors + a broadcast word.
    {"avx2", /*vectorWords=*/4, /*registerRows=*/2, /*registerCols=*/3, /*singleRowCols=*/4,
     /*outerRows=*/2, /*outerPanels=*/3, /*tileRows=*/64, /*tileCols=*/192, Int8Dot::MaddUbs,
     /*lowBitRows=*/2, /*lowBitCols=*/2, LowBitGemm::Registers, /*amxMinRows=*/0, "haswell",
     "+avx2,+popcnt,-avx512f"},
    // Baseline x86-64, scalar words: no popcnt instruction, so LLVM expands ctpop into bit
    // arithmetic; no outer-product form.
    {"generic", /*vectorWords=*/1, /*registerRows=*/2, /*registerCols=*/2, /*singleRowCols=*/4,
     /*outerRows=*/0, /*outerPanels=*/1, /*tileRows=*/64, /*tileCols=*/256, Int8Dot::Plain,
     /*lowBitRows=*/1, /*lowBitCols=*/2, LowBitGemm::Registers, /*amxMinRows=*/0, "x86-64",
     ""},
};

CPUTargetInfo makeTarget(llvm::StringRef name) {
  for (const TargetRow &row : kTargets) {
    if (name != row.name)
      continue;
    CPUTargetInfo info;
    info.name = row.name;
    info.vectorWords = row.vectorWords;
    info.registerRows = row.registerRows;
    info.registerCols = row.registerCols;
    info.singleRowCols = row.singleRowCols;
    info.outerRows = row.outerRows;
    info.outerPanels = row.outerPanels;
    info.tileRows = row.tileRows;
    info.tileCols = row.tileCols;
    info.int8Dot = row.int8Dot;
    info.lowBitRows = row.lowBitRows;
    info.lowBitCols = row.lowBitCols;
    info.lowBitGemm = row.lowBitGemm;
    info.amxMinRows = row.amxMinRows;
    info.llvmCPU = row.llvmCPU;
    info.llvmFeatures = row.llvmFeatures;
    return info;
  }
  llvm_unreachable("not a row of kTargets");
}

bool hostHas(llvm::StringRef feature) {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto it = features.find(feature);
  return it != features.end() && it->second;
}

bool hostHasAvx512() {
  return hostHas("avx512vpopcntdq") && hostHas("avx512f") && hostHas("avx512bw") &&
         hostHas("avx512vnni");
}

/// What the runtime's AMX kernel needs besides avx512 (it also asks Linux for the tile state,
/// and runs its portable path if refused).
bool hostHasAmx() {
  return hostHasAvx512() && hostHas("amx-tile") && hostHas("amx-int8") && hostHas("avx512bitalg");
}

} // namespace

llvm::StringRef bnn::getCPUTargetNames() { return "native, amx, avx512, avx2, generic"; }

llvm::Expected<CPUTargetInfo> bnn::getCPUTargetInfo(llvm::StringRef name) {
  if (name == "native") {
    if (hostHasAmx())
      return makeTarget("amx");
    if (hostHasAvx512())
      return makeTarget("avx512");
    return makeTarget(hostHas("avx2") ? "avx2" : "generic");
  }
  for (const TargetRow &row : kTargets)
    if (name == row.name)
      return makeTarget(name);
  return llvm::createStringError("unknown CPU target '" + name.str() + "' (expected one of " +
                                 getCPUTargetNames().str() + ")");
}

std::optional<CPUTargetInfo> bnn::resolveCPUTargetOption(mlir::Operation *op,
                                                         llvm::StringRef pass,
                                                         llvm::StringRef name) {
  llvm::Expected<CPUTargetInfo> info = getCPUTargetInfo(name);
  if (info)
    return std::move(*info);
  op->emitError() << pass << ": " << llvm::toString(info.takeError());
  return std::nullopt;
}

bool bnn::hostSupports(const CPUTargetInfo &info) {
  if (info.name == "amx")
    return hostHasAmx();
  if (info.name == "avx512")
    return hostHasAvx512();
  if (info.name == "avx2")
    return hostHas("avx2");
  return true;
}

std::string bnn::cpuTuningChip(const CPUTargetInfo &info) {
  return "cpu-" + (info.name == "amx" ? std::string("avx512") : info.name);
}
