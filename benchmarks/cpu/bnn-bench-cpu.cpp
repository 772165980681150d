//===- bnn-bench-cpu.cpp - bnn's CPU binary GEMM against its baselines ----===//
//
// Prints, for each logical shape (M, N, K), the time of bnn's compiled XNOR-popcount GEMM
// (JIT, bnn-cpu-pipeline, packed operands) next to OpenBLAS sgemm of the same logical shape,
// single-threaded and on all cores, measured in the same run, as ratios; next to an
// L1-resident register-blocked AVX-512 micro-kernel (xor, vpopcntq, add on 512-bit registers),
// the xor+popcount roofline; and for GEMV (M = 1) the bytes of packed weights streamed per
// second as a fraction of the read bandwidth measured over a buffer of the same size.
//
//   bnn-bench-cpu [--quick] [--target=native]
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Support/ToolOptions.h"
#include "bnn/Target/CPUTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>
#include <immintrin.h>
#include <omp.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <vector>

extern "C" void openblas_set_num_threads(int);
extern "C" char *openblas_get_corename(void);

using namespace llvm;

static cl::OptionCategory benchCategory("Benchmark options");

static cl::opt<bool> quick("quick", cl::desc("Fewer repetitions and no 4096^3 sgemm (smoke test)"),
                           cl::init(false), cl::cat(benchCategory));
static cl::opt<std::string> target("target",
                                   cl::desc(bnn::kCPUTargetOptionHelp),
                                   cl::init("native"), cl::cat(benchCategory));
static cl::list<std::string>
    shapeList("shape", cl::desc("MxNxK to measure instead of the default shapes (repeatable; "
                                "each size 1 to 2^31-1)"),
              cl::value_desc("MxNxK"), cl::cat(benchCategory));
static cl::opt<int64_t> tileRows("tile-rows", cl::desc("bnn-tile rows (0: the tuning database's "
                                                       "entry, else the target default)"),
                                 cl::init(0), cl::cat(benchCategory));
static cl::opt<int64_t> tileCols("tile-cols", cl::desc("bnn-tile columns (0: the tuning "
                                                       "database's entry, else the target "
                                                       "default)"),
                                 cl::init(0), cl::cat(benchCategory));
static cl::opt<std::string> tuningDb(
    "tuning-db",
    cl::desc("Tuning database for the tile sizes when neither --tile-rows nor --tile-cols is "
             "given: default (tuning/cpu-<target>.json), none (the target defaults), a directory "
             "or a file (docs/Tuning.md)"),
    cl::init("default"), cl::cat(benchCategory));
static cl::opt<bool> lowBitOnly(
    "lowbit-only",
    cl::desc("Only the low-bit GEMV section (bnn.lowbit_matmul: ternary x int8, binary x int8, "
             "ternary x binary at 1 x 16384 x 16384)"),
    cl::init(false), cl::cat(benchCategory));
static cl::opt<uint64_t> maxMemoryMB(
    "max-memory-mb",
    cl::desc("Largest size, in MiB, of the operands a --shape may allocate (packed and float)"),
    cl::init(16384), cl::cat(benchCategory));

static const char *const overview =
    "bnn-bench-cpu: bnn's CPU binary GEMM against OpenBLAS sgemm and the xor+popcount "
    "roofline\n"
    "\n"
    "Examples:\n"
    "  bnn-bench-cpu                       (the default shapes, about ten minutes)\n"
    "  bnn-bench-cpu --quick               (smoke test)\n"
    "  bnn-bench-cpu --shape=64x4096x4096 --shape=1x16384x16384 --target=avx2\n"
    "  bnn-bench-cpu --shape=2048x2048x2048 --tile-rows=32 --tile-cols=128\n"
    "  bnn-bench-cpu --lowbit-only --target=avx2   (low-bit GEMVs on the avx2 path)\n";

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Best-of timing: the machine is shared and noisy, so the fastest of `reps` runs
/// (after one warm-up) is the least disturbed measurement of each side.
template <typename F> double bestSeconds(F &&run, int reps) {
  run();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double start = now();
    run();
    best = std::min(best, now() - start);
  }
  return best;
}

//===----------------------------------------------------------------------===//
// The xor+popcount roofline: 4 x 4 zmm accumulators over L1-resident operands.
//===----------------------------------------------------------------------===//

