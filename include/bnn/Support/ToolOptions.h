//===- ToolOptions.h - a command-line tool's own options in --help ----*- C++ -*-===//
//
// bnn's tools link MLIR and LLVM, which register hundreds of options (AMDGPU, SPIR-V, ARM
// back-end flags, pass statistics, ...). `--help` of a tool should list the tool's own options,
// grouped by its llvm::cl::OptionCategory, as llvm-objcopy or clang-tidy do with
// cl::HideUnrelatedOptions; unlike that function, this keeps the others reachable through
// `--help-hidden` / `--help-list-hidden` (hidden, not "really hidden"), since they still work
// on the command line and are what one looks for when debugging a pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_SUPPORT_TOOLOPTIONS_H
#define BNN_SUPPORT_TOOLOPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/CommandLine.h"

namespace bnn {

/// Hides from `--help` every registered option outside `categories` (and LLVM's generic
/// --help/--version options); `--help-hidden` still lists them. Call before
/// cl::ParseCommandLineOptions.
inline void hideUnrelatedOptions(llvm::ArrayRef<const llvm::cl::OptionCategory *> categories) {
  auto &options = llvm::cl::getRegisteredOptions();
  llvm::DenseMap<llvm::cl::Option *, llvm::cl::OptionHidden> before;
  for (auto &entry : options)
    before[entry.second] = entry.second->getOptionHiddenFlag();
  llvm::cl::HideUnrelatedOptions(categories);
  for (auto &entry : options)
    if (entry.second->getOptionHiddenFlag() == llvm::cl::ReallyHidden &&
        before[entry.second] != llvm::cl::ReallyHidden)
      entry.second->setHiddenFlag(llvm::cl::Hidden);
}

} // namespace bnn

#endif // BNN_SUPPORT_TOOLOPTIONS_H
