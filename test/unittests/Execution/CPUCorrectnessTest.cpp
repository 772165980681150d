//===- CPUCorrectnessTest.cpp - compiled kernels vs the reference ---------===//
//
// Every CPU kernel bnn generates, JIT-compiled for every target path this machine can run
// (avx512, avx2, generic) single- and multi-threaded, must agree bit-exactly with the reference
// semantics over ragged shapes: K in {1, 63, 64, 65, 127, 1000, 4096}, M and N in
// {1, 3, 64, 257}.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Target/CPUTarget.h"
#include "bnn/runtime/Reference.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

namespace {

const int64_t kBitLengths[] = {1, 63, 64, 65, 127, 1000, 4096};
const int64_t kRowCounts[] = {1, 3, 64, 257};

struct Config {
  std::string target;
  unsigned threads;
};

/// How gtest prints a Config in failure messages (instead of its bytes).
void PrintTo(const Config &config, std::ostream *os) {
  *os << config.target << ", " << (config.threads == 1 ? "1 thread" : "all threads");
}

std::string configName(const ::testing::TestParamInfo<Config> &info) {
  return info.param.target + "_" + (info.param.threads == 1 ? "1thread" : "allthreads");
}

std::string shapeName(int64_t m, int64_t n, int64_t k) {
  return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
}

std::vector<float> randomFloats(int64_t count, std::mt19937 &rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &v : values)
    v = uniform(rng);
  // Zeros of both signs must pack as +1.
  if (count > 2) {
    values[0] = 0.0f;
    values[count - 1] = -0.0f;
  }
  return values;
}

