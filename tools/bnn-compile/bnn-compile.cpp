//===- bnn-compile.cpp - ahead-of-time compiler driver --------------------===//
//
//   bnn-compile model.mlir -o model.o --header model.h [--target=avx512] [--num-threads=1]
//   bnn-compile model.mlir --emit-1bit=model.1bit [--emit-1bit-header=onebit_format.h]
//
// Compiles a bnn module for a CPU into an object file plus a C header declaring each public
// function, for applications that embed the generated code with the bnn runtime (no MLIR);
// and/or writes the module's packed constants as a OneBit-LLM .1bit file.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/Frontend/OneBit.h"
#include "bnn/InitAll.h"
#include "bnn/Support/ToolOptions.h"
#include "bnn/Support/ToolOutput.h"
#include "bnn/Target/CPUTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory compileCategory("Compiler options");

static cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<module.mlir>"),
                                          cl::Required, cl::cat(compileCategory));
static cl::opt<std::string> objectFilename("o", cl::desc("Object file to write"),
                                           cl::value_desc("file.o"), cl::init(""),
                                           cl::cat(compileCategory));
static cl::opt<std::string> oneBitFilename(
    "emit-1bit",
    cl::desc("Write the module's bnn.constant / bnn.ternary_constant values as a .1bit file "
             "(OneBit-LLM's format, docs/OneBitFormat.md)"),
    cl::value_desc("file.1bit"), cl::init(""), cl::cat(compileCategory));
static cl::opt<std::string> oneBitHeaderFilename(
    "emit-1bit-header", cl::desc("Write the C header that describes and decodes .1bit files"),
    cl::value_desc("file.h"), cl::init(""), cl::cat(compileCategory));
static cl::opt<std::string> headerFilename("header", cl::desc("C header to write (default: the "
                                                              "object's name with .h)"),
                                           cl::value_desc("file.h"), cl::init(""),
                                           cl::cat(compileCategory));
static cl::opt<std::string> target("target",
                                   cl::desc(bnn::kCPUTargetOptionHelp),
                                   cl::init("native"), cl::cat(compileCategory));
static cl::opt<unsigned> threads("num-threads",
                                 cl::desc("1: single-threaded code without OpenMP; otherwise "
                                          "parallel loops on libomp"),
                                 cl::init(0), cl::cat(compileCategory));

static cl::opt<uint64_t> maxMemoryMB(
    "max-memory-mb",
    cl::desc("Most MiB one intermediate buffer or constant of the compiled code may take (a "
             "larger one would fail to allocate at run time, or exhaust memory while compiling)"),
    cl::init(4096), cl::cat(compileCategory));

static const char *const overview =
    "bnn-compile: bnn module -> object file + C header\n"
    "\n"
    "Compiles a bnn module for a CPU into a relocatable object and a C header declaring\n"
    "bnn_<name>(inputs..., outputs...) for each public function (whose names must be C\n"
    "identifiers). Link the object with the bnn runtime (and libomp unless --num-threads=1).\n"
    "The outputs are written only when both succeed; neither may be the input.\n"
    "\n"
    "Examples:\n"
    "  bnn-compile examples/binary_mlp.mlir -o binary_mlp.o      (writes binary_mlp.h too)\n"
    "  bnn-compile model.mlir -o out/model.o --header include/model.h --target=avx2\n"
    "  bnn-compile model.mlir -o model.o --num-threads=1         (no OpenMP dependency)\n"
    "  bnn-compile weights.mlir --emit-1bit=model.1bit --emit-1bit-header=onebit_format.h\n"
    "                                        (the packed constants as a .1bit file; no -o: no\n"
    "                                        object; bnn-translate --import-1bit reads it back)\n";

/// Writes `bytes` to `path` (kept only when every byte was written); false after a message.
static bool writeOutput(StringRef path, StringRef bytes) {
  std::error_code error;
  ToolOutputFile output(path, error, sys::fs::OF_None);
  if (error) {
    errs() << "bnn-compile: error: cannot open " << path << ": " << error.message() << "\n";
    return false;
  }
  output.os() << bytes;
  if (!bnn::finishOutput("bnn-compile", output, path))
    return false;
  output.keep();
  return true;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bnn::hideUnrelatedOptions({&compileCategory});
  cl::ParseCommandLineOptions(argc, argv, overview);
  mlir::DialectRegistry registry;
  bnn::registerAllDialectsWithBNN(registry);
  mlir::MLIRContext context(registry);

  if (objectFilename.empty() && oneBitFilename.empty() && oneBitHeaderFilename.empty()) {
    errs() << "bnn-compile: error: nothing to write: give -o (an object), --emit-1bit or "
              "--emit-1bit-header (see --help)\n";
    return 1;
  }
  for (const std::string *path : {&oneBitFilename, &oneBitHeaderFilename})
    if (!path->empty() && bnn::isSameFile(*path, inputFilename)) {
      errs() << "bnn-compile: error: '" << *path << "' is the input; refusing to overwrite it\n";
      return 1;
    }
  if (!oneBitHeaderFilename.empty() &&
      !writeOutput(oneBitHeaderFilename, bnn::frontend::onebit::cHeader()))
    return 1;
  if (oneBitFilename.empty() && objectFilename.empty())
    return 0; // Only the header was asked for: no module needed.

  mlir::OwningOpRef<mlir::ModuleOp> module =
      bnn::parseModuleFile(inputFilename, context, "bnn-compile");
  if (!module)
    return 1; // Reported with its location.
  if (!oneBitFilename.empty()) {
    llvm::Expected<bnn::frontend::onebit::File> file = bnn::frontend::exportOneBit(*module);
    if (!file) {
      errs() << "bnn-compile: error: --emit-1bit: " << toString(file.takeError()) << "\n";
      return 1;
    }
    if (file->tensors.empty()) {
      errs() << "bnn-compile: error: --emit-1bit: the module has no bnn.constant or "
                "bnn.ternary_constant to write\n";
      return 1;
    }
    if (!writeOutput(oneBitFilename, bnn::frontend::onebit::serialize(*file)))
      return 1;
  }
  if (objectFilename.empty())
    return 0;

  std::string header = headerFilename;
  if (header.empty() && objectFilename == "-") {
    // The default header name would be "-.h", a file nobody asked for.
    errs() << "bnn-compile: error: -o - writes the object to stdout: give --header a path\n";
    return 1;
  }
  if (header.empty()) {
    SmallString<128> path(objectFilename);
    sys::path::replace_extension(path, "h");
    header = std::string(path);
  }
  bnn::JitOptions options;
  options.target = target;
  options.numThreads = threads;
  if (maxMemoryMB == 0 || maxMemoryMB > (uint64_t(1) << 43)) {
    errs() << "bnn-compile: error: --max-memory-mb=" << maxMemoryMB
           << ": expected 1 to 2^43 (8 EiB)\n";
    return 1;
  }
  // At most 2^63 - 1.
  options.maxBufferBytes = int64_t(std::min<uint64_t>(uint64_t(maxMemoryMB) << 20, INT64_MAX));
  if (Error compileError =
          bnn::compileToObject(*module, options, objectFilename, header, inputFilename)) {
    errs() << "bnn-compile: error: " << toString(std::move(compileError)) << "\n";
    return 1;
  }
  return 0;
}
