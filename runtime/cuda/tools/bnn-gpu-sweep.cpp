//===- bnn-gpu-sweep.cpp - bit-exact GPU correctness sweep ----------------===//
//
// Runs every function of one or more GPU bundles on fresh random inputs and compares each
// output with the reference semantics (bnn/runtime/Reference.h), bit for bit. The functions
// come from test/GPU/gen_sweep.py and follow its naming convention:
//
//   xnor_*    (a, b) -> tensor<...xi32>; a and b are float tensors (packed on the GPU) or
//             !bnn.packed values: bnn.xnor_popcount(pack(a), pack(b))
//   linear_*  (a, b, [col_scale], [row_scale], [bias]) -> f32 tensor or !bnn.packed:
//             bnn.xnor_linear; the name's tokens cs, rs, b and relu say which are present
//   pack_*    (x) -> !bnn.packed: bnn.pack of a f32/f16/bf16/i1 tensor
//   topk_*    (queries, database) -> (tensor<QxTxi32>, tensor<QxTxi64>): bnn.hamming_topk,
//             both outputs against bnn::ref::hammingTopK (ties by the smaller index)
//
// Outputs are poisoned before each run, so an unwritten element fails. f32 results must have
// identical bits (except that +0 and -0 compare equal); i32 results and packed words (padding
// bits included) must be identical.
//
// Exit status: 0 all passed, 1 a failure or an unusable bundle, 77 no CUDA device (skipped).
//
//===----------------------------------------------------------------------===//

#include "bnn/runtime/CudaBackend.h"
#include "bnn/runtime/Reference.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>

using namespace bnn::cuda;

namespace {

/// A logical type of the manifest: "tensor<3x65xf32>" or "!bnn.packed<3x65>".
struct Logical {
  bool packed = false;
  std::vector<int64_t> dims; ///< for packed: leading dims, then K
  std::string dtype;         ///< tensors only

  int64_t rows() const {
    int64_t r = 1;
    for (std::size_t i = 0; i + 1 < dims.size(); ++i)
      r *= dims[i];
    return r;
  }
  int64_t last() const { return dims.back(); }
};

bool parseLogical(const std::string &text, Logical &out) {
  std::size_t open = text.find('<'), close = text.rfind('>');
  if (open == std::string::npos || close == std::string::npos || close < open)
    return false;
  out.packed = text.rfind("!bnn.packed", 0) == 0;
  std::vector<std::string> parts;
  std::stringstream body(text.substr(open + 1, close - open - 1));
  for (std::string part; std::getline(body, part, 'x');)
    parts.push_back(part);
  if (!out.packed) {
    if (parts.empty())
      return false;
    out.dtype = parts.back();
    parts.pop_back();
  }
  out.dims.clear();
  for (const std::string &p : parts) {
    if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos)
      return false;
    out.dims.push_back(std::stoll(p));
  }
  return !out.dims.empty();
}

bool hasToken(const std::string &name, const std::string &token) {
  std::stringstream ss(name);
  for (std::string part; std::getline(ss, part, '_');)
    if (part == token)
      return true;
  return false;
}

/// Host-side value of one argument: raw bytes plus what they mean.
struct HostArg {
  Logical logical;
  std::vector<uint8_t> bytes;
};

class Generator {
public:
  explicit Generator(uint64_t seed) : rng(seed) {}

  float floatValue() {
    // Mostly ordinary values; some exact zeros of both signs and NaNs to pin the sign rule.
    switch (rng() % 16) {
    case 0:
      return 0.0f;
    case 1:
      return -0.0f;
    case 2:
      return std::nanf("");
    default:
      return std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
    }
  }
  float scale() { return std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng); }
  uint64_t word() { return rng(); }
  uint16_t half() { return static_cast<uint16_t>(rng()); }
  bool boolean() { return rng() & 1; }

private:
  std::mt19937_64 rng;
};

template <typename T> void append(std::vector<uint8_t> &bytes, T value) {
  uint8_t raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  bytes.insert(bytes.end(), raw, raw + sizeof(T));
}

template <typename T> T at(const std::vector<uint8_t> &bytes, std::size_t i) {
  T value;
  std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));
  return value;
}

