//===- ONNXImporterTest.cpp - the ONNX importer's C++ API -----------------===//

#include "bnn/Frontend/ONNXImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace bnn::frontend;

namespace {

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

struct Captured {
  explicit Captured(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &d) {
          messages.push_back(d.str());
          return mlir::success();
        }) {}
  std::vector<std::string> messages;
  mlir::ScopedDiagnosticHandler handler;
};

TEST(ONNXImporterTest, AcceptsEveryOperatorOfTheIssue) {
  std::vector<std::string> supported = getSupportedONNXOperators();
  for (const char *op :
       {"MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal", "Neg", "Abs",
        "Sign", "Relu", "Tanh", "Sigmoid", "Erf", "Softmax", "LayerNormalization", "ReduceMean",
        "ReduceSum", "Gather", "Reshape", "Transpose", "Concat", "Slice", "Squeeze", "Unsqueeze",
        "Cast", "Constant", "Identity", "Where", "Equal", "Greater", "Less", "Clip", "Expand",
        "Shape"})
    EXPECT_TRUE(std::count(supported.begin(), supported.end(), op)) << op;
  EXPECT_TRUE(std::is_sorted(supported.begin(), supported.end()));
}

TEST(ONNXImporterTest, ImportsTheBundledModelIntoBNNOps) {
  std::string bytes = readFile(BNN_SOURCE_DIR "/examples/onnx/bitnet_mlp.onnx");
  ASSERT_FALSE(bytes.empty());
  mlir::MLIRContext context;
  Captured diagnostics(context);
  mlir::OwningOpRef<mlir::ModuleOp> module = importONNXModel(bytes, "bitnet_mlp.onnx", &context);
  ASSERT_TRUE(module) << (diagnostics.messages.empty() ? "" : diagnostics.messages.front());
  EXPECT_TRUE(diagnostics.messages.empty());
  auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
  ASSERT_TRUE(main);
  EXPECT_EQ(main.getFunctionType().getNumInputs(), 1u);
  // The two BitLinear layers: native int8 x ternary products.
  int lowBit = 0, matmul = 0;
  module->walk([&](mlir::Operation *op) {
    lowBit += op->getName().getStringRef() == "bnn.lowbit_matmul";
    matmul += op->getName().getStringRef() == "linalg.matmul";
  });
  EXPECT_EQ(lowBit, 2);
  EXPECT_EQ(matmul, 0);

  // With the patterns off the same model stays in float.
  ONNXImportOptions plain;
  plain.binarize = false;
  module = importONNXModel(bytes, "bitnet_mlp.onnx", &context, plain);
  ASSERT_TRUE(module);
  lowBit = matmul = 0;
  module->walk([&](mlir::Operation *op) {
    lowBit += op->getName().getStringRef() == "bnn.lowbit_matmul";
    matmul += op->getName().getStringRef() == "linalg.matmul";
  });
  EXPECT_EQ(lowBit, 0);
  EXPECT_EQ(matmul, 2);
}

TEST(ONNXImporterTest, GarbageIsADiagnosticNotACrash) {
  mlir::MLIRContext context;
  Captured diagnostics(context);
  for (std::string bytes : {std::string("\x08\x96\x01\x12\xff\xff\xff", 7),
                            std::string("not an onnx model at all"), std::string()}) {
    diagnostics.messages.clear();
    EXPECT_FALSE(importONNXModel(bytes, "garbage.onnx", &context));
    ASSERT_FALSE(diagnostics.messages.empty());
    EXPECT_NE(diagnostics.messages.front().find("not a valid ONNX model"), std::string::npos)
        << diagnostics.messages.front();
  }
  EXPECT_FALSE(importONNXFile("/nonexistent/model.onnx", &context));
  EXPECT_NE(diagnostics.messages.back().find("cannot read ONNX model"), std::string::npos);
}

