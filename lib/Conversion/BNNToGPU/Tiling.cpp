//===- Tiling.cpp - target chips and GEMM tile selection ------------------===//
//
// The one place where the kernel and tile sizes of a binary GEMM are chosen. The inputs are
// the chip defaults below and GemmTilingOverrides: the pass options or, when none is given, an
// entry of the tuning database (docs/Tuning.md; looked up by convert-bnn-to-gpu).
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToGPU/BNNToGPU.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Error.h"

#include <algorithm>

using namespace mlir;

namespace bnn::gpugen {

FailureOr<ChipInfo> parseChip(llvm::StringRef chip) {
  ChipInfo info;
  info.name = chip.str();
  // Shared memory a block may opt into (cudaFuncAttributeMaxDynamicSharedMemorySize), from
  // the CUDA programming guide's table of compute capabilities. The least PTX version is
  // LLVM's for the chip (NVPTX.td: sm_86 7.1, sm_89 and sm_90 7.8, sm_90a 8.0) and at least
  // 7.1, where the b1 AND+POPC MMA appears (sm_80 with +ptx70 stops in instruction selection).
  struct Known {
    int smVersion;
    int64_t sharedBytes;
    int64_t multiprocessors; // A100, RTX 3090, RTX 4090, H100 SXM
    int minPtxVersion;
  };
  std::optional<Known> known = llvm::StringSwitch<std::optional<Known>>(chip)
                                   .Case("sm_80", Known{80, 163 * 1024, 108, 71})
                                   .Case("sm_86", Known{86, 99 * 1024, 82, 71})
                                   .Case("sm_89", Known{89, 99 * 1024, 128, 78})
                                   .Case("sm_90", Known{90, 227 * 1024, 132, 78})
                                   .Case("sm_90a", Known{90, 227 * 1024, 132, 80})
                                   .Default(std::nullopt);
  if (!known)
    return failure();
  info.smVersion = known->smVersion;
  info.maxSharedBytesPerBlock = known->sharedBytes;
  info.multiprocessors = known->multiprocessors;
  info.minPtxVersion = known->minPtxVersion;
  info.hasWgmma = chip == "sm_90a";
  return info;
}

llvm::StringRef getChipNames() { return "sm_80, sm_86, sm_89, sm_90 or sm_90a"; }

llvm::Expected<ChipInfo> parseChipOption(llvm::StringRef chip) {
  FailureOr<ChipInfo> info = parseChip(chip);
  if (failed(info))
    return llvm::createStringError("chip='" + chip + "': expected " + getChipNames());
  return std::move(*info);
}

llvm::Expected<int> parsePtxFeatures(llvm::StringRef features, const ChipInfo &chip) {
  // The PTX versions LLVM 22's NVPTX back end defines; it ignores any other +ptxNN with a
  // warning and then fails on the default (6.0) for every chip bnn supports.
  static constexpr int known[] = {32, 40, 41, 42, 43, 50, 60, 61, 62, 63, 64, 65, 70, 71, 72, 73,
                                  74, 75, 76, 77, 78, 80, 81, 82, 83, 84, 85, 86, 87, 88, 90};
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError("ptx-features='" + features + "': " + why);
  };
  int version = 0;
  llvm::StringRef digits = features;
  if (!digits.consume_front("+ptx") || digits.getAsInteger(10, version) ||
      !llvm::is_contained(known, version))
    return error("expected one '+ptxNN' feature, PTX ISA N.N, with NN one of 32, 40-43, 50, "
                 "60-65, 70-78, 80-88 or 90 (e.g. +ptx80)");
  if (version < chip.minPtxVersion)
    return error("PTX " + llvm::Twine(version / 10) + "." + llvm::Twine(version % 10) +
                 " is too old for " + chip.name + ", which needs at least +ptx" +
                 llvm::Twine(chip.minPtxVersion) + " (PTX " +
                 llvm::Twine(chip.minPtxVersion / 10) + "." +
                 llvm::Twine(chip.minPtxVersion % 10) + ")");
  return version;
}

