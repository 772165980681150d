//===- bnn-compress.cpp - post-training compression of checkpoints -------===//
//
//   bnn-compress model  IN_DIR -o OUT_DIR [--calibration FILE] [--methods LIST]
//                       [--max-size-mb MB] ...
//   bnn-compress layer  --input LAYER.safetensors -o OUT.safetensors --method M ...
//   bnn-compress logits IN_DIR --calibration FILE -o OUT.safetensors
//
// docs/Compression.md describes the methods and the choice under a budget; docs/ModelFormat.md
// the checkpoint written. Links the compression and checkpoint libraries only, no MLIR.
//
//===----------------------------------------------------------------------===//

#include "bnn/Frontend/Checkpoint.h"
#include "bnn/Frontend/Compress.h"
#include "bnn/Support/ToolOptions.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace llvm;
using namespace bnn::frontend;
using namespace bnn::frontend::compress;

static cl::OptionCategory category("bnn-compress options");

static cl::opt<std::string> command(cl::Positional, cl::desc("<model|layer|logits>"), cl::Required,
                                    cl::cat(category));
static cl::opt<std::string> inputDir(cl::Positional, cl::desc("[float checkpoint directory]"),
                                     cl::init(""), cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output directory (model) or file"),
                                       cl::value_desc("path"), cl::init(""), cl::cat(category));
