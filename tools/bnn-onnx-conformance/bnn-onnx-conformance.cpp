//===- bnn-onnx-conformance.cpp - ONNX backend node tests through bnn -----===//
//
//   bnn-onnx-conformance [DIR] [--filter=SUBSTRING] [-v]
//
// Runs the ONNX backend node tests (DIR defaults to Debian's libonnx-testdata:
// /usr/share/libonnx-testdata/data/node/test_*/{model.onnx, test_data_set_*/{input,output}_*.pb})
// through import -> bnn-cpu-pipeline -> JIT execution on the CPU, and compares every output with
// the expected one the way ONNX's backend test runner does (numpy.testing.assert_allclose with
// rtol = 1e-3, atol = 1e-7, NaN equal to NaN; integers and booleans exactly; dtypes and shapes
// must match).
//
// A test is skipped only when its model lies outside what the importer supports at all: an
// operator it does not implement, an operator version it does not implement, or a value type
// it does not import (strings, sequences, optionals) - bnn::frontend::getONNXUnsupportedReason.
// Every other test must pass: an import error, a compile error or a wrong value is a failure.
// Inputs in compile-time operand positions (a Reshape shape, Slice bounds, ...) are frozen to the
// test's values (ONNXImportOptions::inputValues), since bnn compiles static shapes.
//
// Prints "N passed, M failed, S skipped (unsupported)" last and exits non-zero on failures.
//
//===----------------------------------------------------------------------===//

#include "bnn/Execution/Jit.h"
#include "bnn/InitAll.h"
#include "bnn/Frontend/ONNXImporter.h"
#include "bnn/Frontend/ONNXTensor.h"
#include "bnn/Support/ToolOptions.h"

// The runner reads the test models and their inputs/outputs with ONNX's protobuf classes itself.
#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

using namespace llvm;
using bnn::frontend::ONNXTensor;

static cl::OptionCategory conformanceCategory("Conformance options");

static cl::opt<std::string> dataDir(cl::Positional, cl::desc("[node test directory]"),
                                    cl::init("/usr/share/libonnx-testdata/data/node"),
                                    cl::cat(conformanceCategory));
static cl::opt<std::string> filter("filter", cl::desc("Only run tests whose name contains this"),
                                   cl::init(""), cl::cat(conformanceCategory));
static cl::opt<bool> verbose("v", cl::desc("Print every test, not only failures"),
                             cl::init(false), cl::cat(conformanceCategory));
static cl::opt<double> relativeTolerance("rtol", cl::desc("Relative tolerance (finite, >= 0)"),
                                         cl::init(1e-3), cl::cat(conformanceCategory));
static cl::opt<double> absoluteTolerance("atol", cl::desc("Absolute tolerance (finite, >= 0)"),
                                         cl::init(1e-7), cl::cat(conformanceCategory));

static const char *const overview =
    "bnn-onnx-conformance: ONNX backend node tests through bnn\n"
    "\n"
    "Imports each test_*/model.onnx, compiles it with bnn-cpu-pipeline, runs it on every\n"
    "test_data_set_* and compares the outputs as ONNX's backend runner does. Prints\n"
    "\"N passed, M failed, S skipped (unsupported)\" last; exits non-zero on failures.\n"
    "\n"
    "Examples:\n"
    "  bnn-onnx-conformance                          (Debian's libonnx-testdata)\n"
    "  bnn-onnx-conformance --filter=test_gemm -v\n"
    "  bnn-onnx-conformance path/to/node --rtol=1e-2 --atol=1e-5\n";