llvm::Error checkGemmTilingOverrides(const ChipInfo &chip, const GemmTilingOverrides &overrides) {
  if (overrides.mma != "auto" && overrides.mma != "sync" && overrides.mma != "wgmma")
    return llvm::createStringError("mma='" + overrides.mma +
                                   "': expected auto, sync or wgmma");
  if (overrides.mma == "wgmma" && !chip.hasWgmma)
    return llvm::createStringError("mma=wgmma needs chip sm_90a, found " + chip.name);
  // The widest range any kernel accepts; selectGemmTiling narrows it per kernel.
  if (overrides.tileM != 0 &&
      (overrides.tileM < 16 || overrides.tileM > 256 || overrides.tileM % 16 != 0))
    return llvm::createStringError("tile-m=" + llvm::Twine(overrides.tileM) +
                                   ": expected 0 (chip default) or a multiple of 16 from 16 "
                                   "to 256");
  if (overrides.tileN != 0 &&
      (overrides.tileN < 64 || overrides.tileN > 256 || overrides.tileN % 64 != 0))
    return llvm::createStringError("tile-n=" + llvm::Twine(overrides.tileN) +
                                   ": expected 0 (chip default), 64, 128, 192 or 256");
  if (overrides.stages != 0 && (overrides.stages < 2 || overrides.stages > 8))
    return llvm::createStringError("stages=" + llvm::Twine(overrides.stages) +
                                   ": expected 0 (chip default) or 2 to 8");
  if (overrides.persistentBlocks < 0 || overrides.persistentBlocks > (1 << 20))
    return llvm::createStringError("persistent-blocks=" + llvm::Twine(overrides.persistentBlocks) +
                                   ": expected 0 (one block per tile) to 1048576");
  if (overrides.persistentBlocks > 0 && (!chip.hasWgmma || overrides.mma == "sync"))
    return llvm::createStringError("persistent-blocks needs the wgmma kernel (chip sm_90a, mma "
                                   "auto or wgmma), found chip " + chip.name + ", mma " +
                                   overrides.mma);
  return llvm::Error::success();
}

llvm::StringRef stringifyGemmKernelKind(GemmKernelKind kind) {
  switch (kind) {
  case GemmKernelKind::Gemv:
    return "gemv";
  case GemmKernelKind::MmaSync:
    return "mma_sync";
  case GemmKernelKind::Wgmma:
    return "wgmma";
  }
  llvm_unreachable("unknown GemmKernelKind");
}

PackGeometry selectPackGeometry(const ChipInfo &chip, int64_t rows, int64_t k,
                                int64_t elementBytes) {
  PackGeometry g;
  const int64_t words = (k + 63) / 64;
  // 64 bytes of loads in flight per lane and step (16 f32 or 32 f16/bf16/i1 loads), at most
  // the row.
  g.wordsPerStep = std::max<int64_t>(1, std::min<int64_t>(words, elementBytes >= 4 ? 8 : 16));
  const int64_t warpsPerBlock = g.blockSize / 32;
  const int64_t steps = (words + g.wordsPerStep - 1) / g.wordsPerStep;
  // Split rows over warps until there are about 16 warps per multiprocessor.
  const int64_t wantWarps = 16 * std::max<int64_t>(1, chip.multiprocessors);
  while (g.warpsPerRow < warpsPerBlock && g.warpsPerRow * 2 <= steps &&
         rows * g.warpsPerRow < wantWarps)
    g.warpsPerRow *= 2;
  return g;
}

GemvGeometry selectGemvGeometry(const ChipInfo &chip, int64_t n, int64_t k) {
  (void)chip;
  (void)n;
  (void)k;
  return GemvGeometry{};
}

int64_t GemmTiling::numThreads() const {
  switch (kind) {
  case GemmKernelKind::Gemv:
    return 256;
  case GemmKernelKind::MmaSync:
    return 32 * warpsM * warpsN;
  case GemmKernelKind::Wgmma:
    return 128 * warpsM;
  }
  llvm_unreachable("unknown GemmKernelKind");
}