static cl::opt<std::string> layerInput("input",
                                       cl::desc("layer: safetensors file with 'weight' F32 "
                                                "[N, K] and optionally 'inputs' F32 [T, K]"),
                                       cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<std::string> calibrationPath("calibration",
                                            cl::desc("Calibration text: each byte is a token id"),
                                            cl::value_desc("file"), cl::init(""),
                                            cl::cat(category));
static cl::opt<int64_t> calibrationTokens("calibration-tokens",
                                          cl::desc("At most this many calibration tokens"),
                                          cl::init(4096), cl::cat(category));
static cl::opt<int64_t> seqLen("seq-len",
                               cl::desc("Calibration sequence length (0: min(128, "
                                        "max_position_embeddings))"),
                               cl::init(0), cl::cat(category));
static cl::opt<std::string> methodsList("methods",
                                        cl::desc("model: candidate methods, comma-separated, of "
                                                 "binary, ternary, twn, pb, dbf, float"),
                                        cl::init("dbf"), cl::cat(category));
static cl::opt<std::string> methodName("method", cl::desc("layer: the method"), cl::init(""),
                                       cl::cat(category));
static cl::opt<double> maxSizeMB("max-size-mb",
                                 cl::desc("model: the largest model.safetensors data size in MB "
                                          "(10^6 bytes); needed with several --methods"),
                                 cl::init(0), cl::cat(category));
static cl::opt<bool> perChannel("per-channel",
                                cl::desc("binary/ternary/twn: one scale per output row instead "
                                         "of per tensor"),
                                cl::init(false), cl::cat(category));
static cl::opt<double> pbFraction("pb-fraction", cl::desc("pb: salient fraction in [0, 1]"),
                                  cl::init(0.1), cl::cat(category));
static cl::opt<std::string> pbSaliency("pb-saliency",
                                       cl::desc("pb: magnitude, hessian or activation"),
                                       cl::init("magnitude"), cl::cat(category));
static cl::opt<std::string> pbGptq("pb-gptq",
                                   cl::desc("pb: GPTQ error compensation: on, off, or auto (on "
                                            "when calibration inputs exist)"),
                                   cl::init("auto"), cl::cat(category));
static cl::opt<double> damp("damp", cl::desc("pb: Hessian damping, times mean(diag H)"),
                            cl::init(0.01), cl::cat(category));
static cl::opt<double> dbfBits("dbf-bpw", cl::desc("dbf: target bits per weight (gives r)"),
                               cl::init(1.5), cl::cat(category));
static cl::opt<int64_t> dbfRank("dbf-rank",
                                cl::desc("dbf: the middle dimension r (0: from "
                                         "--dbf-bpw)"),
                                cl::init(0), cl::cat(category));
static cl::opt<int64_t> dbfIterations("dbf-iterations",
                                      cl::desc("dbf: alternating minimisation iterations"),
                                      cl::init(20), cl::cat(category));
static cl::opt<int64_t> dbfAdmmSteps("dbf-admm-steps",
                                     cl::desc("dbf: ADMM steps per factor and iteration"),
                                     cl::init(4), cl::cat(category));
static cl::opt<double> dbfRho("dbf-rho", cl::desc("dbf: ADMM penalty, times trace(B B^T) / r"),
                              cl::init(1.0), cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("dbf: seed of the SVD's random start"), cl::init(0),
                              cl::cat(category));
static cl::opt<std::string> evalPath("eval",
                                     cl::desc("model: held-out text (bytes are token ids) whose "
                                              "perplexity is printed for the float and the "
                                              "compressed weights, by the f32 reference forward"),
                                     cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<int64_t> evalTokens("eval-tokens", cl::desc("At most this many --eval tokens"),
                                   cl::init(4096), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("No progress lines on stderr"), cl::init(false),
                           cl::cat(category));

static const char *const overview =
    "bnn-compress: post-training compression of a float checkpoint\n"
    "\n"
    "Commands:\n"
    "  model   read the float checkpoint IN_DIR (config.json + model.safetensors), run the f32\n"
    "          reference forward on the --calibration text (bytes are token ids) to collect\n"
    "          H = X^T X of every projection's inputs, quantize each projection with each of\n"
    "          --methods, score every candidate by its output error ||X W^T - X Wq^T||^2 and\n"
    "          pick one per projection: the only method, or under --max-size-mb the greedy\n"
    "          choice of docs/Compression.md. Prints the table and writes OUT_DIR (-o) as a\n"
    "          checkpoint that bnn-checkpoint check accepts (packed binary/ternary, PB, DBF).\n"
    "          --eval=TEXT also prints the perplexity of the float and the compressed weights\n"
    "          by the same f32 reference forward (not the compiled runtime).\n"
    "  layer   quantize one matrix: --input holds 'weight' F32 [N, K] (and 'inputs' F32 [T, K]\n"
    "          for the Hessian); -o gets the stored tensors under 'weight.*' ('weight' for\n"
    "          float), the\n"
    "          reconstruction 'reconstruction' F32 [N, K]; stdout a summary (what the tests\n"
    "          compare with their references).\n"
    "  logits  the reference forward of the first --seq-len calibration tokens of IN_DIR; -o\n"
    "          gets 'tokens' I32 [T] and 'logits' F32 [T, V].\n"
    "\n"
    "Methods: binary (sign, alpha = mean|W|), ternary (BitNet absmean), twn (zero where\n"
    "|W| < 0.7 mean|W|), pb (PB-LLM: --pb-fraction salient weights in int8, the rest binary),\n"
    "dbf (diag(a) B1 diag(m) B2 diag(b), r from --dbf-bpw), float (kept f32).\n"
    "Progress goes to stderr. Errors are printed and the exit status is 1.\n"
    "\n"
    "Example:\n"
    "  bnn-compress model models/tiny -o models/tiny-c --calibration text.txt \\\n"
    "      --methods binary,pb,dbf --max-size-mb 2\n";

static int fail(const Twine &message) {
  WithColor::error(errs(), "bnn-compress") << message << "\n";
  return 1;
}

static void progress(const std::string &line) {
  if (!quiet)
    errs() << "bnn-compress: " << line << "\n";
}

static Expected<std::vector<int32_t>> readTokens(const std::string &path, int64_t limit,
                                                 int64_t vocab) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return createStringError(buffer.getError(), "cannot open '%s': %s", path.c_str(),
                             buffer.getError().message().c_str());
  StringRef text = (*buffer)->getBuffer();
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < text.size() && static_cast<int64_t>(tokens.size()) < limit; ++i) {
    int32_t id = static_cast<unsigned char>(text[i]);
    if (id >= vocab)
      return createStringError(inconvertibleErrorCode(),
                               "'%s': byte %zu is %d, not a token id (vocab_size is %lld)",
                               path.c_str(), i, id, (long long)vocab);
    tokens.push_back(id);
  }
  if (tokens.empty())
    return createStringError(inconvertibleErrorCode(), "'%s' is empty", path.c_str());
  return tokens;
}

static Expected<std::vector<int32_t>> readCalibration(int64_t vocab) {
  return readTokens(calibrationPath, calibrationTokens, vocab);
}