namespace {

std::optional<std::string> readFile(const std::string &path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return std::nullopt;
  return (*buffer)->getBuffer().str();
}

std::vector<std::string> listDir(const std::string &dir, StringRef prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    StringRef name = sys::path::filename(it->path());
    if (name.starts_with(prefix))
      names.push_back(name.str());
  }
  // input_10.pb sorts after input_9.pb.
  llvm::sort(names, [](const std::string &a, const std::string &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return names;
}

std::optional<bnn::ElementType> kindOf(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT: return bnn::ElementType::F32;
  case onnx::TensorProto::DOUBLE: return bnn::ElementType::F64;
  case onnx::TensorProto::FLOAT16: return bnn::ElementType::F16;
  case onnx::TensorProto::BFLOAT16: return bnn::ElementType::BF16;
  case onnx::TensorProto::BOOL: return bnn::ElementType::I1;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8: return bnn::ElementType::I8;
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16: return bnn::ElementType::I16;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32: return bnn::ElementType::I32;
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64: return bnn::ElementType::I64;
  default: return std::nullopt;
  }
}

struct TestTensor {
  std::string name;
  ONNXTensor tensor;
};

/// Reads a serialized TensorProto into a host tensor (raw little-endian bytes).
std::optional<TestTensor> readTensor(const std::string &bytes, std::string &error) {
  std::string name;
  std::optional<ONNXTensor> tensor = bnn::frontend::parseONNXTensor(bytes, name, error);
  if (!tensor)
    return std::nullopt;
  return TestTensor{std::move(name), std::move(*tensor)};
}

double elementAsDouble(const bnn::HostTensor &t, int64_t i) {
  switch (t.kind) {
  case bnn::ElementType::F32: return t.data<float>()[i];
  case bnn::ElementType::F64: return t.data<double>()[i];
  case bnn::ElementType::F16:
  case bnn::ElementType::BF16: {
    uint16_t bits;
    std::memcpy(&bits, t.bytes.data() + 2 * i, 2);
    APFloat v(t.kind == bnn::ElementType::F16 ? APFloat::IEEEhalf() : APFloat::BFloat(),
              APInt(16, bits));
    bool lost;
    v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
    return v.convertToDouble();
  }
  default: return 0;
  }
}

bool isFloatKind(bnn::ElementType k) {
  return k == bnn::ElementType::F32 || k == bnn::ElementType::F64 ||
         k == bnn::ElementType::F16 || k == bnn::ElementType::BF16;
}

/// numpy.testing.assert_allclose semantics for floats, exact equality for the rest.
std::string compare(const bnn::HostTensor &actual, const ONNXTensor &expected) {
  std::optional<bnn::ElementType> kind = kindOf(expected.dataType);
  // ONNX 1.12's test data stores bfloat16 tensors as their UINT16 bit patterns; compare bits.
  if (expected.dataType == onnx::TensorProto::UINT16 && actual.kind == bnn::ElementType::BF16)
    kind = bnn::ElementType::I16;
  if (!kind || (*kind != actual.kind && !(*kind == bnn::ElementType::I16 &&
                                           actual.kind == bnn::ElementType::BF16)))
    return std::string("dtype mismatch: expected ") + bnn::frontend::getONNXDataTypeName(expected.dataType) +
           ", got " + actual.describe();
  if (actual.shape != expected.shape) {
    bnn::HostTensor shapeOnly; // for its description: no storage (the shape may be huge)
    shapeOnly.kind = *kind;
    shapeOnly.shape = expected.shape;
    return "shape mismatch: expected " + shapeOnly.describe() + ", got " + actual.describe();
  }
  if (actual.bytes.size() != expected.bytes.size())
    return "size mismatch: expected " + std::to_string(expected.bytes.size()) + " bytes, got " +
           std::to_string(actual.bytes.size());
  int64_t count = actual.numElements();
  if (!isFloatKind(*kind) || *kind != actual.kind) {
    // memcmp of an empty tensor would get null pointers (undefined even for size 0).
    if (actual.bytes.empty() ||
        std::memcmp(actual.bytes.data(), expected.bytes.data(), actual.bytes.size()) == 0)
      return "";
    int64_t size = bnn::elementTypeSize(*kind);
    for (int64_t i = 0; i < count; ++i)
      if (std::memcmp(actual.bytes.data() + i * size, expected.bytes.data() + i * size, size))
        return "element " + std::to_string(i) + " differs: expected " +
               std::to_string(expected.getInt(i)) + " (bit pattern comparison)";
    return "";
  }
  int64_t mismatches = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < count; ++i) {
    double a = elementAsDouble(actual, i), e = expected.getDouble(i);
    bool ok = (std::isnan(a) && std::isnan(e)) || a == e ||
              std::fabs(a - e) <= absoluteTolerance + relativeTolerance * std::fabs(e);
    if (!ok) {
      ++mismatches;
      if (first < 0)
        first = i;
      worst = std::max(worst, std::fabs(a - e));
    }
  }
  if (!mismatches)
    return "";
  return std::to_string(mismatches) + " of " + std::to_string(count) +
         " elements differ (first at " + std::to_string(first) + ": expected " +
         std::to_string(expected.getDouble(first)) + ", got " +
         std::to_string(elementAsDouble(actual, first)) + "; max abs diff " +
         std::to_string(worst) + ")";
}

