//===- ToolOutput.h - checks of a tool's output file ------------------*- C++ -*-===//
//
// MLIR's drivers open the output (truncating it) after they map the input: `-o` naming the
// input destroys it, and a large input, mapped rather than read, faults (SIGBUS) once its file
// is truncated under the mapping. A write error (a full disk, /dev/full) stays in the stream
// until its destructor, which aborts with 'LLVM ERROR: IO failure on output stream'. bnn-opt
// and bnn-translate check both here; bnn-compile and bnn-run use the same path comparison.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_SUPPORT_TOOLOUTPUT_H
#define BNN_SUPPORT_TOOLOUTPUT_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace bnn {

/// Whether `a` and `b` name one file: the same file when both exist (through links too), else
/// the same absolute path once `.` and `..` are removed.
inline bool isSameFile(llvm::StringRef a, llvm::StringRef b) {
  if (a == b)
    return true;
  bool same = false;
  if (!llvm::sys::fs::equivalent(a, b, same))
    return same;
  llvm::SmallString<256> x(a), y(b);
  if (llvm::sys::fs::make_absolute(x) || llvm::sys::fs::make_absolute(y))
    return false;
  llvm::sys::path::remove_dots(x, /*remove_dot_dot=*/true);
  llvm::sys::path::remove_dots(y, /*remove_dot_dot=*/true);
  return x == y;
}

/// Prints "TOOL: error: refusing to overwrite the input ..." and returns true when `output`
/// names the file `input` (neither is stdin/stdout "-"). Call before opening either.
inline bool refuseToOverwriteInput(llvm::StringRef tool, llvm::StringRef input,
                                   llvm::StringRef output) {
  if (input == "-" || output == "-" || !isSameFile(input, output))
    return false;
  llvm::errs() << tool << ": error: refusing to overwrite the input " << input
               << " with the output (-o " << output << ")\n";
  return true;
}

/// Flushes `output` and returns false after printing "TOOL: error: cannot write PATH: REASON"
/// when a write failed; the error is cleared, so the stream's destructor does not abort, and
/// the file is not kept.
inline bool finishOutput(llvm::StringRef tool, llvm::ToolOutputFile &output,
                         llvm::StringRef path) {
  output.os().flush();
  if (!output.os().has_error())
    return true;
  llvm::errs() << tool << ": error: cannot write " << path << ": "
               << output.os().error().message() << "\n";
  output.os().clear_error();
  return false;
}

} // namespace bnn

#endif // BNN_SUPPORT_TOOLOUTPUT_H