/// exp(mean NLL of each next token) over sequences of `len` tokens (each predicts its tokens
/// 1 .. len-1 from the ones before), by the reference forward.
static Expected<double> perplexity(const FloatModel &model, const std::vector<int32_t> &tokens,
                                   int64_t len) {
  double nll = 0;
  int64_t count = 0;
  const int64_t vocab = model.config.vocabSize, total = static_cast<int64_t>(tokens.size());
  for (int64_t start = 0; start < total; start += len) {
    int64_t n = std::min(len, total - start);
    if (n < 2)
      break;
    Expected<std::vector<float>> logits =
        forward(model, ArrayRef<int32_t>(tokens.data() + start, static_cast<size_t>(n)));
    if (!logits)
      return logits.takeError();
    for (int64_t t = 0; t + 1 < n; ++t) {
      const float *row = logits->data() + t * vocab;
      double mx = -HUGE_VAL, sum = 0;
      for (int64_t v = 0; v < vocab; ++v)
        mx = std::max(mx, static_cast<double>(row[v]));
      for (int64_t v = 0; v < vocab; ++v)
        sum += std::exp(static_cast<double>(row[v]) - mx);
      nll += std::log(sum) + mx - static_cast<double>(row[tokens[start + t + 1]]);
      ++count;
    }
  }
  if (count == 0)
    return createStringError(inconvertibleErrorCode(),
                             "--eval needs at least 2 tokens per sequence");
  return std::exp(nll / static_cast<double>(count));
}

struct Settings {
  PBOptions pb;
  std::string gptq;
  DBFOptions dbf;
};

static Expected<Settings> readSettings() {
  Settings s;
  std::optional<Saliency> saliency = parseSaliencyName(pbSaliency);
  if (!saliency)
    return createStringError(inconvertibleErrorCode(),
                             "--pb-saliency must be magnitude, hessian or activation, found '%s'",
                             pbSaliency.c_str());
  if (pbGptq != "on" && pbGptq != "off" && pbGptq != "auto")
    return createStringError(inconvertibleErrorCode(),
                             "--pb-gptq must be on, off or auto, found '%s'", pbGptq.c_str());
  if (!(pbFraction >= 0 && pbFraction <= 1))
    return createStringError(inconvertibleErrorCode(), "--pb-fraction must be in [0, 1], found %g",
                             (double)pbFraction);
  if (!(damp >= 0) || !(dbfBits > 0) || !(dbfRho > 0) || dbfRank < 0 || dbfIterations < 0 ||
      dbfAdmmSteps < 1)
    return createStringError(inconvertibleErrorCode(),
                             "expected --damp >= 0, --dbf-bpw > 0, --dbf-rho > 0, --dbf-rank >= 0, "
                             "--dbf-iterations >= 0, --dbf-admm-steps >= 1");
  s.pb.fraction = pbFraction;
  s.pb.saliency = *saliency;
  s.pb.damp = damp;
  s.gptq = pbGptq;
  s.dbf.bitsPerWeight = dbfBits;
  s.dbf.rank = dbfRank;
  s.dbf.iterations = dbfIterations;
  s.dbf.admmSteps = dbfAdmmSteps;
  s.dbf.seed = seed;
  s.dbf.rho = dbfRho;
  return s;
}

static Expected<QuantizedLayer> runMethod(Method method, const Matrix &w, const Hessian *h,
                                          const Settings &settings) {
  switch (method) {
  case Method::Float: return quantizeFloat(w);
  case Method::Binary: return quantizeBinary(w, perChannel);
  case Method::Ternary: return quantizeTernary(w, perChannel);
  case Method::Threshold: return quantizeThreshold(w, perChannel);
  case Method::PB: {
    PBOptions options = settings.pb;
    options.gptq = settings.gptq == "on" || (settings.gptq == "auto" && h && h->dim);
    return quantizePB(w, h, options, progress);
  }
  case Method::DBF: return quantizeDBF(w, settings.dbf, progress);
  }
  return createStringError(inconvertibleErrorCode(), "unknown method");
}

static Expected<const TensorView *> requireF32Matrix(const SafetensorsFile &file, StringRef name,
                                                     bool optional) {
  const TensorView *t = file.lookup(name);
  if (!t) {
    if (optional)
      return nullptr;
    return createStringError(inconvertibleErrorCode(), "'%s' has no tensor '%s'",
                             file.getName().str().c_str(), name.str().c_str());
  }
  if (t->shape.size() != 2 || !isFloatDType(t->dtype))
    return createStringError(inconvertibleErrorCode(),
                             "tensor '%s' is %s %s, expected a float matrix", name.str().c_str(),
                             getDTypeName(t->dtype).str().c_str(), formatShape(t->shape).c_str());
  return t;
}