/// Random packed words with zero padding bits (the bit contract).
std::vector<uint64_t> randomPacked(Generator &gen, int64_t rows, int64_t k) {
  int64_t words = bnn::ref::wordsPerRow(k);
  std::vector<uint64_t> out(rows * words);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t w = 0; w < words; ++w) {
      uint64_t word = gen.word();
      int64_t valid = std::min<int64_t>(64, k - 64 * w);
      if (valid < 64)
        word &= (uint64_t{1} << valid) - 1;
      out[r * words + w] = word;
    }
  return out;
}

/// The packed bit of a 16-bit float pattern under the sign rule !(x < 0).
bool halfBit(uint16_t bits, bool isBF16) {
  bool negative = bits >> 15;
  bool isZero = (bits & 0x7fff) == 0;
  bool isNaN = isBF16 ? ((bits & 0x7f80) == 0x7f80 && (bits & 0x7f))
                      : ((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff));
  return !(negative && !isZero && !isNaN);
}

/// Packs a tensor argument by the reference rules.
std::vector<uint64_t> packArg(const HostArg &arg) {
  int64_t rows = arg.logical.rows(), k = arg.logical.last();
  std::vector<uint64_t> words(rows * bnn::ref::wordsPerRow(k));
  if (arg.logical.packed) {
    for (std::size_t i = 0; i < words.size(); ++i)
      words[i] = at<uint64_t>(arg.bytes, i);
    return words;
  }
  const std::string &dtype = arg.logical.dtype;
  if (dtype == "f32") {
    std::vector<float> x(rows * k);
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = at<float>(arg.bytes, i);
    bnn::ref::packBitsLSBFirst(x.data(), rows, k, words.data());
  } else if (dtype == "i1") {
    std::unique_ptr<bool[]> x(new bool[rows * k]);
    for (int64_t i = 0; i < rows * k; ++i)
      x[i] = arg.bytes[i] != 0;
    bnn::ref::packBitsLSBFirst(x.get(), rows, k, words.data());
  } else { // f16, bf16: sign rule on the raw patterns
    std::unique_ptr<bool[]> x(new bool[rows * k]);
    for (int64_t i = 0; i < rows * k; ++i)
      x[i] = halfBit(at<uint16_t>(arg.bytes, i), dtype == "bf16");
    bnn::ref::packBitsLSBFirst(x.get(), rows, k, words.data());
  }
  return words;
}

/// Random contents for an input; `isScale` marks xnor_linear's scale and bias vectors, which
/// get finite values (NaN payloads would not compare bit for bit).
HostArg makeInput(Generator &gen, const Logical &logical, bool isScale) {
  HostArg arg;
  arg.logical = logical;
  if (logical.packed) {
    for (uint64_t w : randomPacked(gen, logical.rows(), logical.last()))
      append(arg.bytes, w);
    return arg;
  }
  int64_t n = logical.rows() * logical.last();
  for (int64_t i = 0; i < n; ++i) {
    if (logical.dtype == "f32")
      append(arg.bytes, isScale ? gen.scale() : gen.floatValue());
    else if (logical.dtype == "f16" || logical.dtype == "bf16")
      append(arg.bytes, gen.half());
    else if (logical.dtype == "i1")
      arg.bytes.push_back(gen.boolean());
  }
  return arg;
}

struct Check {
  bool ok = true;
  std::string detail;
};

Check compare(const std::string &kind, const std::vector<uint8_t> &got,
              const std::vector<uint8_t> &want, int64_t columns) {
  Check c;
  std::size_t width = kind == "i64" ? 8 : 4;
  for (std::size_t i = 0; i * width < want.size(); ++i) {
    bool same = std::memcmp(got.data() + i * width, want.data() + i * width, width) == 0;
    if (!same && kind == "f32")
      same = at<float>(got, i) == 0.0f && at<float>(want, i) == 0.0f; // +0 == -0
    if (same)
      continue;
    std::ostringstream os;
    os << "first mismatch at element [" << i / columns << ", " << i % columns << "]: got ";
    if (kind == "i32")
      os << at<int32_t>(got, i) << ", expected " << at<int32_t>(want, i);
    else if (kind == "f32")
      os << at<float>(got, i) << ", expected " << at<float>(want, i);
    else
      os << std::hex << "0x" << at<uint64_t>(got, i) << ", expected 0x" << at<uint64_t>(want, i);
    c.ok = false;
    c.detail = os.str();
    return c;
  }
  return c;
}

/// The expected bytes of one output and how to compare them.
struct Expected {
  std::vector<uint8_t> bytes;
  std::string kind; // i32, i64 or f32
  int64_t columns = 1;
};

