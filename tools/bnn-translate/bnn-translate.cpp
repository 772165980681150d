//===- bnn-translate.cpp - bnn translation driver -------------------------===//
//
// mlir-translate with bnn's translations registered beside the upstream ones
// (--mlir-to-llvmir, --import-llvm, ...). The driver is mlirTranslateMain's, with the output
// file handled here: `-o` naming the input is refused before anything is opened (the input is
// mapped, and truncating it destroyed the model and faulted with SIGBUS on large inputs), and a
// write error is a message and a non-zero exit, not 'LLVM ERROR: IO failure on output stream'.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Registration.h"
#include "bnn/InitAll.h"
#include "bnn/Support/ToolOutput.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllTranslations.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/LogicalResult.h"
#include "mlir/Support/Timing.h"
#include "mlir/Support/ToolUtilities.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace {

llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional, llvm::cl::desc("<input file>"),
                                         llvm::cl::init("-"));

llvm::cl::opt<std::string> outputFilename("o", llvm::cl::desc("Output filename"),
                                          llvm::cl::value_desc("filename"), llvm::cl::init("-"));

llvm::cl::opt<bool> allowUnregisteredDialects(
    "allow-unregistered-dialect",
    llvm::cl::desc("Allow operation with no registered dialects (discouraged: testing only!)"),
    llvm::cl::init(false));

llvm::cl::opt<std::string> inputSplitMarker{
    "split-input-file", llvm::cl::ValueOptional,
    llvm::cl::callback([](const std::string &marker) {
      // Given without a value: the default marker.
      if (marker.empty())
        inputSplitMarker.setValue(kDefaultSplitMarker);
    }),
    llvm::cl::desc("Split the input file into chunks using the given or default marker and "
                   "process each chunk independently"),
    llvm::cl::init("")};

llvm::cl::opt<SourceMgrDiagnosticVerifierHandler::Level> verifyDiagnostics{
    "verify-diagnostics", llvm::cl::ValueOptional,
    llvm::cl::desc("Check that emitted diagnostics match expected-* lines on the corresponding "
                   "line"),
    llvm::cl::values(
        clEnumValN(SourceMgrDiagnosticVerifierHandler::Level::All, "all",
                   "Check all diagnostics (expected, unexpected, near-misses)"),
        clEnumValN(SourceMgrDiagnosticVerifierHandler::Level::All, "",
                   "Check all diagnostics (expected, unexpected, near-misses)"),
        clEnumValN(SourceMgrDiagnosticVerifierHandler::Level::OnlyExpected, "only-expected",
                   "Check only expected diagnostics"))};

llvm::cl::opt<bool> errorDiagnosticsOnly(
    "error-diagnostics-only",
    llvm::cl::desc("Filter all non-error diagnostics (discouraged: testing only!)"),
    llvm::cl::init(false));

llvm::cl::opt<std::string> outputSplitMarker(
    "output-split-marker", llvm::cl::desc("Split marker to use for merging the ouput"),
    llvm::cl::init(""));

/// Runs the requested translations in sequence on one chunk of the input, the last one
/// writing to `os`.
LogicalResult translateChunk(llvm::ArrayRef<const Translation *> translations,
                             std::unique_ptr<llvm::MemoryBuffer> buffer, raw_ostream &os,
                             TimingScope &timing) {
  // Translations expect a null-terminated buffer; a chunk of a split input is not.
  if (!buffer->getBuffer().ends_with('\0'))
    buffer = llvm::MemoryBuffer::getMemBufferCopy(buffer->getBuffer(),
                                                  buffer->getBufferIdentifier());
  std::string previous, current;
  for (size_t i = 0; i < translations.size(); ++i) {
    bool last = i + 1 == translations.size();
    llvm::raw_string_ostream intermediate(current);
    raw_ostream &out = last ? os : intermediate;
    TimingScope translationTiming = timing.nest(translations[i]->getDescription());

    MLIRContext context;
    context.allowUnregisteredDialects(allowUnregisteredDialects);
    context.printOpOnDiagnostic(verifyDiagnostics.getNumOccurrences() == 0);
    auto sourceMgr = std::make_shared<llvm::SourceMgr>();
    sourceMgr->AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());

    LogicalResult result = success();
    if (verifyDiagnostics.getNumOccurrences()) {
      // The translation is expected to fail here; what counts is the diagnostics it emits.
      SourceMgrDiagnosticVerifierHandler verifier(*sourceMgr, &context, verifyDiagnostics);
      (void)(*translations[i])(sourceMgr, os, &context);
      result = verifier.verify();
    } else {
      SourceMgrDiagnosticHandler handler(*sourceMgr, &context);
      std::optional<ScopedDiagnosticHandler> errorsOnly;
      if (errorDiagnosticsOnly)
        errorsOnly.emplace(&context, [](Diagnostic &diag) {
          // Handled (dropped) unless it is an error.
          return success(diag.getSeverity() != DiagnosticSeverity::Error);
        });
      result = (*translations[i])(sourceMgr, out, &context);
    }
    if (failed(result) || last)
      return result;
    previous = std::move(current);
    current.clear();
    buffer = llvm::MemoryBuffer::getMemBuffer(previous);
  }
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAllTranslations();
  bnn::registerBNNTranslations();
  bnn::frontend::registerFrontendTranslations();

  llvm::cl::list<const Translation *, bool, TranslationParser> translations(
      "", llvm::cl::desc("Translations to perform"), llvm::cl::Required);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerTranslationCLOptions();
  registerDefaultTimingManagerCLOptions();
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "bnn translation driver: bnn and upstream MLIR translations\n");

  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();

  if (bnn::refuseToOverwriteInput("bnn-translate", inputFilename, outputFilename))
    return 1;
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input;
  if (std::optional<llvm::Align> alignment = translations[0]->getInputAlignment())
    input = openInputFile(inputFilename, *alignment, &errorMessage);
  else
    input = openInputFile(inputFilename, &errorMessage);
  if (!input) {
    llvm::errs() << errorMessage << "\n";
    return 1;
  }
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << errorMessage << "\n";
    return 1;
  }
  SmallVector<const Translation *> requested(translations.begin(), translations.end());
  LogicalResult result = splitAndProcessBuffer(
      std::move(input),
      [&](std::unique_ptr<llvm::MemoryBuffer> chunk, raw_ostream &os) {
        return translateChunk(requested, std::move(chunk), os, timing);
      },
      output->os(), inputSplitMarker, outputSplitMarker);
  if (!bnn::finishOutput("bnn-translate", *output, outputFilename) || failed(result))
    return 1;
  output->keep();
  return 0;
}
