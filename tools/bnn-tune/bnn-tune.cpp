//===- bnn-tune.cpp - the autotuner that writes tuning/<chip>.json ---------===//
//
// For every shape (one per shape class) and every candidate of the kernel kind's search space:
// compile (in parallel, -j), check the result bit-exact against bnn::ref, time with a fixed
// repetition count, and write the fastest candidate's entry into the tuning database
// (docs/Tuning.md). Finished candidates are kept in a results file (JSON lines) and skipped when
// the run is started again.
//
//  * CPU targets (cpu-avx512, cpu-avx2, cpu-generic, cpu-native): JIT (bnn::JitModule), timed
//    on this machine with a steady clock.
//  * GPU chips (sm_80 ... sm_90a): bnn-gpu-pipeline + a bundle with cubins (ptxas-checked);
//    timed with CUDA events through the runtime's CUDA backend when bnn-tune was built with it
//    and a GPU of the chip is present. Without one, the entries are the defaults, marked
//    untuned.
//
//===----------------------------------------------------------------------===//

#include "bnn/Conversion/BNNToGPU/BNNToGPU.h"
#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Pipelines/GPUPipeline.h"
#include "bnn/Support/ToolOptions.h"
#include "bnn/Target/CPUTarget.h"
#include "bnn/Target/PTX/GPUBundle.h"
#include "bnn/Tuning/TuningDatabase.h"
#include "bnn/runtime/Reference.h"

#ifdef BNN_TUNE_HAS_CUDA
#include "GemmTiming.h" // runtime/cuda/tools: shared with bnn-tune-time
#endif

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

using namespace llvm;
namespace tuning = bnn::tuning;

static cl::OptionCategory tuneCategory("bnn-tune options");

static cl::opt<std::string>
    chipOption("chip",
               cl::desc("What to tune: a GPU chip (sm_80, sm_86, sm_89, sm_90, sm_90a) or a CPU "
                        "target (cpu-avx512, cpu-avx2, cpu-generic, cpu-native: this machine's)"),
               cl::Required, cl::cat(tuneCategory));
static cl::list<std::string>
    shapes("shape",
           cl::desc("MxNxK product to tune (repeatable; K in bits); its shape class gets the "
                    "entry. Default: one shape per built-in class"),
           cl::cat(tuneCategory));
static cl::opt<std::string> candidatesOption(
    "candidates",
    cl::desc("Fixed candidate list instead of the search space, comma-separated: CPU "
             "ROWSxCOLS (e.g. 32x128,64x256); GPU MMA:MxNxSTAGES[:pBLOCKS] (e.g. "
             "sync:64x128x3,wgmma:128x256x4:p132)"),
    cl::init(""), cl::cat(tuneCategory));
static cl::opt<unsigned> jobs("j", cl::desc("Candidates compiled in parallel (default 2)"),
                              cl::init(2), cl::Prefix, cl::cat(tuneCategory));
static cl::opt<unsigned> repetitions("repetitions",
                                     cl::desc("Timed calls per round (fixed; default 20)"),
                                     cl::init(20), cl::cat(tuneCategory));
static cl::opt<unsigned> rounds("rounds",
                                cl::desc("Rounds of --repetitions calls; the fastest round's "
                                         "mean is the time (default 3)"),
                                cl::init(3), cl::cat(tuneCategory));
static cl::opt<unsigned> numThreads(
    "num-threads",
    cl::desc("CPU: threads the timed code runs on, as bnn::JitOptions::numThreads (default 0: "
             "all cores, what the JIT and bnn-run use by default; 1: compiled without OpenMP). "
             "Tile sizes tuned on one thread do not carry over to several"),
    cl::init(0), cl::cat(tuneCategory));
static cl::opt<std::string>
    outputPath("o",
               cl::desc("Database to write (default: tuning/<chip>.json under the current "
                        "directory); an existing one is updated, its other entries kept"),
               cl::value_desc("path"), cl::init(""), cl::cat(tuneCategory));
static cl::opt<std::string>
    resultsPath("results",
                cl::desc("Results file (JSON lines, one per finished candidate) that makes the run "
                         "resumable (default: <output>.results.jsonl)"),
                cl::init(""), cl::cat(tuneCategory));
static cl::opt<std::string> dateOption("date",
                                       cl::desc("Date recorded in the entries (default: today, "
                                                "UTC), YYYY-MM-DD"),
                                       cl::init(""), cl::cat(tuneCategory));
static cl::opt<std::string> ptxasOption("ptxas",
                                        cl::desc("ptxas for the GPU candidates' cubins (default: "
                                                 "PATH, then /usr/local/cuda/bin/ptxas)"),
                                        cl::init(""), cl::cat(tuneCategory));
