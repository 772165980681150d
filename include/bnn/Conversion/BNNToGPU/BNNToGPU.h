//===- BNNToGPU.h - bnn to GPU lowering: targets and tiling -----*- C++ -*-===//
//
// What convert-bnn-to-gpu knows about target chips, and the one place where GEMM kernels and
// their tile sizes are chosen (selectGemmTiling). The autotuner that will choose tile sizes
// later plugs in here, through GemmTilingOverrides.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_CONVERSION_BNNTOGPU_BNNTOGPU_H
#define BNN_CONVERSION_BNNTOGPU_BNNTOGPU_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace bnn::gpugen {

/// A target chip as far as code generation cares.
struct ChipInfo {
  std::string name;                 ///< "sm_90a"
  int smVersion = 0;                ///< 80, 86, 89, 90
  bool hasWgmma = false;            ///< sm_90a: wgmma with b1 operands
  int64_t maxSharedBytesPerBlock = 0; ///< opt-in dynamic shared memory limit per block
  int64_t multiprocessors = 0;      ///< of the usual part (A100: 108, H100 SXM: 132), for
                                    ///< sizing grids; a heuristic, not a requirement
  int minPtxVersion = 0;            ///< least PTX ISA version (x10) for the chip and the b1
                                    ///< AND+POPC MMA (PTX 7.1): 71, 78 or 80
};

/// Parses "sm_80", "sm_86", "sm_89", "sm_90" or "sm_90a". Fails for anything else (the b1
/// AND+POPC tensor-core MMA needs sm_80 or newer).
mlir::FailureOr<ChipInfo> parseChip(llvm::StringRef chip);

/// The valid chip names, for messages.
llvm::StringRef getChipNames();

/// parseChip for a `chip` option: fails with "chip='x': expected sm_80, ...".
llvm::Expected<ChipInfo> parseChipOption(llvm::StringRef chip);

/// Parses an NVPTX feature string for `chip`: one `+ptxNN` (PTX ISA N.N, a version LLVM's
/// NVPTX back end defines), at least `chip.minPtxVersion`. Returns the version x10, or an error
/// naming the option, the value and the valid range (instead of LLVM's fatal error later).
llvm::Expected<int> parsePtxFeatures(llvm::StringRef features, const ChipInfo &chip);

/// Which kernel computes a bnn.xnor_popcount.
enum class GemmKernelKind {
  Gemv,     ///< M = 1: CUDA cores stream the rhs, popc(a XOR b)
  MmaSync,  ///< warp-level mma.sync.m16n8k256 b1 AND+POPC
  Wgmma,    ///< warpgroup-level wgmma.m64nNk256 b1 AND+POPC (sm_90a)
};
llvm::StringRef stringifyGemmKernelKind(GemmKernelKind kind);

/// Bits of K that one shared-memory pipeline stage holds per row: one 128-byte row of the
/// 128-byte swizzle atom that wgmma reads (and that the mma.sync kernel shares).
constexpr int64_t kStageKBits = 1024;
constexpr int64_t kStageKWords = kStageKBits / 64;

/// How a bnn.xnor_popcount is computed.
struct GemmTiling {
  GemmKernelKind kind = GemmKernelKind::Gemv;
  int64_t tileM = 0;   ///< lhs rows per thread block
  int64_t tileN = 0;   ///< rhs rows (output columns) per thread block
  int64_t warpsM = 0;  ///< MmaSync: warps along M; Wgmma: warpgroups along M (64 rows each)
  int64_t warpsN = 0;  ///< MmaSync: warps along N; Wgmma: 1
  int64_t stages = 0;  ///< shared-memory stages of kStageKBits bits of K each
  /// Thread blocks that should share a multiprocessor (> 1: the kernel asks ptxas to keep
  /// registers low enough, `.minnctapersm`), so one block's epilogue stores overlap another
  /// block's main loop.
  int64_t blocksPerMultiprocessor = 1;
  /// Wgmma: > 0 makes the kernel persistent with this many thread blocks, each walking the
  /// output tiles b, b + blocks, ... with one shared-memory pipeline across tile boundaries
  /// (the next tile's first K tiles load while this one's epilogue stores); 0: one block per
  /// output tile.
  int64_t persistentBlocks = 0;

  int64_t numThreads() const;
  int64_t sharedMemoryBytes() const;
};

/// Explicit choices (pass options today, the autotuner's database later). Zero / "auto" means
/// "use the chip default".
struct GemmTilingOverrides {
  std::string mma = "auto"; ///< auto, sync or wgmma
  int64_t tileM = 0;
  int64_t tileN = 0;
  int64_t stages = 0;
  /// Wgmma: > 0 makes the kernel persistent with this many blocks.
  int64_t persistentBlocks = 0;

  /// True when a pass option chose any of mma, tile-m, tile-n, stages or persistent-blocks:
  /// the tuning database is then not consulted (explicit options win).
  bool isExplicit() const { return mma != "auto" || tileM || tileN || stages || persistentBlocks; }
};

/// Checks the overrides that do not depend on a product's shape (spelling of `mma`, wgmma on
/// a chip that has it, the ranges of tile-m, tile-n and stages for any kernel), so that a bad
/// option fails where it is given, not at the first GEMM (or never, in a module without one).
llvm::Error checkGemmTilingOverrides(const ChipInfo &chip, const GemmTilingOverrides &overrides);

/// Chooses the kernel and tiling for an M x N x K binary product on `chip`. Reports (through
/// `emitError`) and fails when an override is invalid for the chip or the shape.
/// Geometry of the warp-cooperative pack kernel: every warp converts `wordsPerStep`
/// consecutive 64-bit words of one row per step (lane l reads elements 32*j + l of the step's
/// 64*wordsPerStep, so every load instruction of the warp is one contiguous segment, and one
/// ballot per 32 elements yields the LSB-first bits); `warpsPerRow` warps of a block share a
/// row when there are too few rows to fill the machine.
struct PackGeometry {
  int64_t wordsPerStep = 8;
  int64_t warpsPerRow = 1;
  int64_t blockSize = 256;
};
PackGeometry selectPackGeometry(const ChipInfo &chip, int64_t rows, int64_t k,
                                int64_t elementBytes);

/// Geometry of the GEMV (M = 1): groups of up to 32 lanes per rhs row read 16-byte vectors;
/// every group works on `rowsPerGroup` rhs rows at once, and when every lane runs at most
/// `maxUnrolledSteps` steps along K they are unrolled with all loads issued first.
struct GemvGeometry {
  int64_t rowsPerGroup = 8;
  int64_t maxUnrolledSteps = 4;
  int64_t blockSize = 256;
};
GemvGeometry selectGemvGeometry(const ChipInfo &chip, int64_t n, int64_t k);

mlir::FailureOr<GemmTiling>
selectGemmTiling(const ChipInfo &chip, int64_t m, int64_t n, int64_t k,
                 const GemmTilingOverrides &overrides,
                 llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

} // namespace bnn::gpugen

#endif // BNN_CONVERSION_BNNTOGPU_BNNTOGPU_H