bnn::HostTensor floatTensor(std::vector<int64_t> shape, const std::vector<float> &values) {
  bnn::HostTensor tensor(bnn::ElementType::F32, std::move(shape));
  std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

class CPUCorrectness : public ::testing::TestWithParam<Config> {
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

TEST_P(CPUCorrectness, XnorPopcountMatchesReference) {
  std::ostringstream source;
  for (int64_t k : kBitLengths)
    for (int64_t m : kRowCounts)
      for (int64_t n : kRowCounts)
        source << "func.func @xnor_" << shapeName(m, n, k) << "(%a: tensor<" << m << "x" << k
               << "xf32>, %b: tensor<" << n << "x" << k << "xf32>) -> tensor<" << m << "x" << n
               << "xi32> {\n"
               << "  %ap = bnn.pack %a : tensor<" << m << "x" << k << "xf32> -> !bnn.packed<" << m
               << "x" << k << ">\n"
               << "  %bp = bnn.pack %b : tensor<" << n << "x" << k << "xf32> -> !bnn.packed<" << n
               << "x" << k << ">\n"
               << "  %y = bnn.xnor_popcount %ap, %bp : !bnn.packed<" << m << "x" << k
               << ">, !bnn.packed<" << n << "x" << k << "> -> tensor<" << m << "x" << n
               << "xi32>\n  return %y : tensor<" << m << "x" << n << "xi32>\n}\n";
  std::unique_ptr<bnn::JitModule> jit = compile(source.str());
  ASSERT_TRUE(jit);

  std::mt19937 rng(42);
  for (int64_t k : kBitLengths)
    for (int64_t m : kRowCounts)
      for (int64_t n : kRowCounts) {
        std::vector<float> a = randomFloats(m * k, rng), b = randomFloats(n * k, rng);
        auto results = jit->run("xnor_" + shapeName(m, n, k),
                                {floatTensor({m, k}, a), floatTensor({n, k}, b)});
        ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
        std::vector<uint64_t> ap(m * bnn::ref::wordsPerRow(k)), bp(n * bnn::ref::wordsPerRow(k));
        bnn::ref::packBitsLSBFirst(a.data(), m, k, ap.data());
        bnn::ref::packBitsLSBFirst(b.data(), n, k, bp.data());
        std::vector<int32_t> expected(m * n);
        bnn::ref::xnorPopcount(ap.data(), m, bp.data(), n, k, expected.data());
        const int32_t *got = (*results)[0].data<int32_t>();
        int64_t mismatches = 0;
        for (int64_t i = 0; i < m * n; ++i)
          mismatches += got[i] != expected[i];
        EXPECT_EQ(mismatches, 0) << "shape M x N x K = " << shapeName(m, n, k);
      }
}

// Dynamic dimensions (a dynamic batch, M and N, a rank-3 lhs): the kernels read every size at
// run time. The functions take static shapes (as the JIT requires) and cast them away, so the
// bnn ops themselves see `?`.
TEST_P(CPUCorrectness, DynamicShapesMatchReference) {
  struct Case {
    int64_t batch, m, n, k;
  };
  const Case cases[] = {{2, 3, 257, 65}, {1, 64, 3, 1000}, {2, 1, 1, 63},   {3, 9, 64, 4096},
                        {1, 257, 1, 127}, {2, 8, 65, 1},   {1, 16, 200, 64}};
  auto name = [](const Case &c) {
    return "dyn_" + std::to_string(c.batch) + "x" + shapeName(c.m, c.n, c.k);
  };
  std::ostringstream source;
  for (const Case &c : cases) {
    std::string b = std::to_string(c.batch), m = std::to_string(c.m), n = std::to_string(c.n),
                k = std::to_string(c.k);
    source << "func.func @" << name(c) << "(%a: tensor<" << b << "x" << m << "x" << k
           << "xf32>, %w: tensor<" << n << "x" << k << "xf32>) -> (tensor<" << b << "x" << m
           << "x" << n << "xi32>, tensor<" << b << "x" << m << "x" << k << "xf32>) {\n"
           << "  %ad = tensor.cast %a : tensor<" << b << "x" << m << "x" << k
           << "xf32> to tensor<?x?x" << k << "xf32>\n"
           << "  %wd = tensor.cast %w : tensor<" << n << "x" << k << "xf32> to tensor<?x" << k
           << "xf32>\n"
           << "  %ap = bnn.pack %ad : tensor<?x?x" << k << "xf32> -> !bnn.packed<?x?x" << k
           << ">\n"
           << "  %wp = bnn.pack %wd : tensor<?x" << k << "xf32> -> !bnn.packed<?x" << k << ">\n"
           << "  %y = bnn.xnor_popcount %ap, %wp : !bnn.packed<?x?x" << k << ">, !bnn.packed<?x"
           << k << "> -> tensor<?x?x?xi32>\n"
           << "  %u = bnn.unpack %ap : !bnn.packed<?x?x" << k << "> -> tensor<?x?x" << k
           << "xf32>\n"
           << "  %ys = tensor.cast %y : tensor<?x?x?xi32> to tensor<" << b << "x" << m << "x" << n
           << "xi32>\n"
           << "  %us = tensor.cast %u : tensor<?x?x" << k << "xf32> to tensor<" << b << "x" << m
           << "x" << k << "xf32>\n"
           << "  return %ys, %us : tensor<" << b << "x" << m << "x" << n << "xi32>, tensor<" << b
           << "x" << m << "x" << k << "xf32>\n}\n";
  }
  std::unique_ptr<bnn::JitModule> jit = compile(source.str());
  ASSERT_TRUE(jit);

  std::mt19937 rng(7);
  for (const Case &c : cases) {
    SCOPED_TRACE(name(c));
    int64_t rows = c.batch * c.m, words = bnn::ref::wordsPerRow(c.k);
    std::vector<float> a = randomFloats(rows * c.k, rng), w = randomFloats(c.n * c.k, rng);
    auto results = jit->run(name(c), {floatTensor({c.batch, c.m, c.k}, a), floatTensor({c.n, c.k}, w)});
    ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
    std::vector<uint64_t> ap(rows * words), wp(c.n * words);
    bnn::ref::packBitsLSBFirst(a.data(), rows, c.k, ap.data());
    bnn::ref::packBitsLSBFirst(w.data(), c.n, c.k, wp.data());
    std::vector<int32_t> expected(rows * c.n);
    bnn::ref::xnorPopcount(ap.data(), rows, wp.data(), c.n, c.k, expected.data());
    const int32_t *got = (*results)[0].data<int32_t>();
    int64_t mismatches = 0;
    for (int64_t i = 0; i < rows * c.n; ++i)
      mismatches += got[i] != expected[i];
    EXPECT_EQ(mismatches, 0);
    const float *unpacked = (*results)[1].data<float>();
    int64_t signMismatches = 0;
    for (int64_t i = 0; i < rows * c.k; ++i)
      signMismatches += unpacked[i] != (a[i] < 0 ? -1.0f : 1.0f);
    EXPECT_EQ(signMismatches, 0);
  }
}

TEST_P(CPUCorrectness, PackUnpackSignMatchReference) {
  std::ostringstream source;
  for (int64_t k : kBitLengths) {
    int64_t rows = 3;
    std::string x = "tensor<" + std::to_string(rows) + "x" + std::to_string(k) + "xf32>";
    std::string p = "!bnn.packed<" + std::to_string(rows) + "x" + std::to_string(k) + ">";
    // Packed values cross the function boundary as their storage words.
    source << "func.func @pack_" << k << "(%x: " << x << ") -> (" << p << ", " << x << ") {\n"
           << "  %p = bnn.pack %x : " << x << " -> " << p << "\n"
           << "  %s = bnn.sign %x : " << x << "\n"
           << "  return %p, %s : " << p << ", " << x << "\n}\n"
           << "func.func @unpack_" << k << "(%p: " << p << ") -> " << x << " {\n"
           << "  %u = bnn.unpack %p : " << p << " -> " << x << "\n"
           << "  return %u : " << x << "\n}\n";
  }
  std::unique_ptr<bnn::JitModule> jit = compile(source.str());
  ASSERT_TRUE(jit);
  std::mt19937 rng(7);
  for (int64_t k : kBitLengths) {
    int64_t rows = 3, words = bnn::ref::wordsPerRow(k);
    std::vector<float> x = randomFloats(rows * k, rng);
    x[1 % x.size()] = std::nanf("");
    auto results = jit->run("pack_" + std::to_string(k), {floatTensor({rows, k}, x)});
    ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
    std::vector<uint64_t> expectedWords(rows * words);
    bnn::ref::packBitsLSBFirst(x.data(), rows, k, expectedWords.data());
    std::vector<float> expectedSigns(rows * k);
    bnn::ref::signTensor(x.data(), rows * k, expectedSigns.data());
    EXPECT_EQ(0, std::memcmp((*results)[0].bytes.data(), expectedWords.data(), rows * words * 8))
        << "pack, K = " << k;
    EXPECT_EQ(0, std::memcmp((*results)[1].bytes.data(), expectedSigns.data(), rows * k * 4))
        << "sign, K = " << k;
    // Unpack the reference words: every bit, padding ignored.
    bnn::HostTensor words_(bnn::ElementType::I64, {rows, words});
    std::memcpy(words_.bytes.data(), expectedWords.data(), words_.bytes.size());
    auto unpacked = jit->run("unpack_" + std::to_string(k), {words_});
    ASSERT_TRUE(static_cast<bool>(unpacked)) << llvm::toString(unpacked.takeError());
    EXPECT_EQ(0, std::memcmp((*unpacked)[0].bytes.data(), expectedSigns.data(), rows * k * 4))
        << "unpack, K = " << k;
  }
}

/// The fused binary linear layer (bnn.xnor_linear, formed by bnn-fuse from xnor_popcount and a
/// linalg epilogue) against the reference dot products followed by the same f32 operations in
/// the same order: float and re-binarized (packed) results must be bit-identical.
TEST_P(CPUCorrectness, FusedLinearMatchesReference) {
  // The last shape is large enough for parallel kernels: the float result in ragged bnn-tile
  // tiles, the packed one (never tiled) as one kernel with parallel interleave and row slabs.
  const int64_t shapes[][3] = {
      {3, 5, 65}, {64, 3, 1000}, {1, 257, 127}, {257, 64, 64}, {300, 700, 700}};
  std::ostringstream source;
  for (const auto &shape : shapes) {
    int64_t m = shape[0], n = shape[1], k = shape[2];
    std::string name = shapeName(m, n, k);
    std::string x = "tensor<" + std::to_string(m) + "x" + std::to_string(k) + "xf32>";
    std::string w = "tensor<" + std::to_string(n) + "x" + std::to_string(k) + "xf32>";
    std::string xp = "!bnn.packed<" + std::to_string(m) + "x" + std::to_string(k) + ">";
    std::string wp = "!bnn.packed<" + std::to_string(n) + "x" + std::to_string(k) + ">";
    std::string y = "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "xf32>";
    std::string yi = "tensor<" + std::to_string(m) + "x" + std::to_string(n) + "xi32>";
    std::string yp = "!bnn.packed<" + std::to_string(m) + "x" + std::to_string(n) + ">";
    std::string v = "tensor<" + std::to_string(n) + "xf32>";
    std::string r = "tensor<" + std::to_string(m) + "xf32>";
    source << "func.func @linear_" << name << "(%x: " << x << ", %w: " << w << ", %s: " << v
           << ", %r: " << r << ", %b: " << v << ") -> (" << y << ", " << yp << ") {\n"
           << "  %xp = bnn.pack %x : " << x << " -> " << xp << "\n"
           << "  %wp = bnn.pack %w : " << w << " -> " << wp << "\n"
           << "  %acc = bnn.xnor_popcount %xp, %wp : " << xp << ", " << wp << " -> " << yi << "\n"
           << "  %init = tensor.empty() : " << y << "\n"
           << "  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, "
              "affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (j)>, "
              "affine_map<(i, j) -> (i, j)>], iterator_types = [\"parallel\", \"parallel\"]}"
           << " ins(%acc, %s, %r, %b : " << yi << ", " << v << ", " << r << ", " << v
           << ") outs(%init : " << y << ") {\n"
           << "  ^bb0(%d: i32, %cs: f32, %rs: f32, %bias: f32, %o: f32):\n"
           << "    %f = arith.sitofp %d : i32 to f32\n"
           << "    %1 = arith.mulf %f, %cs : f32\n"
           << "    %2 = arith.mulf %1, %rs : f32\n"
           << "    %3 = arith.addf %2, %bias : f32\n"
           << "    %zero = arith.constant 0.0 : f32\n"
           << "    %4 = arith.maximumf %3, %zero : f32\n"
           << "    linalg.yield %4 : f32\n  } -> " << y << "\n"
           // The same layer feeding another binary layer: re-binarized and packed in the kernel.
           << "  %acc2 = bnn.xnor_popcount %xp, %wp : " << xp << ", " << wp << " -> " << yi << "\n"
           << "  %init2 = tensor.empty() : " << y << "\n"
           << "  %z = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, "
              "affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = "
              "[\"parallel\", \"parallel\"]} ins(%acc2, %b : " << yi << ", " << v
           << ") outs(%init2 : " << y << ") {\n"
           << "  ^bb0(%d: i32, %bias: f32, %o: f32):\n"
           << "    %f = arith.sitofp %d : i32 to f32\n"
           << "    %1 = arith.addf %f, %bias : f32\n"
           << "    linalg.yield %1 : f32\n  } -> " << y << "\n"
           << "  %zp = bnn.pack %z : " << y << " -> " << yp << "\n"
           << "  return %y, %zp : " << y << ", " << yp << "\n}\n";
  }
  std::unique_ptr<bnn::JitModule> jit = compile(source.str());
  ASSERT_TRUE(jit);
  std::mt19937 rng(3);
  for (const auto &shape : shapes) {
    int64_t m = shape[0], n = shape[1], k = shape[2];
    std::vector<float> x = randomFloats(m * k, rng), w = randomFloats(n * k, rng);
    std::vector<float> scale = randomFloats(n, rng), rowScale = randomFloats(m, rng),
                       bias = randomFloats(n, rng);
    auto results = jit->run("linear_" + shapeName(m, n, k),
                            {floatTensor({m, k}, x), floatTensor({n, k}, w), floatTensor({n}, scale),
                             floatTensor({m}, rowScale), floatTensor({n}, bias)});
    ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
    std::vector<uint64_t> xp(m * bnn::ref::wordsPerRow(k)), wp(n * bnn::ref::wordsPerRow(k));
    bnn::ref::packBitsLSBFirst(x.data(), m, k, xp.data());
    bnn::ref::packBitsLSBFirst(w.data(), n, k, wp.data());
    std::vector<int32_t> dots(m * n);
    bnn::ref::xnorPopcount(xp.data(), m, wp.data(), n, k, dots.data());
    std::vector<float> expected(m * n), rebinarized(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float d = static_cast<float>(dots[i * n + j]);
        float v = d * scale[j];
        v = v * rowScale[i];
        v = v + bias[j];
        // relu is arith.maximumf(v, +0): NaN propagates and -0 becomes +0.
        expected[i * n + j] = std::isnan(v) ? v : (v > 0.0f ? v : 0.0f);
        rebinarized[i * n + j] = d + bias[j];
      }
    const float *got = (*results)[0].data<float>();
    for (int64_t i = 0; i < m * n; ++i)
      if (std::memcmp(&got[i], &expected[i], 4) != 0) {
        ADD_FAILURE() << "float epilogue, shape " << shapeName(m, n, k) << ", element " << i
                      << ": got " << got[i] << ", expected " << expected[i] << " (dot "
                      << dots[i] << ")";
        break;
      }
    std::vector<uint64_t> expectedBits(m * bnn::ref::wordsPerRow(n));
    bnn::ref::packBitsLSBFirst(rebinarized.data(), m, n, expectedBits.data());
    EXPECT_EQ(0, std::memcmp((*results)[1].bytes.data(), expectedBits.data(),
                             expectedBits.size() * 8))
        << "packed epilogue, shape " << shapeName(m, n, k);
  }
}

/// bnn.scaled_sign with computed (mean |x|) and given scales, per tensor and per channel.
TEST_P(CPUCorrectness, ScaledSignMatchesReference) {
  const char *source = R"mlir(
func.func @computed(%w: tensor<5x130xf32>) -> (tensor<5x130xf32>, tensor<5x130xf32>) {
  %t = bnn.scaled_sign per_tensor %w : tensor<5x130xf32>
  %c = bnn.scaled_sign per_channel %w : tensor<5x130xf32>
  return %t, %c : tensor<5x130xf32>, tensor<5x130xf32>
}
func.func @given(%w: tensor<5x130xf32>, %a: tensor<1xf32>, %c: tensor<5xf32>) -> (tensor<5x130xf32>, tensor<5x130xf32>) {
  %t = bnn.scaled_sign per_tensor %w alpha(%a : tensor<1xf32>) : tensor<5x130xf32>
  %p = bnn.scaled_sign per_channel %w alpha(%c : tensor<5xf32>) : tensor<5x130xf32>
  return %t, %p : tensor<5x130xf32>, tensor<5x130xf32>
}
)mlir";
  std::unique_ptr<bnn::JitModule> jit = compile(source);
  ASSERT_TRUE(jit);
  std::mt19937 rng(11);
  std::vector<float> w = randomFloats(5 * 130, rng), a = randomFloats(1, rng),
                     c = randomFloats(5, rng);
  std::vector<float> perTensor(5 * 130), perChannel(5 * 130), givenTensor(5 * 130),
      givenChannel(5 * 130);
  using bnn::ref::ScaleGranularity;
  bnn::ref::scaledSign(w.data(), 5, 130, ScaleGranularity::PerTensor, nullptr, perTensor.data());
  bnn::ref::scaledSign(w.data(), 5, 130, ScaleGranularity::PerChannel, nullptr, perChannel.data());
  bnn::ref::scaledSign(w.data(), 5, 130, ScaleGranularity::PerTensor, a.data(), givenTensor.data());
  bnn::ref::scaledSign(w.data(), 5, 130, ScaleGranularity::PerChannel, c.data(),
                       givenChannel.data());
  auto computed = jit->run("computed", {floatTensor({5, 130}, w)});
  ASSERT_TRUE(static_cast<bool>(computed)) << llvm::toString(computed.takeError());
  auto given = jit->run("given", {floatTensor({5, 130}, w), floatTensor({1}, a), floatTensor({5}, c)});
  ASSERT_TRUE(static_cast<bool>(given)) << llvm::toString(given.takeError());
  // A computed mean is summed in double on both sides; allow one f32 ulp of difference.
  for (int64_t i = 0; i < 5 * 130; ++i) {
    EXPECT_FLOAT_EQ((*computed)[0].data<float>()[i], perTensor[i]) << i;
    EXPECT_FLOAT_EQ((*computed)[1].data<float>()[i], perChannel[i]) << i;
  }
  EXPECT_EQ(0, std::memcmp((*given)[0].bytes.data(), givenTensor.data(), givenTensor.size() * 4));
  EXPECT_EQ(0, std::memcmp((*given)[1].bytes.data(), givenChannel.data(), givenChannel.size() * 4));
}

std::vector<Config> configs() {
  std::vector<Config> all;
  for (const char *target : {"avx512", "avx2", "generic"})
    for (unsigned threads : {1u, 0u})
      all.push_back({target, threads});
  return all;
}

INSTANTIATE_TEST_SUITE_P(Targets, CPUCorrectness, ::testing::ValuesIn(configs()), configName);

} // namespace