static cl::opt<std::string> bundleDir(
    "bundle-dir",
    cl::desc("GPU: also write each compiled candidate's bundle to this directory and list it in "
             "DIR/plan.tsv, for bnn-tune-time on the GPU machine (which has no MLIR); its "
             "results, appended to the results file, are then read by a later bnn-tune run"),
    cl::init(""), cl::cat(tuneCategory));
static cl::opt<bool> quiet("quiet", cl::desc("No progress line"), cl::init(false),
                           cl::cat(tuneCategory));

namespace {

struct Shape {
  int64_t m = 0, n = 0, k = 0;
  std::string str() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  }
};

/// One point of a search space.
struct Candidate {
  // CPU
  int64_t tileRows = 0, tileCols = 0;
  // GPU
  std::string mma;
  int64_t tileM = 0, tileN = 0, stages = 0, persistentBlocks = 0;

  std::string str(bool gpu) const {
    if (!gpu)
      return std::to_string(tileRows) + "x" + std::to_string(tileCols);
    std::string s = mma + ":" + std::to_string(tileM) + "x" + std::to_string(tileN) + "x" +
                    std::to_string(stages);
    if (persistentBlocks)
      s += ":p" + std::to_string(persistentBlocks);
    return s;
  }
};

[[noreturn]] void fatal(const Twine &message) {
  errs() << "bnn-tune: " << message << "\n";
  std::exit(1);
}

std::optional<Shape> parseShape(StringRef text) {
  SmallVector<StringRef, 3> parts;
  text.split(parts, 'x');
  Shape s;
  if (parts.size() != 3 || parts[0].getAsInteger(10, s.m) || parts[1].getAsInteger(10, s.n) ||
      parts[2].getAsInteger(10, s.k) || s.m < 1 || s.n < 1 || s.k < 1 || s.m > (1 << 20) ||
      s.n > (1 << 20) || s.k > (1 << 24))
    return std::nullopt;
  return s;
}

Expected<Candidate> parseCandidate(StringRef text, bool gpu) {
  Candidate c;
  auto bad = [&](StringRef expected) {
    return createStringError("--candidates: '" + text + "': expected " + expected);
  };
  if (!gpu) {
    auto [rows, cols] = text.split('x');
    if (rows.getAsInteger(10, c.tileRows) || cols.getAsInteger(10, c.tileCols) || c.tileRows < 1 ||
        c.tileCols < 1)
      return bad("ROWSxCOLS with positive sizes");
    return c;
  }
  SmallVector<StringRef, 3> parts;
  text.split(parts, ':');
  if (parts.size() < 2 || parts.size() > 3 || (parts[0] != "sync" && parts[0] != "wgmma"))
    return bad("MMA:MxNxSTAGES[:pBLOCKS] with MMA sync or wgmma");
  c.mma = parts[0].str();
  SmallVector<StringRef, 3> dims;
  parts[1].split(dims, 'x');
  if (dims.size() != 3 || dims[0].getAsInteger(10, c.tileM) || dims[1].getAsInteger(10, c.tileN) ||
      dims[2].getAsInteger(10, c.stages))
    return bad("MMA:MxNxSTAGES[:pBLOCKS]");
  if (parts.size() == 3 &&
      (!parts[2].consume_front("p") || parts[2].getAsInteger(10, c.persistentBlocks) ||
       c.persistentBlocks < 1))
    return bad("a persistent block count pN with N > 0");
  return c;
}

std::string today() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &utc);
  return buffer;
}

std::string hostCPUModel() {
  if (auto buffer = MemoryBuffer::getFileAsStream("/proc/cpuinfo")) {
    SmallVector<StringRef> lines;
    (*buffer)->getBuffer().split(lines, '\n');
    for (StringRef line : lines)
      if (line.starts_with("model name")) {
        StringRef value = line.split(':').second.trim();
        if (!value.empty())
          return value.str() + " (" + sys::getHostCPUName().str() + ")";
      }
  }
  return sys::getHostCPUName().str();
}