static int runLayer() {
  if (layerInput.empty() || outputPath.empty())
    return fail("layer needs --input=FILE and -o FILE");
  std::optional<Method> method = parseMethodName(methodName);
  if (!method)
    return fail("--method must be one of binary, ternary, twn, pb, dbf, float, found '" +
                methodName + "'");
  Expected<Settings> settings = readSettings();
  if (!settings)
    return fail(toString(settings.takeError()));
  Expected<SafetensorsFile> file = SafetensorsFile::open(layerInput);
  if (!file)
    return fail(toString(file.takeError()));
  Expected<const TensorView *> wt = requireF32Matrix(*file, "weight", false);
  if (!wt)
    return fail(toString(wt.takeError()));
  Expected<const TensorView *> xt = requireF32Matrix(*file, "inputs", true);
  if (!xt)
    return fail(toString(xt.takeError()));
  Matrix w;
  w.rows = (*wt)->shape[0];
  w.cols = (*wt)->shape[1];
  Expected<std::vector<float>> wv = readAsFloat32(**wt);
  if (!wv)
    return fail(toString(wv.takeError()));
  w.data = std::move(*wv);
  Hessian h;
  if (*xt) {
    if ((*xt)->shape[1] != w.cols)
      return fail("tensor 'inputs' has " + Twine((*xt)->shape[1]) +
                  " columns, expected K = " + Twine(w.cols));
    Expected<std::vector<float>> xv = readAsFloat32(**xt);
    if (!xv)
      return fail(toString(xv.takeError()));
    h.accumulate(xv->data(), (*xt)->shape[0], w.cols);
  }
  Expected<QuantizedLayer> q = runMethod(*method, w, *xt ? &h : nullptr, *settings);
  if (!q)
    return fail(toString(q.takeError()));
  std::vector<OwnedTensor> tensors = getLayerTensors(*q, "weight");
  OwnedTensor rec{"reconstruction", SafetensorsDType::F32, {w.rows, w.cols}, {}};
  rec.bytes.resize(q->reconstruction.size() * 4);
  std::memcpy(rec.bytes.data(), q->reconstruction.data(), rec.bytes.size());
  tensors.push_back(std::move(rec));
  if (Error e = writeSafetensors(outputPath, getViews(tensors)))
    return fail(toString(std::move(e)));
  double frob = getOutputError(w, q->reconstruction, nullptr);
  double frobRef = getOutputError(w, std::vector<float>(w.data.size(), 0.0f), nullptr);
  outs() << "method " << getMethodName(*method) << "\n";
  outs() << "shape " << w.rows << " " << w.cols << "\n";
  outs() << "bytes " << q->getStorageBytes() << "\n";
  outs() << "bits_per_weight "
         << format("%.6f", 8.0 * q->getStorageBytes() / static_cast<double>(w.rows * w.cols))
         << "\n";
  outs() << "weight_error " << format("%.10e", frob) << "\n";
  outs() << "relative_weight_error " << format("%.10e", frobRef > 0 ? frob / frobRef : frob)
         << "\n";
  if (*xt) {
    double out = getOutputError(w, q->reconstruction, &h);
    double ref = getOutputError(w, std::vector<float>(w.data.size(), 0.0f), &h);
    outs() << "output_error " << format("%.10e", out) << "\n";
    outs() << "relative_output_error " << format("%.10e", ref > 0 ? out / ref : out) << "\n";
  }
  if (*method == Method::PB)
    outs() << "salient " << q->salientIndex.size() << "\n";
  if (*method == Method::DBF) {
    outs() << "rank " << q->rank << "\n";
    outs() << "iteration_errors";
    for (double e : q->iterationError)
      outs() << " " << format("%.10e", e);
    outs() << "\n";
  }
  return 0;
}

static std::vector<int64_t> sequenceStarts(int64_t total, int64_t len) {
  std::vector<int64_t> starts;
  for (int64_t s = 0; s < total; s += len)
    starts.push_back(s);
  return starts;
}

