//===- bnn-gpu-bundle-info.cpp - describe a GPU bundle --------------------===//
//
// Parses a GPU bundle with the runtime's parser (no CUDA needed) and prints what the runtime
// would load: code sections, constants and, per function, its buffers and launches.
// Usage: bnn-gpu-bundle-info BUNDLE   ("-" reads standard input)
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/GpuBundle.h"

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

using namespace bnn::cuda;

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bnn-gpu-bundle-info BUNDLE (- for standard input)\n");
    return 1;
  }
  Bundle bundle;
  Status status = Status::success();
  if (std::string(argv[1]) == "-") {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    status = Bundle::parse(data, bundle);
  } else {
    status = Bundle::load(argv[1], bundle);
  }
  if (!status) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  for (const BundleImage &image : bundle.images)
    std::printf("code %s %s %s: %zu bytes\n", image.module.c_str(), image.format.c_str(),
                image.chip.c_str(), image.data.size());
  for (std::size_t i = 0; i < bundle.constants.size(); ++i)
    std::printf("constant c%zu %s: %s, %zu bytes\n", i, bundle.constants[i].symbol.c_str(),
                bundle.constants[i].buffer.str().c_str(), bundle.constants[i].data.size());
  for (const BundleFunction &f : bundle.functions) {
    std::printf("function %s: %zu arguments, %zu temporaries, %zu steps\n", f.name.c_str(),
                f.args.size(), f.temps.size(), f.steps.size());
    for (std::size_t i = 0; i < f.args.size(); ++i)
      std::printf("  a%zu %s %s (%s)\n", i, f.args[i].isOutput ? "out" : "in",
                  f.args[i].buffer.str().c_str(), f.args[i].logicalType.c_str());
    for (const Step &step : f.steps) {
      if (step.kind == Step::Kind::Copy) {
        std::printf("  copy\n");
        continue;
      }
      const LaunchStep &l = step.launch;
      std::printf("  launch %s grid (%u, %u, %u) block (%u, %u, %u) smem %u, %zu args\n",
                  l.kernel.c_str(), l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1],
                  l.block[2], l.sharedBytes, l.args.size());
    }
  }
  return 0;
}
