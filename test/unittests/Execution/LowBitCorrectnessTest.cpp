//===- LowBitCorrectnessTest.cpp - low-bit kernels vs the reference --------===//
//
// bnn.lowbit_matmul for every operand kind (ternary x binary, int8 x ternary, int8 x binary),
// JIT-compiled for every target path this machine can run (amx: int8 products of at least
// amxMinRows rows call the runtime's AMX-INT8 kernel, fewer stream through vpdpbusd; avx512:
// vpdpbusd; avx2: vpmaddubsw; generic: plain arithmetic), single- and multi-threaded, bit-exact
// against the reference functions over K in {1, 63, 64, 65, 255, 256, 257, 4096} x M, N in
// {1, 3, 64, 257}; pack_ternary / unpack_ternary; and the fused bnn.lowbit_linear epilogue.
//
// One function per kind and K takes 257 rows of each operand and the sizes M and N, and
// multiplies the first M x N (dynamic sizes, so the kernels read them at run time): every shape
// of a K reuses one compiled function and one reference product (the top-left M x N block of
// the 257 x 257 product), which keeps the sweep to seconds.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Target/CPUTarget.h"
#include "bnn/runtime/Reference.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <sstream>

namespace {

const int64_t kBitLengths[] = {1, 63, 64, 65, 255, 256, 257, 4096};
const int64_t kRowCounts[] = {1, 3, 64, 257};
constexpr int64_t kMaxRows = 257;

enum class Kind { TernaryBinary, Int8Ternary, Int8Binary };
const Kind kKinds[] = {Kind::TernaryBinary, Kind::Int8Ternary, Kind::Int8Binary};

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::TernaryBinary:
    return "ternary_binary";
  case Kind::Int8Ternary:
    return "int8_ternary";
  case Kind::Int8Binary:
    return "int8_binary";
  }
  return "";
}

struct Config {
  std::string target;
  unsigned threads;
};

void PrintTo(const Config &config, std::ostream *os) {
  *os << config.target << ", " << (config.threads == 1 ? "1 thread" : "all threads");
}

std::string configName(const ::testing::TestParamInfo<Config> &info) {
  return info.param.target + "_" + (info.param.threads == 1 ? "1thread" : "allthreads");
}

/// The operands of one K, shared by every shape, kind and configuration: activations as
/// floats (binary, by sign) and as int8 (-128 and 127 included), weights as -1/0/+1 floats
/// (ternary; zeros of both signs) and as floats (binary, by sign).
struct Operands {
  std::vector<float> activations, ternaryWeights, binaryWeights;
  std::vector<int8_t> int8Activations;
};

const Operands &operandsFor(int64_t k) {
  static std::map<int64_t, Operands> cache;
  auto it = cache.find(k);
  if (it != cache.end())
    return it->second;
  std::mt19937 rng(static_cast<unsigned>(k) * 7919u + 1u);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_int_distribution<int> byte(-128, 127), trit(-1, 1);
  Operands ops;
  int64_t count = kMaxRows * k;
  ops.activations.resize(count);
  ops.binaryWeights.resize(count);
  ops.ternaryWeights.resize(count);
  ops.int8Activations.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    ops.activations[i] = uniform(rng);
    ops.binaryWeights[i] = uniform(rng);
    int t = trit(rng);
    ops.ternaryWeights[i] = t == 0 ? ((i & 1) ? -0.0f : 0.0f) : static_cast<float>(t);
    ops.int8Activations[i] = static_cast<int8_t>(byte(rng));
  }
  ops.int8Activations[0] = -128;
  ops.int8Activations[count - 1] = 127;
  return cache.emplace(k, std::move(ops)).first->second;
}

