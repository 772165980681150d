//===- LowBitAmx.cpp - int8 x low-bit GEMM on AMX-INT8 tiles ---------------===//
//
// bnn_ukernel_int8_lowbit_gemm (bnn/runtime/LowBitGemm.h).
//
// AMX path (__attribute__((target("amx-int8,amx-tile,avx512f,avx512bw,avx512bitalg")))):
//  - Threads take panels of NB weight rows (output columns, NB a multiple of 32, at most 256
//    and sized so the unpacked panel stays within about 512 KiB of L2).
//  - A panel is unpacked once into a per-thread buffer of B tiles: for every 16 weight rows and
//    every 64 k, one 1 KiB tile in VNNI layout (tile row g holds, for each of the 16 weight
//    rows, the 4 bytes k = 4g..4g+3). The unpack gathers the plane words of 16 weight rows,
//    pairs rows 2i and 2i+1 by 32-bit halves in one qword lane, and builds the 64 byte-select
//    bits of a tile row with one vpshufbitqmb per plane; a masked blend gives +1/-1 and a
//    zero-masked move 0: about six instructions per 64 bytes, no byte transpose. Bits past k
//    select 0 (the panel is zero padded), so A's bytes there never count.
//  - The activations are packed once per call (by the threads, before the product) into A tiles:
//    per block of 32 rows and 64 k, two contiguous 1 KiB tiles, zero past m and k. Contiguous
//    tile loads avoid the cache-set conflicts of power-of-two row strides, and every tail is
//    the same code.
//  - Every block of 32 activation rows then runs against the whole panel: 2 A tiles (16 rows
//    x 64 k) x 2 B tiles (64 k x 16 columns) into 4 i32 C tiles per 32 x 32 outputs (tdpbssd,
//    signed x signed) over all of K, stored to the output (partial blocks through a per-thread
//    buffer).
//  - Scratch (packed activations, panels) comes from a process-wide pool kept across calls.
//  - Linux must grant the tile data state once per process (arch_prctl ARCH_REQ_XCOMP_PERM);
//    if it refuses, or the CPU lacks a feature, the portable path runs instead.
//
//===----------------------------------------------------------------------===//

#include "ParallelFor.h"
#include "bnn/runtime/LowBitGemm.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#define BNN_LOWBIT_X86 1
#else
#define BNN_LOWBIT_X86 0
#endif