__attribute__((target("avx512f,avx512vpopcntdq"), noinline)) uint64_t
rooflineKernel(const uint64_t *a, const uint64_t *b, int64_t words, int64_t reps) {
  __m512i acc[4][4];
  for (auto &row : acc)
    for (auto &v : row)
      v = _mm512_setzero_si512();
  for (int64_t r = 0; r < reps; ++r)
    for (int64_t w = 0; w < words; w += 8) {
      __m512i av[4], bv[4];
      for (int i = 0; i < 4; ++i) {
        av[i] = _mm512_load_si512(a + i * words + w);
        bv[i] = _mm512_load_si512(b + i * words + w);
      }
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
          acc[i][j] =
              _mm512_add_epi64(acc[i][j], _mm512_popcnt_epi64(_mm512_xor_si512(av[i], bv[j])));
    }
  uint64_t sum = 0;
  for (auto &row : acc)
    for (auto &v : row)
      sum += _mm512_reduce_add_epi64(v);
  return sum;
}

/// Bit-MACs per second of the roofline kernel on `threads` threads together.
double rooflineBitMacsPerSecond(int threads, int64_t reps) {
  const int64_t words = 64; // 4 + 4 rows x 512 bytes = 4 KiB: L1-resident
  double seconds = 0;
  uint64_t sink = 0;
  auto run = [&] {
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      alignas(64) uint64_t a[4 * words], b[4 * words];
      for (int64_t i = 0; i < 4 * words; ++i) {
        a[i] = 0x9E3779B97F4A7C15ull * (i + 1 + omp_get_thread_num());
        b[i] = 0xC2B2AE3D27D4EB4Full * (i + 3);
      }
      sink += rooflineKernel(a, b, words, reps);
    }
  };
  seconds = bestSeconds(run, 3);
  if (sink == 42)
    outs() << ""; // keep the result alive
  return double(threads) * reps * words * 64 * 16 / seconds;
}

__attribute__((target("avx512f"), noipa)) uint64_t sumWords(const uint64_t *words,
                                                                 int64_t count) {
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    acc0 = _mm512_add_epi64(acc0, _mm512_loadu_si512(words + i));
    acc1 = _mm512_add_epi64(acc1, _mm512_loadu_si512(words + i + 8));
  }
  uint64_t sum = _mm512_reduce_add_epi64(_mm512_add_epi64(acc0, acc1));
  for (; i < count; ++i)
    sum += words[i];
  return sum;
}

/// Bytes per second read by `threads` threads summing a buffer of `bytes` bytes with 512-bit
/// loads: the bandwidth of the memory level a working set of that size lives in. Each thread
/// sweeps its half many times inside one parallel region, so thread start-up is not measured.
double readBandwidth(int threads, int64_t bytes) {
  int64_t words = bytes / 8;
  std::vector<uint64_t> buffer(words, 1);
  int64_t passes = std::max<int64_t>(1, (int64_t(256) << 20) / bytes);
  uint64_t sink = 0;
  auto run = [&] {
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      int64_t per = (words / omp_get_num_threads() + 7) / 8 * 8;
      int64_t begin = std::min(words, per * omp_get_thread_num());
      int64_t end = std::min(words, begin + per);
      for (int64_t pass = 0; pass < passes; ++pass)
        sink += sumWords(buffer.data() + begin, end - begin);
    }
  };
  double seconds = bestSeconds(run, 5);
  if (sink == 42)
    outs() << "";
  return double(bytes) * passes / seconds;
}

struct Shape {
  int64_t m, n, k;
};

/// Bytes the loop below allocates for `s` (packed operands, the i32 result and, except for
/// the large GEMVs, the float operands of sgemm), or nothing when the count overflows.
std::optional<int64_t> operandBytes(const Shape &s) {
  int64_t words = (s.k + 63) / 64;
  auto mul = [](std::optional<int64_t> a, int64_t b) {
    return a ? llvm::checkedMul(*a, b) : std::nullopt;
  };
  auto add = [](std::optional<int64_t> a, std::optional<int64_t> b) {
    return a && b ? llvm::checkedAdd(*a, *b) : std::nullopt;
  };
  std::optional<int64_t> packed = mul(mul(llvm::checkedAdd(s.m, s.n), words), 8);
  std::optional<int64_t> result = mul(mul(s.m, s.n), 4);
  std::optional<int64_t> floats =
      add(add(mul(s.m, s.k), mul(s.n, s.k)), mul(s.m, s.n));
  return add(add(packed, result), mul(floats, 4));
}

