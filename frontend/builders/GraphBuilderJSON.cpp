//===- GraphBuilderJSON.cpp - graph builders from a JSON config -----------===//
//
// `bnn-translate --build-graph config.json` and buildGraphsFromJSON: every key is checked (an
// unknown or mistyped key is an error, not silently ignored), and errors carry the config's file
// name and the graph's index.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/GraphBuilders.h"

#include "bnn/IR/BNNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"

#include <set>

using namespace mlir;

namespace bnn::frontend {
namespace {

/// Reads the fields of one graph object, remembering which keys were used.
class Fields {
public:
  Fields(const llvm::json::Object &object, Location loc, std::string where)
      : object(object), loc(loc), where(std::move(where)) {}

  bool failed() const { return error; }

  void get(StringRef key, int64_t &value) {
    used.insert(key.str());
    const llvm::json::Value *v = object.get(key);
    if (!v)
      return;
    if (std::optional<int64_t> i = v->getAsInteger())
      value = *i;
    else
      fail(key, "an integer");
  }
  void get(StringRef key, uint64_t &value) {
    int64_t signedValue = static_cast<int64_t>(value);
    get(key, signedValue);
    if (signedValue < 0)
      fail(key, "a non-negative integer");
    value = static_cast<uint64_t>(signedValue);
  }
  void get(StringRef key, double &value) {
    used.insert(key.str());
    const llvm::json::Value *v = object.get(key);
    if (!v)
      return;
    if (std::optional<double> d = v->getAsNumber())
      value = *d;
    else
      fail(key, "a number");
  }
  void get(StringRef key, std::string &value) {
    used.insert(key.str());
    const llvm::json::Value *v = object.get(key);
    if (!v)
      return;
    if (std::optional<StringRef> s = v->getAsString())
      value = s->str();
    else
      fail(key, "a string");
  }
  /// The function's symbol name: a string that is not empty (an empty symbol prints as
  /// `@<<INVALID EMPTY SYMBOL>>`, which no tool parses).
  void getName(std::string &value) {
    const llvm::json::Value *v = object.get("name");
    get("name", value);
    if (v && v->getAsString() && value.empty())
      fail("name", "a non-empty string");
  }
  /// A string field that must be one of `choices`; returns its index.
  void choose(StringRef key, ArrayRef<StringRef> choices, int &index) {
    std::string value = choices[index].str();
    get(key, value);
    auto it = llvm::find(choices, value);
    if (it == choices.end()) {
      InFlightDiagnostic diag = emitError(loc) << where << ": '" << key << "' must be one of";
      for (StringRef c : choices)
        diag << " \"" << c << "\"";
      diag << ", got \"" << value << "\"";
      error = true;
      return;
    }
    index = it - choices.begin();
  }
  /// Fails on keys no get() asked for.
  void rejectUnknown() {
    for (const auto &entry : object)
      if (!used.count(entry.first.str())) {
        emitError(loc) << where << ": unknown key '" << entry.first.str() << "'";
        error = true;
      }
  }

private:
  void fail(StringRef key, StringRef expected) {
    emitError(loc) << where << ": '" << key << "' must be " << expected;
    error = true;
  }
  const llvm::json::Object &object;
  Location loc;
  std::string where;
  std::set<std::string> used;
  bool error = false;
};

/// The random weights the driver generates: at most 2^26 values per rows x cols matrix, the
/// product computed without overflow.
bool fitsWeights(int64_t rows, int64_t cols) {
  std::optional<int64_t> count = llvm::checkedMul(rows, cols);
  return rows >= 0 && cols >= 0 && count && *count <= (int64_t{1} << 26);
}

LogicalResult buildOne(ModuleOp module, const llvm::json::Object &object, Location loc,
                       const std::string &where) {
  Fields fields(object, loc, where);
  std::string graph;
  fields.get("graph", graph);
  if (graph == "embedding") {
    EmbeddingConfig c;
    fields.getName(c.name);
    fields.get("batch", c.batch);
    fields.get("input_dim", c.inputDim);
    fields.get("code_bits", c.codeBits);
    fields.get("seed", c.seed);
    fields.rejectUnknown();
    if (fields.failed())
      return failure();
    return buildEmbeddingGraph(module, c);
  }
  if (graph == "decoder_block") {
    DecoderBlockConfig c;
    fields.getName(c.name);
    fields.get("seq_len", c.seqLen);
    fields.get("hidden", c.hidden);
    fields.get("heads", c.heads);
    fields.get("ffn", c.ffn);
    int weights = 1, mlp = 0;
    fields.choose("weights", {"binary", "ternary"}, weights);
    fields.choose("mlp", {"swiglu", "relu2"}, mlp);
    fields.get("rope_theta", c.ropeTheta);
    fields.get("rms_epsilon", c.rmsEpsilon);
    fields.get("seed", c.seed);
    fields.rejectUnknown();
    if (fields.failed())
      return failure();
    c.weights = weights == 0 ? LowBitKind::Binary : LowBitKind::Ternary;
    c.mlp = mlp == 0 ? MLPKind::SwiGLU : MLPKind::ReLU2;
    // The driver generates the weights before buildDecoderBlock checks the config: the sizes
    // are bounded first, with products that cannot overflow.
    if (c.hidden < 1 || c.ffn < 1 || !fitsWeights(c.hidden, c.hidden) ||
        !fitsWeights(c.hidden, c.ffn))
      return emitError(loc) << where << ": hidden and ffn must be positive and at most 8192";
    return buildDecoderBlock(module, c, randomDecoderBlockWeights(c));
  }
  if (graph == "partial_binary_linear") {
    PartialBinaryLinearConfig c;
    fields.getName(c.name);
    fields.get("rows", c.rows);
    fields.get("in", c.inputs);
    fields.get("out", c.outputs);
    fields.get("salient_fraction", c.salientFraction);
    fields.get("seed", c.seed);
    fields.rejectUnknown();
    if (fields.failed())
      return failure();
    if (c.inputs < 1 || c.outputs < 1 || !fitsWeights(c.inputs, c.outputs))
      return emitError(loc) << where << ": in and out must be positive with in * out <= 2^26";
    PortableRandom rng(c.seed);
    std::vector<float> w(c.outputs * c.inputs);
    for (float &v : w)
      v = static_cast<float>(rng.gaussian());
    return buildPartialBinaryLinear(module, c,
                                    partiallyBinarize(w, c.outputs, c.inputs, c.salientFraction));
  }
  if (graph == "double_binary_linear") {
    DoubleBinaryLinearConfig c;
    fields.getName(c.name);
    fields.get("rows", c.rows);
    fields.get("in", c.inputs);
    fields.get("out", c.outputs);
    fields.get("rank", c.rank);
    fields.get("seed", c.seed);
    fields.rejectUnknown();
    if (fields.failed())
      return failure();
    if (c.inputs < 1 || c.outputs < 1 || c.rank < 1 ||
        !fitsWeights(c.rank, std::max(c.inputs, c.outputs)))
      return emitError(loc) << where << ": in, out and rank must be positive and not huge";
    return buildDoubleBinaryLinear(module, c, randomDoubleBinaryFactors(c));
  }
  if (fields.failed())
    return failure();
  return emitError(loc) << where << ": 'graph' must be one of \"embedding\", \"decoder_block\", "
                        << "\"partial_binary_linear\", \"double_binary_linear\", got \"" << graph
                        << "\"";
}

} // namespace

void registerGraphBuilderDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect, bnn::BNNDialect>();
}