static int64_t resolveSeqLen(const ModelConfig &config) {
  return seqLen > 0 ? std::min<int64_t>(seqLen, config.maxPositionEmbeddings)
                    : std::min<int64_t>(128, config.maxPositionEmbeddings);
}

static int runLogits() {
  if (inputDir.empty() || outputPath.empty() || calibrationPath.empty())
    return fail("logits needs IN_DIR, --calibration=FILE and -o FILE");
  Expected<Checkpoint> checkpoint = openCheckpointDirectory(inputDir);
  if (!checkpoint)
    return fail(toString(checkpoint.takeError()));
  Expected<FloatModel> model = FloatModel::load(*checkpoint);
  if (!model)
    return fail(toString(model.takeError()));
  Expected<std::vector<int32_t>> tokens = readCalibration(model->config.vocabSize);
  if (!tokens)
    return fail(toString(tokens.takeError()));
  tokens->resize(std::min<size_t>(tokens->size(), resolveSeqLen(model->config)));
  Expected<std::vector<float>> logits = forward(*model, *tokens);
  if (!logits)
    return fail(toString(logits.takeError()));
  int64_t t = static_cast<int64_t>(tokens->size());
  std::vector<OwnedTensor> out(2);
  out[0] = {"logits", SafetensorsDType::F32, {t, model->config.vocabSize}, {}};
  out[0].bytes.resize(logits->size() * 4);
  std::memcpy(out[0].bytes.data(), logits->data(), out[0].bytes.size());
  out[1] = {"tokens", SafetensorsDType::I32, {t}, {}};
  out[1].bytes.resize(tokens->size() * 4);
  std::memcpy(out[1].bytes.data(), tokens->data(), out[1].bytes.size());
  if (Error e = writeSafetensors(outputPath, getViews(out)))
    return fail(toString(std::move(e)));
  return 0;
}

static StringRef kindOf(Method method) {
  switch (method) {
  case Method::Binary: return "binary";
  case Method::Ternary:
  case Method::Threshold: return "ternary";
  case Method::PB: return "pb";
  case Method::DBF: return "dbf";
  case Method::Float: return "float";
  }
  return "float";
}