/// "MxNxK" with every size in [1, 2^31) (cblas_sgemm takes int) and operands that fit in
/// --max-memory-mb.
std::optional<Shape> parseShape(StringRef text) {
  SmallVector<StringRef, 3> parts;
  text.split(parts, 'x');
  if (parts.size() != 3)
    return std::nullopt;
  int64_t sizes[3];
  for (int i = 0; i < 3; ++i)
    if (parts[i].getAsInteger(10, sizes[i]) || sizes[i] < 1 || sizes[i] > INT32_MAX)
      return std::nullopt;
  Shape s{sizes[0], sizes[1], sizes[2]};
  std::optional<int64_t> bytes = operandBytes(s);
  if (!bytes || uint64_t(*bytes) > (uint64_t(maxMemoryMB) << 20))
    return std::nullopt;
  return s;
}

std::string gemmModule(const Shape &s) {
  std::string a = "!bnn.packed<" + std::to_string(s.m) + "x" + std::to_string(s.k) + ">";
  std::string b = "!bnn.packed<" + std::to_string(s.n) + "x" + std::to_string(s.k) + ">";
  std::string c = "tensor<" + std::to_string(s.m) + "x" + std::to_string(s.n) + "xi32>";
  return "func.func @gemm(%a: " + a + ", %b: " + b + ") -> " + c + " {\n" +
         "  %c = bnn.xnor_popcount %a, %b : " + a + ", " + b + " -> " + c + "\n" +
         "  return %c : " + c + "\n}\n";
}

/// JIT-compiles `source` for the benchmark's target and tile sizes on `threads` threads; exits
/// with the error on failure.
std::unique_ptr<bnn::JitModule> compileOrExit(mlir::MLIRContext &context, const std::string &source,
                                              int threads) {
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  bnn::JitOptions options;
  options.target = target;
  options.numThreads = threads;
  options.tileRows = tileRows;
  options.tileCols = tileCols;
  options.tuningDb = tuningDb;
  auto jit = module ? bnn::JitModule::compile(*module, options)
                    : Expected<std::unique_ptr<bnn::JitModule>>(
                          createStringError("bnn-bench-cpu: cannot parse the generated module"));
  if (!jit) {
    errs() << toString(jit.takeError()) << "\n";
    std::exit(1);
  }
  return std::move(*jit);
}

/// Best-of time of running `name` on `in` into `out`; exits with the error on failure.
double timeEntry(bnn::JitModule &jit, StringRef name, ArrayRef<bnn::HostTensor> in,
                 MutableArrayRef<bnn::HostTensor> out, int reps) {
  return bestSeconds(
      [&] {
        if (Error e = jit.runInto(name, in, out)) {
          errs() << toString(std::move(e)) << "\n";
          std::exit(1);
        }
      },
      reps);
}

/// The low-bit GEMV section: 1 x N x K bnn.lowbit_matmul for each operand kind, on 1 and
/// `cores` threads, the weight bytes streamed per second against the read bandwidth of a buffer
/// of the same size (the roofline of a GEMV whose weights are far beyond L2).
void lowBitGemvRows(mlir::MLIRContext &context, int cores, int reps, std::mt19937_64 &rng,
                    int64_t n);

void lowBitGemvSection(mlir::MLIRContext &context, int cores, int reps, std::mt19937_64 &rng) {
  outs() << "\nLow-bit GEMV (bnn.lowbit_matmul, M = 1): weight bytes streamed vs read bandwidth "
            "over a buffer of the same size\n";
  outs() << format("%-16s %-18s %-7s %12s %10s %14s %14s %10s\n", "kind", "M x N x K", "threads",
                   "weights MiB", "bnn ms", "bnn GB/s", "read GB/s", "fraction");
  // Weights far beyond L2, then 256 rows (1 or 0.5 MiB, L2-resident): when even those do not
  // reach the read bandwidth of their level, the kernel is bound by its instructions.
  for (int64_t n : {int64_t(16384), int64_t(256)})
    lowBitGemvRows(context, cores, reps, rng, n);
}