namespace {

constexpr int64_t kWordBits = 64;

int64_t wordsOf(int64_t k) { return k / kWordBits + (k % kWordBits != 0); }

using bnn::detail::parallelFor;

int64_t threadCount(int32_t numThreads) {
  if (numThreads > 0)
    return numThreads;
  return std::max(1u, std::thread::hardware_concurrency());
}

struct Args {
  const int8_t *x;
  int64_t m, xStride;
  const uint64_t *w;
  int64_t n, wStride, k;
  bool ternary;
  int32_t *out;
  int64_t outStride;
  /// Binary activations instead of x: m rows of ceil(k/64) words, xStride words apart.
  const uint64_t *xBits = nullptr;
};

/// Activation e of row i as an int8: x's byte, or +1/-1 from a binary activation bit.
inline int32_t activationAt(const Args &a, int64_t i, int64_t e) {
  if (!a.xBits)
    return a.x[i * a.xStride + e];
  return (a.xBits[i * a.xStride + e / kWordBits] >> (e % kWordBits)) & 1 ? 1 : -1;
}

//===----------------------------------------------------------------------===//
// Portable path
//===----------------------------------------------------------------------===//

/// The weight value of row j at e: +1, -1 or 0.
inline int8_t weightAt(const Args &a, int64_t j, int64_t e) {
  const uint64_t *row = a.w + j * a.wStride;
  uint64_t bit = uint64_t{1} << (e % kWordBits);
  bool sign = (row[e / kWordBits] & bit) != 0;
  if (!a.ternary)
    return sign ? 1 : -1;
  bool nonZero = (row[wordsOf(a.k) + e / kWordBits] & bit) != 0;
  return nonZero ? (sign ? 1 : -1) : 0;
}

/// Columns j0..j1: each weight row unpacked to int8 in chunks of k on the stack (no
/// allocation, so nothing can throw on a worker thread), partial sums accumulated in out
/// (every partial sum of |x| <= 128 times at most 16777215 weights fits in int32).
void portableColumns(const Args &a, int64_t j0, int64_t j1) {
  constexpr int64_t kChunk = 4096;
  int8_t unpacked[kChunk];
  for (int64_t j = j0; j < j1; ++j)
    for (int64_t e0 = 0; e0 < a.k; e0 += kChunk) {
      const int64_t len = std::min(kChunk, a.k - e0);
      for (int64_t e = 0; e < len; ++e)
        unpacked[e] = weightAt(a, j, e0 + e);
      for (int64_t i = 0; i < a.m; ++i) {
        int32_t sum = 0;
        if (a.xBits) {
          for (int64_t e = 0; e < len; ++e)
            sum += activationAt(a, i, e0 + e) * int32_t{unpacked[e]};
        } else {
          const int8_t *xi = a.x + i * a.xStride + e0;
          for (int64_t e = 0; e < len; ++e)
            sum += int32_t{xi[e]} * int32_t{unpacked[e]};
        }
        int32_t &out = a.out[i * a.outStride + j];
        out = e0 == 0 ? sum : out + sum;
      }
    }
}

void runPortable(const Args &a, int32_t numThreads) {
  int64_t threads = std::min<int64_t>(threadCount(numThreads), std::max<int64_t>(1, a.n));
  parallelFor(threads,
              [&](int64_t t) { portableColumns(a, a.n * t / threads, a.n * (t + 1) / threads); });
}

//===----------------------------------------------------------------------===//
// AMX path
//===----------------------------------------------------------------------===//

#if BNN_LOWBIT_X86

bool cpuHasAmxFeatures() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
    return false;
  bool amxTile = (edx >> 24) & 1, amxInt8 = (edx >> 25) & 1;
  return amxTile && amxInt8 && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bitalg");
}

/// Asks Linux for the AMX tile data state (XFEATURE_XTILEDATA = 18) and checks it was granted.
bool requestTileData() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  constexpr long kArchGetXcompPerm = 0x1022, kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
    return false;
  unsigned long bitmask = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &bitmask) != 0)
    return false;
  return (bitmask >> kXfeatureXtiledata) & 1;
#else
  return false;
#endif
}

bool amxAvailable() {
  static const bool available = cpuHasAmxFeatures() && requestTileData();
  return available;
}

#define BNN_AMX __attribute__((target("amx-int8,amx-tile,avx512f,avx512bw,avx512bitalg")))

/// The 64-byte tile configuration (palette 1): tiles 0-3 are C (16 x 16 i32), 4-5 A (16 rows
/// x 64 int8), 6-7 B (16 rows of 4 k x 16 columns).
struct alignas(64) TileConfig {
  uint8_t palette;
  uint8_t startRow;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

BNN_AMX void configureTiles() {
  TileConfig config;
  std::memset(&config, 0, sizeof(config));
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.colsb[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
}

constexpr int64_t kTileBytes = 1024; // 16 x 64

/// Eight words at base[offsets[i]] (the masked form: GCC 12 warns on the plain one's
/// uninitialised pass-through operand).
BNN_AMX inline __m512i gather(__m512i offsets, const uint64_t *base, int) {
  return _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), 0xFF, offsets, base, 8);
}

