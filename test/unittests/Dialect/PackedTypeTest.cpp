//===- PackedTypeTest.cpp - !bnn.packed C++ API ---------------------------===//
//
// The parts of the packed type that textual IR cannot reach: dimensions built from C++
// (negative or dynamic) and the storage helpers every lowering relies on.
//
//===----------------------------------------------------------------------===//

#include "bnn/IR/BNNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

using namespace mlir;
using namespace bnn;

namespace {

class PackedTypeTest : public ::testing::Test {
protected:
  PackedTypeTest() { context.loadDialect<BNNDialect>(); }

  /// Builds the type through the checked path and returns the diagnostic it emitted ("" if none).
  std::string checkedError(ArrayRef<int64_t> shape) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      message = diag.str();
      return success();
    });
    PackedType type =
        PackedType::getChecked(UnknownLoc::get(&context), &context, shape);
    EXPECT_EQ(static_cast<bool>(type), message.empty());
    return message;
  }

  MLIRContext context;
};

TEST_F(PackedTypeTest, StorageIsCeilKOver64WordsPerRow) {
  struct Case {
    SmallVector<int64_t> shape;
    int64_t words;
    int64_t rows;
    SmallVector<int64_t> storage;
  };
  const Case cases[] = {
      {{1}, 1, 1, {1}},           {{64}, 1, 1, {1}},          {{65}, 2, 1, {2}},
      {{4, 100}, 2, 4, {4, 2}},   {{2, 3, 128}, 2, 6, {2, 3, 2}},
      {{0, 7}, 1, 0, {0, 1}},     {{8, 4096}, 64, 8, {8, 64}},
  };
  for (const Case &c : cases) {
    PackedType type = PackedType::get(&context, c.shape);
    EXPECT_EQ(type.getK(), c.shape.back());
    EXPECT_EQ(type.getNumWords(), c.words);
    EXPECT_EQ(type.getNumRows(), c.rows);
    RankedTensorType storage = type.getStorageType();
    EXPECT_EQ(storage.getShape(), ArrayRef<int64_t>(c.storage));
    EXPECT_TRUE(storage.getElementType().isInteger(64));
  }
}

TEST_F(PackedTypeTest, VerifierRejectsShapesTextCannotSpell) {
  EXPECT_EQ(checkedError({4, 100}), "");
  EXPECT_EQ(checkedError({}),
            "!bnn.packed expects at least one dimension (the bit length K), found none");
  EXPECT_EQ(checkedError({-3, 64}),
            "!bnn.packed expects non-negative or dynamic leading dimensions, found -3");
  EXPECT_EQ(checkedError({ShapedType::kDynamic, 64}), "");
  EXPECT_EQ(checkedError({4, ShapedType::kDynamic}),
            "!bnn.packed expects a static bit length K in its last dimension, found ?");
  EXPECT_EQ(checkedError({4, 0}),
            "!bnn.packed expects a bit length K >= 1 in its last dimension, found 0");
}

TEST_F(PackedTypeTest, VerifierBoundsKAndTheStorage) {
  // K up to 2^31 - 1: a dot product in [-K, K] fits the i32 result of xnor_popcount.
  EXPECT_EQ(checkedError({PackedType::kMaxBitLength}), "");
  EXPECT_EQ(checkedError({PackedType::kMaxBitLength + 1}),
            "!bnn.packed expects a bit length K <= 2147483647 (a bnn.xnor_popcount dot product "
            "in [-K, K] must fit in i32), found 2147483648");
  EXPECT_EQ(checkedError({std::numeric_limits<int64_t>::max()}),
            "!bnn.packed expects a bit length K <= 2147483647 (a bnn.xnor_popcount dot product "
            "in [-K, K] must fit in i32), found 9223372036854775807");
  // rows x words up to (2^63 - 1) / 64, so the size in bits fits in int64_t.
  EXPECT_EQ(checkedError({PackedType::kMaxStorageWords, 64}), "");
  EXPECT_EQ(checkedError({ShapedType::kDynamic, PackedType::kMaxStorageWords, 64}), "");
  const std::string tooLarge = "!bnn.packed expects at most 144115188075855871 storage words "
                               "(rows x ceil(K / 64), so that the size in bits fits in int64), "
                               "found ";
  EXPECT_EQ(checkedError({PackedType::kMaxStorageWords, 65}),
            tooLarge + "144115188075855871 rows x 2 words per row");
  EXPECT_EQ(checkedError({int64_t{1} << 40, int64_t{1} << 40, 1}),
            tooLarge + "1099511627776x1099511627776 rows x 1 words per row");

  PackedType widest = PackedType::get(&context, {2, PackedType::kMaxBitLength});
  EXPECT_EQ(widest.getNumWords(), int64_t{1} << 25);
  PackedType largest = PackedType::get(&context, {PackedType::kMaxStorageWords, 64});
  EXPECT_EQ(largest.getNumRows(), PackedType::kMaxStorageWords);
  EXPECT_EQ(largest.getStorageType().getNumElements(), PackedType::kMaxStorageWords);
}

/// Unpacking a constant that is not a splat materialises rows x K values: it folds up to 2^22
/// of them and leaves the op in place beyond, so folding stays bounded for any constant.
TEST_F(PackedTypeTest, UnpackFoldsNonSplatConstantsUpToALimit) {
  OpBuilder builder(&context);
  Location loc = UnknownLoc::get(&context);
  for (int64_t rows : {int64_t{1} << 16, (int64_t{1} << 16) + 1}) {
    PackedType type = PackedType::get(&context, {rows, 64});
    SmallVector<uint64_t> words(rows);
    for (int64_t row = 0; row < rows; ++row)
      words[row] = static_cast<uint64_t>(row) * 0x9E3779B97F4A7C15ull;
    auto value = DenseElementsAttr::get(type.getStorageType(), ArrayRef<uint64_t>(words));
    auto constant = ConstantOp::create(builder, loc, type, value);
    auto resultType = RankedTensorType::get({rows, 64}, builder.getI1Type());
    auto unpack = UnpackOp::create(builder, loc, resultType, constant.getResult());
    SmallVector<OpFoldResult> results;
    bool folded = succeeded(unpack->fold(results));
    EXPECT_EQ(folded, rows * 64 <= (int64_t{1} << 22)) << rows << " rows";
    if (folded) {
      auto bits = cast<DenseElementsAttr>(cast<Attribute>(results.front()));
      // Row 1 is the word 0x9E3779B97F4A7C15: bit 0 is set, bit 1 is clear.
      EXPECT_TRUE(bits.getValues<bool>()[64]);
      EXPECT_FALSE(bits.getValues<bool>()[65]);
    }
    unpack->erase();
    constant->erase();
  }
}

TEST_F(PackedTypeTest, DynamicLeadingDimensions) {
  PackedType type = PackedType::get(&context, {ShapedType::kDynamic, 3, 130});
  EXPECT_FALSE(type.hasStaticShape());
  EXPECT_EQ(type.getNumRows(), ShapedType::kDynamic);
  EXPECT_EQ(type.getStorageType().getShape(),
            ArrayRef<int64_t>({ShapedType::kDynamic, 3, 3}));
}

TEST_F(PackedTypeTest, XnorPopcountResultShape) {
  auto lhs = PackedType::get(&context, {2, 5, 1000});
  auto rhs = PackedType::get(&context, {64, 1000});
  RankedTensorType result = XnorPopcountOp::inferResultType(lhs, rhs);
  EXPECT_EQ(result.getShape(), ArrayRef<int64_t>({2, 5, 64}));
  EXPECT_TRUE(result.getElementType().isInteger(32));
}

} // namespace