/// Computes the expected outputs of `fn` for `inputs` (one per output, in order); empty string
/// on success.
std::string expected(const BundleFunction &fn, const std::vector<HostArg> &inputs,
                     const std::vector<Logical> &outs, std::vector<Expected> &results) {
  const std::string &name = fn.name;
  results.assign(outs.size(), Expected());
  if (name.rfind("topk_", 0) == 0) {
    // topk_q{Q}_n{N}_k{K}_t{T}: distances and indices.
    if (outs.size() != 2)
      return "a top-k function has two outputs";
    const Logical &a = inputs[0].logical, &b = inputs[1].logical;
    int64_t m = a.rows(), n = b.rows(), k = a.last(), t = outs[0].last();
    std::vector<int32_t> distances(m * t);
    std::vector<int64_t> indices(m * t);
    bnn::ref::hammingTopK(packArg(inputs[0]).data(), m, packArg(inputs[1]).data(), n, k, t,
                          distances.data(), indices.data());
    for (int32_t v : distances)
      append(results[0].bytes, v);
    for (int64_t v : indices)
      append(results[1].bytes, v);
    results[0].kind = "i32";
    results[1].kind = "i64";
    results[0].columns = results[1].columns = t;
    return "";
  }
  if (outs.size() != 1)
    return "expected one output";
  const Logical &out = outs[0];
  std::vector<uint8_t> &result = results[0].bytes;
  std::string &kind = results[0].kind;
  int64_t &columns = results[0].columns;
  if (name.rfind("pack_", 0) == 0) {
    for (uint64_t w : packArg(inputs[0]))
      append(result, w);
    kind = "i64";
    columns = bnn::ref::wordsPerRow(out.last());
    return "";
  }
  bool isXnor = name.rfind("xnor_", 0) == 0, isLinear = name.rfind("linear_", 0) == 0;
  if (!isXnor && !isLinear)
    return "unknown function kind (expected a name starting with xnor_, linear_, pack_ or "
           "topk_)";
  const Logical &a = inputs[0].logical, &b = inputs[1].logical;
  int64_t m = a.rows(), n = b.rows(), k = a.last();
  std::vector<uint64_t> pa = packArg(inputs[0]), pb = packArg(inputs[1]);
  std::vector<int32_t> dot(m * n);
  bnn::ref::xnorPopcount(pa.data(), m, pb.data(), n, k, dot.data());
  columns = n;
  if (isXnor) {
    for (int32_t v : dot)
      append(result, v);
    kind = "i32";
    return "";
  }
  std::size_t next = 2;
  const HostArg *cs = hasToken(name, "cs") ? &inputs[next++] : nullptr;
  const HostArg *rs = hasToken(name, "rs") ? &inputs[next++] : nullptr;
  const HostArg *bias = hasToken(name, "b") ? &inputs[next++] : nullptr;
  bool relu = hasToken(name, "relu");
  std::vector<float> y(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      // bnn.xnor_linear's order, in f32: ((dot * col_scale) * row_scale) + bias, then relu.
      float v = static_cast<float>(dot[i * n + j]);
      if (cs)
        v = v * at<float>(cs->bytes, j);
      if (rs)
        v = v * at<float>(rs->bytes, i);
      if (bias)
        v = v + at<float>(bias->bytes, j);
      if (relu)
        v = std::isnan(v) ? v : (v > 0.0f ? v : 0.0f);
      y[i * n + j] = v;
    }
  if (!out.packed) {
    for (float v : y)
      append(result, v);
    kind = "f32";
    return "";
  }
  std::vector<uint64_t> words(m * bnn::ref::wordsPerRow(n));
  bnn::ref::packBitsLSBFirst(y.data(), m, n, words.data());
  for (uint64_t w : words)
    append(result, w);
  kind = "i64";
  columns = bnn::ref::wordsPerRow(n);
  return "";
}

} // namespace

