//===- HostTensorTest.cpp - buffer sizes of the JIT's host tensors --------===//
//
// Every buffer size the JIT derives from a type goes through denseByteSize: a count that wraps
// (2^32 x 2^32 f32 elements used to give a 0-byte buffer) is an error, never a short buffer.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <limits>

namespace {

using bnn::ElementType;

int64_t sizeOrMinusOne(ElementType kind, std::vector<int64_t> shape) {
  llvm::Expected<int64_t> size = bnn::denseByteSize(kind, shape);
  if (!size) {
    llvm::consumeError(size.takeError());
    return -1;
  }
  return *size;
}

TEST(HostTensorTest, ByteSizesAreExact) {
  EXPECT_EQ(sizeOrMinusOne(ElementType::F32, {}), 4);
  EXPECT_EQ(sizeOrMinusOne(ElementType::F32, {2, 64}), 512);
  EXPECT_EQ(sizeOrMinusOne(ElementType::I1, {3, 5}), 15);
  EXPECT_EQ(sizeOrMinusOne(ElementType::I64, {0, int64_t(1) << 62}), 0);
  // At the edge: 2^59 words are 2^62 bytes; 2^60 words (2^63 bytes) do not fit.
  EXPECT_EQ(sizeOrMinusOne(ElementType::I64, {int64_t(1) << 59}), int64_t(1) << 62);
  EXPECT_EQ(sizeOrMinusOne(ElementType::I64, {int64_t(1) << 60}), -1);
}

TEST(HostTensorTest, ByteSizesThatDoNotFitAreErrors) {
  // 2^64 elements: the element count itself wraps to 0.
  EXPECT_EQ(sizeOrMinusOne(ElementType::F32, {int64_t(1) << 32, int64_t(1) << 32}), -1);
  // 2^61 elements fit, their 2^64 bytes do not.
  EXPECT_EQ(sizeOrMinusOne(ElementType::F64, {int64_t(1) << 61}), -1);
  EXPECT_EQ(sizeOrMinusOne(ElementType::I8, {std::numeric_limits<int64_t>::max(), 2}), -1);
  // A dynamic dimension has no size.
  EXPECT_EQ(sizeOrMinusOne(ElementType::F32, {4, std::numeric_limits<int64_t>::min()}), -1);
}

TEST(HostTensorTest, NumElementsSaturates) {
  bnn::HostTensor tensor;
  tensor.shape = {int64_t(1) << 32, int64_t(1) << 32};
  EXPECT_EQ(tensor.numElements(), std::numeric_limits<int64_t>::max());
}

TEST(HostTensorTest, SignaturesRejectSizesThatWrap) {
  mlir::DialectRegistry registry;
  bnn::registerAllDialectsWithBNN(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(
      "func.func @wraps(%x: tensor<4294967296x4294967296xf32>) -> tensor<1xf32> {\n"
      "  %c = arith.constant dense<0.0> : tensor<1xf32>\n"
      "  return %c : tensor<1xf32>\n"
      "}\n",
      &context);
  ASSERT_TRUE(module);
  auto signatures = bnn::collectSignatures(*module);
  ASSERT_FALSE(static_cast<bool>(signatures));
  EXPECT_EQ(llvm::toString(signatures.takeError()),
            "function @wraps argument: tensor<4294967296x4294967296xf32> holds more than 2^63 "
            "bytes");
}

} // namespace
