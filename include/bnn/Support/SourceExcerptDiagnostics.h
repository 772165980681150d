//===- SourceExcerptDiagnostics.h - diagnostics that excerpt long lines -*- C++ -*-===//
//
// MLIR prints a dense constant on one line, so the source line a diagnostic points at can be
// a whole weight matrix (13 KB for the 32x64 matrix of examples/binary_mlp.mlir), and
// mlir::SourceMgrDiagnosticHandler echoes that line in full under the message. Operations
// streamed into a diagnostic are already printed with their large elements elided
// (Diagnostic::appendOp); this handler does the same for the echoed source: a line longer
// than kMaxEchoedSourceColumns is shown as an excerpt around the column, with "...", in the
// format of SourceMgrDiagnosticHandler ("file:line:col: error: message", line, caret).
// Diagnostics on short lines are left to the handler registered before this one.
//
//===----------------------------------------------------------------------------------===//

#ifndef BNN_SUPPORT_SOURCEEXCERPTDIAGNOSTICS_H
#define BNN_SUPPORT_SOURCEEXCERPTDIAGNOSTICS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>

namespace bnn {

/// The longest source line a diagnostic echoes in full; longer ones are excerpted.
constexpr size_t kMaxEchoedSourceColumns = 200;

namespace detail {

class SourceExcerptPrinter {
public:
  explicit SourceExcerptPrinter(llvm::raw_ostream &os) : os(os) {}

  /// Prints `diag` and its notes when one of them lies on a long source line of a readable
  /// file; fails (leaving it to the next handler) otherwise.
  mlir::LogicalResult handle(mlir::Diagnostic &diag) {
    std::optional<mlir::FileLineColLoc> mainLoc = fileLocOf(diag.getLocation());
    if (!mainLoc)
      return mlir::failure();
    bool anyLong = isLong(*mainLoc);
    for (mlir::Diagnostic &note : diag.getNotes())
      if (std::optional<mlir::FileLineColLoc> loc = fileLocOf(note.getLocation()))
        anyLong |= isLong(*loc);
    if (!anyLong)
      return mlir::failure();
    print(diag.getLocation(), diag.getSeverity(), diag.str(), /*showLine=*/true);
    // As SourceMgrDiagnosticHandler: a note repeats the line only where its location differs.
    mlir::Location previous = diag.getLocation();
    for (mlir::Diagnostic &note : diag.getNotes()) {
      print(note.getLocation(), note.getSeverity(), note.str(), note.getLocation() != previous);
      previous = note.getLocation();
    }
    return mlir::success();
  }

private:
  static std::optional<mlir::FileLineColLoc> fileLocOf(mlir::Location loc) {
    std::optional<mlir::FileLineColLoc> found;
    loc->walk([&](mlir::Location nested) {
      if (auto fileLoc = llvm::dyn_cast<mlir::FileLineColLoc>(nested)) {
        found = fileLoc;
        return mlir::WalkResult::interrupt();
      }
      return mlir::WalkResult::advance();
    });
    return found;
  }

  /// The text of line `loc.getLine()` of its file, or none if the file cannot be read.
  std::optional<llvm::StringRef> lineOf(mlir::FileLineColLoc loc) {
    llvm::StringRef filename = loc.getFilename().getValue();
    auto [it, inserted] = files.try_emplace(filename);
    if (inserted) {
      llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
          llvm::MemoryBuffer::getFile(filename, /*IsText=*/true);
      if (file)
        it->second = std::move(*file);
    }
    if (!it->second || loc.getLine() == 0)
      return std::nullopt;
    llvm::StringRef rest = it->second->getBuffer();
    for (unsigned line = 1; line < loc.getLine(); ++line) {
      size_t end = rest.find('\n');
      if (end == llvm::StringRef::npos)
        return std::nullopt;
      rest = rest.drop_front(end + 1);
    }
    return rest.take_until([](char c) { return c == '\n' || c == '\r'; });
  }

  bool isLong(mlir::FileLineColLoc loc) {
    std::optional<llvm::StringRef> line = lineOf(loc);
    return line && line->size() > kMaxEchoedSourceColumns;
  }

  static llvm::StringRef severityName(mlir::DiagnosticSeverity severity) {
    switch (severity) {
    case mlir::DiagnosticSeverity::Note:
      return "note";
    case mlir::DiagnosticSeverity::Warning:
      return "warning";
    case mlir::DiagnosticSeverity::Error:
      return "error";
    case mlir::DiagnosticSeverity::Remark:
      return "remark";
    }
    return "error";
  }

  void print(mlir::Location loc, mlir::DiagnosticSeverity severity, const std::string &message,
             bool showLine) {
    std::optional<mlir::FileLineColLoc> fileLoc = fileLocOf(loc);
    if (!fileLoc) {
      os << loc << ": " << severityName(severity) << ": " << message << '\n';
      return;
    }
    os << fileLoc->getFilename().getValue() << ':' << fileLoc->getLine() << ':'
       << fileLoc->getColumn() << ": " << severityName(severity) << ": " << message << '\n';
    std::optional<llvm::StringRef> line = lineOf(*fileLoc);
    if (!showLine || !line)
      return;
    size_t column = fileLoc->getColumn() == 0 ? 0 : fileLoc->getColumn() - 1;
    column = std::min(column, line->size());
    size_t start = 0;
    llvm::StringRef excerpt = *line;
    if (line->size() > kMaxEchoedSourceColumns) {
      // Some context before the column, the rest of the budget after it.
      start = column > kMaxEchoedSourceColumns / 4 ? column - kMaxEchoedSourceColumns / 4 : 0;
      excerpt = line->substr(start, kMaxEchoedSourceColumns);
    }
    llvm::StringRef before = start > 0 ? "..." : "";
    llvm::StringRef after = start + excerpt.size() < line->size() ? "..." : "";
    os << before << excerpt << after << '\n';
    os.indent(before.size() + (column - start)) << "^\n";
  }

  llvm::raw_ostream &os;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> files;
};

} // namespace detail

/// Registers on `context` a handler that prints the diagnostics located on long source lines
/// with an excerpt of the line (to `os`, by default stderr as SourceMgrDiagnosticHandler). It
/// takes precedence over the handlers registered before it, and lives as long as the context.
inline void registerSourceExcerptDiagnostics(mlir::MLIRContext *context,
                                             llvm::raw_ostream &os = llvm::errs()) {
  context->getDiagEngine().registerHandler(
      [printer = std::make_shared<detail::SourceExcerptPrinter>(os)](mlir::Diagnostic &diag) {
        return printer->handle(diag);
      });
}

} // namespace bnn

#endif // BNN_SUPPORT_SOURCEEXCERPTDIAGNOSTICS_H
