//===- CPUTarget.cpp - CPU target decisions -------------------------------===//

#include "bnn/Target/CPUTarget.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

using namespace bnn;

namespace {

CPUTargetInfo makeAvx512() {
  CPUTargetInfo info;
  info.name = "avx512";
  info.vectorWords = 8;
  // 16 zmm accumulators + 4 + 4 operand registers of the 32 AVX-512 has.
  info.registerRows = 4;
  info.registerCols = 4;
  info.singleRowCols = 8;
  // 4 x 4 zmm accumulators (128 outputs) + 4 panel vectors + a broadcast lhs word.
  info.outerRows = 4;
  info.outerPanels = 4;
  info.tileRows = 64;
  info.tileCols = 256;
  // Ice Lake server is the first x86-64-v4 core with VPOPCNTDQ.
  info.llvmCPU = "icelake-server";
  info.llvmFeatures = "+avx512f,+avx512bw,+avx512dq,+avx512vl,+avx512vpopcntdq,+avx2,+popcnt";
  return info;
}

CPUTargetInfo makeAvx2() {
  CPUTargetInfo info;
  info.name = "avx2";
  info.vectorWords = 4;
  // AVX2 has 16 ymm registers and its popcount sequence (vpshufb nibble table) keeps three
  // constants live: 2 x 3 accumulators + 2 + 3 operands fit without spills.
  info.registerRows = 2;
  info.registerCols = 3;
  info.singleRowCols = 4;
  // 2 x 3 ymm accumulators + 3 panel vectors + a broadcast word + the popcount constants.
  info.outerRows = 2;
  info.outerPanels = 3;
  info.tileRows = 64;
  info.tileCols = 192;
  info.llvmCPU = "haswell";
  info.llvmFeatures = "+avx2,+popcnt,-avx512f";
  return info;
}

CPUTargetInfo makeGeneric() {
  CPUTargetInfo info;
  info.name = "generic";
  info.vectorWords = 1;
  info.registerRows = 2;
  info.registerCols = 2;
  info.singleRowCols = 4;
  info.tileRows = 64;
  info.tileCols = 256;
  // Baseline x86-64: no popcnt instruction, so LLVM expands ctpop into bit arithmetic.
  info.llvmCPU = "x86-64";
  info.llvmFeatures = "";
  return info;
}

bool hostHas(llvm::StringRef feature) {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto it = features.find(feature);
  return it != features.end() && it->second;
}

} // namespace

llvm::StringRef bnn::getCPUTargetNames() { return "native, avx512, avx2, generic"; }

llvm::Expected<CPUTargetInfo> bnn::getCPUTargetInfo(llvm::StringRef name) {
  if (name == "avx512")
    return makeAvx512();
  if (name == "avx2")
    return makeAvx2();
  if (name == "generic")
    return makeGeneric();
  if (name == "native") {
    if (hostHas("avx512vpopcntdq") && hostHas("avx512f") && hostHas("avx512bw"))
      return makeAvx512();
    if (hostHas("avx2"))
      return makeAvx2();
    return makeGeneric();
  }
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
  if (info.name == "avx512")
    return hostHas("avx512vpopcntdq") && hostHas("avx512f") && hostHas("avx512bw");
  if (info.name == "avx2")
    return hostHas("avx2");
  return true;
}
