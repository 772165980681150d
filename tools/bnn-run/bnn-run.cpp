//===- bnn-run.cpp - JIT-compile a bnn module and run a function ----------===//
//
//   bnn-run model.mlir --entry=mlp [--target=avx512] [--num-threads=1]
//           [--input=x.bin ...] [--random-seed=7] [--repeat=100] [--output-dir=out/]
//
// Compiles the module with bnn-cpu-pipeline, runs the entry function on inputs read from raw
// little-endian files (one per argument, in order) or drawn from a seeded generator, prints the
// results, optionally writes them as raw files, and reports the run time.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Target/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
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
#include <random>

using namespace llvm;

static cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<module.mlir>"),
                                          cl::Required);
static cl::opt<std::string> entry("entry", cl::desc("Function to run (default: the only public "
                                                    "function)"),
                                  cl::init(""));
static cl::opt<std::string> target("target",
                                   cl::desc("CPU target: native, avx512, avx2 or generic"),
                                   cl::init("native"));
static cl::opt<unsigned> threads("num-threads", cl::desc("Threads (0: all cores, 1: compiled without OpenMP)"),
                                 cl::init(0));
static cl::opt<int64_t> tileRows("tile-rows", cl::desc("bnn-tile rows per tile (0: target "
                                                       "default)"),
                                 cl::init(0));
static cl::opt<int64_t> tileCols("tile-cols", cl::desc("bnn-tile columns per tile (0: target "
                                                       "default)"),
                                 cl::init(0));
static cl::list<std::string> inputs("input", cl::desc("Raw little-endian file for the next "
                                                      "argument (repeat, in order)"));
static cl::opt<unsigned> seed("random-seed",
                              cl::desc("Seed for arguments without --input: floats uniform in "
                                       "[-1, 1), i1 fair bits, integers in [-8, 8)"),
                              cl::init(1));
static cl::opt<unsigned> repeat("repeat", cl::desc("Run this many times and report the median"),
                                cl::init(1));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Write each result as <dir>/result<i>.bin"),
                                      cl::init(""));
static cl::opt<unsigned> printLimit("print-limit",
                                    cl::desc("Elements printed per result (0: none)"),
                                    cl::init(64));

namespace {

int fail(const Twine &message) {
  errs() << "bnn-run: error: " << message << "\n";
  return 1;
}

void fillRandom(bnn::HostTensor &tensor, std::mt19937 &rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_int_distribution<int> small(-8, 7);
  int64_t n = tensor.numElements();
  switch (tensor.kind) {
  case bnn::ElementKind::F32:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<float>()[i] = uniform(rng);
    break;
  case bnn::ElementKind::F64:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<double>()[i] = uniform(rng);
    break;
  case bnn::ElementKind::I1:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<uint8_t>()[i] = rng() & 1;
    break;
  case bnn::ElementKind::I8:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<int8_t>()[i] = small(rng);
    break;
  case bnn::ElementKind::I32:
    for (int64_t i = 0; i < n; ++i)
      tensor.data<int32_t>()[i] = small(rng);
    break;
  case bnn::ElementKind::I64:
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
    case bnn::ElementKind::F32: os << tensor.data<float>()[i]; break;
    case bnn::ElementKind::F64: os << tensor.data<double>()[i]; break;
    case bnn::ElementKind::I1: os << int(tensor.data<uint8_t>()[i]); break;
    case bnn::ElementKind::I8: os << int(tensor.data<int8_t>()[i]); break;
    case bnn::ElementKind::I16: os << tensor.data<int16_t>()[i]; break;
    case bnn::ElementKind::I32: os << tensor.data<int32_t>()[i]; break;
    case bnn::ElementKind::I64: os << tensor.data<int64_t>()[i]; break;
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
  cl::ParseCommandLineOptions(argc, argv, "bnn-run: JIT-compile a bnn module and run it\n");

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

  bnn::JitOptions options;
  options.target = target;
  options.numThreads = threads;
  options.tileRows = tileRows;
  options.tileCols = tileCols;
  Expected<bnn::CPUTargetInfo> info = bnn::getCPUTargetInfo(target);
  if (!info)
    return fail(toString(info.takeError()));
  if (!bnn::hostSupports(*info))
    return fail("this CPU cannot run code for target '" + target + "'");
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
      std::string error;
      std::unique_ptr<MemoryBuffer> data = mlir::openInputFile(inputs[i], &error);
      if (!data)
        return fail(error);
      if (data->getBufferSize() != argument.bytes.size())
        return fail("--input " + inputs[i] + " has " + Twine(data->getBufferSize()) +
                    " bytes, argument #" + Twine(i) + " (" + expected.describe() + ") needs " +
                    Twine(argument.bytes.size()));
      std::memcpy(argument.bytes.data(), data->getBufferStart(), argument.bytes.size());
    } else {
      fillRandom(argument, rng);
    }
    arguments.push_back(std::move(argument));
  }
  if (inputs.size() > arguments.size())
    return fail("got " + Twine(inputs.size()) + " --input files for " +
                Twine(arguments.size()) + " arguments");

  std::vector<bnn::HostTensor> results;
  for (const bnn::HostTensor &result : (*signature)->results)
    results.emplace_back(result.kind, result.shape);
  std::vector<double> times;
  for (unsigned r = 0; r < std::max(1u, unsigned(repeat)); ++r) {
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
      sys::fs::create_directories(outputDir);
      SmallString<128> path(outputDir);
      sys::path::append(path, "result" + Twine(i) + ".bin");
      std::error_code ec;
      raw_fd_ostream out(path, ec, sys::fs::OF_None);
      if (ec)
        return fail("cannot write " + path + ": " + ec.message());
      out.write(reinterpret_cast<const char *>(results[i].bytes.data()), results[i].bytes.size());
    }
  }
  errs() << "bnn-run: @" << entryName << " on " << info->name << " ("
         << (threads == 0 ? std::string("all cores") : std::to_string(threads) + " thread(s)")
         << "): compiled in " << format("%.2f", compileSeconds) << " s, ran in "
         << format("%.3f", times[times.size() / 2] * 1e3) << " ms (median of " << times.size()
         << ")\n";
  return 0;
}
