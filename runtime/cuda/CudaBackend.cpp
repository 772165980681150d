//===- CudaBackend.cpp - run GPU bundles with the CUDA driver API ---------===//
//
// The driver is opened with dlopen("libcuda.so.1") so that a program using this backend runs
// (and reports "no driver") on machines without a GPU. cuda.h supplies the types and, through
// its versioning macros (cuMemAlloc -> cuMemAlloc_v2, ...), the exact symbol to look up.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/CudaBackend.h"

#include <cuda.h>
#include <dlfcn.h>

#include <cstring>
#include <map>

namespace bnn::cuda {

#define BNN_CU_STRINGIFY_IMPL(x) #x
#define BNN_CU_STRINGIFY(x) BNN_CU_STRINGIFY_IMPL(x)

// X(member, cuda.h name): each entry becomes a typed function pointer and is looked up under
// the name the header maps it to.
#define BNN_CU_FUNCTIONS(X)                                                                    \
  X(init, cuInit)                                                                              \
  X(driverGetVersion, cuDriverGetVersion)                                                      \
  X(deviceGetCount, cuDeviceGetCount)                                                          \
  X(deviceGet, cuDeviceGet)                                                                    \
  X(deviceGetName, cuDeviceGetName)                                                            \
  X(deviceGetAttribute, cuDeviceGetAttribute)                                                  \
  X(primaryCtxRetain, cuDevicePrimaryCtxRetain)                                                \
  X(primaryCtxRelease, cuDevicePrimaryCtxRelease)                                              \
  X(ctxSetCurrent, cuCtxSetCurrent)                                                            \
  X(ctxSynchronize, cuCtxSynchronize)                                                          \
  X(moduleLoadDataEx, cuModuleLoadDataEx)                                                      \
  X(moduleUnload, cuModuleUnload)                                                              \
  X(moduleGetFunction, cuModuleGetFunction)                                                    \
  X(funcSetAttribute, cuFuncSetAttribute)                                                      \
  X(launchKernel, cuLaunchKernel)                                                              \
  X(memAlloc, cuMemAlloc)                                                                      \
  X(memFree, cuMemFree)                                                                        \
  X(memcpyHtoD, cuMemcpyHtoD)                                                                  \
  X(memcpyDtoH, cuMemcpyDtoH)                                                                  \
  X(memcpyDtoD, cuMemcpyDtoD)                                                                  \
  X(memsetD8, cuMemsetD8)                                                                      \
  X(eventCreate, cuEventCreate)                                                                \
  X(eventRecord, cuEventRecord)                                                                \
  X(eventSynchronize, cuEventSynchronize)                                                      \
  X(eventElapsedTime, cuEventElapsedTime)                                                      \
  X(eventDestroy, cuEventDestroy)                                                              \
  X(getErrorName, cuGetErrorName)                                                              \
  X(getErrorString, cuGetErrorString)

struct Driver {
#define BNN_CU_MEMBER(member, name) decltype(&name) member = nullptr;
  BNN_CU_FUNCTIONS(BNN_CU_MEMBER)
#undef BNN_CU_MEMBER
  void *library = nullptr;

  ~Driver() {
    if (library)
      dlclose(library);
  }

  static Status load(std::shared_ptr<Driver> &out) {
    auto driver = std::make_shared<Driver>();
    driver->library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!driver->library) {
      const char *why = dlerror();
      return Status::error(std::string("CUDA driver not available (dlopen libcuda.so.1: ") +
                           (why ? why : "unknown error") + ")");
    }
#define BNN_CU_LOOKUP(member, name)                                                            \
  driver->member = reinterpret_cast<decltype(&name)>(                                          \
      dlsym(driver->library, BNN_CU_STRINGIFY(name)));                                         \
  if (!driver->member)                                                                         \
    return Status::error("CUDA driver lacks " BNN_CU_STRINGIFY(name) " (driver too old?)");
    BNN_CU_FUNCTIONS(BNN_CU_LOOKUP)
#undef BNN_CU_LOOKUP
    out = std::move(driver);
    return Status::success();
  }
};

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

Status Device::check(int result, const char *what) const {
  if (result == CUDA_SUCCESS)
    return Status::success();
  const char *name = nullptr;
  const char *text = nullptr;
  api->getErrorName(static_cast<CUresult>(result), &name);
  api->getErrorString(static_cast<CUresult>(result), &text);
  return Status::error(std::string(what) + " failed: " + (name ? name : "CUDA error") + " (" +
                       (text ? text : "no description") + ")");
}

