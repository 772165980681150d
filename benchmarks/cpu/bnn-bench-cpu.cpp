//===- bnn-bench-cpu.cpp - bnn's CPU binary GEMM against its baselines ----===//
//
// Prints, for each logical shape (M, N, K), the time of bnn's compiled XNOR-popcount GEMM
// (JIT, bnn-cpu-pipeline, packed operands) next to OpenBLAS sgemm of the same logical shape,
// single-threaded and on all cores, measured in the same run, as ratios; next to an
// L1-resident register-blocked AVX-512 micro-kernel (xor, vpopcntq, add on 512-bit registers),
// the xor+popcount roofline; and for GEMV (M = 1) the bytes of packed weights streamed per
// second as a fraction of the read bandwidth measured over a buffer of the same size.
// --lowbit-only: the low-bit GEMVs, then int8 x ternary / binary GEMMs on the AMX kernel
// (target amx) and the vpdpbusd kernel (target avx512) next to oneDNN's s8 matmul and the
// AMX-INT8 peak, binary x binary on AMX vs xor+popcount, and the AMX crossover over M.
//
//   bnn-bench-cpu [--quick] [--target=native]
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Support/ToolOptions.h"
#include "bnn/Target/CPUTarget.h"
#include "bnn/runtime/LowBitGemm.h"

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
#include <oneapi/dnnl/dnnl.hpp>

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
    cl::desc("Only the low-bit sections: GEMV (bnn.lowbit_matmul: ternary x int8, binary x int8, "
             "ternary x binary at 1 x 16384 x 16384) and int8 GEMM (the AMX kernel, the vpdpbusd "
             "kernel, oneDNN's s8 matmul and the AMX-INT8 peak)"),
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
    "  bnn-bench-cpu --lowbit-only --target=avx2   (low-bit GEMVs on the avx2 path; the\n"
    "                                    GEMM section always measures targets amx and avx512)\n";

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

//===----------------------------------------------------------------------===//
// Low-bit GEMM: AMX-INT8 kernel vs vpdpbusd kernel vs oneDNN s8 matmul vs the AMX peak
//===----------------------------------------------------------------------===//

/// int8 MACs per second of `threads` threads each running the register-resident AMX loop
/// (bnn::amxInt8PeakMacsPerSecond: tile dot products on loaded tiles), 0 without AMX.
double amxPeak(int threads, int64_t iterations) {
  double total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  total += bnn::amxInt8PeakMacsPerSecond(iterations);
  return total;
}

