//===- PackedTypeTest.cpp - !bnn.packed C++ API ---------------------------===//
//
// The parts of the packed type that textual IR cannot reach: dimensions built from C++
// (negative or dynamic) and the storage helpers every lowering relies on.
//
//===----------------------------------------------------------------------===//

#include "bnn/IR/BNNOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

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
