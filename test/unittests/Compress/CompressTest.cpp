//===- CompressTest.cpp - bnn-compress's library: packing, sizes, choice ---===//
//
// Hand-computed cases; the methods' numerics are checked against NumPy in test/Compress/.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Compress.h"

#include "gtest/gtest.h"

using namespace bnn::frontend;
using namespace bnn::frontend::compress;

namespace {
Matrix make(int64_t rows, int64_t cols, std::vector<float> data) {
  return Matrix{rows, cols, std::move(data)};
}

std::string message(llvm::Error error) { return llvm::toString(std::move(error)); }
} // namespace

TEST(Compress, BinaryPacksTheBitContract) {
  // Row 0: + - + (0 counts as +), row 1: - - +.
  QuantizedLayer q = quantizeBinary(make(2, 3, {1, -2, 0, -1, -3, 5}));
  ASSERT_EQ(q.packed.size(), 2u);
  EXPECT_EQ(q.packed[0], 0b101u);
  EXPECT_EQ(q.packed[1], 0b100u);
  ASSERT_EQ(q.scale.size(), 1u);
  EXPECT_FLOAT_EQ(q.scale[0], 2.0f);
  EXPECT_EQ(q.getStorageBytes(), 2 * 8 + 4);
  EXPECT_FLOAT_EQ(q.reconstruction[1], -2.0f);
}

TEST(Compress, TernaryPlanes) {
  // mean|W| = 1, so 0.4 -> 0, 1.6 -> 1, -0.6 -> -1 (round(-0.6) = -1), -0.2 -> 0 ...
  QuantizedLayer q = quantizeTernary(make(1, 4, {0.4f, 1.6f, -0.6f, -1.4f}));
  ASSERT_EQ(q.packed.size(), 2u);
  EXPECT_EQ(q.packed[0], 0b0010u); // sign plane
  EXPECT_EQ(q.packed[1], 0b1110u); // mask plane
  // TWN: delta = 0.7, kept 1.6, -1.4 -> alpha 1.5.
  QuantizedLayer t = quantizeThreshold(make(1, 4, {0.4f, 1.6f, -0.6f, -1.4f}));
  EXPECT_EQ(t.packed[1], 0b1010u);
  EXPECT_FLOAT_EQ(t.scale[0], 1.5f);
}

TEST(Compress, DbfRankFromBits) {
  // (2 * 64 * 64 - 32 * 128) / (128 + 32) = 25.6 -> 25.
  EXPECT_EQ(getDBFRank(64, 64, 2.0), 25);
  EXPECT_EQ(getDBFRank(8, 8, 1.0), 1);    // clamped up
  EXPECT_EQ(getDBFRank(8, 16, 100.0), 8); // clamped to min(N, K)
}

TEST(Compress, PbNeedsAHessianForGptq) {
  PBOptions options;
  llvm::Expected<QuantizedLayer> q = quantizePB(make(1, 2, {1, 2}), nullptr, options);
  ASSERT_FALSE(static_cast<bool>(q));
  EXPECT_EQ(message(q.takeError()),
            "GPTQ error compensation needs calibration inputs (a Hessian), none given");
  options.gptq = false;
  options.fraction = 0.5;
  q = quantizePB(make(1, 4, {1, -8, 2, -3}), nullptr, options);
  ASSERT_TRUE(static_cast<bool>(q)) << message(q.takeError());
  // The two largest magnitudes (-8 at 1, -3 at 3) are salient; alpha = mean(1, 2) = 1.5.
  EXPECT_EQ(q->salientIndex, (std::vector<int32_t>{1, 3}));
  EXPECT_FLOAT_EQ(q->scale[0], 1.5f);
  EXPECT_FLOAT_EQ(q->salientScale[0], 8.0f / 127.0f);
  EXPECT_EQ(q->salientValue, (std::vector<int8_t>{-127, -48}));
  EXPECT_EQ(q->packed[0], 0b0101u); // salient bits clear
}

TEST(Compress, GreedyChoiceUnderBudget) {
  // Two layers; candidates (bytes, error). Start: the smallest (10 + 10 = 20, plus 5 fixed).
  std::vector<std::vector<Candidate>> layers = {
      {{Method::Binary, 10, 100}, {Method::PB, 30, 20}, {Method::Float, 100, 0}},
      {{Method::Binary, 10, 50}, {Method::PB, 20, 10}}};
  // Both upgrades to PB gain 4 per byte (80 / 20 and 40 / 10). Budget 40: layer 0's would
  // need 45 bytes and does not fit, so layer 1's is taken (35), and then nothing fits.
  llvm::Expected<std::vector<size_t>> choice = chooseUnderBudget(layers, 5, 40);
  ASSERT_TRUE(static_cast<bool>(choice)) << message(choice.takeError());
  EXPECT_EQ(*choice, (std::vector<size_t>{0, 1}));
  choice = chooseUnderBudget(layers, 5, 55);
  ASSERT_TRUE(static_cast<bool>(choice));
  EXPECT_EQ(*choice, (std::vector<size_t>{1, 1}));
  choice = chooseUnderBudget(layers, 5, 1000);
  ASSERT_TRUE(static_cast<bool>(choice));
  EXPECT_EQ(*choice, (std::vector<size_t>{2, 1}));
  choice = chooseUnderBudget(layers, 5, 24);
  ASSERT_FALSE(static_cast<bool>(choice));
  EXPECT_EQ(message(choice.takeError()),
            "the budget of 24 bytes is too small: the smallest candidates need 25 bytes (5 of "
            "them for the float tensors)");
}