/// Best-of seconds of oneDNN's s8 x s8 -> s32 matmul (M x K times K x N, the weights
/// reordered once into the layout oneDNN picks, as a user of the library would keep them) on
/// `threads` OpenMP threads; prints oneDNN's implementation name once per shape.
double oneDnnS8Seconds(int64_t m, int64_t n, int64_t k, int threads, int reps,
                       std::string &implementation) {
  using namespace dnnl;
  using dt = memory::data_type;
  using tag = memory::format_tag;
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  memory::desc aDesc({m, k}, dt::s8, tag::ab), bPlain({k, n}, dt::s8, tag::ab);
  memory::desc bAny({k, n}, dt::s8, tag::any), cDesc({m, n}, dt::s32, tag::ab);
  matmul::primitive_desc pd(matmul::desc(aDesc, bAny, cDesc), eng);
  implementation = pd.impl_info_str();
  memory a(aDesc, eng), bSrc(bPlain, eng), b(pd.weights_desc(), eng), c(cDesc, eng);
  std::mt19937_64 rng(5);
  for (memory *mem : {&a, &bSrc}) {
    auto *bytes = static_cast<uint8_t *>(mem->get_data_handle());
    for (size_t i = 0; i < mem->get_desc().get_size(); ++i)
      bytes[i] = uint8_t(rng());
  }
  reorder(bSrc, b).execute(strm, bSrc, b);
  strm.wait();
  matmul prim(pd);
  omp_set_num_threads(threads);
  double seconds = bestSeconds(
      [&] {
        prim.execute(strm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
        strm.wait();
      },
      reps);
  omp_set_num_threads(omp_get_num_procs());
  return seconds;
}

std::string lowBitGemmModule(int64_t m, int64_t n, int64_t k, bool ternary) {
  std::string M = std::to_string(m), N = std::to_string(n), K = std::to_string(k);
  std::string x = "tensor<" + M + "x" + K + "xi8>";
  std::string w = (ternary ? "!bnn.ternary<" : "!bnn.packed<") + N + "x" + K + ">";
  std::string out = "tensor<" + M + "x" + N + "xi32>";
  return "func.func @gemm(%x: " + x + ", %w: " + w + ") -> " + out +
         " {\n  %y = bnn.lowbit_matmul %x, %w : " + x + ", " + w + " -> " + out +
         "\n  return %y : " + out + "\n}\n";
}

/// Random int8 activations (m x k) and random weights of the kind (n rows), as host tensors.
std::pair<bnn::HostTensor, bnn::HostTensor> lowBitOperands(int64_t m, int64_t n, int64_t k,
                                                           bool ternary, std::mt19937_64 &rng) {
  const int64_t words = (k + 63) / 64;
  bnn::HostTensor x(bnn::ElementType::I8, {m, k});
  for (uint8_t &byte : x.bytes)
    byte = uint8_t(rng());
  bnn::HostTensor w = ternary ? bnn::HostTensor(bnn::ElementType::I64, {n, 2, words})
                              : bnn::HostTensor(bnn::ElementType::I64, {n, words});
  uint64_t *wd = w.data<uint64_t>();
  const uint64_t tail = k % 64 ? (uint64_t(1) << (k % 64)) - 1 : ~uint64_t(0);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t i = 0; i < words; ++i) {
      uint64_t valid = i == words - 1 ? tail : ~uint64_t(0);
      uint64_t sign = rng() & valid, mask = rng() & valid;
      if (ternary) {
        wd[(row * 2) * words + i] = sign & mask;
        wd[(row * 2 + 1) * words + i] = mask;
      } else {
        wd[row * words + i] = sign;
      }
    }
  return {std::move(x), std::move(w)};
}