int64_t GemmTiling::sharedMemoryBytes() const {
  if (kind == GemmKernelKind::Gemv)
    return 0;
  // Each stage holds tileM + tileN rows of kStageKBits bits (128 bytes).
  return stages * (tileM + tileN) * (kStageKBits / 8);
}

namespace {
/// The chip defaults: what runs best without tuning (to be replaced by the tuner's database).
GemmTiling defaultTiling(const ChipInfo &chip, GemmKernelKind kind, int64_t m, int64_t n) {
  GemmTiling t;
  t.kind = kind;
  if (kind == GemmKernelKind::Wgmma) {
    // Two consumer warpgroups of m64n256 each: a 128 x 256 tile, 128 accumulator registers per
    // thread; four 48 KiB stages keep two tiles in flight while the tensor cores work.
    t.tileM = 128;
    t.tileN = 256;
    t.warpsM = 2;
    t.warpsN = 1;
    t.stages = 4;
    return t;
  }
  // mma.sync. Small M (decode batches) uses a 16- or 64-row tile so that the tensor cores
  // are not mostly fed padding; the rhs is then streamed once per 16/64 rows, a memory-bound
  // job that needs every multiprocessor: the widest tile that still gives each one a block.
  auto columnsForSmallM = [&](int64_t widest) {
    for (int64_t tileN = widest; tileN > 64; tileN /= 2)
      if ((n + tileN - 1) / tileN >= chip.multiprocessors)
        return tileN;
    return int64_t(64);
  };
  if (m <= 16) {
    t.tileM = 16;
    t.tileN = columnsForSmallM(256);
  } else if (m <= 64) {
    t.tileM = 64;
    t.tileN = columnsForSmallM(128);
  } else {
    t.tileM = 128;
    t.tileN = 128;
  }
  // (The warps of an mma.sync tile are laid out by selectGemmTiling.)
  t.stages = chip.maxSharedBytesPerBlock >= 160 * 1024 ? 4 : 3;
  return t;
}
} // namespace

