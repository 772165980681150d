//===- GpuBundle.h - GPU bundles: manifest + PTX/cubin + constants -*- C++ -*-===//
//
// A GPU bundle is what `bnn-translate --bnn-gpu-to-bundle` writes for a module compiled by
// `bnn-opt --bnn-gpu-pipeline`, and everything the runtime needs to run it without MLIR:
//
//   bnn-gpu-bundle 1
//   const <id> <symbol> <dtype> <shape>                       constant buffers
//   func <name> <number of arguments>                         one block per host function
//     arg <index> <in|out> <dtype> <shape> <logical type>
//     temp <index> <dtype> <shape>                            scratch buffers of one call
//     launch <module> <kernel> grid <x> <y> <z> block <x> <y> <z> smem <bytes> args <ref>...
//     copy <ref> <ref>
//   end
//   section <ptx|cubin|fatbin> <module> <chip> <size>\n<size bytes>\n
//   section const <symbol> <size>\n<size bytes>\n
//   end-bundle
//
// A <ref> is a<i> (argument i), t<i> (temporary i) or c<i> (constant i); every kernel
// parameter is the device address of that buffer. Shapes are dimensions joined by 'x'
// ("scalar" for rank 0); dtypes are f32 f16 bf16 f64 i1 i8 i16 i32 i64 (i1 is one byte).
//
// This file is plain C++17: the parser is tested where there is no GPU and no CUDA.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_GPUBUNDLE_H
#define BNN_RUNTIME_GPUBUNDLE_H

#include "bnn/runtime/ElementType.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bnn::cuda {

/// Errors are values: every fallible call returns a Status that says what went wrong.
class Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return text; }

private:
  Status() = default;
  explicit Status(std::string message) : failed(true), text(std::move(message)) {}
  bool failed = false;
  std::string text;
};

struct BufferDesc {
  ElementType dtype = ElementType::I8;
  std::vector<int64_t> shape;

  /// The product of the dimensions, or -1 if it does not fit in int64_t.
  int64_t numElements() const;
  /// numElements() * elementTypeSize(dtype), or SIZE_MAX (a size no allocation can have) if that
  /// does not fit in size_t or numElements() does not fit. Bundle::parse rejects every
  /// buffer for which either overflows, so on a parsed bundle both are exact.
  std::size_t bytes() const;
  /// "i32 8x64"
  std::string str() const;
};

struct BufferRef {
  enum class Kind { Arg, Temp, Const };
  Kind kind = Kind::Arg;
  unsigned index = 0;
};

struct LaunchStep {
  std::string module;
  std::string kernel;
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;
  std::vector<BufferRef> args;
};

struct Step {
  enum class Kind { Launch, Copy };
  Kind kind = Kind::Launch;
  LaunchStep launch;       // Kind::Launch
  BufferRef from, to;      // Kind::Copy
};

struct FunctionArg {
  bool isOutput = false;
  BufferDesc buffer;
  std::string logicalType; ///< the bnn-level type, e.g. "!bnn.packed<8x1000>"
};

struct BundleFunction {
  std::string name;
  std::vector<FunctionArg> args;
  std::vector<BufferDesc> temps;
  std::vector<Step> steps;
};

struct BundleConstant {
  std::string symbol;
  BufferDesc buffer;
  std::string data;
};

/// Device code of one gpu.binary: PTX text, or a cubin/fatbin for `chip`.
struct BundleImage {
  std::string format; ///< "ptx", "cubin" or "fatbin"
  std::string module;
  std::string chip;   ///< "sm_90a"
  std::string data;
};

struct Bundle {
  std::vector<BundleConstant> constants;
  std::vector<BundleFunction> functions;
  std::vector<BundleImage> images;

  const BundleFunction *findFunction(std::string_view name) const;

  /// Parses a bundle; on failure `out` is unspecified and the status names the line.
  static Status parse(std::string_view data, Bundle &out);
  /// Reads and parses the bundle file at `path`.
  static Status load(const std::string &path, Bundle &out);
};

} // namespace bnn::cuda

#endif // BNN_RUNTIME_GPUBUNDLE_H
