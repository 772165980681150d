//===- bnn-run.cpp - JIT-compile a bnn module and run a function ----------===//
//
//   bnn-run model.mlir --entry=mlp [--target=avx512] [--num-threads=1]
//           [--input=x.bin ...] [--random-seed=7] [--repeat=100] [--output-dir=out/]
//           [--max-memory-mb=4096]
//
// Compiles the module with bnn-cpu-pipeline, runs the entry function on inputs read from raw
// little-endian files (one per argument, in order) or drawn from a seeded generator, prints the
// results, optionally writes them as raw files, and reports the run time. It allocates only
// what --max-memory-mb allows and reads exactly the bytes each argument needs.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Support/ToolOptions.h"
#include "bnn/Support/ToolOutput.h"
#include "bnn/Target/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>

using namespace llvm;

static cl::OptionCategory runCategory("Execution options");
static cl::OptionCategory compileCategory("Code generation options");
static cl::OptionCategory dataCategory("Data options (inputs and outputs)");

static cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<module.mlir>"),
                                          cl::Required, cl::cat(runCategory));
static cl::opt<std::string> entry("entry", cl::desc("Function to run (default: the only public "
                                                    "function)"),
                                  cl::init(""), cl::cat(runCategory));
static cl::opt<unsigned> repeat("repeat", cl::desc("Run this many times and report the median "
                                                   "(at least 1)"),
                                cl::init(1), cl::cat(runCategory));
static cl::opt<uint64_t> maxMemoryMB(
    "max-memory-mb",
    cl::desc("Most MiB the entry's arguments and results (as its types declare them) may take, "
             "and one intermediate buffer or constant of the compiled code"),
    cl::init(4096), cl::cat(runCategory));

static cl::opt<std::string> target("target",
                                   cl::desc(bnn::kCPUTargetOptionHelp),
                                   cl::init("native"), cl::cat(compileCategory));
static cl::opt<unsigned> threads("num-threads",
                                 cl::desc("Threads (0: all cores, 1: compiled without OpenMP; "
                                          "at most 4096)"),
                                 cl::init(0), cl::cat(compileCategory));
static cl::opt<int64_t> tileRows("tile-rows", cl::desc("bnn-tile rows per tile (0: target "
                                                       "default)"),
                                 cl::init(0), cl::cat(compileCategory));
static cl::opt<int64_t> tileCols("tile-cols", cl::desc("bnn-tile columns per tile (0: target "
                                                       "default)"),
                                 cl::init(0), cl::cat(compileCategory));
static cl::opt<std::string> tuningDb(
    "tuning-db",
    cl::desc("Tuning database for bnn-tile's sizes when neither --tile-rows nor --tile-cols is "
             "given: default (the shipped tuning/cpu-<target>.json), none, a directory or a file "
             "(docs/Tuning.md)"),
    cl::init("default"), cl::cat(compileCategory));

static cl::list<std::string> inputs("input", cl::desc("Raw little-endian file (- for stdin) with "
                                                      "exactly the bytes of the next argument "
                                                      "(repeat, in order)"),
                                    cl::value_desc("file"), cl::cat(dataCategory));
static cl::opt<unsigned> seed("random-seed",
                              cl::desc("Seed for arguments without --input: floats uniform in "
                                       "[-1, 1), i1 fair bits, integers in [-8, 8)"),
                              cl::init(1), cl::cat(dataCategory));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Write each result as <dir>/result<i>.bin"),
                                      cl::value_desc("dir"), cl::init(""),
                                      cl::cat(dataCategory));
static cl::opt<unsigned> printLimit("print-limit",
                                    cl::desc("Elements printed per result (0: none)"),
                                    cl::init(64), cl::cat(dataCategory));

