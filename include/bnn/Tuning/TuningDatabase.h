//===- TuningDatabase.h - bnn's tuning database (tuning/<chip>.json) -*- C++ -*-===//
//
// The tuning database bnn-tune writes and the GPU and CPU pipelines read (docs/Tuning.md): one
// JSON file per chip (`tuning/sm_90a.json`, `tuning/cpu-avx512.json`), entries keyed by kernel
// kind and shape class, each recording the chosen parameters, where and when they were measured
// and the measured time, or `"untuned": true` for an entry derived from the defaults.
//
// Plain LLVM Support (llvm::json); no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_TUNING_TUNINGDATABASE_H
#define BNN_TUNING_TUNINGDATABASE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bnn::tuning {

/// The kernel kinds with tunable parameters.
inline constexpr const char kGpuXnorGemm[] = "gpu.xnor_gemm";     ///< bnn.xnor_popcount, M > 1
inline constexpr const char kCpuXnorMatmul[] = "cpu.xnor_matmul"; ///< bnn-tile's output tiles

/// A shape class: M in one of four buckets, N and K (bits) rounded up to a power of two.
struct ShapeClass {
  /// The largest M of the bucket: 1, 16, 64, or 0 for "more than 64".
  int64_t mBucket = 0;
  int64_t n = 0; ///< the least power of two >= N
  int64_t k = 0; ///< the least power of two >= K (bits)

  bool operator==(const ShapeClass &other) const {
    return mBucket == other.mBucket && n == other.n && k == other.k;
  }
  /// "m<=16 n1024 k4096" (for messages and remarks).
  std::string str() const;
  /// The JSON spelling of the M bucket: "1", "<=16", "<=64" or ">64".
  std::string mBucketName() const;
};

/// The class of an M x N x K product (every dimension at least 1).
ShapeClass classifyShape(int64_t m, int64_t n, int64_t k);

/// GPU GEMM parameters (bnn::gpugen::GemmTilingOverrides plus what the tile implies).
struct GpuGemmParams {
  std::string mma;              ///< sync or wgmma
  int64_t tileM = 0;            ///< 16..256, a multiple of 16
  int64_t tileN = 0;            ///< 64..256, a multiple of 64
  int64_t stages = 0;           ///< 2..8
  int64_t warpsM = 0;           ///< recorded: determined by the tile (selectGemmTiling)
  int64_t warpsN = 0;           ///< recorded: determined by the tile
  int64_t persistentBlocks = 0; ///< wgmma: > 0 makes the kernel persistent
};

/// CPU parameters: bnn-tile's tile of the output.
struct CpuTileParams {
  int64_t tileRows = 0;
  int64_t tileCols = 0;
};

struct Entry {
  std::string kernel; ///< kGpuXnorGemm or kCpuXnorMatmul
  ShapeClass shape;
  std::optional<GpuGemmParams> gpu; ///< set for gpu.* kernels
  std::optional<CpuTileParams> cpu; ///< set for cpu.* kernels
  /// True for an entry derived from the defaults (never measured): the pipelines then apply
  /// the defaults for the exact shape.
  bool untuned = false;
  std::string chip;
  /// GPU: the CUDA driver version ("none" for untuned entries); CPU: the CPU model name.
  std::string device;
  std::string date;                                 ///< YYYY-MM-DD
  std::optional<double> timeUs;                     ///< measured time per call (null iff untuned)
  std::array<int64_t, 3> measuredShape = {0, 0, 0}; ///< the M, N, K that was timed
  int64_t threads = 0; ///< CPU: threads the timing ran on (0 for GPU entries)

  /// "gpu.xnor_gemm m<=16 n1024 k4096".
  std::string describe() const;
};

class TuningDatabase {
public:
  std::string chip; ///< sm_80, sm_86, sm_89, sm_90, sm_90a, cpu-avx512, cpu-avx2, cpu-generic
  std::vector<Entry> entries;

  /// Parses and checks a database; every error names `sourceName` and, for an entry, its index
  /// and key ("entries[3] (gpu.xnor_gemm m<=16 n1024 k4096): ..."). Strict: unknown keys,
  /// missing keys, wrong types, values out of range, duplicate entries and entries for another
  /// chip are errors.
  static llvm::Expected<TuningDatabase> parse(llvm::StringRef json, llvm::StringRef sourceName);
  /// Reads and parses `path`.
  static llvm::Expected<TuningDatabase> load(llvm::StringRef path);

  /// The entry for `kernel` and `shape`, or null.
  const Entry *lookup(llvm::StringRef kernel, const ShapeClass &shape) const;
  /// Adds `entry`, replacing one of the same kernel and shape class.
  void upsert(Entry entry);
  /// The database as JSON (entries sorted by kernel and class), which parse() accepts.
  std::string toJSON() const;
};

/// Checks one entry as parse() does (for writers).
llvm::Error checkEntry(const Entry &entry, llvm::StringRef fileChip);

/// True for the GPU chip names, false for cpu-*.
bool isGpuChip(llvm::StringRef chip);

/// The directory the pipelines take the shipped database from, first of: $BNN_TUNING_DIR (when
/// set and not empty), <directory of the running executable>/../share/bnn/tuning (an install),
/// the source tree's tuning/ (a build tree; compiled in). Empty when none exists.
std::string getDefaultTuningDir();

/// A `tuning-db` option value resolved for `chip`:
///   "none"    -> nullptr (no database: defaults everywhere);
///   "default" -> getDefaultTuningDir()/<chip>.json, or nullptr when there is none;
///   a directory -> <dir>/<chip>.json, which must exist;
///   a file    -> that file, whose chip must be `chip`.
/// Parsed files are cached by path, size and modification time.
llvm::Expected<std::shared_ptr<const TuningDatabase>>
loadTuningDatabase(llvm::StringRef option, llvm::StringRef chip, std::string *resolvedPath);

} // namespace bnn::tuning

#endif // BNN_TUNING_TUNINGDATABASE_H