void lowBitGemvRows(mlir::MLIRContext &context, int cores, int reps, std::mt19937_64 &rng,
                    int64_t n) {
  const int64_t k = 16384, words = k / 64;
  struct Kind {
    const char *name, *lhs, *rhs;
    bool int8, ternary;
  };
  std::string N = std::to_string(n), K = std::to_string(k);
  std::string ternary = "!bnn.ternary<" + N + "x" + K + ">";
  std::string binary = "!bnn.packed<" + N + "x" + K + ">";
  const Kind kinds[] = {
      {"ternary x int8", "tensor<1x16384xi8>", ternary.c_str(), true, true},
      {"binary x int8", "tensor<1x16384xi8>", binary.c_str(), true, false},
      {"ternary x binary", "!bnn.packed<1x16384>", ternary.c_str(), false, true}};
  for (const Kind &kind : kinds) {
    std::string out = "tensor<1x" + N + "xi32>";
    std::string source = std::string("func.func @gemv(%x: ") + kind.lhs + ", %w: " + kind.rhs +
                         ") -> " + out + " {\n  %y = bnn.lowbit_matmul %x, %w : " + kind.lhs +
                         ", " + kind.rhs + " -> " + out + "\n  return %y : " + out + "\n}\n";
    bnn::HostTensor x = kind.int8 ? bnn::HostTensor(bnn::ElementType::I8, {1, k})
                                  : bnn::HostTensor(bnn::ElementType::I64, {1, words});
    for (uint8_t &byte : x.bytes)
      byte = uint8_t(rng());
    // Ternary weights: random sign bits under a random mask (sign only where the mask is set).
    int64_t planes = kind.ternary ? 2 : 1;
    bnn::HostTensor w = kind.ternary ? bnn::HostTensor(bnn::ElementType::I64, {n, 2, words})
                                     : bnn::HostTensor(bnn::ElementType::I64, {n, words});
    uint64_t *wd = w.data<uint64_t>();
    for (int64_t row = 0; row < n; ++row)
      for (int64_t i = 0; i < words; ++i) {
        uint64_t sign = rng(), mask = rng();
        if (kind.ternary) {
          wd[(row * 2) * words + i] = sign & mask;
          wd[(row * 2 + 1) * words + i] = mask;
        } else {
          wd[row * words + i] = sign;
        }
      }
    double bytes = double(n) * words * planes * 8;
    for (int threads : {1, cores}) {
      std::unique_ptr<bnn::JitModule> jit = compileOrExit(context, source, threads);
      std::vector<bnn::HostTensor> result = {bnn::HostTensor(bnn::ElementType::I32, {1, n})};
      std::vector<bnn::HostTensor> in = {x, w};
      double seconds = timeEntry(*jit, "gemv", in, result, reps);
      double bandwidth = readBandwidth(threads, int64_t(bytes));
      double rate = bytes / seconds;
      outs() << format("%-16s %-18s %-7d %12.1f %10.3f %14.1f %14.1f %9.1f%%\n", kind.name,
                       ("1x" + N + "x" + K).c_str(), threads, bytes / (1 << 20), seconds * 1e3,
                       rate * 1e-9, bandwidth * 1e-9, 100.0 * rate / bandwidth);
    }
  }
}

} // namespace

/// OpenBLAS 0.3.21 does not recognise recent Xeons (reported as a generic "Intel Xeon
/// Processor") and falls back to its SSE3 "Prescott" kernels, a baseline 5-8x slower than it
/// can be. Unless the user chose a core type, run again with the best one the CPU supports.
void useBestOpenBLASKernels(char **argv) {
  if (getenv("OPENBLAS_CORETYPE"))
    return;
  std::string core = openblas_get_corename();
  const char *best = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                     : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                       : nullptr;
  if (!best || core == best)
    return;
  setenv("OPENBLAS_CORETYPE", best, 1);
  execv("/proc/self/exe", argv);
}