static const char *const overview =
    "bnn-run: JIT-compile a bnn module and run one of its functions\n"
    "\n"
    "Compiles the module with bnn-cpu-pipeline, runs the entry function on inputs read from\n"
    "raw little-endian files (one per argument, in order) or drawn from a seeded generator,\n"
    "prints the results, optionally writes them as raw files, and reports the run time.\n"
    "\n"
    "Examples:\n"
    "  bnn-run examples/binary_mlp.mlir\n"
    "  bnn-run model.mlir --entry=mlp --target=avx2 --num-threads=1 --repeat=100\n"
    "  bnn-run model.mlir --input=x.bin --input=w.bin --output-dir=out/ --print-limit=0\n"
    "  bnn-run big.mlir --max-memory-mb=65536\n";

namespace {

int fail(const Twine &message) {
  errs() << "bnn-run: error: " << message << "\n";
  return 1;
}

/// Reads exactly `into.size()` bytes of `path` ("-": stdin) into `into`, and fails when the
/// file is shorter or longer. Reads at most one byte past the expected size, so that an
/// endless input (/dev/zero, a pipe) costs no more than the argument it fills.
Error readExactly(StringRef path, MutableArrayRef<uint8_t> into, const Twine &what) {
  sys::fs::file_t file;
  if (path == "-") {
    file = sys::fs::getStdinHandle();
  } else {
    Expected<sys::fs::file_t> opened = sys::fs::openNativeFileForRead(path);
    if (!opened)
      return createStringError("cannot open --input " + path + ": " +
                               toString(opened.takeError()));
    file = *opened;
  }
  scope_exit close([&] {
    if (path != "-")
      sys::fs::closeFile(file);
  });
  size_t have = 0;
  while (have < into.size()) {
    Expected<size_t> got = sys::fs::readNativeFile(
        file, MutableArrayRef<char>(reinterpret_cast<char *>(into.data()) + have,
                                    into.size() - have));
    if (!got)
      return createStringError("cannot read --input " + path + ": " +
                               toString(got.takeError()));
    if (*got == 0)
      return createStringError("--input " + path + " is too short: it has " + Twine(have) +
                               " bytes, " + what + " needs " + Twine(into.size()));
    have += *got;
  }
  char extra;
  Expected<size_t> got = sys::fs::readNativeFile(file, MutableArrayRef<char>(&extra, 1));
  if (!got)
    return createStringError("cannot read --input " + path + ": " + toString(got.takeError()));
  if (*got != 0)
    return createStringError("--input " + path + " is too long: it has more than the " +
                             Twine(into.size()) + " bytes " + what + " needs");
  return Error::success();
}

/// Checks the options whose range the parser does not know, naming the option and the range.
Error checkOptions() {
  if (repeat == 0)
    return createStringError("--repeat=0: expected at least 1 run");
  if (threads > 4096)
    return createStringError("--num-threads=" + Twine(threads) +
                             ": expected 0 (all cores) to 4096");
  if (tileRows < 0)
    return createStringError("--tile-rows=" + Twine(tileRows) +
                             ": expected 0 (target default) or a positive row count");
  if (tileCols < 0)
    return createStringError("--tile-cols=" + Twine(tileCols) +
                             ": expected 0 (target default) or a positive column count");
  if (maxMemoryMB == 0 || maxMemoryMB > (uint64_t(1) << 43))
    return createStringError("--max-memory-mb=" + Twine(maxMemoryMB) +
                             ": expected 1 to 2^43 (8 EiB)");
  return Error::success();
}

/// Fails when the arguments and results of `signature` need more than --max-memory-mb (or
/// more than int64_t can count), before anything is allocated.
Error checkMemory(StringRef entryName, const bnn::FunctionSignature &signature) {
  const uint64_t limit = uint64_t(maxMemoryMB) << 20; // at most 2^63 (checkOptions)
  std::optional<int64_t> total = 0;
  const bnn::HostTensor *largest = nullptr;
  int64_t largestBytes = -1;
  for (const auto *list : {&signature.inputs, &signature.results})
    for (const bnn::HostTensor &tensor : *list) {
      int64_t bytes = cantFail(bnn::denseByteSize(tensor.kind, tensor.shape));
      if (bytes > largestBytes) {
        largest = &tensor;
        largestBytes = bytes;
      }
      total = total ? checkedAdd(*total, bytes) : std::nullopt;
    }
  if (total && uint64_t(*total) <= limit)
    return Error::success();
  return createStringError(
      "the arguments and results of @" + entryName + " need " +
      (total ? Twine(*total) + " bytes" : Twine("more than 2^63 bytes")) +
      " (the largest is " + largest->describe() + ", " + Twine(largestBytes) +
      " bytes), more than --max-memory-mb=" + Twine(maxMemoryMB) + " allows; raise it to run");
}

void fillRandom(bnn::HostTensor &tensor, std::mt19937 &rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_int_distribution<int> small(-8, 7);
  int64_t n = tensor.numElements();
  switch (tensor.kind) {
  case bnn::ElementType::F32:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<float>()[i] = uniform(rng);
    break;
  case bnn::ElementType::F64:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<double>()[i] = uniform(rng);
    break;
  case bnn::ElementType::I1:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<uint8_t>()[i] = rng() & 1;
    break;
  case bnn::ElementType::I8:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<int8_t>()[i] = small(rng);
    break;
  case bnn::ElementType::I32:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<int32_t>()[i] = small(rng);
    break;
  case bnn::ElementType::I64:
    // Random words: packed operands.
    for (int64_t i = 0; i < n; ++i)
      tensor.data<uint64_t>()[i] = (uint64_t(rng()) << 32) | rng();
    break;
  default:
    for (uint8_t &byte : tensor.bytes)
      byte = rng() & 0xff;
  }
}

void printTensor(raw_ostream &os, const bnn::HostTensor &tensor, unsigned limit) {
  os << tensor.describe() << " [";
  int64_t n = std::min<int64_t>(tensor.numElements(), limit);
  for (int64_t i = 0; i < n; ++i) {
    if (i)
      os << ", ";
    switch (tensor.kind) {
    case bnn::ElementType::F32: os << tensor.data<float>()[i]; break;
    case bnn::ElementType::F64: os << tensor.data<double>()[i]; break;
    case bnn::ElementType::I1: os << int(tensor.data<uint8_t>()[i]); break;
    case bnn::ElementType::I8: os << int(tensor.data<int8_t>()[i]); break;
    case bnn::ElementType::I16: os << tensor.data<int16_t>()[i]; break;
    case bnn::ElementType::I32: os << tensor.data<int32_t>()[i]; break;
    case bnn::ElementType::I64: os << tensor.data<int64_t>()[i]; break;
    default: os << "0x" << utohexstr(tensor.bytes[i]);
    }
  }
  if (n < tensor.numElements())
    os << ", ... (" << tensor.numElements() << " elements)";
  os << "]\n";
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bnn::hideUnrelatedOptions({&runCategory, &compileCategory, &dataCategory});
  cl::ParseCommandLineOptions(argc, argv, overview);
  if (Error error = checkOptions())
    return fail(toString(std::move(error)));
  Expected<bnn::CPUTargetInfo> info = bnn::getCPUTargetInfo(target);
  if (!info)
    return fail(toString(info.takeError()));
  if (!bnn::hostSupports(*info))
    return fail("this CPU cannot run code for target '" + target + "'");

  mlir::DialectRegistry registry;
  bnn::registerAllDialectsWithBNN(registry);
  mlir::MLIRContext context(registry);

  mlir::OwningOpRef<mlir::ModuleOp> module = bnn::parseModuleFile(inputFilename, context, "bnn-run");
  if (!module)
    return 1; // Reported with its location.

  std::string entryName = entry;
  if (entryName.empty()) {
    SmallVector<StringRef> publics;
    for (auto func : module->getOps<mlir::func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        publics.push_back(func.getName());
    if (publics.size() != 1)
      return fail("the module has " + Twine(publics.size()) +
                  " public functions: choose one with --entry");
    entryName = publics.front().str();
  }

  // Sizes are known from the types before compiling: a model that would not fit fails fast.
  Expected<std::vector<std::pair<std::string, bnn::FunctionSignature>>> signatures =
      bnn::collectSignatures(*module);
  if (!signatures)
    return fail(toString(signatures.takeError()));
  for (const auto &[name, signature] : *signatures) {
    if (name != entryName)
      continue;
    if (Error error = checkMemory(entryName, signature))
      return fail(toString(std::move(error)));
    if (inputs.size() > signature.inputs.size())
      return fail("got " + Twine(inputs.size()) + " --input files for " +
                  Twine(signature.inputs.size()) + " arguments of @" + entryName);
  }

  bnn::JitOptions options;
  options.target = target;
  options.numThreads = threads;
  options.tileRows = tileRows;
  options.tileCols = tileCols;
  options.tuningDb = tuningDb;
  // At most 2^63 - 1 (checkOptions allows 2^43 MiB).
  options.maxBufferBytes = int64_t(std::min<uint64_t>(uint64_t(maxMemoryMB) << 20, INT64_MAX));
  auto compileStart = std::chrono::steady_clock::now();
  Expected<std::unique_ptr<bnn::JitModule>> jit = bnn::JitModule::compile(*module, options);
  if (!jit)
    return fail(toString(jit.takeError()));
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compileStart).count();

  Expected<const bnn::FunctionSignature *> signature = (*jit)->signature(entryName);
  if (!signature)
    return fail(toString(signature.takeError()));
  std::vector<bnn::HostTensor> arguments;
  std::mt19937 rng(seed);
  for (size_t i = 0; i < (*signature)->inputs.size(); ++i) {
    const bnn::HostTensor &expected = (*signature)->inputs[i];
    bnn::HostTensor argument(expected.kind, expected.shape);
    if (i < inputs.size()) {
      if (Error error = readExactly(inputs[i], argument.bytes,
                                    "argument #" + Twine(i) + " (" + expected.describe() + ")"))
        return fail(toString(std::move(error)));
    } else {
      fillRandom(argument, rng);
    }
    arguments.push_back(std::move(argument));
  }
  std::vector<bnn::HostTensor> results;
  for (const bnn::HostTensor &result : (*signature)->results)
    results.emplace_back(result.kind, result.shape);
  std::vector<double> times;
  for (unsigned r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    if (Error runError = (*jit)->runInto(entryName, arguments, results))
      return fail(toString(std::move(runError)));
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());

  for (size_t i = 0; i < results.size(); ++i) {
    if (printLimit > 0) {
      outs() << "result " << i << ": ";
      printTensor(outs(), results[i], printLimit);
    }
    if (!outputDir.empty()) {
      if (std::error_code ec = sys::fs::create_directories(outputDir))
        return fail("cannot create --output-dir " + outputDir + ": " + ec.message());
      SmallString<128> path(outputDir);
      sys::path::append(path, "result" + Twine(i) + ".bin");
      // An existing result file may be one of the inputs (or the module): never overwrite it.
      SmallVector<StringRef> sources(inputs.begin(), inputs.end());
      sources.push_back(inputFilename);
      for (StringRef source : sources) {
        if (source != "-" && bnn::isSameFile(path, source))
          return fail("refusing to overwrite the input " + source + " with result " + Twine(i) +
                      " (" + path + ")");
      }
      if (Error error = bnn::writeOutputFile(
              path, StringRef(reinterpret_cast<const char *>(results[i].bytes.data()),
                              results[i].bytes.size())))
        return fail(toString(std::move(error)));
    }
  }
  errs() << "bnn-run: @" << entryName << " on " << info->name << " ("
         << (threads == 0 ? std::string("all cores") : std::to_string(threads) + " thread(s)")
         << "): compiled in " << format("%.2f", compileSeconds) << " s, ran in "
         << format("%.3f", times[times.size() / 2] * 1e3) << " ms (median of " << times.size()
         << ")\n";
  return 0;
}
