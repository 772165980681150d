//===- HammingTopKTest.cpp - compiled bnn.hamming_topk vs the reference ----===//
//
// bnn.hamming_topk through bnn-cpu-pipeline and the JIT (a call of the runtime's
// bnn_ukernel_hamming_topk), one thread and all threads, must agree exactly with the scalar
// reference (all distances, then a stable sort) over ragged shapes: Q and N in {1, 3, 64, 257},
// K in {1, 63, 64, 65, 255, 256, 257, 1024}, k in {1, 5, 10}, with databases full of repeated
// codes so that ties decide most of the order. k > N runs with a dynamic N (the verifier
// rejects it for a static one) and checks the INT32_MAX / -1 padding.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/runtime/Reference.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <sstream>

namespace {

const int64_t kRowCounts[] = {1, 3, 64, 257};
const int64_t kBitLengths[] = {1, 63, 64, 65, 255, 256, 257, 1024};
const int64_t kNeighbours[] = {1, 5, 10};

struct Case {
  int64_t q, n, bits, k;
};

std::string caseName(const Case &c) {
  return "topk_" + std::to_string(c.q) + "x" + std::to_string(c.n) + "x" +
         std::to_string(c.bits) + "_k" + std::to_string(c.k);
}

/// A function searching a Q x K query matrix in an N x K database; the database is sliced to a
/// dynamic row count when k > N (or when `dynamic` asks for it).
std::string caseFunction(const Case &c, bool dynamic) {
  std::string q = std::to_string(c.q), n = std::to_string(c.n), bits = std::to_string(c.bits),
              k = std::to_string(c.k);
  std::string queries = "!bnn.packed<" + q + "x" + bits + ">";
  std::string database = "!bnn.packed<" + n + "x" + bits + ">";
  std::string searched = dynamic ? "!bnn.packed<?x" + bits + ">" : database;
  std::string results = "tensor<" + q + "x" + k + "xi32>, tensor<" + q + "x" + k + "xi64>";
  std::ostringstream os;
  os << "func.func @" << caseName(c) << "(%q: " << queries << ", %db: " << database << ") -> ("
     << results << ") {\n";
  std::string db = "%db";
  if (dynamic) {
    os << "  %n = arith.constant " << n << " : index\n"
       << "  %dyn = bnn.slice %db [0] [%n] : " << database << " -> " << searched << "\n";
    db = "%dyn";
  }
  os << "  %d, %i = bnn.hamming_topk %q, " << db << " k(" << k << ") : " << queries << ", "
     << searched << " -> " << results << "\n"
     << "  return %d, %i : " << results << "\n}\n";
  return os.str();
}

/// `rows` packed codes of `bits` bits, most of them copies of a few codes (with the padding
/// bits of the last word zero, as the bit contract requires).
std::vector<uint64_t> tiedCodes(int64_t rows, int64_t bits, std::mt19937_64 &rng) {
  int64_t words = bnn::ref::wordsPerRow(bits);
  uint64_t lastMask =
      bits % 64 == 0 ? ~uint64_t{0} : (uint64_t{1} << (bits % 64)) - 1;
  auto randomRow = [&](uint64_t *row) {
    for (int64_t w = 0; w < words; ++w)
      row[w] = rng();
    row[words - 1] &= lastMask;
  };
  std::vector<uint64_t> pool(3 * words);
  for (int p = 0; p < 3; ++p)
    randomRow(&pool[p * words]);
  std::vector<uint64_t> codes(rows * words);
  for (int64_t r = 0; r < rows; ++r) {
    uint64_t *row = &codes[r * words];
    uint64_t pick = rng() % 4;
    if (pick < 3)
      std::memcpy(row, &pool[pick * words], words * sizeof(uint64_t));
    else
      randomRow(row);
  }
  return codes;
}

bnn::HostTensor wordsTensor(int64_t rows, int64_t words, const std::vector<uint64_t> &values) {
  bnn::HostTensor tensor(bnn::ElementType::I64, {rows, words});
  std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

class HammingTopK : public ::testing::TestWithParam<unsigned> {
protected:
  void SetUp() override {
    bnn::registerAllDialectsWithBNN(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
  }
  mlir::DialectRegistry registry;
  std::unique_ptr<mlir::MLIRContext> context;
};

TEST_P(HammingTopK, MatchesReference) {
  std::vector<Case> cases;
  for (int64_t q : kRowCounts)
    for (int64_t n : kRowCounts)
      for (int64_t bits : kBitLengths)
        for (int64_t k : kNeighbours)
          cases.push_back({q, n, bits, k});
  std::ostringstream source;
  for (const Case &c : cases)
    source << caseFunction(c, /*dynamic=*/c.k > c.n || (c.q + c.n + c.bits) % 2 == 0);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source.str(), context.get());
  ASSERT_TRUE(module) << "test module does not parse";
  bnn::JitOptions options;
  options.target = "native";
  options.numThreads = GetParam();
  auto jit = bnn::JitModule::compile(*module, options);
  ASSERT_TRUE(static_cast<bool>(jit)) << llvm::toString(jit.takeError());

  std::mt19937_64 rng(13);
  for (const Case &c : cases) {
    SCOPED_TRACE(caseName(c));
    int64_t words = bnn::ref::wordsPerRow(c.bits);
    std::vector<uint64_t> database = tiedCodes(c.n, c.bits, rng);
    // Queries that are database codes too (distance 0, ties among the copies) or random.
    std::vector<uint64_t> queries = tiedCodes(c.q, c.bits, rng);
    if (c.n > 0)
      std::memcpy(queries.data(), database.data(), words * sizeof(uint64_t));
    auto results = (*jit)->run(caseName(c), {wordsTensor(c.q, words, queries),
                                             wordsTensor(c.n, words, database)});
    ASSERT_TRUE(static_cast<bool>(results)) << llvm::toString(results.takeError());
    std::vector<int32_t> expectedDistances(c.q * c.k);
    std::vector<int64_t> expectedIndices(c.q * c.k);
    bnn::ref::hammingTopK(queries.data(), c.q, database.data(), c.n, c.bits, c.k,
                          expectedDistances.data(), expectedIndices.data());
    const int32_t *distances = (*results)[0].data<int32_t>();
    const int64_t *indices = (*results)[1].data<int64_t>();
    EXPECT_EQ(std::vector<int32_t>(distances, distances + c.q * c.k), expectedDistances);
    EXPECT_EQ(std::vector<int64_t>(indices, indices + c.q * c.k), expectedIndices);
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, HammingTopK, ::testing::Values(1u, 0u),
                         [](const ::testing::TestParamInfo<unsigned> &info) {
                           return info.param == 1 ? std::string("1thread")
                                                  : std::string("allthreads");
                         });

} // namespace