/// The reference 257 x 257 product of `kind` for K, computed once.
const std::vector<int32_t> &referenceFor(Kind kind, int64_t k) {
  static std::map<std::pair<int, int64_t>, std::vector<int32_t>> cache;
  auto key = std::make_pair(static_cast<int>(kind), k);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  const Operands &ops = operandsFor(k);
  int64_t words = bnn::ref::wordsPerRow(k);
  std::vector<uint64_t> ternary(*bnn::ref::ternaryWordCount(kMaxRows, k));
  bnn::ref::packTernary(ops.ternaryWeights.data(), kMaxRows, k, ternary.data());
  std::vector<uint64_t> binary(kMaxRows * words), activations(kMaxRows * words);
  bnn::ref::packBitsLSBFirst(ops.binaryWeights.data(), kMaxRows, k, binary.data());
  bnn::ref::packBitsLSBFirst(ops.activations.data(), kMaxRows, k, activations.data());
  std::vector<int32_t> out(kMaxRows * kMaxRows);
  switch (kind) {
  case Kind::TernaryBinary:
    bnn::ref::ternaryBinaryMatmul(activations.data(), kMaxRows, ternary.data(), kMaxRows, k,
                                  out.data());
    break;
  case Kind::Int8Ternary:
    bnn::ref::int8TernaryMatmul(ops.int8Activations.data(), kMaxRows, ternary.data(), kMaxRows,
                                k, out.data());
    break;
  case Kind::Int8Binary:
    bnn::ref::int8BinaryMatmul(ops.int8Activations.data(), kMaxRows, binary.data(), kMaxRows, k,
                               out.data());
    break;
  }
  return cache.emplace(key, std::move(out)).first->second;
}