/// The threads a CPU timing ran on (--num-threads, 0: the cores).
int64_t recordedThreads() {
  if (numThreads)
    return numThreads;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string gemmModule(const Shape &s) {
  std::string a = "!bnn.packed<" + std::to_string(s.m) + "x" + std::to_string(s.k) + ">";
  std::string b = "!bnn.packed<" + std::to_string(s.n) + "x" + std::to_string(s.k) + ">";
  std::string c = "tensor<" + std::to_string(s.m) + "x" + std::to_string(s.n) + "xi32>";
  return "func.func @gemm(%a: " + a + ", %b: " + b + ") -> " + c + " {\n" +
         "  %c = bnn.xnor_popcount %a, %b : " + a + ", " + b + " -> " + c + "\n" +
         "  return %c : " + c + "\n}\n";
}

/// Random packed rows with the padding bits past K zero (as bnn.pack leaves them); the same
/// generator as bnn::cuda::randomPackedRows (runtime/cuda/tools/GemmTiming.h), which
/// bnn-tune-time uses on the GPU machine.
std::vector<uint64_t> randomPacked(int64_t rows, int64_t k, uint64_t seed) {
  const int64_t words = (k + 63) / 64;
  std::vector<uint64_t> data(size_t(rows * words));
  std::mt19937_64 gen(seed);
  for (auto &w : data)
    w = gen();
  if (k % 64)
    for (int64_t r = 0; r < rows; ++r)
      data[size_t(r * words + words - 1)] &= (uint64_t(1) << (k % 64)) - 1;
  return data;
}

//===----------------------------------------------------------------------===//
// Results file: one JSON object per line.
//===----------------------------------------------------------------------===//

struct Result {
  std::string chip, shape, candidate, status; // status: ok, invalid, mismatch, compiled
  std::string driver;                         // GPU results timed by bnn-tune-time: where
  double timeUs = 0;
  std::string message;
};

std::string resultKey(StringRef chip, StringRef shape, StringRef candidate) {
  return (chip + "|" + shape + "|" + candidate).str();
}

std::vector<Result> readResults(StringRef path) {
  std::vector<Result> results;
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return results;
  SmallVector<StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (auto [index, line] : llvm::enumerate(lines)) {
    Expected<json::Value> value = json::parse(line);
    const json::Object *o = value ? value->getAsObject() : nullptr;
    auto str = [&](StringRef key) -> std::optional<std::string> {
      if (!o)
        return std::nullopt;
      if (auto s = o->getString(key))
        return s->str();
      return std::nullopt;
    };
    Result r;
    auto chip = str("chip"), shape = str("shape"), candidate = str("candidate"),
         status = str("status");
    if (!chip || !shape || !candidate || !status)
      fatal(path + ":" + Twine(index + 1) +
            ": not a bnn-tune result line (delete the file to "
            "start over)");
    if (!value)
      consumeError(value.takeError());
    r.chip = *chip;
    r.shape = *shape;
    r.candidate = *candidate;
    r.status = *status;
    r.timeUs = o->getNumber("time_us").value_or(0);
    r.message = str("message").value_or("");
    r.driver = str("driver").value_or("");
    results.push_back(r);
  }
  return results;
}

void appendResult(StringRef path, const Result &r) {
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_Append | sys::fs::OF_Text);
  if (ec)
    fatal(path + ": cannot append: " + ec.message());
  json::Object o{{"chip", r.chip},
                 {"shape", r.shape},
                 {"candidate", r.candidate},
                 {"status", r.status},
                 {"time_us", r.timeUs}};
  if (!r.message.empty())
    o["message"] = r.message;
  if (!r.driver.empty())
    o["driver"] = r.driver;
  os << json::Value(std::move(o)) << "\n";
  os.flush();
  if (os.has_error())
    fatal(path + ": write error");
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

class Progress {
public:
  explicit Progress(size_t total) : total(total) {}
  void step(StringRef what) {
    std::lock_guard<std::mutex> lock(mutex);
    ++done;
    if (quiet)
      return;
    // One line rewritten in place on a terminal; a line per step in a log.
    if (errs().is_displayed()) {
      errs() << "\r[" << done << "/" << total << "] " << what << "\x1b[K";
      if (done == total)
        errs() << "\n";
    } else {
      errs() << "[" << done << "/" << total << "] " << what << "\n";
    }
  }

private:
  std::mutex mutex;
  size_t total, done = 0;
};

/// Runs `work(i)` for i in [0, count) on `jobs` threads.
template <typename Work> void parallelFor(size_t count, unsigned jobs, Work work) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, jobs); ++t)
    threads.emplace_back([&] {
      for (size_t i = next++; i < count; i = next++)
        work(i);
    });
  for (std::thread &t : threads)
    t.join();
}

/// The first line of a multi-line error message.
std::string firstLine(StringRef s) {
  SmallVector<StringRef> lines;
  s.split(lines, '\n', -1, false);
  for (StringRef line : lines)
    if (line.contains("error"))
      return line.trim().str();
  return lines.empty() ? "" : lines.front().trim().str();
}

//===----------------------------------------------------------------------===//
// CPU
//===----------------------------------------------------------------------===//