int main(int argc, char **argv) {
  useBestOpenBLASKernels(argv);
  bnn::hideUnrelatedOptions({&benchCategory});
  cl::ParseCommandLineOptions(argc, argv, overview);
  if (tileRows < 0 || tileCols < 0) {
    errs() << "bnn-bench-cpu: --tile-" << (tileRows < 0 ? "rows=" : "cols=")
           << (tileRows < 0 ? int64_t(tileRows) : int64_t(tileCols))
           << ": expected 0 (target default) or a positive size\n";
    return 1;
  }
  if (maxMemoryMB == 0 || maxMemoryMB > (uint64_t(1) << 43)) {
    errs() << "bnn-bench-cpu: --max-memory-mb=" << maxMemoryMB << ": expected 1 to 2^43\n";
    return 1;
  }
  Expected<bnn::CPUTargetInfo> info = bnn::getCPUTargetInfo(target);
  if (!info) {
    errs() << toString(info.takeError()) << "\n";
    return 1;
  }
  int cores = omp_get_num_procs();
  // The shapes, then GEMVs whose packed weights exceed L2 (32 MiB) and L3 (256 MiB),
  // for which only the bandwidth comparison is made (a float copy of those weights would be
  // 1 and 8 GiB).
  std::vector<Shape> shapes = {{1, 4096, 4096},    {64, 4096, 4096},   {2048, 2048, 2048},
                               {4096, 4096, 4096}, {1, 16384, 16384}, {1, 65536, 32768}};
  if (!shapeList.empty()) {
    shapes.clear();
    for (const std::string &text : shapeList) {
      if (std::optional<Shape> s = parseShape(text)) {
        shapes.push_back(*s);
        continue;
      }
      errs() << "bnn-bench-cpu: --shape=" << text
             << ": expected MxNxK with sizes from 1 to 2^31-1 whose operands (packed, float and "
                "the result) fit in --max-memory-mb="
             << maxMemoryMB << "\n";
      return 1;
    }
  }
  int reps = quick ? 2 : 5;

  mlir::DialectRegistry registry;
  bnn::registerAllDialectsWithBNN(registry);
  mlir::MLIRContext context(registry);

  std::mt19937_64 rng(1);
  if (lowBitOnly) {
    outs() << "bnn CPU benchmark: target " << info->name << ", " << cores << " cores; best of "
           << reps << " runs after a warm-up\n";
    lowBitGemvSection(context, cores, reps, rng);
    return 0;
  }
  outs() << "bnn CPU benchmark: target " << info->name << ", " << cores
         << " cores; best of " << reps << " runs after a warm-up; bnn = XNOR-popcount GEMM on "
            "packed operands, sgemm = OpenBLAS cblas_sgemm ("
         << openblas_get_corename() << " kernels) of the same logical shape\n";
  double roofline1 = rooflineBitMacsPerSecond(1, quick ? 20000 : 200000);
  double rooflineN = rooflineBitMacsPerSecond(cores, quick ? 20000 : 200000);
  outs() << format("xor+popcount roofline (L1-resident 4x4 zmm micro-kernel): %.2f T bit-MAC/s "
                   "on 1 thread, %.2f on %d at the start; measured again beside every row "
                   "(last column, T bit-MAC/s), which %%roofline divides by\n\n",
                   roofline1 * 1e-12, rooflineN * 1e-12, cores);
  outs() << format("%-18s %-7s %10s %12s %10s %12s %9s %10s %9s\n", "M x N x K", "threads",
                   "bnn ms", "T bitMAC/s", "sgemm ms", "GFLOP/s", "speedup", "%roofline", "roofline");

  struct GemvRow {
    Shape shape;
    int threads;
    double seconds;
  };
  std::vector<GemvRow> gemvRows;
  for (const Shape &s : shapes) {
    int64_t words = (s.k + 63) / 64;
    bnn::HostTensor a(bnn::ElementType::I64, {s.m, words}), b(bnn::ElementType::I64, {s.n, words});
    for (int64_t i = 0; i < a.numElements(); ++i)
      a.data<uint64_t>()[i] = rng();
    for (int64_t i = 0; i < b.numElements(); ++i)
      b.data<uint64_t>()[i] = rng();
    bool gemvOnly = s.m == 1 && s.n * s.k > (int64_t(1) << 26);
    std::vector<float> fa, fb, fc;
    if (!gemvOnly) {
      fa.assign(s.m * s.k, 0.5f);
      fb.assign(s.n * s.k, -0.25f);
      fc.assign(s.m * s.n, 0.0f);
    }
    for (int threads : {1, cores}) {
      std::unique_ptr<bnn::JitModule> jit = compileOrExit(context, gemmModule(s), threads);
      std::vector<bnn::HostTensor> out = {bnn::HostTensor(bnn::ElementType::I32, {s.m, s.n})};
      std::vector<bnn::HostTensor> in = {a, b};
      double bnnSeconds = timeEntry(*jit, "gemm", in, out, reps);
      double sgemmSeconds = 0;
      bool skipSgemm = gemvOnly || (quick && s.m * s.n * s.k > (int64_t(1) << 33));
      if (!skipSgemm) {
        openblas_set_num_threads(threads);
        sgemmSeconds = bestSeconds(
            [&] {
              cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.m, s.n, s.k, 1.0f, fa.data(),
                          s.k, fb.data(), s.k, 0.0f, fc.data(), s.n);
            },
            s.m * s.n * s.k > (int64_t(1) << 33) ? 2 : reps);
      }
      double macs = double(s.m) * s.n * s.k;
      double bnnRate = macs / bnnSeconds;
      // The roofline again, right beside this measurement: the machine's speed drifts over a
      // run (shared cores, turbo), and the percentage should compare like with like.
      double roofline = std::max(rooflineBitMacsPerSecond(threads, quick ? 20000 : 100000),
                                 rooflineBitMacsPerSecond(threads, quick ? 20000 : 100000));
      outs() << format("%-18s %-7d %10.3f %12.3f ",
                       (std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                        std::to_string(s.k)).c_str(),
                       threads, bnnSeconds * 1e3, bnnRate * 1e-12);
      if (skipSgemm)
        outs() << format("%10s %12s %9s", "-", "-", "-");
      else
        outs() << format("%10.3f %12.1f %8.1fx", sgemmSeconds * 1e3, 2 * macs / sgemmSeconds * 1e-9,
                         sgemmSeconds / bnnSeconds);
      outs() << format(" %9.1f%% %9.2f\n", 100.0 * bnnRate / roofline, roofline * 1e-12);
      if (s.m == 1)
        gemvRows.push_back({s, threads, bnnSeconds});
    }
  }

  outs() << "\nGEMV (M = 1): packed weights streamed vs read bandwidth over a buffer of the same "
            "size\n";
  outs() << format("%-18s %-7s %12s %14s %14s %10s\n", "M x N x K", "threads", "weights MiB",
                   "bnn GB/s", "read GB/s", "fraction");
  for (const GemvRow &row : gemvRows) {
    double bytes = double(row.shape.n) * ((row.shape.k + 63) / 64) * 8;
    double bandwidth = readBandwidth(row.threads, int64_t(bytes));
    double rate = bytes / row.seconds;
    outs() << format("%-18s %-7d %12.1f %14.1f %14.1f %9.1f%%\n",
                     ("1x" + std::to_string(row.shape.n) + "x" + std::to_string(row.shape.k)).c_str(),
                     row.threads, bytes / (1 << 20), rate * 1e-9, bandwidth * 1e-9,
                     100.0 * rate / bandwidth);
  }

  // Pack: float activations -> sign bits, a streaming kernel (read 32 bits, write 1 per
  // element), against the read bandwidth of a buffer of the same size as its input.
  outs() << "\nPack (bnn.pack, f32 -> packed): input read vs read bandwidth over a buffer of the "
            "same size\n";
  outs() << format("%-18s %-7s %12s %14s %14s %10s\n", "rows x K", "threads", "input MiB",
                   "bnn GB/s", "read GB/s", "fraction");
  const Shape packShapes[] = {{256, 0, 4096}, {4096, 0, 8192}};
  for (const Shape &s : packShapes) {
    std::string x = "tensor<" + std::to_string(s.m) + "x" + std::to_string(s.k) + "xf32>";
    std::string p = "!bnn.packed<" + std::to_string(s.m) + "x" + std::to_string(s.k) + ">";
    std::string source = "func.func @pack(%x: " + x + ") -> " + p + " {\n  %p = bnn.pack %x : " +
                         x + " -> " + p + "\n  return %p : " + p + "\n}\n";
    bnn::HostTensor input(bnn::ElementType::F32, {s.m, s.k});
    for (int64_t i = 0; i < input.numElements(); ++i)
      input.data<float>()[i] = float(int64_t(rng() % 2001) - 1000);
    for (int threads : {1, cores}) {
      std::unique_ptr<bnn::JitModule> jit = compileOrExit(context, source, threads);
      std::vector<bnn::HostTensor> out = {
          bnn::HostTensor(bnn::ElementType::I64, {s.m, (s.k + 63) / 64})};
      std::vector<bnn::HostTensor> in = {input};
      double seconds = timeEntry(*jit, "pack", in, out, reps);
      double bytes = double(s.m) * s.k * 4;
      double bandwidth = readBandwidth(threads, int64_t(bytes));
      double rate = bytes / seconds;
      outs() << format("%-18s %-7d %12.1f %14.1f %14.1f %9.1f%%\n",
                       (std::to_string(s.m) + "x" + std::to_string(s.k)).c_str(), threads,
                       bytes / (1 << 20), rate * 1e-9, bandwidth * 1e-9, 100.0 * rate / bandwidth);
    }
  }
  lowBitGemvSection(context, cores, reps, rng);
  return 0;
}