/// Unpacks weight rows j0 .. j0 + 16 (rows past n repeat row n - 1; their outputs are never
/// stored) for all k blocks into `tiles` (kBlocks tiles of 1 KiB, VNNI layout).
BNN_AMX void unpackSubPanel(const Args &a, int64_t j0, int64_t kBlocks, int8_t *tiles) {
  const int64_t words = wordsOf(a.k);
  alignas(64) int64_t evenOffsets[8], oddOffsets[8];
  for (int i = 0; i < 8; ++i) {
    evenOffsets[i] = std::min(j0 + 2 * i, a.n - 1) * a.wStride;
    oddOffsets[i] = std::min(j0 + 2 * i + 1, a.n - 1) * a.wStride;
  }
  const __m512i even = _mm512_load_si512(evenOffsets), odd = _mm512_load_si512(oddOffsets);
  const __m512i plusOne = _mm512_set1_epi8(1), minusOne = _mm512_set1_epi8(-1);
  const __m512i four = _mm512_set1_epi8(4);
  for (int64_t kb = 0; kb < kBlocks; ++kb) {
    const uint64_t valid =
        (kb + 1) * kWordBits <= a.k ? ~uint64_t{0} : (uint64_t{1} << (a.k % kWordBits)) - 1;
    const __m512i validWords = _mm512_set1_epi64(static_cast<long long>(valid));
    __m512i signEven = gather(even, a.w + kb, 8);
    __m512i signOdd = gather(odd, a.w + kb, 8);
    __m512i maskEven = validWords, maskOdd = validWords;
    if (a.ternary) {
      maskEven = _mm512_and_si512(gather(even, a.w + words + kb, 8), validWords);
      maskOdd = _mm512_and_si512(gather(odd, a.w + words + kb, 8), validWords);
    }
    // Lane i of the `low` vectors holds bits 0-31 of weight row 2i (low half) and of row
    // 2i + 1 (high half), the `high` vectors bits 32-63. Tile row g < 8 takes bits 4g..4g+3 of
    // both weight rows from `low` (select bytes 4g..4g+3 and 32 + 4g..4g+3), row g + 8 the same
    // bits of `high`: one vpshufbitqmb per plane per tile row.
    const __m512i signLow =
        _mm512_mask_blend_epi32(0xAAAA, signEven, _mm512_slli_epi64(signOdd, 32));
    const __m512i signHigh =
        _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(signEven, 32), signOdd);
    const __m512i maskLow =
        _mm512_mask_blend_epi32(0xAAAA, maskEven, _mm512_slli_epi64(maskOdd, 32));
    const __m512i maskHigh =
        _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(maskEven, 32), maskOdd);
    __m512i select = _mm512_set1_epi64(0x2322212003020100LL);
    int8_t *tile = tiles + kb * kTileBytes;
    for (int g = 0; g < 8; ++g) {
      __m512i low = _mm512_maskz_mov_epi8(
          _mm512_bitshuffle_epi64_mask(maskLow, select),
          _mm512_mask_blend_epi8(_mm512_bitshuffle_epi64_mask(signLow, select), minusOne, plusOne));
      __m512i high = _mm512_maskz_mov_epi8(
          _mm512_bitshuffle_epi64_mask(maskHigh, select),
          _mm512_mask_blend_epi8(_mm512_bitshuffle_epi64_mask(signHigh, select), minusOne,
                                 plusOne));
      _mm512_store_si512(tile + g * 64, low);
      _mm512_store_si512(tile + (g + 8) * 64, high);
      select = _mm512_add_epi8(select, four);
    }
  }
}

/// The 32 x 32 i32 outputs at c (row stride cStride) of kBlocks 64-k blocks: A tiles of a row
/// block (2 per k block: rows 0-15 then 16-31) against the two B sub-panels b0, b1.
BNN_AMX void block32x32(const int8_t *aTiles, const int8_t *b0, const int8_t *b1, int64_t kBlocks,
                        int32_t *c, int64_t cStride) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t kb = 0; kb < kBlocks; ++kb) {
    _tile_loadd(4, aTiles + kb * 2 * kTileBytes, 64);
    _tile_loadd(5, aTiles + kb * 2 * kTileBytes + kTileBytes, 64);
    _tile_loadd(6, b0 + kb * kTileBytes, 64);
    _tile_loadd(7, b1 + kb * kTileBytes, 64);
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  const int64_t stride = cStride * 4;
  _tile_stored(0, c, stride);
  _tile_stored(1, c + 16, stride);
  _tile_stored(2, c + 16 * cStride, stride);
  _tile_stored(3, c + 16 * cStride + 16, stride);
}

struct AmxPlan {
  int64_t kBlocks, panelCols, panels, rowBlocks;
  /// Activations packed as A tiles: row block b, k block kb, half h at
  /// ((b * kBlocks + kb) * 2 + h) KiB, each tile 16 rows x 64 bytes contiguous, zero past m
  /// and k. Contiguous 1 KiB tile loads, the same for every tail.
  const int8_t *a;
};

