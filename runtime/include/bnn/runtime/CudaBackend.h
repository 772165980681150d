//===- CudaBackend.h - run GPU bundles with the CUDA driver API -*- C++ -*-===//
//
// Loads a GPU bundle (bnn/runtime/GpuBundle.h) and runs its host functions: device buffers,
// copies, and kernel launches with the manifest's geometry. No MLIR, no CUDA runtime library:
// the driver (libcuda.so.1) is opened with dlopen when a Device is opened, so programs built
// against this backend start, and report a Status, on machines without a GPU or driver.
//
// Typical use:
//
//   std::unique_ptr<Device> device;
//   if (Status s = Device::open(0, device); !s) { report(s.message()); return; }
//   Bundle bundle;  Bundle::load("model.bundle", bundle);
//   std::unique_ptr<Module> module;  Module::load(*device, bundle, module);
//   DeviceBuffer x, y;  device->allocate(bytes, x);  x.upload(host, bytes);
//   module->run("linear", {&x, &w, &y});  y.download(result, bytes);
//
//===----------------------------------------------------------------------===//

#ifndef BNN_RUNTIME_CUDABACKEND_H
#define BNN_RUNTIME_CUDABACKEND_H

#include "bnn/runtime/GpuBundle.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bnn::cuda {

struct Driver; // the dlopen'ed driver entry points (CudaBackend.cpp)

class Device;

/// A device allocation; freed when destroyed. Move-only.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer &&other) noexcept;
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer();

  Status upload(const void *host, std::size_t bytes, std::size_t offset = 0);
  Status download(void *host, std::size_t bytes, std::size_t offset = 0) const;
  /// Sets every byte to `value` (used to poison outputs before a check).
  Status fill(uint8_t value);

  uint64_t address() const { return pointer; }
  std::size_t size() const { return bytes; }

private:
  friend class Device;
  Device *device = nullptr;
  uint64_t pointer = 0;
  std::size_t bytes = 0;
};

class Device {
public:
  /// Loads the driver, initialises it and makes device `ordinal`'s primary context current.
  static Status open(int ordinal, std::unique_ptr<Device> &out);
  ~Device();

  const std::string &name() const { return deviceName; }
  /// "sm_90" style name of the compute capability.
  std::string chip() const;
  int computeCapability() const { return capability; } ///< e.g. 90
  int multiprocessors() const { return smCount; }
  /// The CUDA driver's version, 1000 * major + 10 * minor (cuDriverGetVersion), e.g. 12040.
  Status driverVersion(int &version) const;

  Status allocate(std::size_t bytes, DeviceBuffer &out);
  Status synchronize();

  /// Device-side timing: records an event now; `elapsedMs` between two recorded events.
  struct Event {
    void *handle = nullptr;
  };
  Status createEvent(Event &event);
  Status record(Event event);
  Status elapsedMs(Event start, Event stop, float &ms);
  void destroyEvent(Event event);

  /// Device-to-device copy.
  Status copy(const DeviceBuffer &from, DeviceBuffer &to, std::size_t bytes);

  const Driver &driver() const { return *api; }
  /// Translates a CUresult into a Status naming the failed call.
  Status check(int result, const char *what) const;

private:
  Device() = default;
  std::shared_ptr<Driver> api;
  int ordinal = 0;
  int capability = 0;
  int smCount = 0;
  std::string deviceName;
  void *context = nullptr;
  int rawDevice = 0;
};

/// Optional per-call behaviour of Module::run.
struct RunOptions {
  /// Wait for the GPU before returning (and so report kernel faults from this call).
  bool synchronize = true;
  /// When set, receives the device time of each step in milliseconds (forces a sync).
  std::vector<float> *stepMilliseconds = nullptr;
};

/// A loaded bundle: code modules, constants and per-function scratch buffers.
class Module {
public:
  /// Picks, for each gpu.binary, the cubin built for this device's chip if the bundle has one,
  /// else the PTX (JIT-compiled by the driver); uploads constants; allocates scratch buffers.
  static Status load(Device &device, const Bundle &bundle, std::unique_ptr<Module> &out);
  ~Module();

  /// Runs host function `name` on `args` (one buffer per manifest argument, in order; outputs
  /// included). Checks every buffer's size against the manifest first.
  Status run(const std::string &name, const std::vector<DeviceBuffer *> &args,
             const RunOptions &options = RunOptions());

  /// Which kind of code was loaded for `module` ("cubin" or "ptx").
  std::string loadedFormat(const std::string &module) const;

private:
  struct Loaded;
  explicit Module(Device &device);
  Device &device;
  std::unique_ptr<Loaded> state;
};

} // namespace bnn::cuda

#endif // BNN_RUNTIME_CUDABACKEND_H