static int runModel() {
  if (inputDir.empty() || outputPath.empty())
    return fail("model needs IN_DIR and -o OUT_DIR");
  Expected<Settings> settings = readSettings();
  if (!settings)
    return fail(toString(settings.takeError()));
  std::vector<Method> methods;
  SmallVector<StringRef, 8> names;
  StringRef(methodsList).split(names, ',', -1, false);
  for (StringRef name : names) {
    std::optional<Method> m = parseMethodName(name.trim());
    if (!m)
      return fail("--methods: unknown method '" + name +
                  "' (expected binary, ternary, twn, pb, "
                  "dbf or float)");
    if (llvm::is_contained(methods, *m))
      return fail("--methods: '" + name + "' given twice");
    methods.push_back(*m);
  }
  if (methods.empty())
    return fail("--methods is empty");
  if (methods.size() > 1 && !(maxSizeMB > 0))
    return fail("several --methods need --max-size-mb to choose between them");

  Expected<Checkpoint> checkpoint = openCheckpointDirectory(inputDir);
  if (!checkpoint)
    return fail(toString(checkpoint.takeError()));
  Expected<FloatModel> model = FloatModel::load(*checkpoint);
  if (!model)
    return fail(toString(model.takeError()));
  const ModelConfig &config = model->config;
  const int64_t layers = config.numHiddenLayers;

  // Calibration: H = X^T X of every projection's input over all calibration tokens.
  std::vector<std::array<Hessian, kNumProjections>> hessians(static_cast<size_t>(layers));
  bool calibrated = !calibrationPath.empty();
  if (calibrated) {
    Expected<std::vector<int32_t>> tokens = readCalibration(config.vocabSize);
    if (!tokens)
      return fail(toString(tokens.takeError()));
    int64_t len = resolveSeqLen(config), total = static_cast<int64_t>(tokens->size());
    std::vector<int64_t> starts = sequenceStarts(total, len);
    for (size_t s = 0; s < starts.size(); ++s) {
      int64_t n = std::min(len, total - starts[s]);
      ArrayRef<int32_t> seq(tokens->data() + starts[s], static_cast<size_t>(n));
      Expected<std::vector<float>> logits =
          forward(*model, seq, [&](int64_t l, Projection p, const float *x, int64_t t, int64_t k) {
            hessians[l][static_cast<size_t>(p)].accumulate(x, t, k);
          });
      if (!logits)
        return fail(toString(logits.takeError()));
      progress("calibration: sequence " + std::to_string(s + 1) + "/" +
               std::to_string(starts.size()) + " (" + std::to_string(n) + " tokens)");
    }
  }

  // Candidates of every projection.
  struct Slot {
    int64_t layer;
    Projection projection;
    std::string name;
    Matrix w;
    std::vector<QuantizedLayer> quantized;
    std::vector<Candidate> candidates;
    double reference = 0;
  };
  std::vector<Slot> slots;
  int64_t fixedBytes = 0;
  for (const ExpectedTensor &expected : getExpectedTensors(config)) {
    if (expected.role != TensorRole::Projection) {
      fixedBytes += static_cast<int64_t>(checkpoint->weights.lookup(expected.name)->bytes.size());
      continue;
    }
    Slot slot{expected.layer, expected.projection, expected.name, {}, {}, {}, 0};
    slot.w.rows = expected.shape[0];
    slot.w.cols = expected.shape[1];
    slot.w.data = model->get(expected.name);
    const Hessian *h =
        calibrated ? &hessians[expected.layer][static_cast<size_t>(expected.projection)] : nullptr;
    slot.reference = getOutputError(slot.w, std::vector<float>(slot.w.data.size(), 0.0f), h);
    for (Method m : methods) {
      Expected<QuantizedLayer> q = runMethod(m, slot.w, h, *settings);
      if (!q)
        return fail(expected.name + ": " + getMethodName(m) + ": " + toString(q.takeError()));
      Candidate c{m, q->getStorageBytes(), getOutputError(slot.w, q->reconstruction, h)};
      progress("layer " + std::to_string(expected.layer) + " " +
               getProjectionName(expected.projection).str() + " " + getMethodName(m).str() + ": " +
               std::to_string(c.bytes) + " bytes, relative output error " +
               formatv("{0:f6}", slot.reference > 0 ? c.error / slot.reference : c.error).str());
      slot.candidates.push_back(c);
      slot.quantized.push_back(std::move(*q));
    }
    slots.push_back(std::move(slot));
  }

  std::vector<size_t> choice(slots.size(), 0);
  if (methods.size() > 1) {
    std::vector<std::vector<Candidate>> all;
    for (const Slot &s : slots)
      all.push_back(s.candidates);
    Expected<std::vector<size_t>> chosen =
        chooseUnderBudget(all, fixedBytes, static_cast<int64_t>(std::floor(maxSizeMB * 1e6)));
    if (!chosen)
      return fail(toString(chosen.takeError()));
    choice = *chosen;
  }

  // The table.
  outs() << (calibrated ? "relative output error ||X(W - Wq)^T||^2 / ||XW^T||^2"
                        : "relative weight error ||W - Wq||^2 / ||W||^2 (no calibration)")
         << " and bytes per candidate; * = chosen\n";
  outs() << format("%-6s %-10s %-12s", "layer", "proj", "shape");
  for (Method m : methods)
    outs() << format(" %-22s", getMethodName(m).str().c_str());
  outs() << "\n";
  int64_t total = fixedBytes;
  double totalError = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot &s = slots[i];
    std::string shape = std::to_string(s.w.rows) + "x" + std::to_string(s.w.cols);
    outs() << format("%-6lld %-10s %-12s", (long long)s.layer,
                     getProjectionName(s.projection).str().c_str(), shape.c_str());
    for (size_t c = 0; c < s.candidates.size(); ++c) {
      std::string cell =
          formatv("{0:f5}/{1}{2}",
                  s.reference > 0 ? s.candidates[c].error / s.reference : s.candidates[c].error,
                  s.candidates[c].bytes, c == choice[i] ? "*" : "")
              .str();
      outs() << format(" %-22s", cell.c_str());
    }
    outs() << "\n";
    total += s.candidates[choice[i]].bytes;
    totalError += s.candidates[choice[i]].error;
  }
  outs() << "total: " << total << " bytes of tensor data (" << fixedBytes
         << " float embedding/norm/head), summed output error " << formatv("{0:e}", totalError)
         << "\n";

  // config.json: the input's, with every projection's kind in bnn.layers.
  ErrorOr<std::unique_ptr<MemoryBuffer>> configText = MemoryBuffer::getFile(checkpoint->configPath);
  if (!configText)
    return fail("cannot read '" + checkpoint->configPath + "'");
  Expected<json::Value> configJson = json::parse((*configText)->getBuffer());
  if (!configJson)
    return fail(toString(configJson.takeError()));
  json::Object *root = configJson->getAsObject();
  json::Object bnnObject;
  if (json::Object *old = root->getObject("bnn"))
    bnnObject = *old;
  json::Object layersObject;
  for (int64_t l = 0; l < layers; ++l) {
    json::Object entry;
    for (size_t i = 0; i < slots.size(); ++i)
      if (slots[i].layer == l)
        entry[getProjectionName(slots[i].projection)] =
            kindOf(slots[i].candidates[choice[i]].method);
    layersObject[std::to_string(l)] = std::move(entry);
  }
  bnnObject["layers"] = std::move(layersObject);
  (*root)["bnn"] = std::move(bnnObject);

  // model.safetensors: non-projection tensors copied as they are, projections quantized.
  std::vector<OwnedTensor> tensors;
  for (const ExpectedTensor &expected : getExpectedTensors(config))
    if (expected.role != TensorRole::Projection) {
      const TensorView *view = checkpoint->weights.lookup(expected.name);
      tensors.push_back({expected.name, view->dtype,
                         SmallVector<int64_t, 4>(view->shape.begin(), view->shape.end()),
                         std::vector<uint8_t>(view->bytes.begin(), view->bytes.end())});
    }
  for (size_t i = 0; i < slots.size(); ++i)
    for (OwnedTensor &t : getLayerTensors(slots[i].quantized[choice[i]], slots[i].name))
      tensors.push_back(std::move(t));
  std::map<std::string, std::string> metadata = {
      {"bnn.compress.methods", methodsList},
      {"bnn.compress.calibration_tokens",
       calibrated ? std::to_string(hessians[0][0].tokens) : "0"}};

  if (std::error_code ec = sys::fs::create_directories(outputPath))
    return fail("cannot create '" + outputPath + "': " + ec.message());
  SmallString<256> configOut(outputPath), weightsOut(outputPath);
  sys::path::append(configOut, "config.json");
  sys::path::append(weightsOut, "model.safetensors");
  if (Error e = writeSafetensors(weightsOut, getViews(tensors), metadata))
    return fail(toString(std::move(e)));
  {
    std::error_code ec;
    raw_fd_ostream os(configOut, ec);
    if (ec)
      return fail("cannot write '" + configOut + "': " + ec.message());
    os << formatv("{0:2}", *configJson) << "\n";
  }
  if (!evalPath.empty()) {
    Expected<std::vector<int32_t>> tokens = readTokens(evalPath, evalTokens, config.vocabSize);
    if (!tokens)
      return fail(toString(tokens.takeError()));
    int64_t len = resolveSeqLen(config);
    Expected<double> before = perplexity(*model, *tokens, len);
    if (!before)
      return fail(toString(before.takeError()));
    FloatModel compressed = *model;
    for (size_t i = 0; i < slots.size(); ++i)
      compressed.tensors[slots[i].name] = slots[i].quantized[choice[i]].reconstruction;
    Expected<double> after = perplexity(compressed, *tokens, len);
    if (!after)
      return fail(toString(after.takeError()));
    outs() << "perplexity on " << tokens->size() << " tokens (f32 reference forward, not the "
           << "runtime): float " << formatv("{0:f4}", *before) << ", compressed "
           << formatv("{0:f4}", *after) << "\n";
  }
  // Read back and validate what was written.
  Expected<Checkpoint> written = openCheckpointDirectory(outputPath);
  if (!written)
    return fail("the written checkpoint does not validate: " + toString(written.takeError()));
  outs() << "wrote " << outputPath << " (" << written->weights.getTensors().size() << " tensors)\n";
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bnn::hideUnrelatedOptions({&category});
  if (!cl::ParseCommandLineOptions(argc, argv, overview, &errs()))
    return 1;
  if (command == "model")
    return runModel();
  if (command == "layer")
    return runLayer();
  if (command == "logits")
    return runLogits();
  return fail("unknown command '" + command + "' (expected model, layer or logits)");
}