std::vector<Candidate> cpuSearchSpace(const Shape &s, const bnn::CPUTargetInfo &info) {
  std::vector<Candidate> space;
  for (int64_t rows : {8, 16, 32, 64, 128, 256})
    for (int64_t cols : {64, 128, 192, 256, 512, 1024}) {
      if (rows > std::max<int64_t>(s.m, 8) * 2 || cols > std::max<int64_t>(s.n, 64) * 2)
        continue;
      Candidate c;
      c.tileRows = rows;
      c.tileCols = cols;
      space.push_back(c);
    }
  // The defaults are always a candidate.
  Candidate d;
  d.tileRows = info.tileRows;
  d.tileCols = info.tileCols;
  if (llvm::none_of(space, [&](const Candidate &c) {
        return c.tileRows == d.tileRows && c.tileCols == d.tileCols;
      }))
    space.push_back(d);
  return space;
}

struct CpuCompiled {
  std::unique_ptr<mlir::MLIRContext> context;
  std::unique_ptr<bnn::JitModule> jit;
  std::string error;
};

/// Checks the candidate against bnn::ref (status "ok", "invalid" or "mismatch").
void checkCpuCandidate(bnn::JitModule &jit, const Shape &s, const std::vector<int32_t> &expected,
                       const std::vector<bnn::HostTensor> &ins, std::vector<bnn::HostTensor> &outs,
                       Result &result) {
  if (Error e = jit.runInto("gemm", ins, outs)) {
    result.status = "invalid";
    result.message = firstLine(toString(std::move(e)));
    return;
  }
  if (std::memcmp(outs[0].bytes.data(), expected.data(), expected.size() * sizeof(int32_t))) {
    result.status = "mismatch";
    result.message = "differs from bnn::ref::xnorPopcount";
    return;
  }
  result.status = "ok";
}

/// One round: the mean time per call of --repetitions calls, in microseconds.
double timeCpuRound(bnn::JitModule &jit, const std::vector<bnn::HostTensor> &ins,
                    std::vector<bnn::HostTensor> &outs) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned r = 0; r < std::max(1u, unsigned(repetitions)); ++r)
    if (Error e = jit.runInto("gemm", ins, outs))
      fatal(toString(std::move(e)));
  std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / std::max(1u, unsigned(repetitions));
}

//===----------------------------------------------------------------------===//
// GPU
//===----------------------------------------------------------------------===//

std::vector<Candidate> gpuSearchSpace(const Shape &s, const bnn::gpugen::ChipInfo &chip) {
  std::vector<Candidate> space;
  for (int64_t tileM : {16, 32, 64, 128, 256})
    for (int64_t tileN : {64, 128, 256})
      for (int64_t stages : {2, 3, 4, 6}) {
        if (tileM > std::max<int64_t>(16, s.m) * 2)
          continue;
        Candidate c;
        c.mma = "sync";
        c.tileM = tileM;
        c.tileN = tileN;
        c.stages = stages;
        space.push_back(c);
        if (chip.hasWgmma && tileM % 64 == 0 && stages >= 3) {
          c.mma = "wgmma";
          space.push_back(c);
          c.persistentBlocks = chip.multiprocessors;
          space.push_back(c);
        }
      }
  return space;
}

struct GpuCompiled {
  std::string bundle; // the bundle text (manifest + PTX + cubins)
  std::string error;
  bool ptxasChecked = false;
};

GpuCompiled compileGpuCandidate(const Shape &s, StringRef chip, const Candidate &c,
                                const mlir::DialectRegistry &registry, bool haveCubins) {
  GpuCompiled out;
  mlir::MLIRContext context(registry);
  context.disableMultithreading();
  std::string diagnostics;
  raw_string_ostream os(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error)
      os << "error: " << diag.str() << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(gemmModule(s), &context);
  if (!module) {
    out.error = "cannot parse the generated module";
    return out;
  }
  bnn::GPUPipelineOptions options;
  options.chip = chip.str();
  options.mma = c.mma;
  options.tileM = c.tileM;
  options.tileN = c.tileN;
  options.stages = c.stages;
  options.persistentBlocks = c.persistentBlocks;
  options.tuningDb = "none";
  if (Error e = bnn::checkGPUPipelineOptions(options)) {
    out.error = toString(std::move(e));
    return out;
  }
  mlir::PassManager pm(&context);
  bnn::buildGPUPipeline(pm, options);
  if (mlir::failed(pm.run(*module))) {
    out.error = firstLine(diagnostics);
    return out;
  }
  bnn::GPUBundleOptions bundleOptions;
  bundleOptions.cubin = haveCubins ? bnn::CubinMode::Always : bnn::CubinMode::Never;
  bundleOptions.ptxasPath = ptxasOption;
  raw_string_ostream bundle(out.bundle);
  if (mlir::failed(bnn::writeGPUBundle(*module, bundle, bundleOptions))) {
    out.error = "ptxas: " + firstLine(diagnostics);
    return out;
  }
  out.ptxasChecked = haveCubins;
  return out;
}