FailureOr<GemmTiling> selectGemmTiling(const ChipInfo &chip, int64_t m, int64_t n, int64_t k,
                                       const GemmTilingOverrides &overrides,
                                       function_ref<InFlightDiagnostic()> emitError) {
  if (llvm::Error error = checkGemmTilingOverrides(chip, overrides)) {
    emitError() << llvm::toString(std::move(error));
    return failure();
  }

  // A single lhs row is a matrix-vector product: the tensor cores would compute 15 rows of
  // padding per useful one, while streaming the rhs at memory bandwidth is the real bound.
  // (The mma option picks the GEMM instruction; it does not turn a GEMV into a GEMM.)
  if (m == 1) {
    GemmTiling t;
    t.kind = GemmKernelKind::Gemv;
    return t;
  }

  GemmKernelKind kind = GemmKernelKind::MmaSync;
  if (overrides.mma == "wgmma" || (overrides.mma == "auto" && chip.hasWgmma && m > 64))
    kind = GemmKernelKind::Wgmma;
  GemmTiling t = defaultTiling(chip, kind, m, n);
  // Stages beyond the number of K tiles only cost shared memory (and occupancy).
  const int64_t kTiles = (k + kStageKBits - 1) / kStageKBits;
  const int64_t minStages = kind == GemmKernelKind::Wgmma ? 3 : 2;
  t.stages = std::min(t.stages, std::max(minStages, kTiles + 1));

  if (overrides.tileM) {
    int64_t unit = kind == GemmKernelKind::Wgmma ? 64 : 16;
    if (overrides.tileM % unit != 0 || overrides.tileM > 256) {
      emitError() << "tile-m must be a multiple of " << unit << " and at most 256 for "
                  << stringifyGemmKernelKind(kind) << ", found " << overrides.tileM;
      return failure();
    }
    t.tileM = overrides.tileM;
  }
  if (overrides.tileN) {
    bool ok = kind == GemmKernelKind::Wgmma
                  ? (overrides.tileN == 64 || overrides.tileN == 128 || overrides.tileN == 256)
                  : (overrides.tileN % 64 == 0 && overrides.tileN <= 256);
    if (!ok) {
      emitError() << "tile-n must be "
                  << (kind == GemmKernelKind::Wgmma ? "64, 128 or 256"
                                                    : "a multiple of 64 and at most 256")
                  << " for " << stringifyGemmKernelKind(kind) << ", found " << overrides.tileN;
      return failure();
    }
    t.tileN = overrides.tileN;
  }
  if (overrides.stages) {
    if (overrides.stages < minStages || overrides.stages > 8) {
      emitError() << "stages must be between " << minStages << " and 8 for "
                  << stringifyGemmKernelKind(kind) << ", found " << overrides.stages;
      return failure();
    }
    t.stages = overrides.stages;
  }

  // Distribute warps over the tile: 8 warps for mma.sync, with warp tiles of 16..64 rows and
  // 32 columns (a packed epilogue needs each 32-column group inside one warp).
  if (kind == GemmKernelKind::MmaSync) {
    t.warpsN = std::min<int64_t>(8, t.tileN / 32);
    t.warpsM = std::max<int64_t>(1, std::min<int64_t>(8 / t.warpsN, t.tileM / 16));
    while (t.tileM / t.warpsM > 64)
      ++t.warpsM;
    if (t.tileM % (16 * t.warpsM) != 0) {
      emitError() << "tile-m " << t.tileM << " cannot be split over " << t.warpsM
                  << " warps of 16-row MMAs";
      return failure();
    }
  } else {
    t.warpsM = t.tileM / 64;
    t.warpsN = 1;
  }

  // A wgmma thread holds tileN / 2 accumulator registers (plus about 40 for addresses and the
  // pipeline); a block whose threads cannot all have them does not compile (ptxas stops with
  // "Insufficient registers", e.g. 256x256: 512 threads x 168 registers).
  if (kind == GemmKernelKind::Wgmma && t.numThreads() * (t.tileN / 2 + 40) > 65536) {
    emitError() << "tile " << t.tileM << "x" << t.tileN << " needs " << t.numThreads()
                << " threads with " << t.tileN / 2
                << " accumulator registers each, more than a multiprocessor's 65536 registers";
    return failure();
  }

  // Two blocks per multiprocessor when both fit: 64K registers (so at most 64 accumulator
  // registers per thread, tileN <= 128 for wgmma; 8 warps for mma.sync hold at most 64x32
  // warp tiles) and the shared memory of the part (plus 1 KiB per block reserved by CUDA).
  if (kind == GemmKernelKind::Wgmma && t.tileN <= 128 &&
      2 * (t.sharedMemoryBytes() + 1024) <= chip.maxSharedBytesPerBlock + 1024 &&
      t.numThreads() <= 256)
    t.blocksPerMultiprocessor = 2;

  // One block per output tile. (persistentBlocks > 0 makes the wgmma kernel persistent,
  // min(tiles, multiprocessors * blocksPerMultiprocessor) blocks; on the H100 it measured
  // 0.212 ms against 0.178 ms at 8192^3 and 0.039 against 0.041 ms at 4096^3, so it is left
  // to the tuner.)
  t.persistentBlocks = 0;
  if (overrides.persistentBlocks > 0) {
    if (kind != GemmKernelKind::Wgmma) {
      emitError() << "a persistent kernel needs wgmma, found " << stringifyGemmKernelKind(kind);
      return failure();
    }
    t.persistentBlocks = overrides.persistentBlocks;
  }

  if (t.sharedMemoryBytes() > chip.maxSharedBytesPerBlock) {
    emitError() << "tile " << t.tileM << "x" << t.tileN << " with " << t.stages
                << " stages needs " << t.sharedMemoryBytes() << " bytes of shared memory, but "
                << chip.name << " allows " << chip.maxSharedBytesPerBlock << " per block";
    return failure();
  }
  return t;
}

} // namespace bnn::gpugen
