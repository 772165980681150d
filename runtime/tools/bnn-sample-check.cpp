//===- bnn-sample-check.cpp - draws tokens from the C API's sampler for fixed logits -===//
//
// For one row of logits (a float32 .npy) and one sampler configuration, draws --samples tokens
// with bnn_sampler_sample (the history fixed, not extended by the draws) and writes their
// counts, the tokens themselves and the sampler's distribution (bnn_sampler_distribution) as
// .npy files: test/Runtime/sampler-statistics.test compares them with a reference written
// from docs/RuntimeAPI.md in Python. Runtime only (no MLIR).
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/Npy.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace {

const char *kUsage =
    R"(usage: bnn-sample-check LOGITS.npy [options]

Draws tokens from bnn's sampler (bnn/bnn_sampler.h) for one fixed row of logits and writes
what it drew. LOGITS.npy is a 1-D float32 array (its length is the vocabulary); -inf entries
are excluded tokens.

Sampler options (docs/RuntimeAPI.md, "The sampler"):
  --seed N                generator seed (default 0)
  --temperature T         >= 0, 0 = greedy (default 1)
  --top-k K               >= 0, 0 = off (default 0)
  --top-p P               in (0, 1], 1 = off (default 1)
  --min-p M               in [0, 1], 0 = off (default 0)
  --repetition-penalty R  1 = off (default 1)
  --penalty-window W      last W history tokens, 0 = all (default 0)
  --history IDS           comma-separated token ids, oldest first (default none)

Output options:
  --samples N             tokens to draw (default 0), each from the same logits and history
  --counts FILE.npy       int64 [vocab]: how often each token was drawn
  --tokens FILE.npy       int32 [N]: the tokens in the order drawn
  --probs FILE.npy        float64 [vocab]: the distribution the sampler draws from
  --help                  this text

Prints one line: the vocabulary, the samples drawn and the number of tokens with nonzero
probability. Exit status 1 on any error (bad file, bad option, a status from the sampler).
)";

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "bnn-sample-check: error: %s\n", message.c_str());
  std::exit(1);
}

int64_t parseInt(const std::string &name, const std::string &value) {
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end || errno)
    die("option '" + name + "' expects an integer, found '" + value + "'");
  return v;
}

uint64_t parseUnsigned(const std::string &name, const std::string &value) {
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || value[0] == '-' || *end || errno)
    die("option '" + name + "' expects an unsigned integer, found '" + value + "'");
  return v;
}

double parseReal(const std::string &name, const std::string &value) {
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end || errno)
    die("option '" + name + "' expects a number, found '" + value + "'");
  return v;
}

void check(bnn_status status, const char *what) {
  if (status != BNN_STATUS_OK)
    die(std::string(what) + ": " + bnn_status_name(status) + ": " + bnn_last_error());
}

} // namespace

int main(int argc, char **argv) {
  bnn_sampler_config config;
  bnn_sampler_config_default(&config);
  std::string logitsPath, countsPath, tokensPath, probsPath;
  std::vector<int32_t> history;
  int64_t samples = 0;
  static const std::set<std::string> known = {
      "--seed",           "--temperature", "--top-k",
      "--top-p",          "--min-p",       "--repetition-penalty",
      "--penalty-window", "--history",     "--samples",
      "--counts",         "--tokens",      "--probs"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg.rfind("-", 0) != 0) {
      if (!logitsPath.empty())
        die("more than one logits file: '" + logitsPath + "' and '" + arg + "'");
      logitsPath = arg;
      continue;
    }
    std::string name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (!known.count(name))
      die("unknown option '" + name + "' (see --help)");
    if (eq == std::string::npos) {
      if (i + 1 >= argc)
        die("option '" + name + "' needs a value");
      value = argv[++i];
    }
    if (name == "--seed")
      config.seed = parseUnsigned(name, value);
    else if (name == "--temperature")
      config.temperature = parseReal(name, value);
    else if (name == "--top-k")
      config.top_k = parseInt(name, value);
    else if (name == "--top-p")
      config.top_p = parseReal(name, value);
    else if (name == "--min-p")
      config.min_p = parseReal(name, value);
    else if (name == "--repetition-penalty")
      config.repetition_penalty = parseReal(name, value);
    else if (name == "--penalty-window")
      config.penalty_window = parseInt(name, value);
    else if (name == "--samples") {
      samples = parseInt(name, value);
      if (samples < 0)
        die("option '--samples' must be >= 0, found " + value);
    } else if (name == "--counts")
      countsPath = value;
    else if (name == "--tokens")
      tokensPath = value;
    else if (name == "--probs")
      probsPath = value;
    else if (name == "--history") {
      history.clear();
      size_t start = 0;
      while (!value.empty()) {
        size_t comma = value.find(',', start);
        std::string item = value.substr(start, comma == std::string::npos ? comma : comma - start);
        int64_t id = parseInt(name, item);
        if (id < INT32_MIN || id > INT32_MAX)
          die("option '--history': token id " + item + " does not fit in int32");
        history.push_back(static_cast<int32_t>(id));
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
    }
  }
  if (logitsPath.empty())
    die("no input: expected a logits .npy file (see --help)");

  bnn::npy::Array logits;
  std::string error;
  if (!bnn::npy::load(logitsPath, logits, error))
    die("logits: " + error);
  if (logits.dtype != bnn::npy::DType::Float32 || logits.shape.size() != 1)
    die("logits '" + logitsPath + "': expected a 1-D float32 array, found " +
        std::to_string(logits.shape.size()) + "-D " + bnn::npy::dtypeDescr(logits.dtype));
  const int64_t vocab = logits.shape[0];
  std::vector<float> row(static_cast<size_t>(vocab));
  std::memcpy(row.data(), logits.data.data(), row.size() * sizeof(float));

  bnn_sampler *sampler = nullptr;
  check(bnn_sampler_create(&config, &sampler), "bnn_sampler_create");
  std::vector<double> probs(row.size());
  check(bnn_sampler_distribution(sampler, row.data(), vocab, history.data(),
                                 static_cast<int64_t>(history.size()), probs.data()),
        "bnn_sampler_distribution");
  std::vector<int64_t> counts(row.size(), 0);
  std::vector<int32_t> tokens;
  tokens.reserve(static_cast<size_t>(samples));
  for (int64_t s = 0; s < samples; ++s) {
    int32_t token = -1;
    check(bnn_sampler_sample(sampler, row.data(), vocab, history.data(),
                             static_cast<int64_t>(history.size()), &token),
          "bnn_sampler_sample");
    ++counts[static_cast<size_t>(token)];
    tokens.push_back(token);
  }
  bnn_sampler_destroy(sampler);

  if (!countsPath.empty() && !bnn::npy::save(countsPath, bnn::npy::DType::Int64, {vocab},
                                             counts.data(), counts.size() * 8, error))
    die(error);
  if (!tokensPath.empty() && !bnn::npy::save(tokensPath, bnn::npy::DType::Int32, {samples},
                                             tokens.data(), tokens.size() * 4, error))
    die(error);
  if (!probsPath.empty() && !bnn::npy::save(probsPath, bnn::npy::DType::Float64, {vocab},
                                            probs.data(), probs.size() * 8, error))
    die(error);
  int64_t kept = 0;
  for (double p : probs)
    kept += p > 0.0;
  std::printf("vocab %lld samples %lld kept %lld\n", static_cast<long long>(vocab),
              static_cast<long long>(samples), static_cast<long long>(kept));
  return 0;
}