Status Device::open(int ordinal, std::unique_ptr<Device> &out) {
  std::unique_ptr<Device> device(new Device());
  if (Status s = Driver::load(device->api); !s)
    return s;
  const Driver &d = *device->api;
  if (Status s = device->check(d.init(0), "cuInit"); !s)
    return s;
  int count = 0;
  if (Status s = device->check(d.deviceGetCount(&count), "cuDeviceGetCount"); !s)
    return s;
  if (ordinal < 0 || ordinal >= count)
    return Status::error("no CUDA device " + std::to_string(ordinal) + " (found " +
                         std::to_string(count) + ")");
  CUdevice dev;
  if (Status s = device->check(d.deviceGet(&dev, ordinal), "cuDeviceGet"); !s)
    return s;
  char name[256] = {0};
  d.deviceGetName(name, sizeof(name) - 1, dev);
  int major = 0, minor = 0, sms = 0;
  d.deviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
  d.deviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
  d.deviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
  CUcontext ctx;
  if (Status s = device->check(d.primaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain"); !s)
    return s;
  if (Status s = device->check(d.ctxSetCurrent(ctx), "cuCtxSetCurrent"); !s) {
    d.primaryCtxRelease(dev);
    return s;
  }
  device->ordinal = ordinal;
  device->rawDevice = dev;
  device->context = ctx;
  device->capability = major * 10 + minor;
  device->smCount = sms;
  device->deviceName = name;
  out = std::move(device);
  return Status::success();
}

Device::~Device() {
  if (context)
    api->primaryCtxRelease(static_cast<CUdevice>(rawDevice));
}

std::string Device::chip() const { return "sm_" + std::to_string(capability); }

Status Device::driverVersion(int &version) const {
  version = 0;
  return check(api->driverGetVersion(&version), "cuDriverGetVersion");
}

Status Device::allocate(std::size_t bytes, DeviceBuffer &out) {
  out = DeviceBuffer();
  CUdeviceptr pointer = 0;
  // cuMemAlloc refuses zero bytes; a one-byte allocation keeps every buffer addressable.
  if (Status s = check(api->memAlloc(&pointer, bytes ? bytes : 1), "cuMemAlloc"); !s)
    return Status::error(s.message() + " (" + std::to_string(bytes) + " bytes)");
  out.device = this;
  out.pointer = pointer;
  out.bytes = bytes;
  return Status::success();
}

Status Device::synchronize() { return check(api->ctxSynchronize(), "cuCtxSynchronize"); }

Status Device::createEvent(Event &event) {
  CUevent handle;
  if (Status s = check(api->eventCreate(&handle, CU_EVENT_DEFAULT), "cuEventCreate"); !s)
    return s;
  event.handle = handle;
  return Status::success();
}

Status Device::record(Event event) {
  return check(api->eventRecord(static_cast<CUevent>(event.handle), nullptr), "cuEventRecord");
}

Status Device::elapsedMs(Event start, Event stop, float &ms) {
  if (Status s = check(api->eventSynchronize(static_cast<CUevent>(stop.handle)),
                       "cuEventSynchronize");
      !s)
    return s;
  return check(api->eventElapsedTime(&ms, static_cast<CUevent>(start.handle),
                                     static_cast<CUevent>(stop.handle)),
               "cuEventElapsedTime");
}

void Device::destroyEvent(Event event) {
  if (event.handle)
    api->eventDestroy(static_cast<CUevent>(event.handle));
}

Status Device::copy(const DeviceBuffer &from, DeviceBuffer &to, std::size_t bytes) {
  if (bytes > from.size() || bytes > to.size())
    return Status::error("device copy of " + std::to_string(bytes) + " bytes exceeds a buffer (" +
                         std::to_string(from.size()) + " -> " + std::to_string(to.size()) + ")");
  return check(api->memcpyDtoD(to.pointer, from.pointer, bytes), "cuMemcpyDtoD");
}

//===----------------------------------------------------------------------===//
// DeviceBuffer
//===----------------------------------------------------------------------===//

DeviceBuffer::DeviceBuffer(DeviceBuffer &&other) noexcept
    : device(other.device), pointer(other.pointer), bytes(other.bytes) {
  other.device = nullptr;
  other.pointer = 0;
  other.bytes = 0;
}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    this->~DeviceBuffer();
    device = other.device;
    pointer = other.pointer;
    bytes = other.bytes;
    other.device = nullptr;
    other.pointer = 0;
    other.bytes = 0;
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (device && pointer)
    device->driver().memFree(pointer);
  device = nullptr;
  pointer = 0;
}

Status DeviceBuffer::upload(const void *host, std::size_t count, std::size_t offset) {
  if (!device)
    return Status::error("upload to an unallocated device buffer");
  if (offset + count > bytes)
    return Status::error("upload of " + std::to_string(count) + " bytes at offset " +
                         std::to_string(offset) + " exceeds the " + std::to_string(bytes) +
                         "-byte buffer");
  return device->check(device->driver().memcpyHtoD(pointer + offset, host, count),
                       "cuMemcpyHtoD");
}

Status DeviceBuffer::download(void *host, std::size_t count, std::size_t offset) const {
  if (!device)
    return Status::error("download from an unallocated device buffer");
  if (offset + count > bytes)
    return Status::error("download of " + std::to_string(count) + " bytes at offset " +
                         std::to_string(offset) + " exceeds the " + std::to_string(bytes) +
                         "-byte buffer");
  return device->check(device->driver().memcpyDtoH(host, pointer + offset, count),
                       "cuMemcpyDtoH");
}

Status DeviceBuffer::fill(uint8_t value) {
  if (!device)
    return Status::error("fill of an unallocated device buffer");
  return device->check(device->driver().memsetD8(pointer, value, bytes), "cuMemsetD8");
}

//===----------------------------------------------------------------------===//
// Module
//===----------------------------------------------------------------------===//

struct Module::Loaded {
  struct Code {
    CUmodule module = nullptr;
    std::string format;
  };
  std::map<std::string, Code> modules;
  std::vector<DeviceBuffer> constants;
  struct Function {
    const BundleFunction *desc = nullptr;
    std::vector<DeviceBuffer> temps;
    std::vector<CUfunction> kernels; // one per step (null for copies)
  };
  std::map<std::string, Function> functions;
  Bundle bundle; // owns the descriptions the functions point into
};

namespace {
/// Whether code compiled for `chip` runs on a device of compute capability `capability`.
bool cubinRuns(const std::string &chip, int capability) {
  // Cubins are specific to a major version and need a minor version at most the device's;
  // arch-specific ones (sm_90a) run only on exactly that capability.
  if (chip.rfind("sm_", 0) != 0)
    return false;
  std::string digits = chip.substr(3);
  bool archSpecific = !digits.empty() && digits.back() == 'a';
  if (archSpecific)
    digits.pop_back();
  int target = std::atoi(digits.c_str());
  if (archSpecific)
    return target == capability;
  return target / 10 == capability / 10 && target % 10 <= capability % 10;
}
} // namespace

Module::Module(Device &device) : device(device) {}

Status Module::load(Device &device, const Bundle &bundle, std::unique_ptr<Module> &out) {
  std::unique_ptr<Module> module(new Module(device));
  module->state = std::make_unique<Loaded>();
  Loaded &st = *module->state;
  st.bundle = bundle;
  const Driver &d = device.driver();

  // Code: per gpu.binary, a cubin for this device if there is one, else PTX for the JIT.
  std::map<std::string, const BundleImage *> chosen;
  for (const BundleImage &image : st.bundle.images) {
    const BundleImage *&slot = chosen[image.module];
    bool usable = image.format == "ptx" || cubinRuns(image.chip, device.computeCapability());
    if (!usable)
      continue;
    if (!slot || (slot->format == "ptx" && image.format != "ptx"))
      slot = &image;
  }
  for (const BundleImage &image : st.bundle.images) {
    auto it = chosen.find(image.module);
    if (it == chosen.end() || !it->second)
      return Status::error("GPU bundle has no code for module '" + image.module +
                           "' that runs on " + device.name() + " (" + device.chip() + ")");
  }
  for (auto &[name, image] : chosen) {
    if (!image)
      continue;
    char log[8192] = {0};
    CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log, reinterpret_cast<void *>(static_cast<uintptr_t>(sizeof(log) - 1))};
    // PTX must be NUL-terminated for the JIT.
    std::string code = image->data;
    if (image->format == "ptx")
      code.push_back('\0');
    CUmodule handle;
    if (Status s = device.check(d.moduleLoadDataEx(&handle, code.data(), 2, options, values),
                                "cuModuleLoadDataEx");
        !s)
      return Status::error(s.message() + " loading " + image->format + " for " + image->chip +
                           " of module '" + name + "' on " + device.chip() +
                           (log[0] ? std::string(":\n") + log : std::string()));
    st.modules[name] = {handle, image->format};
  }

  for (const BundleConstant &c : st.bundle.constants) {
    DeviceBuffer buffer;
    if (Status s = device.allocate(c.data.size(), buffer); !s)
      return s;
    if (Status s = buffer.upload(c.data.data(), c.data.size()); !s)
      return s;
    st.constants.push_back(std::move(buffer));
  }

  for (const BundleFunction &f : st.bundle.functions) {
    Loaded::Function fn;
    fn.desc = &f;
    for (const BufferDesc &temp : f.temps) {
      DeviceBuffer buffer;
      if (Status s = device.allocate(temp.bytes(), buffer); !s)
        return s;
      fn.temps.push_back(std::move(buffer));
    }
    for (const Step &step : f.steps) {
      if (step.kind != Step::Kind::Launch) {
        fn.kernels.push_back(nullptr);
        continue;
      }
      CUfunction kernel;
      CUmodule mod = st.modules.at(step.launch.module).module;
      if (Status s = device.check(d.moduleGetFunction(&kernel, mod, step.launch.kernel.c_str()),
                                  "cuModuleGetFunction");
          !s)
        return Status::error(s.message() + " for kernel '" + step.launch.kernel + "'");
      // Launches above the default 48 KiB of dynamic shared memory must opt in.
      if (step.launch.sharedBytes > 48 * 1024) {
        if (Status s = device.check(
                d.funcSetAttribute(kernel, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                   static_cast<int>(step.launch.sharedBytes)),
                "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
            !s)
          return Status::error(s.message() + " for kernel '" + step.launch.kernel + "' (" +
                               std::to_string(step.launch.sharedBytes) + " bytes)");
      }
      fn.kernels.push_back(kernel);
    }
    st.functions[f.name] = std::move(fn);
  }
  out = std::move(module);
  return Status::success();
}

Module::~Module() {
  if (!state)
    return;
  state->functions.clear();
  state->constants.clear();
  for (auto &[name, code] : state->modules)
    device.driver().moduleUnload(code.module);
}

std::string Module::loadedFormat(const std::string &module) const {
  auto it = state->modules.find(module);
  return it == state->modules.end() ? "" : it->second.format;
}

Status Module::run(const std::string &name, const std::vector<DeviceBuffer *> &args,
                   const RunOptions &options) {
  auto it = state->functions.find(name);
  if (it == state->functions.end())
    return Status::error("GPU bundle has no function '" + name + "'");
  Loaded::Function &fn = it->second;
  const BundleFunction &desc = *fn.desc;
  if (args.size() != desc.args.size())
    return Status::error("function '" + name + "' takes " + std::to_string(desc.args.size()) +
                         " buffers, got " + std::to_string(args.size()));
  for (std::size_t i = 0; i < args.size(); ++i) {
    const FunctionArg &arg = desc.args[i];
    if (!args[i] || !args[i]->address())
      return Status::error("function '" + name + "': buffer " + std::to_string(i) +
                           " is not allocated");
    if (args[i]->size() < arg.buffer.bytes())
      return Status::error("function '" + name + "': buffer " + std::to_string(i) + " (" +
                           (arg.isOutput ? "out " : "in ") + arg.buffer.str() + ", " +
                           arg.logicalType + ") has " + std::to_string(args[i]->size()) +
                           " bytes, needs " + std::to_string(arg.buffer.bytes()));
  }
  auto resolve = [&](const BufferRef &r) -> DeviceBuffer & {
    switch (r.kind) {
    case BufferRef::Kind::Arg:
      return *args[r.index];
    case BufferRef::Kind::Temp:
      return fn.temps[r.index];
    case BufferRef::Kind::Const:
      break;
    }
    return state->constants[r.index];
  };

  const Driver &d = device.driver();
  std::vector<Device::Event> events;
  if (options.stepMilliseconds) {
    events.resize(desc.steps.size() + 1);
    for (Device::Event &e : events)
      if (Status s = device.createEvent(e); !s)
        return s;
    if (Status s = device.record(events[0]); !s)
      return s;
  }
  Status status = Status::success();
  for (std::size_t i = 0; i < desc.steps.size() && status; ++i) {
    const Step &step = desc.steps[i];
    if (step.kind == Step::Kind::Copy) {
      DeviceBuffer &from = resolve(step.from);
      DeviceBuffer &to = resolve(step.to);
      status = device.copy(from, to, std::min(from.size(), to.size()));
    } else {
      const LaunchStep &l = step.launch;
      std::vector<CUdeviceptr> pointers;
      pointers.reserve(l.args.size());
      for (const BufferRef &r : l.args)
        pointers.push_back(resolve(r).address());
      std::vector<void *> params;
      for (CUdeviceptr &p : pointers)
        params.push_back(&p);
      status = device.check(d.launchKernel(fn.kernels[i], l.grid[0], l.grid[1], l.grid[2],
                                           l.block[0], l.block[1], l.block[2], l.sharedBytes,
                                           nullptr, params.data(), nullptr),
                            "cuLaunchKernel");
      if (!status)
        status = Status::error(status.message() + " for kernel '" + l.kernel + "'");
    }
    if (status && options.stepMilliseconds)
      status = device.record(events[i + 1]);
  }
  if (status && (options.synchronize || options.stepMilliseconds))
    status = device.synchronize();
  if (options.stepMilliseconds) {
    options.stepMilliseconds->assign(desc.steps.size(), 0.0f);
    for (std::size_t i = 0; status && i < desc.steps.size(); ++i)
      status = device.elapsedMs(events[i], events[i + 1], (*options.stepMilliseconds)[i]);
    for (Device::Event &e : events)
      device.destroyEvent(e);
  }
  if (!status)
    return Status::error("function '" + name + "': " + status.message());
  return Status::success();
}

} // namespace bnn::cuda