/// One data set of one test: "" on success, else why it failed.
std::string runDataSet(mlir::DialectRegistry &registry, const std::string &modelBytes,
                       const std::string &modelPath, const std::string &setDir) {
  std::vector<TestTensor> inputs, outputs;
  for (auto [prefix, list] : {std::pair<StringRef, std::vector<TestTensor> *>{"input_", &inputs},
                              {"output_", &outputs}}) {
    for (const std::string &file : listDir(setDir, prefix)) {
      std::optional<std::string> bytes = readFile(setDir + "/" + file);
      std::string error;
      std::optional<TestTensor> tensor = bytes ? readTensor(*bytes, error) : std::nullopt;
      if (!tensor)
        return "cannot read " + file + ": " + error;
      list->push_back(std::move(*tensor));
    }
  }
  onnx::ModelProto model;
  model.ParseFromString(modelBytes);
  std::set<std::string> initializers;
  for (const onnx::TensorProto &init : model.graph().initializer())
    initializers.insert(init.name());
  std::vector<std::string> inputNames, outputNames;
  for (const onnx::ValueInfoProto &input : model.graph().input())
    if (!initializers.count(input.name()))
      inputNames.push_back(input.name());
  for (const onnx::ValueInfoProto &output : model.graph().output())
    outputNames.push_back(output.name());
  if (inputNames.size() != inputs.size() || outputNames.size() != outputs.size())
    return "the data set does not match the graph's inputs and outputs";

  bnn::frontend::ONNXImportOptions options;
  std::map<std::string, const ONNXTensor *> inputByName;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string &name = inputs[i].name.empty() ? inputNames[i] : inputs[i].name;
    std::optional<std::string> bytes =
        readFile(setDir + "/" + listDir(setDir, "input_")[i]);
    options.inputValues[name] = *bytes;
    // The data decides the shapes (a few tests' data disagree with the declared input shapes).
    options.inputShapes[name] = inputs[i].tensor.shape;
    inputByName[name] = &inputs[i].tensor;
  }

  mlir::MLIRContext context(registry);
  context.disableMultithreading();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error)
      diagnostics += diag.str() + "; ";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      bnn::frontend::importONNXModel(modelBytes, modelPath, &context, options);
  if (!module)
    return "import failed: " + diagnostics;
  auto function = module->lookupSymbol<mlir::func::FuncOp>("main");
  std::vector<bnn::HostTensor> arguments;
  for (unsigned i = 0; i < function.getNumArguments(); ++i) {
    auto name = function.getArgAttrOfType<mlir::StringAttr>(i, "onnx.name");
    auto it = inputByName.find(name.str());
    if (it == inputByName.end())
      return "no test data for argument '" + name.str() + "'";
    bnn::HostTensor argument;
    argument.kind = *kindOf(it->second->dataType);
    // bfloat16 inputs come as UINT16 bit patterns in ONNX 1.12's test data.
    if (mlir::cast<mlir::RankedTensorType>(function.getArgumentTypes()[i]).getElementType().isBF16() &&
        argument.kind == bnn::ElementType::I16)
      argument.kind = bnn::ElementType::BF16;
    argument.shape = it->second->shape;
    argument.bytes.assign(it->second->bytes.begin(), it->second->bytes.end());
    arguments.push_back(std::move(argument));
  }
  std::vector<std::string> resultNames;
  for (unsigned i = 0; i < function.getNumResults(); ++i)
    resultNames.push_back(function.getResultAttrOfType<mlir::StringAttr>(i, "onnx.name").str());

  bnn::JitOptions jitOptions;
  jitOptions.numThreads = 1;
  // Node tests are small; a model whose intermediates or constants need more than 4 GiB fails
  // to compile here instead of failing a malloc in the compiled code.
  jitOptions.maxBufferBytes = int64_t{4} << 30;
  Expected<std::unique_ptr<bnn::JitModule>> jit = bnn::JitModule::compile(*module, jitOptions);
  if (!jit)
    return "compilation failed: " + toString(jit.takeError()) + " " + diagnostics;
  Expected<std::vector<bnn::HostTensor>> results = (*jit)->run("main", arguments);
  if (!results)
    return "execution failed: " + toString(results.takeError());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string &name = outputs[i].name.empty() ? outputNames[i] : outputs[i].name;
    auto it = llvm::find(resultNames, name);
    if (it == resultNames.end())
      return "no result named '" + name + "'";
    std::string mismatch = compare((*results)[it - resultNames.begin()], outputs[i].tensor);
    if (!mismatch.empty())
      return "output '" + name + "': " + mismatch;
  }
  return "";
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bnn::hideUnrelatedOptions({&conformanceCategory});
  cl::ParseCommandLineOptions(argc, argv, overview);
  for (auto [name, value] : {std::pair<StringRef, double>{"rtol", relativeTolerance},
                             std::pair<StringRef, double>{"atol", absoluteTolerance}})
    if (!std::isfinite(value) || value < 0) {
      errs() << "bnn-onnx-conformance: --" << name << "=" << value
             << ": expected a finite tolerance >= 0\n";
      return 2;
    }

  mlir::DialectRegistry registry;
  bnn::registerAllDialectsWithBNN(registry);

  std::vector<std::string> tests = listDir(dataDir, "test_");
  if (tests.empty()) {
    errs() << "bnn-onnx-conformance: no tests found in " << dataDir
           << " (install Debian's libonnx-testdata)\n";
    return 2;
  }
  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, int> skipReasons;
  std::set<std::string> exercised;
  auto start = std::chrono::steady_clock::now();
  for (const std::string &test : tests) {
    if (!filter.empty() && test.find(filter) == std::string::npos)
      continue;
    std::string dir = dataDir + "/" + test;
    std::optional<std::string> modelBytes = readFile(dir + "/model.onnx");
    if (!modelBytes)
      continue;
    std::string reason = bnn::frontend::getONNXUnsupportedReason(*modelBytes);
    if (!reason.empty()) {
      ++skipped;
      // Group by the reason without value names.
      std::string key = reason.rfind("value '", 0) == 0 ? reason.substr(reason.find("' has ") + 6)
                                                        : reason;
      ++skipReasons[key];
      if (verbose)
        outs() << "SKIP " << test << ": " << reason << "\n";
      continue;
    }
    std::string failure;
    std::vector<std::string> sets = listDir(dir, "test_data_set_");
    if (sets.empty())
      failure = "no test data sets";
    for (const std::string &set : sets) {
      failure = runDataSet(registry, *modelBytes, dir + "/model.onnx", dir + "/" + set);
      if (!failure.empty()) {
        failure = set + ": " + failure;
        break;
      }
    }
    if (failure.empty()) {
      ++passed;
      onnx::ModelProto model;
      model.ParseFromString(*modelBytes);
      for (const onnx::NodeProto &node : model.graph().node())
        exercised.insert(node.op_type());
      if (verbose)
        outs() << "PASS " << test << "\n";
    } else {
      ++failed;
      outs() << "FAIL " << test << ": " << failure << "\n";
    }
    outs().flush();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::string> accepted = bnn::frontend::getSupportedONNXOperators();
  outs() << "\nSkipped (unsupported), by reason:\n";
  for (const auto &[reason, count] : skipReasons)
    outs() << "  " << count << " x " << reason << "\n";
  outs() << "Operators the importer accepts: " << accepted.size() << "\n";
  outs() << "Accepted operators exercised by passing node tests (" << exercised.size()
         << "): " << join(exercised, ", ") << "\n";
  std::vector<std::string> untested;
  for (const std::string &op : accepted)
    if (!exercised.count(op))
      untested.push_back(op);
  outs() << "Accepted operators without a passing node test in this data set ("
         << untested.size() << "): " << join(untested, ", ") << "\n";
  outs() << format("Time: %.1f s\n", seconds);
  outs() << passed << " passed, " << failed << " failed, " << skipped
         << " skipped (unsupported)\n";
  return failed ? 1 : 0;
}