OwningOpRef<ModuleOp> buildGraphsFromJSON(StringRef json, StringRef bufferName,
                                          MLIRContext *context) {
  DialectRegistry registry;
  registerGraphBuilderDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();
  Location loc = FileLineColLoc::get(context, bufferName, 0, 0);
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(json);
  if (!parsed) {
    emitError(loc) << "invalid JSON: " << llvm::toString(parsed.takeError());
    return nullptr;
  }
  std::vector<const llvm::json::Object *> graphs;
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root) {
    emitError(loc) << "the graph config must be a JSON object";
    return nullptr;
  }
  if (const llvm::json::Value *list = root->get("graphs")) {
    const llvm::json::Array *array = list->getAsArray();
    if (!array || root->size() != 1) {
      emitError(loc) << "'graphs' must be the only key and hold an array of graph objects";
      return nullptr;
    }
    for (const llvm::json::Value &entry : *array) {
      if (!entry.getAsObject()) {
        emitError(loc) << "every entry of 'graphs' must be an object";
        return nullptr;
      }
      graphs.push_back(entry.getAsObject());
    }
  } else {
    graphs.push_back(root);
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  for (size_t i = 0; i < graphs.size(); ++i)
    if (failed(buildOne(*module, *graphs[i], loc, "graph " + std::to_string(i))))
      return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

void registerGraphBuilderTranslation() {
  static TranslateToMLIRRegistration registration(
      "build-graph",
      "Build binarized graphs (embedding, decoder_block, partial_binary_linear, "
      "double_binary_linear) from a JSON config",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        OwningOpRef<ModuleOp> module =
            buildGraphsFromJSON(buffer->getBuffer(), buffer->getBufferIdentifier(), context);
        if (!module)
          return nullptr;
        return module.release().getOperation();
      },
      [](DialectRegistry &registry) { registerGraphBuilderDialects(registry); });
}

} // namespace bnn::frontend