void lowBitGemmSection(mlir::MLIRContext &context, int cores, int reps, std::mt19937_64 &rng) {
  if (!bnn::hostSupports(*bnn::getCPUTargetInfo("avx512"))) {
    outs() << "\nLow-bit GEMM section skipped: it compares target amx with target avx512, and this "
              "CPU cannot run avx512 code\n";
    return;
  }
  const bool haveAmx = bnn::lowBitGemmPathSupported(bnn::LowBitGemmPath::Amx) &&
                       bnn::hostSupports(*bnn::getCPUTargetInfo("amx"));
  outs() << "\nLow-bit GEMM (bnn.lowbit_matmul, int8 activations): bnn amx = target amx (the "
            "runtime's AMX-INT8 kernel), bnn vnni = target avx512 (vpdpbusd register kernel), "
            "onednn = oneDNN "
         << dnnl_version()->major << "." << dnnl_version()->minor << "." << dnnl_version()->patch
         << " s8 x s8 -> s32 matmul of the same shape; T = 10^12 int8 MACs/s\n";
  if (!haveAmx) {
    outs() << "  (no AMX-INT8 here, or Linux refused the tile state: only the vnni and oneDNN "
              "columns are measured)\n";
  }
  double peak1 = haveAmx ? amxPeak(1, 2000000) : 0, peakAll = haveAmx ? amxPeak(cores, 2000000) : 0;
  outs() << format("AMX-INT8 peak (register-resident tdpbssd loop): %.2f T on 1 thread, %.2f T "
                   "on %d\n",
                   peak1 * 1e-12, peakAll * 1e-12, cores);
  outs() << format("%-15s %-16s %-3s %9s %9s %9s %7s %7s %7s %9s %9s %9s\n", "kind",
                   "M x N x K", "thr", "amx ms", "vnni ms", "onednn ms", "amx T", "vnni T",
                   "onednn T", "amx/vnni", "amx/onednn", "amx/peak");
  struct GemmShape {
    int64_t m, n, k;
  };
  std::vector<GemmShape> shapes = {{256, 2560, 2560}, {256, 6912, 2560}, {2048, 2048, 2048}};
  if (quick)
    shapes = {{256, 2560, 2560}};
  for (const GemmShape &s : shapes) {
    std::string onednnImpl;
    for (bool ternary : {true, false}) {
      auto [x, w] = lowBitOperands(s.m, s.n, s.k, ternary, rng);
      std::string source = lowBitGemmModule(s.m, s.n, s.k, ternary);
      std::vector<bnn::HostTensor> in = {x, w};
      for (int threads : {1, cores}) {
        std::vector<bnn::HostTensor> out = {bnn::HostTensor(bnn::ElementType::I32, {s.m, s.n})};
        double amxSeconds = 0, vnniSeconds = 0;
        std::vector<int32_t> amxResult;
        if (haveAmx) {
          std::string saved = target;
          target = "amx";
          auto jit = compileOrExit(context, source, threads);
          target = saved;
          amxSeconds = timeEntry(*jit, "gemm", in, out, reps);
          amxResult.assign(out[0].data<int32_t>(), out[0].data<int32_t>() + s.m * s.n);
        }
        {
          std::string saved = target;
          target = "avx512";
          auto jit = compileOrExit(context, source, threads);
          target = saved;
          vnniSeconds = timeEntry(*jit, "gemm", in, out, reps);
        }
        // Both bnn paths are exact: they must agree bit for bit.
        if (haveAmx && std::memcmp(amxResult.data(), out[0].bytes.data(), amxResult.size() * 4)) {
          errs() << "bnn-bench-cpu: the amx and avx512 results of " << s.m << "x" << s.n << "x"
                 << s.k << " differ\n";
          std::exit(1);
        }
        double onednnSeconds = oneDnnS8Seconds(s.m, s.n, s.k, threads, reps, onednnImpl);
        double macs = double(s.m) * s.n * s.k;
        double peak = threads == 1 ? peak1 : peakAll;
        auto rate = [&](double seconds) { return seconds > 0 ? macs / seconds * 1e-12 : 0.0; };
        outs() << format("%-15s %-16s %-3d %9.3f %9.3f %9.3f %7.2f %7.2f %7.2f %9.2f %9.2f "
                         "%9.2f\n",
                         ternary ? "ternary x int8" : "binary x int8",
                         (std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                          std::to_string(s.k))
                             .c_str(),
                         threads, amxSeconds * 1e3, vnniSeconds * 1e3, onednnSeconds * 1e3,
                         rate(amxSeconds), rate(vnniSeconds), rate(onednnSeconds),
                         amxSeconds > 0 ? vnniSeconds / amxSeconds : 0.0,
                         amxSeconds > 0 ? onednnSeconds / amxSeconds : 0.0,
                         peak > 0 ? rate(amxSeconds) * 1e12 / peak : 0.0);
      }
    }
    outs() << "  oneDNN implementation: " << onednnImpl << "\n";
  }
  if (!haveAmx)
    return;
  // Binary x binary: the runtime's AMX kernel (bnn_ukernel_binary_gemm, called directly: no
  // lowering routes bnn.xnor_popcount to it) against bnn's compiled xnor-popcount GEMM.
  outs() << "\nBinary x binary (bnn.xnor_popcount's product): AMX kernel (+-1 int8 tiles) vs the "
            "compiled xor+popcount kernel, T = 10^12 (bit-)MACs/s\n";
  outs() << format("%-18s %-3s %10s %12s %7s %10s %12s\n", "M x N x K", "thr", "amx ms",
                   "popcount ms", "amx T", "popcount T", "popcount/amx");
  for (const GemmShape &s : shapes) {
    const int64_t words = (s.k + 63) / 64;
    bnn::HostTensor a(bnn::ElementType::I64, {s.m, words}), b(bnn::ElementType::I64, {s.n, words});
    const uint64_t tail = s.k % 64 ? (uint64_t(1) << (s.k % 64)) - 1 : ~uint64_t(0);
    for (bnn::HostTensor *t : {&a, &b}) {
      uint64_t *d = t->data<uint64_t>();
      for (int64_t i = 0; i < t->shape[0] * words; ++i)
        d[i] = rng() & (i % words == words - 1 ? tail : ~uint64_t(0));
    }
    for (int threads : {1, cores}) {
      std::vector<int32_t> amxOut(size_t(s.m * s.n));
      double amxSeconds = bestSeconds(
          [&] {
            bnn::binaryGemmWithPath(bnn::LowBitGemmPath::Amx, a.data<uint64_t>(), s.m, words,
                                    b.data<uint64_t>(), s.n, words, s.k, amxOut.data(), s.n,
                                    threads);
          },
          reps);
      auto jit = compileOrExit(context, gemmModule(Shape{s.m, s.n, s.k}), threads);
      std::vector<bnn::HostTensor> in = {a, b};
      std::vector<bnn::HostTensor> out = {bnn::HostTensor(bnn::ElementType::I32, {s.m, s.n})};
      double popSeconds = timeEntry(*jit, "gemm", in, out, reps);
      if (std::memcmp(amxOut.data(), out[0].bytes.data(), amxOut.size() * 4)) {
        errs() << "bnn-bench-cpu: the AMX and xnor-popcount binary products differ\n";
        std::exit(1);
      }
      double macs = double(s.m) * s.n * s.k;
      outs() << format("%-18s %-3d %10.3f %12.3f %7.2f %10.2f %12.2f\n",
                       (std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                        std::to_string(s.k))
                           .c_str(),
                       threads, amxSeconds * 1e3, popSeconds * 1e3, macs / amxSeconds * 1e-12,
                       macs / popSeconds * 1e-12, popSeconds / amxSeconds);
    }
  }
  // The crossover that sets amxMinRows: the AMX kernel (called directly, as compiled code
  // calls it) against the vpdpbusd kernel for few rows, ternary x int8, N = K = 2560, 1 thread.
  outs() << "\nAMX crossover (ternary x int8, M x 2560 x 2560, 1 thread; amxMinRows of target "
            "amx = "
         << bnn::getCPUTargetInfo("amx")->amxMinRows << ")\n";
  outs() << format("%-6s %10s %10s %9s\n", "M", "amx ms", "vnni ms", "amx/vnni");
  for (int64_t m : {1, 2, 4, 8, 12, 16, 24, 32, 64}) {
    const int64_t n = 2560, k = 2560;
    auto [x, w] = lowBitOperands(m, n, k, true, rng);
    std::vector<int32_t> result(size_t(m * n));
    double amxSeconds = bestSeconds(
        [&] {
          bnn::int8LowBitGemmWithPath(bnn::LowBitGemmPath::Amx, x.data<int8_t>(), m, k,
                                      w.data<uint64_t>(), n, 2 * (k / 64), k, true,
                                      result.data(), n, 1);
        },
        reps * 4);
    std::string saved = target;
    target = "avx512";
    auto jit = compileOrExit(context, lowBitGemmModule(m, n, k, true), 1);
    target = saved;
    std::vector<bnn::HostTensor> in = {x, w};
    std::vector<bnn::HostTensor> out = {bnn::HostTensor(bnn::ElementType::I32, {m, n})};
    double vnniSeconds = timeEntry(*jit, "gemm", in, out, reps * 4);
    if (std::memcmp(result.data(), out[0].bytes.data(), result.size() * 4)) {
      errs() << "bnn-bench-cpu: the amx and avx512 results of " << m << "x2560x2560 differ\n";
      std::exit(1);
    }
    outs() << format("%-6lld %10.3f %10.3f %9.2f\n", (long long)m, amxSeconds * 1e3,
                     vnniSeconds * 1e3, vnniSeconds / amxSeconds);
  }
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
    lowBitGemmSection(context, cores, reps, rng);
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