/// Packs row blocks t, t + threads, ... of the activations into plan.a's layout.
BNN_AMX void packActivations(const Args &a, int8_t *packed, int64_t kBlocks, int64_t rowBlocks,
                             int64_t t, int64_t threads) {
  for (int64_t b = t; b < rowBlocks; b += threads) {
    int8_t *block = packed + b * kBlocks * 2 * kTileBytes;
    std::memset(block, 0, static_cast<size_t>(kBlocks * 2 * kTileBytes));
    for (int64_t r = 0; r < 32 && b * 32 + r < a.m; ++r) {
      int8_t *dest = block + (r / 16) * kTileBytes + (r % 16) * 64;
      if (a.xBits) { // binary activations: +1 / -1 bytes, 0 past k
        const uint64_t *row = a.xBits + (b * 32 + r) * a.xStride;
        for (int64_t kb = 0; kb < kBlocks; ++kb) {
          const int64_t len = std::min<int64_t>(64, a.k - kb * 64);
          const __mmask64 valid = len == 64 ? ~__mmask64{0} : (__mmask64{1} << len) - 1;
          __m512i values = _mm512_maskz_mov_epi8(
              valid, _mm512_mask_blend_epi8(row[kb], _mm512_set1_epi8(-1), _mm512_set1_epi8(1)));
          _mm512_storeu_si512(dest + kb * 2 * kTileBytes, values);
        }
        continue;
      }
      const int8_t *row = a.x + (b * 32 + r) * a.xStride;
      for (int64_t kb = 0; kb < kBlocks; ++kb)
        std::memcpy(dest + kb * 2 * kTileBytes, row + kb * 64,
                    static_cast<size_t>(std::min<int64_t>(64, a.k - kb * 64)));
    }
  }
}

BNN_AMX void amxWorker(const Args &a, const AmxPlan &plan, int8_t *panel, int32_t *rowBlock,
                       int64_t t, int64_t threads) {
  configureTiles();
  const int64_t panelTiles = plan.kBlocks * kTileBytes; // bytes of one 16-column sub-panel
  const int64_t cStride = plan.panelCols + 32;          // rowBlock: 32 x cStride i32
  for (int64_t p = t; p < plan.panels; p += threads) {
    const int64_t j0 = p * plan.panelCols;
    const int64_t cols = std::min(plan.panelCols, a.n - j0);
    const int64_t subPanels = (cols + 15) / 16;
    for (int64_t s = 0; s < subPanels; ++s)
      unpackSubPanel(a, j0 + 16 * s, plan.kBlocks, panel + s * panelTiles);
    // An odd last sub-panel pairs with a zero one (its outputs are never stored).
    if (subPanels % 2)
      std::memset(panel + subPanels * panelTiles, 0, static_cast<size_t>(panelTiles));
    for (int64_t rb = 0; rb < plan.rowBlocks; ++rb) {
      const int8_t *aTiles = plan.a + rb * plan.kBlocks * 2 * kTileBytes;
      // Full 32 x 32 blocks go to the output directly, partial ones through rowBlock. (Splitting
      // K into chunks whose A tiles stay in L1, accumulating through C tile loads, measured
      // slower: 1.2x at 512 k per chunk, 3x at 256.)
      const int64_t i0 = rb * 32, m = std::min<int64_t>(32, a.m - i0);
      for (int64_t s = 0; s < subPanels; s += 2) {
        const int8_t *b0 = panel + s * panelTiles;
        const int64_t jc = j0 + 16 * s;
        const bool full = m == 32 && a.n - jc >= 32;
        block32x32(aTiles, b0, b0 + panelTiles, plan.kBlocks,
                   full ? a.out + i0 * a.outStride + jc : rowBlock + 16 * s,
                   full ? a.outStride : cStride);
      }
      for (int64_t s = 0; s < subPanels; s += 2) {
        const int64_t jc = j0 + 16 * s, n = std::min<int64_t>(32, a.n - jc);
        if (m == 32 && n == 32)
          continue;
        for (int64_t i = 0; i < m; ++i)
          std::memcpy(a.out + (i0 + i) * a.outStride + jc, rowBlock + i * cStride + 16 * s,
                      static_cast<size_t>(n) * sizeof(int32_t));
      }
    }
  }
  _tile_release();
}

