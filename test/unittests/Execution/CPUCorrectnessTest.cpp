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
  bnn::HostTensor tensor(bnn::ElementKind::F32, std::move(shape));
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
    mlir::registerAllDialects(registry);
    mlir::registerAllExtensions(registry);
    bnn::registerBNNDialects(registry);
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
    bnn::HostTensor words_(bnn::ElementKind::I64, {rows, words});
    std::memcpy(words_.bytes.data(), expectedWords.data(), words_.bytes.size());
    auto unpacked = jit->run("unpack_" + std::to_string(k), {words_});
    ASSERT_TRUE(static_cast<bool>(unpacked)) << llvm::toString(unpacked.takeError());
    EXPECT_EQ(0, std::memcmp((*unpacked)[0].bytes.data(), expectedSigns.data(), rows * k * 4))
        << "unpack, K = " << k;
  }
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