template <typename T>
bnn::HostTensor hostTensor(bnn::ElementType type, std::vector<int64_t> shape,
                           const std::vector<T> &values) {
  bnn::HostTensor tensor(type, std::move(shape));
  std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

/// @<kind>_<K>(activations 257 x K, weights 257 x K f32, sizes [M, N]) -> 257 x 257 i32 with
/// the product of the first M activation rows and N weight rows in its top-left corner.
std::string matmulFunction(Kind kind, int64_t k) {
  std::string K = std::to_string(k), rows = std::to_string(kMaxRows);
  bool int8 = kind != Kind::TernaryBinary;
  std::string xElement = int8 ? "i8" : "f32";
  std::string x = "tensor<" + rows + "x" + K + "x" + xElement + ">";
  std::string xd = "tensor<?x" + K + "x" + xElement + ">";
  std::string w = "tensor<" + rows + "x" + K + "xf32>", wd = "tensor<?x" + K + "xf32>";
  std::string lhsType = int8 ? xd : "!bnn.packed<?x" + K + ">";
  std::string rhsType =
      kind == Kind::Int8Binary ? "!bnn.packed<?x" + K + ">" : "!bnn.ternary<?x" + K + ">";
  std::string out = "tensor<" + rows + "x" + rows + "xi32>";
  std::ostringstream os;
  os << "func.func @" << kindName(kind) << "_" << k << "(%x: " << x << ", %w: " << w
     << ", %sizes: tensor<2xi64>) -> " << out << " {\n"
     << "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"
     << "  %m64 = tensor.extract %sizes[%c0] : tensor<2xi64>\n"
     << "  %n64 = tensor.extract %sizes[%c1] : tensor<2xi64>\n"
     << "  %m = arith.index_cast %m64 : i64 to index\n"
     << "  %n = arith.index_cast %n64 : i64 to index\n"
     << "  %xs = tensor.extract_slice %x[0, 0] [%m, " << K << "] [1, 1] : " << x << " to " << xd
     << "\n"
     << "  %ws = tensor.extract_slice %w[0, 0] [%n, " << K << "] [1, 1] : " << w << " to " << wd
     << "\n";
  if (int8)
    os << "  %lhs = tensor.cast %xs : " << xd << " to " << xd << "\n";
  else
    os << "  %lhs = bnn.pack %xs : " << xd << " -> " << lhsType << "\n";
  if (kind == Kind::Int8Binary)
    os << "  %rhs = bnn.pack %ws : " << wd << " -> " << rhsType << "\n";
  else
    os << "  %rhs = bnn.pack_ternary %ws : " << wd << " -> " << rhsType << "\n";
  os << "  %y = bnn.lowbit_matmul %lhs, %rhs : " << lhsType << ", " << rhsType
     << " -> tensor<?x?xi32>\n"
     << "  %zero = arith.constant dense<0> : " << out << "\n"
     << "  %r = tensor.insert_slice %y into %zero[0, 0] [%m, %n] [1, 1] : tensor<?x?xi32> into "
     << out << "\n"
     << "  return %r : " << out << "\n}\n";
  return os.str();
}

class LowBitCorrectness : public ::testing::TestWithParam<Config> {
protected:
  void SetUp() override {
    llvm::Expected<bnn::CPUTargetInfo> info = bnn::getCPUTargetInfo(GetParam().target);
    ASSERT_TRUE(static_cast<bool>(info)) << llvm::toString(info.takeError());
    if (!bnn::hostSupports(*info))
      GTEST_SKIP() << "this CPU cannot run " << GetParam().target << " code";
    bnn::registerAllDialectsWithBNN(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
  }

  std::unique_ptr<bnn::JitModule> compile(const std::string &source) {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(source, context.get());
    EXPECT_TRUE(module) << "test module does not parse";
    if (!module)
      return nullptr;
    bnn::JitOptions options;
    options.target = GetParam().target;
    options.numThreads = GetParam().threads;
    auto jit = bnn::JitModule::compile(*module, options);
    EXPECT_TRUE(static_cast<bool>(jit)) << llvm::toString(jit.takeError());
    return jit ? std::move(*jit) : nullptr;
  }

  mlir::DialectRegistry registry;
  std::unique_ptr<mlir::MLIRContext> context;
};

TEST_P(LowBitCorrectness, MatmulsMatchReference) {
  std::ostringstream source;
  for (Kind kind : kKinds)
    for (int64_t k : kBitLengths)
      source << matmulFunction(kind, k);
  std::unique_ptr<bnn::JitModule> jit = compile(source.str());
  ASSERT_TRUE(jit);
  for (Kind kind : kKinds)
    for (int64_t k : kBitLengths) {
      const Operands &ops = operandsFor(k);
      const std::vector<int32_t> &expected = referenceFor(kind, k);
      bnn::HostTensor x =
          kind == Kind::TernaryBinary
              ? hostTensor(bnn::ElementType::F32, {kMaxRows, k}, ops.activations)
              : hostTensor(bnn::ElementType::I8, {kMaxRows, k}, ops.int8Activations);
      bnn::HostTensor w = hostTensor(bnn::ElementType::F32, {kMaxRows, k},
                                     kind == Kind::Int8Binary ? ops.binaryWeights
                                                              : ops.ternaryWeights);
      for (int64_t m : kRowCounts)
        for (int64_t n : kRowCounts) {
          std::vector<int64_t> sizes = {m, n};
          auto results = jit->run(std::string(kindName(kind)) + "_" + std::to_string(k),
                                  {x, w, hostTensor(bnn::ElementType::I64, {2}, sizes)});
          ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
          const int32_t *got = (*results)[0].data<int32_t>();
          int64_t mismatches = 0, first = -1;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j)
              if (got[i * kMaxRows + j] != expected[i * kMaxRows + j]) {
                if (first < 0)
                  first = i * kMaxRows + j;
                ++mismatches;
              }
          EXPECT_EQ(mismatches, 0)
              << kindName(kind) << " M x N x K = " << m << "x" << n << "x" << k
              << (first < 0 ? std::string()
                            : ", first at " + std::to_string(first) + ": got " +
                                  std::to_string(got[first]) + ", expected " +
                                  std::to_string(expected[first]));
        }
    }
}

/// pack_ternary / unpack_ternary against packTernary / unpackTernary (zeros of both signs,
/// NaN, values other than -1/0/+1), and a ternary function argument (storage words) unpacked.
TEST_P(LowBitCorrectness, PackUnpackTernaryMatchReference) {
  std::ostringstream source;
  const int64_t lengths[] = {1, 63, 64, 65, 257};
  for (int64_t k : lengths) {
    std::string x = "tensor<3x" + std::to_string(k) + "xf32>";
    std::string t = "!bnn.ternary<3x" + std::to_string(k) + ">";
    source << "func.func @pack_" << k << "(%x: " << x << ") -> (" << t << ", " << x << ") {\n"
           << "  %t = bnn.pack_ternary %x : " << x << " -> " << t << "\n"
           << "  %u = bnn.unpack_ternary %t : " << t << " -> " << x << "\n"
           << "  return %t, %u : " << t << ", " << x << "\n}\n";
  }
  std::unique_ptr<bnn::JitModule> jit = compile(source.str());
  ASSERT_TRUE(jit);
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> pick(0, 5);
  const float choices[] = {1.0f, -1.0f, 0.0f, -0.0f, 0.25f, -3.0f};
  for (int64_t k : lengths) {
    std::vector<float> x(3 * k);
    for (float &v : x)
      v = choices[pick(rng)];
    x[1 % x.size()] = std::nanf("");
    auto results = jit->run("pack_" + std::to_string(k), {hostTensor(bnn::ElementType::F32, {3, k}, x)});
    ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
    std::vector<uint64_t> words(*bnn::ref::ternaryWordCount(3, k));
    bnn::ref::packTernary(x.data(), 3, k, words.data());
    std::vector<float> values(3 * k);
    bnn::ref::unpackTernary(words.data(), 3, k, values.data());
    EXPECT_EQ(0, std::memcmp((*results)[0].bytes.data(), words.data(), words.size() * 8))
        << "pack_ternary, K = " << k;
    EXPECT_EQ(0, std::memcmp((*results)[1].bytes.data(), values.data(), values.size() * 4))
        << "unpack_ternary, K = " << k;
  }
}

/// bnn.lowbit_linear: the reference dots, then ((dot * weight_scale) * row_scale) + bias and
/// relu in f32 in that order, bit for bit; per-tensor and per-channel weight scales, a GEMV
/// (rank-1 activations) and static shapes.
TEST_P(LowBitCorrectness, LinearMatchesReference) {
  struct Case {
    int64_t m, n, k;
  };
  const Case cases[] = {{3, 5, 65}, {64, 3, 1000}, {1, 257, 127}, {257, 64, 64}};
  std::ostringstream source;
  for (const Case &c : cases) {
    std::string M = std::to_string(c.m), N = std::to_string(c.n), K = std::to_string(c.k);
    std::string name = M + "x" + N + "x" + K;
    std::string x = "tensor<" + M + "x" + K + "xi8>", w = "tensor<" + N + "x" + K + "xf32>";
    std::string t = "!bnn.ternary<" + N + "x" + K + ">", b = "!bnn.packed<" + N + "x" + K + ">";
    std::string y = "tensor<" + M + "x" + N + "xf32>", v = "tensor<" + N + "xf32>";
    std::string r = "tensor<" + M + "xf32>";
    source << "func.func @linear_" << name << "(%x: " << x << ", %w: " << w << ", %s: " << v
           << ", %g: tensor<1xf32>, %r: " << r << ", %b: " << v << ") -> (" << y << ", " << y
           << ") {\n"
           << "  %t = bnn.pack_ternary %w : " << w << " -> " << t << "\n"
           << "  %p = bnn.pack %w : " << w << " -> " << b << "\n"
           << "  %0 = bnn.lowbit_linear %x, %t weight_scale(%s : " << v << ") row_scale(%r : "
           << r << ") bias(%b : " << v << ") activation(relu) : " << x << ", " << t << " -> " << y
           << "\n"
           << "  %1 = bnn.lowbit_linear %x, %p weight_scale(%g : tensor<1xf32>) row_scale(%r : "
           << r << ") : " << x << ", " << b << " -> " << y << "\n"
           << "  return %0, %1 : " << y << ", " << y << "\n}\n";
  }
  // A GEMV: rank-1 activations.
  source << "func.func @gemv(%x: tensor<300xi8>, %w: tensor<77x300xf32>, %g: tensor<1xf32>) -> "
            "tensor<77xf32> {\n"
         << "  %t = bnn.pack_ternary %w : tensor<77x300xf32> -> !bnn.ternary<77x300>\n"
         << "  %0 = bnn.lowbit_linear %x, %t weight_scale(%g : tensor<1xf32>) : tensor<300xi8>, "
            "!bnn.ternary<77x300> -> tensor<77xf32>\n"
         << "  return %0 : tensor<77xf32>\n}\n";
  std::unique_ptr<bnn::JitModule> jit = compile(source.str());
  ASSERT_TRUE(jit);
  std::mt19937 rng(23);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_int_distribution<int> byte(-128, 127), trit(-1, 1);
  auto floats = [&](int64_t count) {
    std::vector<float> values(count);
    for (float &v : values)
      v = uniform(rng);
    return values;
  };
  auto int8s = [&](int64_t count) {
    std::vector<int8_t> values(count);
    for (int8_t &v : values)
      v = static_cast<int8_t>(byte(rng));
    return values;
  };
  auto trits = [&](int64_t count) {
    std::vector<float> values(count);
    for (float &v : values)
      v = static_cast<float>(trit(rng));
    return values;
  };
  for (const Case &c : cases) {
    std::string name = std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k);
    SCOPED_TRACE(name);
    std::vector<int8_t> x = int8s(c.m * c.k);
    std::vector<float> w = trits(c.n * c.k), s = floats(c.n), g = floats(1), r = floats(c.m),
                       b = floats(c.n);
    auto results = jit->run("linear_" + name,
                            {hostTensor(bnn::ElementType::I8, {c.m, c.k}, x),
                             hostTensor(bnn::ElementType::F32, {c.n, c.k}, w),
                             hostTensor(bnn::ElementType::F32, {c.n}, s),
                             hostTensor(bnn::ElementType::F32, {1}, g),
                             hostTensor(bnn::ElementType::F32, {c.m}, r),
                             hostTensor(bnn::ElementType::F32, {c.n}, b)});
    ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
    std::vector<uint64_t> ternary(*bnn::ref::ternaryWordCount(c.n, c.k));
    bnn::ref::packTernary(w.data(), c.n, c.k, ternary.data());
    std::vector<uint64_t> binary(c.n * bnn::ref::wordsPerRow(c.k));
    bnn::ref::packBitsLSBFirst(w.data(), c.n, c.k, binary.data());
    std::vector<int32_t> ternaryDots(c.m * c.n), binaryDots(c.m * c.n);
    bnn::ref::int8TernaryMatmul(x.data(), c.m, ternary.data(), c.n, c.k, ternaryDots.data());
    bnn::ref::int8BinaryMatmul(x.data(), c.m, binary.data(), c.n, c.k, binaryDots.data());
    int64_t mismatches = 0;
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        float y = static_cast<float>(ternaryDots[i * c.n + j]) * s[j];
        y = y * r[i];
        y = y + b[j];
        y = std::isnan(y) ? y : (y > 0.0f ? y : 0.0f);
        float z = static_cast<float>(binaryDots[i * c.n + j]) * g[0];
        z = z * r[i];
        mismatches += std::memcmp(&(*results)[0].data<float>()[i * c.n + j], &y, 4) != 0;
        mismatches += std::memcmp(&(*results)[1].data<float>()[i * c.n + j], &z, 4) != 0;
      }
    EXPECT_EQ(mismatches, 0);
  }
  std::vector<int8_t> x = int8s(300);
  std::vector<float> w = trits(77 * 300), g = floats(1);
  auto results = jit->run("gemv", {hostTensor(bnn::ElementType::I8, {300}, x),
                                   hostTensor(bnn::ElementType::F32, {77, 300}, w),
                                   hostTensor(bnn::ElementType::F32, {1}, g)});
  ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
  std::vector<uint64_t> ternary(*bnn::ref::ternaryWordCount(77, 300));
  bnn::ref::packTernary(w.data(), 77, 300, ternary.data());
  std::vector<int32_t> dots(77);
  bnn::ref::int8TernaryMatmul(x.data(), 1, ternary.data(), 77, 300, dots.data());
  for (int64_t j = 0; j < 77; ++j) {
    float y = static_cast<float>(dots[j]) * g[0];
    EXPECT_EQ(0, std::memcmp(&(*results)[0].data<float>()[j], &y, 4)) << "gemv column " << j;
  }
}

