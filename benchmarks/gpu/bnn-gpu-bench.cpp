//===- bnn-gpu-bench.cpp - time bnn's GPU kernels -------------------------===//
//
// Times the functions of a benchmark bundle (benchmarks/gpu/gen_bench.py) on the GPU and
// prints one JSON object per function and bundle:
//
//   gemm_m{M}_n{N}_k{K}  bnn.xnor_popcount of packed operands; "kernel_ms" is the GEMM (or,
//                        for M = 1, GEMV) kernel alone, "call_ms" the whole call including the
//                        row-popcount kernels of the packed arguments.
//   pack_r{R}_k{K}       bnn.pack of an R x K f32 tensor.
//   topk_q{Q}_n{N}_k{K}_t{T}  bnn.hamming_topk: "comparisons" is Q * N; a few queries of the
//                        result (distances and indices) are checked against the reference.
//
// Method (benchmarks/gpu/README in docs/GPU.md): random inputs, rotated over enough copies
// that they do not stay in L2; warm-up runs first; per-kernel times from CUDA events around
// each launch, median over the timed runs ("kernel_ms": on an idle GPU, so the host's launch
// latency is included; "kernel_busy_ms": with an untimed call queued just before, so events
// and launches run back to back); "call_ms" from events around a batch of calls.
// A sample of each output is checked against the reference semantics.
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/CudaBackend.h"
#include "bnn/runtime/Reference.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

using namespace bnn::cuda;

namespace {

struct Options {
  int warmup = 3;
  int iterations = 20;
  double rotateMiB = 256; // inputs per copy set below this are replicated and rotated
};

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

bool parseShape(const std::string &name, const char *format, int64_t *a, int64_t *b,
                int64_t *c) {
  long long x = 0, y = 0, z = 0;
  int n = c ? std::sscanf(name.c_str(), format, &x, &y, &z)
            : std::sscanf(name.c_str(), format, &x, &y);
  *a = x;
  *b = y;
  if (c)
    *c = z;
  return n == (c ? 3 : 2);
}

std::vector<uint64_t> randomPacked(std::mt19937_64 &rng, int64_t rows, int64_t k) {
  int64_t words = bnn::ref::wordsPerRow(k);
  std::vector<uint64_t> out(rows * words);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t w = 0; w < words; ++w) {
      uint64_t word = rng();
      int64_t valid = std::min<int64_t>(64, k - 64 * w);
      if (valid < 64)
        word &= (uint64_t{1} << valid) - 1;
      out[r * words + w] = word;
    }
  return out;
}