int main(int argc, char **argv) {
  uint64_t seed = 20261123;
  int trials = 2;
  std::string filter;
  std::vector<std::string> bundles;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--seed=", 0) == 0)
      seed = std::stoull(arg.substr(7));
    else if (arg.rfind("--trials=", 0) == 0)
      trials = std::stoi(arg.substr(9));
    else if (arg.rfind("--filter=", 0) == 0)
      filter = arg.substr(9);
    else if (arg == "--help" || arg == "-h") {
      std::printf("usage: bnn-gpu-sweep [--seed=N] [--trials=N] [--filter=SUBSTRING] "
                  "BUNDLE...\n");
      return 0;
    } else
      bundles.push_back(arg);
  }
  if (bundles.empty()) {
    std::fprintf(stderr, "bnn-gpu-sweep: no bundle given (try --help)\n");
    return 1;
  }

  std::unique_ptr<Device> device;
  if (Status s = Device::open(0, device); !s) {
    std::printf("SKIPPED: no usable CUDA device, the GPU sweep needs one: %s\n",
                s.message().c_str());
    return 77;
  }
  std::printf("device: %s (%s, %d SMs)\n", device->name().c_str(), device->chip().c_str(),
              device->multiprocessors());

  Generator gen(seed);
  int passed = 0, failed = 0;
  for (const std::string &path : bundles) {
    Bundle bundle;
    std::unique_ptr<Module> module;
    Status s = Bundle::load(path, bundle);
    if (s)
      s = Module::load(*device, bundle, module);
    if (!s) {
      std::printf("FAIL %s: %s\n", path.c_str(), s.message().c_str());
      ++failed;
      continue;
    }
    std::printf("bundle %s: %zu functions, code loaded as %s\n", path.c_str(),
                bundle.functions.size(), module->loadedFormat("bnn_kernels").c_str());
    for (const BundleFunction &fn : bundle.functions) {
      if (!filter.empty() && fn.name.find(filter) == std::string::npos)
        continue;
      std::string failure;
      for (int trial = 0; trial < trials && failure.empty(); ++trial) {
        std::vector<HostArg> inputs;
        std::vector<DeviceBuffer> buffers(fn.args.size());
        std::vector<DeviceBuffer *> pointers;
        std::vector<Logical> outLogicals;
        std::vector<std::size_t> outIndices;
        for (std::size_t i = 0; i < fn.args.size() && failure.empty(); ++i) {
          const FunctionArg &arg = fn.args[i];
          Logical logical;
          if (!parseLogical(arg.logicalType, logical)) {
            failure = "cannot read logical type '" + arg.logicalType + "'";
            break;
          }
          if (Status a = device->allocate(arg.buffer.bytes(), buffers[i]); !a) {
            failure = a.message();
            break;
          }
          pointers.push_back(&buffers[i]);
          if (arg.isOutput) {
            outLogicals.push_back(logical);
            outIndices.push_back(i);
            if (Status f = buffers[i].fill(0xAB); !f)
              failure = f.message();
            continue;
          }
          bool isScale = fn.name.rfind("linear_", 0) == 0 && i >= 2;
          inputs.push_back(makeInput(gen, logical, isScale));
          if (inputs.back().bytes.size() != arg.buffer.bytes()) {
            failure = "argument " + std::to_string(i) + " (" + arg.logicalType +
                      ") does not match its buffer " + arg.buffer.str();
            break;
          }
          if (Status u = buffers[i].upload(inputs.back().bytes.data(), inputs.back().bytes.size());
              !u)
            failure = u.message();
        }
        if (!failure.empty())
          break;
        if (Status r = module->run(fn.name, pointers); !r) {
          failure = r.message();
          break;
        }
        std::vector<Expected> want;
        failure = expected(fn, inputs, outLogicals, want);
        for (std::size_t o = 0; o < outIndices.size() && failure.empty(); ++o) {
          std::vector<uint8_t> got(fn.args[outIndices[o]].buffer.bytes());
          if (Status d = buffers[outIndices[o]].download(got.data(), got.size()); !d) {
            failure = d.message();
            break;
          }
          std::string which = outIndices.size() > 1 ? "output " + std::to_string(o) + ": " : "";
          if (want[o].bytes.size() != got.size()) {
            failure = which + "has " + std::to_string(got.size()) + " bytes, reference " +
                      std::to_string(want[o].bytes.size());
            break;
          }
          Check c = compare(want[o].kind, got, want[o].bytes, want[o].columns);
          if (!c.ok)
            failure = "trial " + std::to_string(trial) + ": " + which + c.detail;
        }
      }
      if (failure.empty()) {
        ++passed;
        std::printf("PASS %s\n", fn.name.c_str());
      } else {
        ++failed;
        std::printf("FAIL %s: %s\n", fn.name.c_str(), failure.c_str());
      }
    }
  }
  std::printf("\nbnn-gpu-sweep: %d passed, %d failed (seed %llu)\n", passed, failed,
              static_cast<unsigned long long>(seed));
  return failed ? 1 : 0;
}