TEST(ONNXImporterTest, RejectsModelsProtobufCannotRead) {
  mlir::MLIRContext context;
  Captured diagnostics(context);
  // Protobuf reads at most 2 GiB; the size is checked before any byte is read.
  char byte = 0;
  llvm::StringRef huge(&byte, size_t{1} << 31);
  EXPECT_FALSE(importONNXModel(huge, "huge.onnx", &context));
  ASSERT_EQ(diagnostics.messages.size(), 1u);
  EXPECT_EQ(diagnostics.messages[0],
            "ONNX model is too large (2147483648 bytes; protobuf reads at most 2 GiB)");
}

TEST(ONNXImporterTest, FreezesCompileTimeInputsToGivenValues) {
  std::string model =
      readFile("/usr/share/libonnx-testdata/data/node/test_reshape_reordered_all_dims/model.onnx");
  std::string shape = readFile("/usr/share/libonnx-testdata/data/node/"
                               "test_reshape_reordered_all_dims/test_data_set_0/input_1.pb");
  if (model.empty() || shape.empty())
    GTEST_SKIP() << "libonnx-testdata is not installed";
  mlir::MLIRContext context;
  Captured diagnostics(context);
  // Without a value the target shape stays a runtime input (the declared output shape, which
  // ONNX shape inference confirms, decides the reshape).
  mlir::OwningOpRef<mlir::ModuleOp> unfrozen = importONNXModel(model, "reshape.onnx", &context);
  ASSERT_TRUE(unfrozen);
  EXPECT_EQ(unfrozen->lookupSymbol<mlir::func::FuncOp>("main").getFunctionType().getNumInputs(),
            2u);
  // With it, the input becomes a constant and leaves the signature.
  ONNXImportOptions options;
  options.inputValues["shape"] = shape;
  options.inputValues["data"] = "ignored: not in a compile-time position";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      importONNXModel(model, "reshape.onnx", &context, options);
  ASSERT_TRUE(module);
  auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
  EXPECT_EQ(main.getFunctionType().getNumInputs(), 1u);
  EXPECT_EQ(mlir::cast<mlir::RankedTensorType>(main.getFunctionType().getResult(0)).getShape(),
            (llvm::ArrayRef<int64_t>{4, 2, 3}));
  // Values that are not TensorProtos, or of the wrong element type, are errors.
  diagnostics.messages.clear();
  options.inputValues["shape"] = std::string("\xff\xff\xff", 3);
  EXPECT_FALSE(importONNXModel(model, "reshape.onnx", &context, options));
  ASSERT_FALSE(diagnostics.messages.empty());
  EXPECT_EQ(diagnostics.messages[0],
            "the value given for ONNX graph input 'shape' is not a serialized TensorProto");
  diagnostics.messages.clear();
  options.inputValues["shape"] = std::string("\x08\x03\x10\x06", 4); // dims 3, INT32
  EXPECT_FALSE(importONNXModel(model, "reshape.onnx", &context, options));
  ASSERT_FALSE(diagnostics.messages.empty());
  EXPECT_EQ(diagnostics.messages[0], "the value given for ONNX graph input 'shape' has element "
                                     "type INT32 but the input is declared as INT64");
}

TEST(ONNXImporterTest, ExplainsWhatIsUnsupported) {
  const std::string data = "/usr/share/libonnx-testdata/data/node/";
  std::string conv = readFile(data + "test_basic_conv_with_padding/model.onnx");
  std::string add = readFile(data + "test_add/model.onnx");
  std::string strings = readFile(data + "test_cast_FLOAT_to_STRING/model.onnx");
  if (conv.empty() || add.empty() || strings.empty())
    GTEST_SKIP() << "libonnx-testdata is not installed";
  EXPECT_EQ(getONNXUnsupportedReason(conv), "operator Conv is not supported");
  EXPECT_EQ(getONNXUnsupportedReason(add), "");
  EXPECT_EQ(getONNXUnsupportedReason(strings), "value 'output' has element type STRING");
  EXPECT_EQ(getONNXUnsupportedReason("junk"), "not a valid ONNX model");
}

} // namespace