/// 64-byte aligned, uninitialised scratch kept for later calls: a process-wide pool, since
/// the page faults and zeroing of fresh allocations cost about a tenth of a 256 x 2560 x 2560
/// product. At most kPoolBuffers idle buffers are kept; calls on several threads at once each
/// take their own.
class BufferPool {
public:
  struct Buffer {
    std::unique_ptr<int8_t[]> storage;
    int64_t bytes = 0;
    int8_t *data() const {
      auto address = reinterpret_cast<uintptr_t>(storage.get());
      return storage.get() + (64 - address % 64) % 64;
    }
  };

  /// The smallest idle buffer of at least `bytes` bytes, or a new one (may throw
  /// std::bad_alloc).
  Buffer acquire(int64_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      size_t best = idle.size();
      for (size_t i = 0; i < idle.size(); ++i)
        if (idle[i].bytes >= bytes && (best == idle.size() || idle[i].bytes < idle[best].bytes))
          best = i;
      if (best < idle.size()) {
        Buffer buffer = std::move(idle[best]);
        idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(best));
        return buffer;
      }
    }
    Buffer buffer;
    buffer.storage.reset(new int8_t[static_cast<size_t>(bytes + 64)]);
    buffer.bytes = bytes;
    return buffer;
  }

  void release(Buffer buffer) {
    std::lock_guard<std::mutex> lock(mutex);
    if (idle.size() < kPoolBuffers)
      idle.push_back(std::move(buffer));
  }

  static BufferPool &get() {
    static BufferPool pool;
    return pool;
  }

private:
  static constexpr size_t kPoolBuffers = 16;
  std::mutex mutex;
  std::vector<Buffer> idle;
};

/// A pool buffer for the duration of a call.
struct Lease {
  explicit Lease(int64_t bytes) : buffer(BufferPool::get().acquire(bytes)) {}
  Lease(Lease &&) = default;
  ~Lease() {
    if (buffer.storage)
      BufferPool::get().release(std::move(buffer));
  }
  int8_t *data() const { return buffer.data(); }
  BufferPool::Buffer buffer;
};

/// The AMX product; false (nothing written) when its buffers cannot be allocated.
bool runAmx(const Args &a, int32_t numThreads) {
  AmxPlan plan;
  plan.kBlocks = wordsOf(a.k);
  const int64_t kBytes = plan.kBlocks * 64;
  // Panels: at most 256 columns and about 512 KiB unpacked (L2 also holds the activation
  // block), at least 32 columns; at least one panel per thread where N allows.
  int64_t maxCols = std::clamp<int64_t>((int64_t{512} << 10) / kBytes / 32 * 32, 32, 256);
  int64_t threads = threadCount(numThreads);
  int64_t perThread = (a.n + threads - 1) / threads;
  plan.panelCols = std::clamp<int64_t>((perThread + 31) / 32 * 32, 32, maxCols);
  plan.panels = (a.n + plan.panelCols - 1) / plan.panelCols;
  plan.rowBlocks = (a.m + 31) / 32;
  threads = std::min(threads, plan.panels);
  // Every buffer is allocated here, before any thread starts: an allocation failure then
  // leaves the caller to run the portable path.
  std::vector<Lease> panels, rowBlocks;
  std::optional<Lease> packed;
  try {
    panels.reserve(static_cast<size_t>(threads));
    rowBlocks.reserve(static_cast<size_t>(threads));
    packed.emplace(plan.rowBlocks * 32 * kBytes);
    for (int64_t t = 0; t < threads; ++t) {
      // One extra sub-panel: the zero partner of an odd last one.
      panels.emplace_back((plan.panelCols + 16) * kBytes);
      rowBlocks.emplace_back(32 * (plan.panelCols + 32) * int64_t(sizeof(int32_t)));
    }
  } catch (const std::bad_alloc &) {
    return false;
  }
  int8_t *packedData = packed->data();
  const int64_t packThreads = std::min(threads, plan.rowBlocks);
  parallelFor(packThreads, [&](int64_t t) {
    packActivations(a, packedData, plan.kBlocks, plan.rowBlocks, t, packThreads);
  });
  plan.a = packedData;
  parallelFor(threads, [&](int64_t t) {
    amxWorker(a, plan, panels[t].data(), reinterpret_cast<int32_t *>(rowBlocks[t].data()), t,
              threads);
  });
  return true;
}

