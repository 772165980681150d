//===- GemmTiming.h - check and time one GEMM bundle (bnn-tune) -*- C++ -*-===//
//
// Shared by bnn-tune (when it has the CUDA backend) and bnn-tune-time (the runtime-only
// timer for the GPU machine, which has no MLIR): loads a bundle whose function `gemm(a, b) ->
// c` is bnn.xnor_popcount on packed M x K and N x K operands, checks c bit-exact against
// the expected result, then times `rounds` rounds of `repetitions` asynchronous calls between
// two CUDA events; the fastest round's mean per call is the time. Plain C++17.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_CUDA_TOOLS_GEMMTIMING_H
#define BNN_RUNTIME_CUDA_TOOLS_GEMMTIMING_H

#include "bnn/runtime/CudaBackend.h"
#include "bnn/runtime/GpuBundle.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bnn::cuda {

struct GemmTimingResult {
  std::string status; ///< ok, invalid (load or run failed) or mismatch
  std::string message;
  double timeUs = 0;
};

inline GemmTimingResult timeGemmBundle(Device &device, const std::string &bundleText,
                                       const std::vector<uint64_t> &a,
                                       const std::vector<uint64_t> &b,
                                       const std::vector<int32_t> &expected, unsigned repetitions,
                                       unsigned rounds) {
  GemmTimingResult result;
  auto failWith = [&](const char *status, const std::string &message) {
    result.status = status;
    result.message = message;
    return result;
  };
  repetitions = repetitions ? repetitions : 1;
  rounds = rounds ? rounds : 1;
  Bundle bundle;
  if (Status st = Bundle::parse(bundleText, bundle); !st)
    return failWith("invalid", "bundle: " + st.message());
  std::unique_ptr<Module> module;
  if (Status st = Module::load(device, bundle, module); !st)
    return failWith("invalid", "load: " + st.message());
  const BundleFunction *function = bundle.findFunction("gemm");
  if (!function || function->args.size() != 3)
    return failWith("invalid", "the bundle has no gemm(a, b) -> c");
  std::vector<DeviceBuffer> buffers(function->args.size());
  std::vector<DeviceBuffer *> args;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (Status st = device.allocate(function->args[i].buffer.bytes(), buffers[i]); !st)
      return failWith("invalid", st.message());
    args.push_back(&buffers[i]);
  }
  if (buffers[0].size() != a.size() * 8 || buffers[1].size() != b.size() * 8 ||
      buffers[2].size() != expected.size() * 4)
    return failWith("invalid", "the manifest's argument sizes are not the shape's");
  if (Status st = buffers[0].upload(a.data(), a.size() * 8); !st)
    return failWith("invalid", st.message());
  if (Status st = buffers[1].upload(b.data(), b.size() * 8); !st)
    return failWith("invalid", st.message());
  // Poisoned, so that an output element the kernel never writes fails the check.
  if (Status st = buffers[2].fill(0xAB); !st)
    return failWith("invalid", st.message());
  if (Status st = module->run("gemm", args); !st)
    return failWith("invalid", "run: " + st.message());
  std::vector<int32_t> got(expected.size());
  if (Status st = buffers[2].download(got.data(), got.size() * 4); !st)
    return failWith("invalid", st.message());
  if (got != expected)
    return failWith("mismatch", "differs from bnn::ref::xnorPopcount");
  Device::Event start, stop;
  if (Status st = device.createEvent(start); !st)
    return failWith("invalid", st.message());
  if (Status st = device.createEvent(stop); !st) {
    device.destroyEvent(start);
    return failWith("invalid", st.message());
  }
  RunOptions async;
  async.synchronize = false;
  double best = 0;
  for (unsigned round = 0; round < rounds; ++round) {
    Status st = device.record(start);
    for (unsigned r = 0; st && r < repetitions; ++r)
      st = module->run("gemm", args, async);
    if (st)
      st = device.record(stop);
    float ms = 0;
    if (st)
      st = device.elapsedMs(start, stop, ms);
    if (!st) {
      device.destroyEvent(start);
      device.destroyEvent(stop);
      return failWith("invalid", "timing: " + st.message());
    }
    double mean = 1000.0 * double(ms) / repetitions;
    if (round == 0 || mean < best)
      best = mean;
  }
  device.destroyEvent(start);
  device.destroyEvent(stop);
  result.status = "ok";
  result.timeUs = best;
  return result;
}

/// "CUDA 12.8, NVIDIA H200" (the entry's `driver`).
inline std::string describeDriver(const Device &device) {
  int version = 0;
  if (device.driverVersion(version))
    return "CUDA " + std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10) +
           ", " + device.name();
  return device.name();
}

/// Random packed rows with the padding bits past K zero (as bnn.pack leaves them); the
/// generator is std::mt19937_64 seeded with `seed`, so both tools produce the same operands.
std::vector<uint64_t> randomPackedRows(int64_t rows, int64_t k, uint64_t seed);

} // namespace bnn::cuda

#include <random>

inline std::vector<uint64_t> bnn::cuda::randomPackedRows(int64_t rows, int64_t k, uint64_t seed) {
  const int64_t words = (k + 63) / 64;
  std::vector<uint64_t> data(size_t(rows * words));
  std::mt19937_64 gen(seed);
  for (auto &w : data)
    w = gen();
  if (k % 64)
    for (int64_t r = 0; r < rows; ++r)
      data[size_t(r * words + words - 1)] &= (uint64_t(1) << (k % 64)) - 1;
  return data;
}

#endif // BNN_RUNTIME_CUDA_TOOLS_GEMMTIMING_H