/// The built-in shapes: one per class worth having an entry for.
std::vector<Shape> defaultShapes(bool gpu) {
  if (gpu)
    return {{16, 4096, 4096},  {16, 8192, 8192},   {64, 4096, 4096},   {64, 8192, 8192},
            {512, 2048, 2048}, {4096, 4096, 4096}, {8192, 8192, 8192}, {256, 1024, 1024}};
  return {{1, 4096, 4096}, {16, 4096, 4096}, {64, 4096, 4096}, {256, 4096, 4096}};
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bnn::hideUnrelatedOptions({&tuneCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "bnn-tune: autotuner of bnn's kernel parameters; writes the tuning database "
      "(docs/Tuning.md)\n\n"
      "For each shape (one per shape class: M in 1, <=16, <=64, >64; N and K rounded up to a "
      "power of two) it compiles every candidate of the search space (-j in parallel), checks "
      "each bit-exact against bnn::ref::xnorPopcount on random operands, times those that pass "
      "(--rounds x --repetitions calls, fastest round's mean) and writes the fastest as a "
      "tuned entry. CPU targets run here (JIT). GPU chips are compiled with bnn-gpu-pipeline "
      "and ptxas-checked; they are timed with CUDA events when bnn-tune has the CUDA backend "
      "and a GPU of the chip is present, otherwise the entries are the chip defaults marked "
      "\"untuned\". Finished candidates are appended to the results file and skipped by a "
      "later run with the same file (resumable).\n");

  const bool gpu = tuning::isGpuChip(chipOption);
  std::string chip = chipOption;
  std::optional<bnn::CPUTargetInfo> cpuInfo;
  std::optional<bnn::gpugen::ChipInfo> gpuInfo;
  if (gpu) {
    Expected<bnn::gpugen::ChipInfo> info = bnn::gpugen::parseChipOption(chip);
    if (!info)
      fatal("--chip: " + toString(info.takeError()));
    gpuInfo = *info;
  } else {
    StringRef target = chip;
    if (!target.consume_front("cpu-"))
      fatal("--chip=" + chip +
            ": expected sm_80, sm_86, sm_89, sm_90, sm_90a, cpu-avx512, cpu-avx2, cpu-generic "
            "or cpu-native");
    Expected<bnn::CPUTargetInfo> info = bnn::getCPUTargetInfo(target);
    if (!info)
      fatal("--chip=" + chip + ": " + toString(info.takeError()));
    if (!bnn::hostSupports(*info))
      fatal("--chip=" + chip + ": this machine cannot run " + info->name + " code");
    cpuInfo = *info;
    chip = bnn::cpuTuningChip(*info); // amx tunes (and reads) avx512's XNOR tiles
  }
  if (repetitions < 1 || rounds < 1 || jobs < 1)
    fatal("--repetitions, --rounds and -j must be at least 1");
  std::string date = dateOption.empty() ? today() : dateOption.getValue();

  std::vector<Shape> work;
  for (const std::string &text : shapes) {
    std::optional<Shape> s = parseShape(text);
    if (!s)
      fatal("--shape=" + text + ": expected MxNxK with positive sizes (M, N <= 2^20, K <= 2^24)");
    work.push_back(*s);
  }
  if (work.empty())
    work = defaultShapes(gpu);
  for (size_t i = 0; i < work.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (tuning::classifyShape(work[i].m, work[i].n, work[i].k) ==
          tuning::classifyShape(work[j].m, work[j].n, work[j].k))
        fatal("--shape " + work[i].str() + " and " + work[j].str() +
              " are in the same shape class; give one shape per class");
  if (gpu)
    for (const Shape &s : work)
      if (s.m == 1)
        fatal("--shape " + s.str() +
              ": M = 1 is the GPU's GEMV kernel, which has no tunable "
              "parameters");

  std::vector<Candidate> fixed;
  if (!candidatesOption.empty()) {
    SmallVector<StringRef> parts;
    StringRef(candidatesOption).split(parts, ',', -1, false);
    for (StringRef p : parts) {
      Expected<Candidate> c = parseCandidate(p.trim(), gpu);
      if (!c)
        fatal(toString(c.takeError()));
      fixed.push_back(*c);
    }
  }

  std::string output = outputPath;
  if (output.empty())
    output = "tuning/" + chip + ".json";
  std::string results = resultsPath.empty() ? output + ".results.jsonl" : resultsPath.getValue();
  tuning::TuningDatabase database;
  database.chip = chip;
  if (sys::fs::exists(output)) {
    Expected<tuning::TuningDatabase> existing = tuning::TuningDatabase::load(output);
    if (!existing)
      fatal(toString(existing.takeError()));
    if (existing->chip != chip)
      fatal(output + ": a database for " + existing->chip + ", not " + chip);
    database = std::move(*existing);
  }
  if (StringRef dir = sys::path::parent_path(output); !dir.empty())
    if (std::error_code ec = sys::fs::create_directories(dir))
      fatal(dir + ": " + ec.message());

  // Resuming: what a previous run with this results file finished.
  StringMap<Result> done;
  for (Result &r : readResults(results))
    done[resultKey(r.chip, r.shape, r.candidate)] = r;

  mlir::DialectRegistry registry;
  bnn::registerAllDialectsWithBNN(registry);

  // GPU: is there a device to time on?
  bool canTime = !gpu;
  std::string gpuDriver = "none";
#ifdef BNN_TUNE_HAS_CUDA
  std::unique_ptr<bnn::cuda::Device> device;
  if (gpu) {
    if (bnn::cuda::Status st = bnn::cuda::Device::open(0, device); !st) {
      outs() << "bnn-tune: no usable CUDA device (" << st.message() << ")\n";
      device.reset();
    } else if (StringRef(chip).rtrim('a') != device->chip()) {
      outs() << "bnn-tune: the GPU is " << device->chip() << " (" << device->name() << "), not "
             << chip << "\n";
      device.reset();
    } else {
      gpuDriver = bnn::cuda::describeDriver(*device);
      canTime = true;
    }
  }
#endif
  if (!bundleDir.empty()) {
    if (!gpu)
      fatal("--bundle-dir is for GPU chips");
    if (std::error_code ec = sys::fs::create_directories(bundleDir.getValue()))
      fatal(bundleDir + ": " + ec.message());
  }
  bool haveCubins = false;
  if (gpu) {
    haveCubins = !ptxasOption.empty() ? sys::fs::can_execute(ptxasOption)
                                      : (bool(sys::findProgramByName("ptxas")) ||
                                         sys::fs::can_execute("/usr/local/cuda/bin/ptxas"));
    if (!canTime)
      outs() << "bnn-tune: timing " << chip << " candidates needs a GPU of that chip (and "
             << "bnn-tune built with the runtime's CUDA backend); compiling"
             << (haveCubins ? " and ptxas-checking" : " (no ptxas found: PTX only)")
             << " the candidates, entries from the defaults marked untuned\n";
  }

  int exitCode = 0;
  for (const Shape &s : work) {
    tuning::ShapeClass shapeClass = tuning::classifyShape(s.m, s.n, s.k);
    std::vector<Candidate> space = !fixed.empty() ? fixed
                                   : gpu          ? gpuSearchSpace(s, *gpuInfo)
                                                  : cpuSearchSpace(s, *cpuInfo);
    const std::string shapeText = s.str();
    std::vector<size_t> todo;
    for (size_t i = 0; i < space.size(); ++i) {
      auto it = done.find(resultKey(chip, shapeText, space[i].str(gpu)));
      // A compile-only result is final only for a run that cannot time either.
      if (it == done.end() || (canTime && it->second.status == "compiled"))
        todo.push_back(i);
    }
    outs() << "bnn-tune: " << chip << " " << shapeText << " (class " << shapeClass.str()
           << "): " << space.size() << " candidates, " << space.size() - todo.size()
           << " done before\n";
    outs().flush();

    // Operands and the reference result.
    std::vector<uint64_t> a = randomPacked(s.m, s.k, 1), b = randomPacked(s.n, s.k, 2);
    // (Not needed by a GPU run that only compiles: the naive reference of 8192^3 takes a while.)
    std::vector<int32_t> expected;
    if (canTime && !todo.empty()) {
      expected.resize(size_t(s.m * s.n));
      bnn::ref::xnorPopcount(a.data(), s.m, b.data(), s.n, s.k, expected.data());
    }

    Progress progress(todo.size());
    std::vector<Result> fresh(todo.size());
    if (!gpu) {
      // Compile in parallel, then time one candidate at a time.
      std::vector<CpuCompiled> compiled(todo.size());
      parallelFor(todo.size(), jobs, [&](size_t t) {
        const Candidate &c = space[todo[t]];
        CpuCompiled &out = compiled[t];
        out.context = std::make_unique<mlir::MLIRContext>(registry);
        out.context->disableMultithreading();
        auto module = mlir::parseSourceString<mlir::ModuleOp>(gemmModule(s), out.context.get());
        bnn::JitOptions options;
        options.target = cpuInfo->name;
        options.numThreads = numThreads;
        options.tileRows = c.tileRows;
        options.tileCols = c.tileCols;
        options.tuningDb = "none";
        if (!module) {
          out.error = "cannot parse the generated module";
        } else if (auto jit = bnn::JitModule::compile(*module, options)) {
          out.jit = std::move(*jit);
        } else {
          out.error = firstLine(toString(jit.takeError()));
        }
        progress.step("compiled " + c.str(false));
      });
      bnn::HostTensor ta(bnn::ElementType::I64, {s.m, (s.k + 63) / 64});
      bnn::HostTensor tb(bnn::ElementType::I64, {s.n, (s.k + 63) / 64});
      std::memcpy(ta.bytes.data(), a.data(), a.size() * 8);
      std::memcpy(tb.bytes.data(), b.data(), b.size() * 8);
      std::vector<bnn::HostTensor> ins = {ta, tb};
      std::vector<bnn::HostTensor> outs;
      outs.emplace_back(bnn::ElementType::I32, std::vector<int64_t>{s.m, s.n});
      // Every candidate is checked first; then the rounds go over all of them in turn, so that
      // the (shared) machine's drift affects every candidate alike.
      for (size_t t = 0; t < todo.size(); ++t) {
        Result &r = fresh[t];
        r.chip = chip;
        r.shape = shapeText;
        r.candidate = space[todo[t]].str(false);
        if (!compiled[t].jit) {
          r.status = "invalid";
          r.message = compiled[t].error;
        } else {
          checkCpuCandidate(*compiled[t].jit, s, expected, ins, outs, r);
        }
      }
      size_t checked = llvm::count_if(fresh, [](const Result &r) { return r.status == "ok"; });
      Progress timing(size_t(rounds) * checked);
      for (unsigned round = 0; round < std::max(1u, unsigned(rounds)); ++round)
        for (size_t t = 0; t < todo.size(); ++t) {
          Result &r = fresh[t];
          if (r.status != "ok")
            continue;
          double mean = timeCpuRound(*compiled[t].jit, ins, outs);
          if (round == 0 || mean < r.timeUs)
            r.timeUs = mean;
          timing.step("round " + std::to_string(round + 1) + ": timed " + r.candidate + ": " +
                      formatv("{0:f1} us", mean).str());
        }
      for (size_t t = 0; t < todo.size(); ++t) {
        compiled[t] = CpuCompiled();
        appendResult(results, fresh[t]);
        done[resultKey(chip, shapeText, fresh[t].candidate)] = fresh[t];
      }
    } else {
      std::vector<GpuCompiled> compiled(todo.size());
      parallelFor(todo.size(), jobs, [&](size_t t) {
        compiled[t] = compileGpuCandidate(s, chip, space[todo[t]], registry, haveCubins);
        progress.step("compiled " + space[todo[t]].str(true));
      });
      for (size_t t = 0; t < todo.size(); ++t) {
        Result &r = fresh[t];
        r.chip = chip;
        r.shape = shapeText;
        r.candidate = space[todo[t]].str(true);
        if (!compiled[t].error.empty()) {
          r.status = "invalid";
          r.message = compiled[t].error;
        } else {
          r.status = "compiled";
          if (!bundleDir.empty()) {
            // For bnn-tune-time: DIR/<chip>_<shape>_<candidate>.bundle and a plan line.
            std::string file = chip + "_" + shapeText + "_" + r.candidate + ".bundle";
            std::replace(file.begin(), file.end(), ':', '_');
            SmallString<256> path(bundleDir.getValue());
            sys::path::append(path, file);
            if (Error e = bnn::writeOutputFile(path, compiled[t].bundle))
              fatal(toString(std::move(e)));
            SmallString<256> plan(bundleDir.getValue());
            sys::path::append(plan, "plan.tsv");
            std::error_code ec;
            raw_fd_ostream os(plan, ec, sys::fs::OF_Append | sys::fs::OF_Text);
            if (ec)
              fatal(plan + ": " + ec.message());
            os << chip << "\t" << s.m << "\t" << s.n << "\t" << s.k << "\t" << r.candidate << "\t"
               << file << "\n";
            os.close();
            if (os.has_error())
              fatal(plan + ": write error");
          }
#ifdef BNN_TUNE_HAS_CUDA
          if (canTime) {
            bnn::cuda::GemmTimingResult timing = bnn::cuda::timeGemmBundle(
                *device, compiled[t].bundle, a, b, expected, repetitions, rounds);
            r.status = timing.status;
            r.message = timing.message;
            r.timeUs = timing.timeUs;
            r.driver = gpuDriver;
          }
#endif
        }
        compiled[t] = GpuCompiled();
        appendResult(results, r);
        done[resultKey(chip, shapeText, r.candidate)] = r;
      }
    }

    // The fastest correct candidate over this and earlier runs.
    const Result *best = nullptr;
    Candidate bestCandidate;
    size_t ok = 0, invalid = 0, mismatched = 0, compiledOnly = 0;
    for (const Candidate &c : space) {
      auto it = done.find(resultKey(chip, shapeText, c.str(gpu)));
      if (it == done.end())
        continue;
      const Result &r = it->second;
      if (r.status == "ok") {
        ++ok;
        if (!best || r.timeUs < best->timeUs) {
          best = &r;
          bestCandidate = c;
        }
      } else if (r.status == "mismatch") {
        ++mismatched;
      } else if (r.status == "compiled") {
        ++compiledOnly;
      } else {
        ++invalid;
      }
    }
    outs() << "bnn-tune: " << shapeText << ": " << ok << " timed, " << compiledOnly << " compiled"
           << (haveCubins || !gpu ? "" : " (PTX only)") << ", " << invalid << " invalid, "
           << mismatched << " wrong results\n";
    if (mismatched) {
      errs() << "bnn-tune: " << shapeText << ": " << mismatched
             << " candidate(s) computed wrong results (see " << results << ")\n";
      exitCode = 1;
    }

    tuning::Entry entry;
    entry.kernel = gpu ? tuning::kGpuXnorGemm : tuning::kCpuXnorMatmul;
    entry.shape = shapeClass;
    entry.chip = chip;
    entry.date = date;
    entry.measuredShape = {s.m, s.n, s.k};
    if (best) {
      entry.untuned = false;
      entry.timeUs = best->timeUs;
      if (gpu) {
        entry.device = !best->driver.empty() ? best->driver : gpuDriver;
      } else {
        entry.device = hostCPUModel();
        entry.threads = recordedThreads();
      }
    } else {
      entry.untuned = true;
      entry.device = gpu ? "none" : hostCPUModel();
      entry.threads = gpu ? 0 : recordedThreads();
    }
    if (!gpu) {
      tuning::CpuTileParams p;
      p.tileRows = best ? bestCandidate.tileRows : cpuInfo->tileRows;
      p.tileCols = best ? bestCandidate.tileCols : cpuInfo->tileCols;
      entry.cpu = p;
      if (!best) {
        errs() << "bnn-tune: " << shapeText << ": no candidate passed; no entry written\n";
        exitCode = 1;
        continue;
      }
    } else {
      // The tiling the candidate (or, untuned, the defaults) gives this shape, warps included.
      bnn::gpugen::GemmTilingOverrides overrides;
      if (best) {
        overrides.mma = bestCandidate.mma;
        overrides.tileM = bestCandidate.tileM;
        overrides.tileN = bestCandidate.tileN;
        overrides.stages = bestCandidate.stages;
        overrides.persistentBlocks = bestCandidate.persistentBlocks;
      }
      mlir::MLIRContext context(registry);
      std::string why;
      mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
        why = d.str();
        return mlir::success();
      });
      mlir::FailureOr<bnn::gpugen::GemmTiling> tiling =
          bnn::gpugen::selectGemmTiling(*gpuInfo, s.m, s.n, s.k, overrides, [&] {
            return mlir::emitError(mlir::UnknownLoc::get(&context));
          });
      if (mlir::failed(tiling))
        fatal(shapeText + ": the chip defaults do not tile this shape: " + why);
      tuning::GpuGemmParams p;
      p.mma = tiling->kind == bnn::gpugen::GemmKernelKind::Wgmma ? "wgmma" : "sync";
      p.tileM = tiling->tileM;
      p.tileN = tiling->tileN;
      p.stages = tiling->stages;
      p.warpsM = tiling->warpsM;
      p.warpsN = tiling->warpsN;
      p.persistentBlocks = tiling->persistentBlocks;
      entry.gpu = p;
    }
    if (Error e = tuning::checkEntry(entry, chip))
      fatal(shapeText + ": " + toString(std::move(e)));
    // A tuned entry is never replaced by an untuned one.
    if (const tuning::Entry *old = database.lookup(entry.kernel, shapeClass);
        old && !old->untuned && entry.untuned) {
      outs() << "bnn-tune: " << shapeText << ": keeping the tuned entry already in " << output
             << "\n";
      continue;
    }
    outs() << "bnn-tune: " << shapeText << ": "
           << (entry.untuned ? "untuned entry (defaults)" : "best " + bestCandidate.str(gpu))
           << (entry.timeUs ? formatv(", {0:f2} us", *entry.timeUs).str() : std::string()) << "\n";
    database.upsert(std::move(entry));
  }

  // Write through a temporary file so that an interrupted run leaves the old database.
  std::string temp = output + ".tmp";
  {
    std::error_code ec;
    raw_fd_ostream os(temp, ec, sys::fs::OF_Text);
    if (ec)
      fatal(temp + ": " + ec.message());
    os << database.toJSON();
    os.close();
    if (os.has_error())
      fatal(temp + ": write error");
  }
  if (std::error_code ec = sys::fs::rename(temp, output))
    fatal(output + ": " + ec.message());
  outs() << "bnn-tune: wrote " << output << " (" << database.entries.size() << " entries)\n";
  return exitCode;
}