BNN_AMX double amxPeak(int64_t iterations) {
  configureTiles();
  alignas(64) static int8_t data[kTileBytes] = {1};
  _tile_loadd(4, data, 64);
  _tile_loadd(5, data, 64);
  _tile_loadd(6, data, 64);
  _tile_loadd(7, data, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  alignas(64) int32_t sink[256];
  _tile_stored(0, sink, 64);
  auto end = std::chrono::steady_clock::now();
  _tile_release();
  volatile int32_t keep = sink[0];
  (void)keep;
  double seconds = std::chrono::duration<double>(end - start).count();
  // Each tdpbssd: 16 x 16 outputs x 64 products.
  return seconds > 0 ? double(iterations) * 4 * 16 * 16 * 64 / seconds : 0;
}

#else
bool amxAvailable() { return false; }
#endif

} // namespace

const char *bnn::lowBitGemmPathName(LowBitGemmPath path) {
  return path == LowBitGemmPath::Amx ? "amx" : "portable";
}

bool bnn::lowBitGemmPathSupported(LowBitGemmPath path) {
  return path == LowBitGemmPath::Portable || amxAvailable();
}

void bnn::int8LowBitGemmWithPath(LowBitGemmPath path, const int8_t *x, int64_t m, int64_t xStride,
                                 const uint64_t *w, int64_t n, int64_t wStride, int64_t k,
                                 bool ternary, int32_t *out, int64_t outStride,
                                 int32_t numThreads) {
  if (m <= 0 || n <= 0 || k <= 0)
    return;
  Args a{x, m, xStride, w, n, wStride, k, ternary, out, outStride};
#if BNN_LOWBIT_X86
  if (path == LowBitGemmPath::Amx && amxAvailable() && runAmx(a, numThreads))
    return;
#endif
  runPortable(a, numThreads);
}

void bnn::binaryGemmWithPath(LowBitGemmPath path, const uint64_t *x, int64_t m, int64_t xStride,
                             const uint64_t *w, int64_t n, int64_t wStride, int64_t k, int32_t *out,
                             int64_t outStride, int32_t numThreads) {
  if (m <= 0 || n <= 0 || k <= 0)
    return;
  Args a{nullptr, m, xStride, w, n, wStride, k, /*ternary=*/false, out, outStride, x};
#if BNN_LOWBIT_X86
  if (path == LowBitGemmPath::Amx && amxAvailable() && runAmx(a, numThreads))
    return;
#endif
  runPortable(a, numThreads);
}

double bnn::amxInt8PeakMacsPerSecond(int64_t iterations) {
#if BNN_LOWBIT_X86
  if (amxAvailable())
    return amxPeak(iterations);
#endif
  (void)iterations;
  return 0;
}

extern "C" void bnn_ukernel_int8_lowbit_gemm(const int8_t *x, int64_t m, int64_t xStride,
                                             const uint64_t *w, int64_t n, int64_t wStride,
                                             int64_t k, int32_t ternary, int32_t *out,
                                             int64_t outStride, int32_t numThreads) {
  bnn::int8LowBitGemmWithPath(bnn::LowBitGemmPath::Amx, x, m, xStride, w, n, wStride, k,
                              ternary != 0, out, outStride, numThreads);
}

extern "C" void bnn_ukernel_binary_gemm(const uint64_t *x, int64_t m, int64_t xStride,
                                        const uint64_t *w, int64_t n, int64_t wStride, int64_t k,
                                        int32_t *out, int64_t outStride, int32_t numThreads) {
  bnn::binaryGemmWithPath(bnn::LowBitGemmPath::Amx, x, m, xStride, w, n, wStride, k, out, outStride,
                          numThreads);
}

extern "C" int32_t bnn_ukernel_amx_available(void) { return amxAvailable() ? 1 : 0; }