/// Runs one function; returns false (after printing why) on error.
bool benchmark(Device &device, Module &module, const std::string &bundleName,
               const BundleFunction &fn, const Options &options, std::mt19937_64 &rng) {
  auto fail = [&](const std::string &why) {
    std::printf("{\"bundle\": \"%s\", \"name\": \"%s\", \"error\": \"%s\"}\n", bundleName.c_str(),
                fn.name.c_str(), why.c_str());
    std::fflush(stdout);
    return false;
  };
  int64_t m = 0, n = 0, k = 0, rows = 0;
  long long tq = 0, tn = 0, tk = 0, tt = 0;
  bool isTopK = std::sscanf(fn.name.c_str(), "topk_q%lld_n%lld_k%lld_t%lld", &tq, &tn, &tk, &tt) == 4;
  int64_t topK = tt;
  if (isTopK) {
    m = tq; // queries
    n = tn; // database codes
    k = tk; // bits
  }
  bool isGemm = !isTopK && parseShape(fn.name, "gemm_m%lld_n%lld_k%lld", &m, &n, &k);
  bool isPack = !isGemm && !isTopK && parseShape(fn.name, "pack_r%lld_k%lld", &rows, &k, nullptr);
  if (!isGemm && !isPack && !isTopK)
    return fail("unknown benchmark function (expected gemm_m*_n*_k*, pack_r*_k* or "
                "topk_q*_n*_k*_t*)");

  // Host inputs.
  std::vector<std::vector<uint8_t>> hostInputs;
  std::size_t inputBytes = 0;
  for (const FunctionArg &arg : fn.args) {
    if (arg.isOutput)
      continue;
    std::vector<uint8_t> bytes(arg.buffer.bytes());
    if (isGemm || isTopK) {
      int64_t r = hostInputs.empty() ? m : n;
      std::vector<uint64_t> words = randomPacked(rng, r, k);
      if (words.size() * 8 != bytes.size())
        return fail("argument does not match the expected packed shape");
      std::memcpy(bytes.data(), words.data(), bytes.size());
    } else {
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      for (std::size_t i = 0; i + 4 <= bytes.size(); i += 4) {
        float v = dist(rng);
        std::memcpy(bytes.data() + i, &v, 4);
      }
    }
    inputBytes += bytes.size();
    hostInputs.push_back(std::move(bytes));
  }

  // Device buffers: enough input copies to defeat L2 reuse between timed runs.
  int copies = std::clamp<int>(
      static_cast<int>(std::ceil(options.rotateMiB * 1048576.0 / std::max<std::size_t>(1, inputBytes))),
      1, 32);
  std::vector<std::vector<DeviceBuffer>> sets(copies);
  std::vector<DeviceBuffer> outputs;
  for (int c = 0; c < copies; ++c) {
    std::size_t input = 0;
    for (const FunctionArg &arg : fn.args) {
      DeviceBuffer buffer;
      if (arg.isOutput) {
        if (c == 0) {
          if (Status s = device.allocate(arg.buffer.bytes(), buffer); !s)
            return fail(s.message());
          outputs.push_back(std::move(buffer));
        }
        continue;
      }
      if (Status s = device.allocate(arg.buffer.bytes(), buffer); !s)
        return fail(s.message());
      const std::vector<uint8_t> &host = hostInputs[input++];
      if (Status s = buffer.upload(host.data(), host.size()); !s)
        return fail(s.message());
      sets[c].push_back(std::move(buffer));
    }
  }
  auto argsOf = [&](int c) {
    std::vector<DeviceBuffer *> args;
    std::size_t in = 0, out = 0;
    for (const FunctionArg &arg : fn.args)
      args.push_back(arg.isOutput ? &outputs[out++] : &sets[c][in++]);
    return args;
  };

  for (int i = 0; i < options.warmup; ++i)
    if (Status s = module.run(fn.name, argsOf(i % copies)); !s)
      return fail(s.message());

  // Per-step device times of one call on input copy `copy`, appended to `times`.
  auto timeSteps = [&](int copy, std::vector<std::vector<double>> &times) -> Status {
    std::vector<float> ms;
    RunOptions run;
    run.stepMilliseconds = &ms;
    if (Status s = module.run(fn.name, argsOf(copy), run); !s)
      return s;
    for (std::size_t step = 0; step < ms.size(); ++step)
      times[step].push_back(ms[step]);
    return Status::success();
  };
  std::vector<std::vector<double>> stepTimes(fn.steps.size());
  for (int i = 0; i < options.iterations; ++i)
    if (Status s = timeSteps(i % copies, stepTimes); !s)
      return fail(s.message());
  // The same per-step times with the GPU kept busy: an untimed call (another input copy) is
  // queued first, so the timed call's start event and its launches wait in the stream and
  // run back to back, without the host's launch latency that the isolated times above
  // include (a few microseconds, noticeable for kernels of tens of microseconds).
  std::vector<std::vector<double>> busyStepTimes(fn.steps.size());
  for (int i = 0; i < options.iterations; ++i) {
    RunOptions queued;
    queued.synchronize = false;
    if (Status s = module.run(fn.name, argsOf((i + 1) % copies), queued); !s)
      return fail(s.message());
    if (Status s = timeSteps(i % copies, busyStepTimes); !s)
      return fail(s.message());
  }
  // Whole calls, back to back.
  Device::Event start, stop;
  float batchMs = 0;
  if (Status s = device.createEvent(start); !s)
    return fail(s.message());
  if (Status s = device.createEvent(stop); !s)
    return fail(s.message());
  device.record(start);
  RunOptions async;
  async.synchronize = false;
  for (int i = 0; i < options.iterations; ++i)
    if (Status s = module.run(fn.name, argsOf(i % copies), async); !s)
      return fail(s.message());
  device.record(stop);
  if (Status s = device.elapsedMs(start, stop, batchMs); !s)
    return fail(s.message());
  device.destroyEvent(start);
  device.destroyEvent(stop);

  // Check a sample of the last output (every input copy holds the same data).
  std::vector<uint8_t> result(fn.args.back().buffer.bytes());
  if (Status s = outputs.back().download(result.data(), result.size()); !s)
    return fail(s.message());
  bool checked = true;
  if (isTopK) {
    // A few queries, both outputs (distances are output 0, indices output 1).
    std::vector<uint8_t> distances(fn.args[fn.args.size() - 2].buffer.bytes());
    if (Status s = outputs[0].download(distances.data(), distances.size()); !s)
      return fail(s.message());
    int64_t words = bnn::ref::wordsPerRow(k);
    std::uniform_int_distribution<int64_t> pickQuery(0, m - 1);
    std::vector<int32_t> wantD(topK);
    std::vector<int64_t> wantI(topK);
    for (int s = 0; s < 4; ++s) {
      int64_t q = pickQuery(rng);
      bnn::ref::hammingTopK(reinterpret_cast<const uint64_t *>(hostInputs[0].data()) + q * words,
                            1, reinterpret_cast<const uint64_t *>(hostInputs[1].data()), n, k,
                            topK, wantD.data(), wantI.data());
      checked &= std::memcmp(distances.data() + q * topK * 4, wantD.data(), topK * 4) == 0;
      checked &= std::memcmp(result.data() + q * topK * 8, wantI.data(), topK * 8) == 0;
    }
  } else if (isGemm) {
    const auto &a = hostInputs[0], &b = hostInputs[1];
    int64_t words = bnn::ref::wordsPerRow(k);
    std::uniform_int_distribution<int64_t> pickM(0, m - 1), pickN(0, n - 1);
    for (int s = 0; s < 256; ++s) {
      int64_t i = pickM(rng), j = pickN(rng);
      int32_t want;
      bnn::ref::xnorPopcount(reinterpret_cast<const uint64_t *>(a.data()) + i * words, 1,
                             reinterpret_cast<const uint64_t *>(b.data()) + j * words, 1, k,
                             &want);
      int32_t got;
      std::memcpy(&got, result.data() + (i * n + j) * 4, 4);
      checked &= got == want;
    }
  } else {
    int64_t words = bnn::ref::wordsPerRow(k);
    std::vector<uint64_t> want(words);
    std::uniform_int_distribution<int64_t> pickRow(0, rows - 1);
    for (int s = 0; s < 16; ++s) {
      int64_t r = pickRow(rng);
      bnn::ref::packBitsLSBFirst(reinterpret_cast<const float *>(hostInputs[0].data()) + r * k,
                                 1, k, want.data());
      checked &= std::memcmp(result.data() + r * words * 8, want.data(), words * 8) == 0;
    }
  }

  std::string steps;
  for (std::size_t s = 0; s < fn.steps.size(); ++s) {
    char entry[256];
    std::snprintf(entry, sizeof(entry), "%s{\"kernel\": \"%s\", \"ms\": %.6f}", s ? ", " : "",
                  fn.steps[s].kind == Step::Kind::Launch ? fn.steps[s].launch.kernel.c_str()
                                                         : "copy",
                  median(stepTimes[s]));
    steps += entry;
  }
  double kernelMs = median(stepTimes.back());
  double busyKernelMs = median(busyStepTimes.back());
  double bytes = 0;
  if (isPack)
    bytes = double(rows) * k * 4 + double(rows) * bnn::ref::wordsPerRow(k) * 8 + rows * 4.0;
  else if (isGemm && m == 1)
    bytes = double(n) * bnn::ref::wordsPerRow(k) * 8 + bnn::ref::wordsPerRow(k) * 8.0 + n * 4.0;
  const char *kind = isTopK ? "topk" : isGemm ? (m == 1 ? "gemv" : "gemm") : "pack";
  std::printf("{\"bundle\": \"%s\", \"name\": \"%s\", \"kind\": \"%s\", \"m\": %lld, \"n\": %lld, "
              "\"k\": %lld, \"rows\": %lld, \"top_k\": %lld, \"kernel_ms\": %.6f, "
              "\"kernel_busy_ms\": %.6f, \"call_ms\": %.6f, "
              "\"bytes\": %.0f, \"input_copies\": %d, \"checked\": %s, \"steps\": [%s]}\n",
              bundleName.c_str(), fn.name.c_str(), kind,
              (long long)m, (long long)n, (long long)k, (long long)rows, (long long)topK, kernelMs,
              busyKernelMs, batchMs / options.iterations, bytes, copies, checked ? "true" : "false",
              steps.c_str());
  std::fflush(stdout);
  return checked;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  std::vector<std::string> bundles;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--iters=", 0) == 0)
      options.iterations = std::max(1, std::stoi(arg.substr(8)));
    else if (arg.rfind("--warmup=", 0) == 0)
      options.warmup = std::stoi(arg.substr(9));
    else if (arg.rfind("--rotate-mib=", 0) == 0)
      options.rotateMiB = std::stod(arg.substr(13));
    else if (arg == "--help" || arg == "-h") {
      std::printf("usage: bnn-gpu-bench [--iters=N] [--warmup=N] [--rotate-mib=MIB] BUNDLE...\n");
      return 0;
    } else
      bundles.push_back(arg);
  }
  if (bundles.empty()) {
    std::fprintf(stderr, "bnn-gpu-bench: no bundle given (try --help)\n");
    return 1;
  }
  std::unique_ptr<Device> device;
  if (Status s = Device::open(0, device); !s) {
    std::fprintf(stderr, "SKIPPED: no usable CUDA device, the benchmark needs one: %s\n",
                 s.message().c_str());
    return 77;
  }
  std::fprintf(stderr, "device: %s (%s, %d SMs)\n", device->name().c_str(),
               device->chip().c_str(), device->multiprocessors());
  std::mt19937_64 rng(42);
  bool ok = true;
  for (const std::string &path : bundles) {
    Bundle bundle;
    std::unique_ptr<Module> module;
    Status s = Bundle::load(path, bundle);
    if (s)
      s = Module::load(*device, bundle, module);
    if (!s) {
      std::fprintf(stderr, "error: %s\n", s.message().c_str());
      ok = false;
      continue;
    }
    std::string name = path.substr(path.find_last_of('/') + 1);
    for (const BundleFunction &fn : bundle.functions)
      ok &= benchmark(*device, *module, name, fn, options, rng);
  }
  return ok ? 0 : 1;
}
