//===- Jit.h - compile and run bnn modules in-process -----------*- C++ -*-===//
//
// The JIT path of bnn: a module of func/tensor/arith/math/linalg/tosa + bnn ops is lowered
// with bnn-cpu-pipeline and compiled by MLIR's ExecutionEngine; its public functions are then
// called on host tensors. Used by bnn-run, the correctness sweeps, the benchmarks and the
// ONNX conformance runner.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_EXECUTION_JIT_H
#define BNN_EXECUTION_JIT_H

#include "bnn/runtime/ElementType.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class ModuleOp;
class Type;
} // namespace mlir

namespace bnn {

/// Bytes of a dense row-major tensor of `kind` and `shape`; fails when a dimension is dynamic
/// (negative) or the size does not fit in int64_t. Every buffer size derived from a type goes
/// through it.
llvm::Expected<int64_t> denseByteSize(ElementType kind, llvm::ArrayRef<int64_t> shape);

/// A dense row-major host tensor.
struct HostTensor {
  ElementType kind = ElementType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  /// Allocates zeroed storage; `shape` must have a denseByteSize (checked: a size that does
  /// not fit is a fatal error, never a short buffer).
  HostTensor(ElementType kind, std::vector<int64_t> shape);
  /// Product of the dimensions (saturates at INT64_MAX).
  int64_t numElements() const;
  template <typename T> T *data() { return reinterpret_cast<T *>(bytes.data()); }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(bytes.data());
  }
  /// "tensor<4x64xf32>"-style description, for messages.
  std::string describe() const;
};

struct JitOptions {
  /// CPU target: native, amx, avx512, avx2 or generic.
  std::string target = "native";
  /// Threads for parallel loops: 0 = all cores, 1 = single-threaded (compiled without OpenMP).
  unsigned numThreads = 0;
  /// Run bnn-lower-ste (inference) in the pipeline.
  bool inference = true;
  /// bnn-tile sizes (0: target default).
  int64_t tileRows = 0, tileCols = 0;
  /// bnn-cpu-pipeline's tuning-db: "default" (the shipped tuning/cpu-<target>.json), "none",
  /// a directory or a file (docs/Tuning.md). Explicit tile sizes win over it.
  std::string tuningDb = "default";
  /// Most bytes one intermediate buffer or constant of the compiled code may take
  /// (bnn-cpu-pipeline's max-buffer-bytes; 0: no limit).
  int64_t maxBufferBytes = 0;
};

/// The tensor signature of a public function, as written before lowering.
struct FunctionSignature {
  std::vector<HostTensor> inputs;  // shapes and kinds; no data
  std::vector<HostTensor> results; // shapes and kinds; no data
};

class JitModule {
public:
  /// Lowers `module` (changed in place) with bnn-cpu-pipeline and JIT-compiles it. Public
  /// functions must take and return statically shaped tensors of the kinds above.
  static llvm::Expected<std::unique_ptr<JitModule>> compile(mlir::ModuleOp module,
                                                            const JitOptions &options = {});
  ~JitModule();

  /// Runs public function `name` on `inputs`; returns one tensor per function result.
  llvm::Expected<std::vector<HostTensor>> run(llvm::StringRef name,
                                              llvm::ArrayRef<HostTensor> inputs);

  /// Same, writing into caller-provided results of the right shapes (no allocation: used
  /// for timing).
  llvm::Error runInto(llvm::StringRef name, llvm::ArrayRef<HostTensor> inputs,
                      llvm::MutableArrayRef<HostTensor> results);

  llvm::Expected<const FunctionSignature *> signature(llvm::StringRef name) const;

private:
  JitModule() = default;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  llvm::StringMap<FunctionSignature> signatures;
  unsigned numThreads = 0;
};

/// The host tensor element type of an MLIR element type (bnn/Target/ElementType.h), or an
/// error naming it.
llvm::Expected<ElementType> elementTypeOf(mlir::Type type);

/// The signatures of the public functions of `module` (before lowering), in module order;
/// fails on arguments or results that are not statically shaped tensors of the kinds above.
llvm::Expected<std::vector<std::pair<std::string, FunctionSignature>>>
collectSignatures(mlir::ModuleOp module);

/// Lowers `module` with bnn-cpu-pipeline for `options` (diagnostics go into the error) and
/// registers the LLVM IR translations the result needs in its context.
llvm::Error lowerToLLVMDialect(mlir::ModuleOp module, const JitOptions &options);

/// Ahead-of-time compilation: lowers `module`, writes a relocatable object for the target to
/// `objectPath` and a C header declaring every public function to `headerPath` (see
/// docs/CPU.md for the calling convention). The object needs the bnn runtime (memref support)
/// and, when compiled with threads, LLVM's OpenMP runtime (libomp).
llvm::Error compileToObject(mlir::ModuleOp module, const JitOptions &options,
                            llvm::StringRef objectPath, llvm::StringRef headerPath,
                            llvm::StringRef sourceName);

/// Writes `bytes` to `path` ("-": stdout) for a tool. A write error (a full disk, /dev/full)
/// is an error naming the path, never a fatal error in a stream's destructor, and a partly
/// written regular file is removed.
llvm::Error writeOutputFile(llvm::StringRef path, llvm::StringRef bytes, bool text = false);

} // namespace bnn

#endif // BNN_EXECUTION_JIT_H