/// bnn.quantize_absmax of run-time activations, alone and feeding bnn.lowbit_linear (BitNet's
/// BitLinear: int8 activations with absmax row scales times ternary weights with one absmean
/// scale), against quantizeAbsmaxInt8 and the reference product: NaN, a zero row (eps), exact
/// ties (x * 127 / max = k + 0.5) and a dynamic row count.
TEST_P(LowBitCorrectness, AbsmaxQuantizerMatchesReference) {
  const char *source = R"mlir(
func.func @quantize(%x: tensor<4x130xf32>) -> (tensor<4x130xi8>, tensor<4xf32>) {
  %xd = tensor.cast %x : tensor<4x130xf32> to tensor<?x130xf32>
  %q, %s = bnn.quantize_absmax %xd : tensor<?x130xf32> -> tensor<?x130xi8>, tensor<?xf32>
  %qs = tensor.cast %q : tensor<?x130xi8> to tensor<4x130xi8>
  %ss = tensor.cast %s : tensor<?xf32> to tensor<4xf32>
  return %qs, %ss : tensor<4x130xi8>, tensor<4xf32>
}
func.func @bitlinear(%x: tensor<4x130xf32>, %w: tensor<9x130xf32>, %g: tensor<1xf32>) -> tensor<4x9xf32> {
  %q, %s = bnn.quantize_absmax %x : tensor<4x130xf32> -> tensor<4x130xi8>, tensor<4xf32>
  %t = bnn.pack_ternary %w : tensor<9x130xf32> -> !bnn.ternary<9x130>
  %y = bnn.lowbit_linear %q, %t weight_scale(%g : tensor<1xf32>) row_scale(%s : tensor<4xf32>) : tensor<4x130xi8>, !bnn.ternary<9x130> -> tensor<4x9xf32>
  return %y : tensor<4x9xf32>
}
)mlir";
  std::unique_ptr<bnn::JitModule> jit = compile(source);
  ASSERT_TRUE(jit);
  std::mt19937 rng(29);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<float> x(4 * 130), w(9 * 130);
  for (float &v : x)
    v = uniform(rng);
  for (float &v : w)
    v = static_cast<float>(trit(rng));
  x[3] = std::nanf("");
  for (int64_t e = 0; e < 130; ++e)
    x[130 + e] = 0.0f; // row 1: all zero
  // Row 2: max 127, so x * s = x: ties 0.5, 1.5, -2.5 round to 0, 2, -2.
  x[260] = 127.0f;
  x[261] = 0.5f;
  x[262] = 1.5f;
  x[263] = -2.5f;
  std::vector<int8_t> q(4 * 130);
  std::vector<float> scales(4);
  bnn::ref::quantizeAbsmaxInt8(x.data(), 4, 130, bnn::ref::kAbsmaxEpsilon, q.data(),
                               scales.data());
  auto results = jit->run("quantize", {hostTensor(bnn::ElementType::F32, {4, 130}, x)});
  ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(0, std::memcmp((*results)[0].bytes.data(), q.data(), q.size()));
  EXPECT_EQ(0, std::memcmp((*results)[1].bytes.data(), scales.data(), scales.size() * 4));
  EXPECT_EQ(q[261], 0);
  EXPECT_EQ(q[262], 2);
  EXPECT_EQ(q[263], -2);

  std::vector<float> g = {0.37f};
  auto linear = jit->run("bitlinear", {hostTensor(bnn::ElementType::F32, {4, 130}, x),
                                       hostTensor(bnn::ElementType::F32, {9, 130}, w),
                                       hostTensor(bnn::ElementType::F32, {1}, g)});
  ASSERT_TRUE(static_cast<bool>(linear)) << llvm::toString(linear.takeError());
  std::vector<uint64_t> ternary(*bnn::ref::ternaryWordCount(9, 130));
  bnn::ref::packTernary(w.data(), 9, 130, ternary.data());
  std::vector<int32_t> dots(4 * 9);
  bnn::ref::int8TernaryMatmul(q.data(), 4, ternary.data(), 9, 130, dots.data());
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 9; ++j) {
      float y = static_cast<float>(dots[i * 9 + j]) * g[0];
      y = y * scales[i];
      EXPECT_EQ(0, std::memcmp(&(*linear)[0].data<float>()[i * 9 + j], &y, 4)) << i << "," << j;
    }
}

std::vector<Config> configs() {
  std::vector<Config> all;
  for (const char *target : {"amx", "avx512", "avx2", "generic"})
    for (unsigned threads : {1u, 0u})
      all.push_back({target, threads});
  return all;
}

INSTANTIATE_TEST_SUITE_P(Targets, LowBitCorrectness, ::testing::ValuesIn(configs()), configName);

} // namespace
