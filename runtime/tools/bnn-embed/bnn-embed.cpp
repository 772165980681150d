//===- bnn-embed.cpp - binary codes of float embeddings, and their quality ===//
//
// Reads float embeddings (.npy), hashes them into packed binary codes with the Hamming index's
// seeded Gaussian random-hyperplane projection (bnn/bnn_index.h), searches the codes with the
// index, and writes BinaryLLM Phase 1's quality metrics as JSON: cosine-Hamming Spearman
// correlation, top-k overlap, nDCG@k, recall@k and, given labels, the accuracy of a
// nearest-centroid classifier on floats and on codes. The JSON is the same, byte for byte, for
// the same inputs and options on every run and every thread count. docs/Embedding.md.
//
//===----------------------------------------------------------------------===//

#include "Metrics.h"

#include "bnn/bnn.h"
#include "bnn/runtime/Npy.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace bnn;

namespace {

constexpr int64_t kMinCodeBits = 32, kMaxCodeBits = 1024;
// Rows and dimension stay within what the index and int32 thread counts handle.
constexpr int64_t kMaxRows = int64_t(1) << 31;
// Cutoffs: the top-k buffers hold kQueryBlock x (kmax + 1) entries, per-query results one slot
// per cutoff.
constexpr int64_t kMaxK = 1024;
constexpr size_t kMaxCutoffs = 16;

const char *kUsage =
    R"(usage: bnn-embed EMBEDDINGS.npy [options]

Hashes float embeddings into binary codes (seeded Gaussian random hyperplanes, sign, LSB-first
uint64 packing: the Hamming index's projection, docs/HammingIndex.md) and measures how well the
codes preserve the floats' neighbourhoods and classes (BinaryLLM Phase 1's metrics; every
definition in docs/Embedding.md). Writes one JSON object; the same inputs and options give the
same bytes on every run and for every --threads.

EMBEDDINGS.npy   a 2-D C-order .npy array (version 1.0, 2.0 or 3.0) of '<f4' or '<f8' (rounded
                 to float32), rows x dim: finite, no all-zero row, at least 3 rows

options (--name VALUE or --name=VALUE):
  --labels FILE      class labels, one per row: a 1-D .npy of '<i4' or '<i8' (a name ending in
                     .npy), or else a text file of decimal integers separated by white space;
                     adds the nearest-centroid classification metrics
  --code-bits N      code length in bits, any integer from 32 to 1024 (default 256); codes take
                     ceil(N/64) uint64 words, the bits past N are zero
  --seed S           the projection's seed, an unsigned 64-bit integer (default 0)
  --queries N        the first N rows are the queries (default: every row); each query is
                     compared with every other row, itself excluded
  --k LIST           comma-separated cutoffs for top-k overlap, nDCG@k and recall@k: at most 16,
                     each from 1 to min(1024, rows - 1) (default 1,3,5,10)
  --output FILE      write the JSON there (default: standard output)
  --codes FILE       also write the packed codes, rows x ceil(N/64) uint64 words: a .npy of '<u8'
                     when FILE ends in .npy, else raw little-endian words
  --threads T        worker threads, 0 = every hardware thread (default 0); results do not
                     depend on it
  --quiet            no progress lines on standard error (printed for large inputs only)
  --help             this text

Exit status: 0 on success, 1 on any error (with a message on standard error).
)";

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "bnn-embed: error: %s\n", message.c_str());
  std::exit(1);
}

bool parseInt64(const std::string &text, int64_t &out) {
  if (text.empty())
    return false;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size())
    return false;
  int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    int digit = text[i] - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  out = text[0] == '-' ? -value : value;
  return true;
}

bool parseUInt64(const std::string &text, uint64_t &out) {
  if (text.empty())
    return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

/// Fixed formatting: 9 decimals, the same text for the same double everywhere.
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9f", v);
  return buf;
}

struct Options {
  std::string embeddings, labels, output, codes;
  int64_t codeBits = 256;
  uint64_t seed = 0;
  int64_t queries = -1;
  std::vector<int64_t> ks = {1, 3, 5, 10};
  int threads = 0;
  bool quiet = false;
};

Options parseOptions(int argc, char **argv) {
  Options o;
  bool haveInput = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      if (arg.rfind("-", 0) == 0 && arg != "-")
        die("unknown option '" + arg + "' (see --help)");
      if (haveInput)
        die("more than one input file: '" + o.embeddings + "' and '" + arg + "'");
      o.embeddings = arg;
      haveInput = true;
      continue;
    }
    std::string name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    static const std::set<std::string> known = {"--labels", "--code-bits", "--seed",  "--queries",
                                                "--k",      "--output",    "--codes", "--threads"};
    if (!known.count(name))
      die("unknown option '" + name + "' (see --help)");
    if (eq == std::string::npos) {
      if (i + 1 >= argc)
        die("option '" + name + "' needs a value");
      value = argv[++i];
    }
    int64_t n = 0;
    if (name == "--labels") {
      o.labels = value;
    } else if (name == "--output") {
      o.output = value;
    } else if (name == "--codes") {
      o.codes = value;
    } else if (name == "--code-bits") {
      if (!parseInt64(value, n) || n < kMinCodeBits || n > kMaxCodeBits)
        die("--code-bits must be an integer from 32 to 1024, found '" + value + "'");
      o.codeBits = n;
    } else if (name == "--seed") {
      if (!parseUInt64(value, o.seed))
        die("--seed must be an unsigned 64-bit integer, found '" + value + "'");
    } else if (name == "--queries") {
      if (!parseInt64(value, n) || n < 1)
        die("--queries must be a positive integer, found '" + value + "'");
      o.queries = n;
    } else if (name == "--threads") {
      if (!parseInt64(value, n) || n < 0 || n > 4096)
        die("--threads must be an integer from 0 to 4096, found '" + value + "'");
      o.threads = static_cast<int>(n);
    } else if (name == "--k") {
      o.ks.clear();
      std::stringstream list(value);
      std::string item;
      while (std::getline(list, item, ',')) {
        if (!parseInt64(item, n) || n < 1)
          die("--k must be a comma-separated list of positive integers, found '" + value + "'");
        if (n > kMaxK)
          die("--k " + std::to_string(n) + " exceeds the limit of " + std::to_string(kMaxK));
        o.ks.push_back(n);
      }
      if (o.ks.empty() || value.back() == ',')
        die("--k must be a comma-separated list of positive integers, found '" + value + "'");
      if (o.ks.size() > kMaxCutoffs)
        die("--k lists " + std::to_string(o.ks.size()) + " cutoffs, at most " +
            std::to_string(kMaxCutoffs) + " are allowed");
      std::sort(o.ks.begin(), o.ks.end());
      if (std::adjacent_find(o.ks.begin(), o.ks.end()) != o.ks.end())
        die("--k lists a cutoff twice: '" + value + "'");
    }
  }
  if (!haveInput)
    die("no input: expected an embeddings .npy file (see --help)");
  return o;
}

struct Labels {
  std::vector<int64_t> values;
  std::string format; // "npy <i8", "text"
};

Labels readLabels(const std::string &path, int64_t rows) {
  Labels labels;
  if (endsWith(path, ".npy")) {
    npy::Array array;
    std::string error;
    if (!npy::load(path, array, error))
      die("labels " + error);
    if (array.dtype != npy::DType::Int32 && array.dtype != npy::DType::Int64)
      die("labels '" + path + "': expected dtype '<i4' or '<i8', found '" +
          npy::dtypeDescr(array.dtype) + "'");
    if (array.shape.size() != 1)
      die("labels '" + path + "': expected a 1-D array, found " +
          std::to_string(array.shape.size()) + " dimensions");
    labels.format = std::string("npy ") + npy::dtypeDescr(array.dtype);
    labels.values.resize(static_cast<size_t>(array.numElements()));
    for (int64_t i = 0; i < array.numElements(); ++i)
      labels.values[i] = array.elementAsInt64(i);
  } else {
    std::ifstream in(path);
    if (!in)
      die("labels '" + path + "': cannot open: " + std::strerror(errno));
    std::string token;
    while (in >> token) {
      int64_t value;
      if (!parseInt64(token, value))
        die("labels '" + path + "': entry " + std::to_string(labels.values.size()) +
            " is not a decimal 64-bit integer: '" + token + "'");
      labels.values.push_back(value);
    }
    labels.format = "text";
  }
  if (static_cast<int64_t>(labels.values.size()) != rows)
    die("labels '" + path + "': expected one label per embedding row (" + std::to_string(rows) +
        "), found " + std::to_string(labels.values.size()));
  return labels;
}

void check(bnn_status status, const char *what) {
  if (status != BNN_STATUS_OK)
    die(std::string(what) + ": " + bnn_status_name(status) + ": " + bnn_last_error());
}

/// Prints "bnn-embed: <stage> <done>/<total>" lines while `work` runs, for large inputs only.
template <typename Work>
void withProgress(bool enabled, const char *stage, int64_t total, embed::ProgressCounter &done,
                  Work &&work) {
  if (!enabled) {
    work();
    return;
  }
  std::atomic<bool> finished{false};
  std::thread reporter([&] {
    auto last = std::chrono::steady_clock::now();
    while (!finished.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      auto now = std::chrono::steady_clock::now();
      if (now - last >= std::chrono::seconds(2)) {
        last = now;
        std::fprintf(stderr, "bnn-embed: %s %lld/%lld\n", stage,
                     static_cast<long long>(done.load()), static_cast<long long>(total));
      }
    }
  });
  work();
  finished = true;
  reporter.join();
  std::fprintf(stderr, "bnn-embed: %s done (%lld)\n", stage, static_cast<long long>(total));
}

} // namespace

int main(int argc, char **argv) {
  Options o = parseOptions(argc, argv);
  const int threads = o.threads > 0
                          ? o.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  // Embeddings.
  npy::Array array;
  std::string error;
  if (!npy::load(o.embeddings, array, error))
    die("embeddings " + error);
  if (array.dtype != npy::DType::Float32 && array.dtype != npy::DType::Float64)
    die("embeddings '" + o.embeddings + "': expected dtype '<f4' or '<f8', found '" +
        npy::dtypeDescr(array.dtype) + "'");
  if (array.shape.size() != 2)
    die("embeddings '" + o.embeddings + "': expected a 2-D array (rows x dim), found " +
        std::to_string(array.shape.size()) + " dimensions");
  const int64_t rows = array.shape[0], dim = array.shape[1];
  if (rows < 3 || rows > kMaxRows)
    die("embeddings '" + o.embeddings + "': expected 3 to " + std::to_string(kMaxRows) +
        " rows, found " + std::to_string(rows));
  if (dim < 1 || dim > BNN_INDEX_MAX_INPUT_DIM)
    die("embeddings '" + o.embeddings + "': expected a dimension from 1 to " +
        std::to_string(BNN_INDEX_MAX_INPUT_DIM) + ", found " + std::to_string(dim));
  std::vector<float> vectors(static_cast<size_t>(rows * dim));
  for (int64_t r = 0; r < rows; ++r) {
    bool nonzero = false;
    for (int64_t i = 0; i < dim; ++i) {
      const float v = static_cast<float>(array.elementAsDouble(r * dim + i));
      if (!std::isfinite(v))
        die("embeddings '" + o.embeddings + "': row " + std::to_string(r) + " element " +
            std::to_string(i) + " is not finite" +
            (array.dtype == npy::DType::Float64 ? " as float32" : ""));
      nonzero = nonzero || v != 0;
      vectors[r * dim + i] = v;
    }
    if (!nonzero)
      die("embeddings '" + o.embeddings + "': row " + std::to_string(r) +
          " is all zeros (its cosine similarity is undefined)");
  }
  array.data.clear();
  array.data.shrink_to_fit();

  Labels labels;
  if (!o.labels.empty())
    labels = readLabels(o.labels, rows);

  const int64_t queries = o.queries < 0 ? rows : o.queries;
  if (queries > rows)
    die("--queries " + std::to_string(queries) + " exceeds the " + std::to_string(rows) +
        " embedding rows");
  for (int64_t k : o.ks)
    if (k > rows - 1)
      die("--k " + std::to_string(k) + " exceeds the " + std::to_string(rows - 1) +
          " other rows a query is compared with");
  const int64_t kmax = o.ks.back();
  const bool progress = !o.quiet && static_cast<double>(queries) * static_cast<double>(rows) >= 5e7;

  // Codes: the index's projection, encoded in row blocks on the worker threads.
  bnn_index *index = nullptr;
  check(bnn_index_create_projected(o.codeBits, dim, o.seed, &index), "bnn_index_create_projected");
  const int64_t words = bnn_index_code_words(index);
  std::vector<uint64_t> codes(static_cast<size_t>(rows * words));
  embed::ProgressCounter encoded{0};
  withProgress(progress, "encoding rows", rows, encoded, [&] {
    std::atomic<bool> failed{false};
    std::string failure;
    embed::parallelFor(threads, (rows + 255) / 256, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end && !failed; ++b) {
        const int64_t first = b * 256, count = std::min<int64_t>(256, rows - first);
        if (bnn_index_encode(index, vectors.data() + first * dim, count,
                             codes.data() + first * words) != BNN_STATUS_OK) {
          if (!failed.exchange(true))
            failure = bnn_last_error();
        }
        encoded.fetch_add(count, std::memory_order_relaxed);
      }
    });
    if (failed)
      die("bnn_index_encode: " + failure);
  });
  check(bnn_index_add(index, codes.data(), rows), "bnn_index_add");

  embed::Embeddings e;
  e.vectors = vectors.data();
  e.rows = rows;
  e.dim = dim;
  e.codes = codes.data();
  e.words = words;
  e.bits = o.codeBits;
  // The binary top-k of a block of queries among the other rows: the index's kmax + 1 nearest,
  // the query itself dropped (or the last, when ties at distance 0 pushed it out).
  std::vector<int32_t> distances;
  std::vector<int64_t> found;
  auto search = [&](int64_t first, int64_t count, int64_t *topK) {
    distances.resize(static_cast<size_t>(count * (kmax + 1)));
    found.resize(static_cast<size_t>(count * (kmax + 1)));
    check(bnn_index_search(index, codes.data() + first * words, count, kmax + 1, threads,
                           distances.data(), found.data()),
          "bnn_index_search");
    for (int64_t i = 0; i < count; ++i) {
      int64_t out = 0;
      for (int64_t t = 0; t <= kmax && out < kmax; ++t)
        if (found[i * (kmax + 1) + t] != first + i)
          topK[i * kmax + out++] = found[i * (kmax + 1) + t];
    }
  };
  embed::ProgressCounter evaluated{0};
  embed::RetrievalMetrics retrieval;
  withProgress(progress, "evaluating queries", queries, evaluated, [&] {
    retrieval = embed::evaluateRetrieval(e, queries, o.ks, search, threads, &evaluated);
  });
  bnn_index_destroy(index);
  embed::ClassificationMetrics classification;
  if (!o.labels.empty())
    classification = embed::evaluateClassification(e, labels.values, threads);

  if (!o.codes.empty()) {
    const size_t bytes = codes.size() * sizeof(uint64_t);
    if (endsWith(o.codes, ".npy")) {
      if (!npy::save(o.codes, npy::DType::UInt64, {rows, words}, codes.data(), bytes, error))
        die("codes " + error);
    } else {
      std::FILE *f = std::fopen(o.codes.c_str(), "wb");
      bool ok = f && std::fwrite(codes.data(), 1, bytes, f) == bytes;
      ok = f && std::fclose(f) == 0 && ok;
      if (!ok)
        die("codes '" + o.codes + "': cannot write: " + std::strerror(errno));
    }
  }

  // The JSON, in a fixed key order and number format.
  std::ostringstream j;
  auto perK = [&](const std::vector<double> &values) {
    std::string s = "{";
    for (size_t i = 0; i < o.ks.size(); ++i)
      s += (i ? ", \"" : "\"") + std::to_string(o.ks[i]) + "\": " + num(values[i]);
    return s + "}";
  };
  std::string kList;
  for (size_t i = 0; i < o.ks.size(); ++i)
    kList += (i ? ", " : "") + std::to_string(o.ks[i]);
  j << "{\n";
  j << "  \"tool\": \"bnn-embed\",\n";
  j << "  \"format_version\": 1,\n";
  j << "  \"seed\": " << o.seed << ",\n";
  j << "  \"config\": {\n";
  j << "    \"code_bits\": " << o.codeBits << ",\n";
  j << "    \"code_words\": " << words << ",\n";
  j << "    \"projection\": \"gaussian-hyperplane-splitmix64-box-muller\",\n";
  j << "    \"packing\": \"uint64-lsb-first\",\n";
  j << "    \"queries\": " << queries << ",\n";
  j << "    \"query_rows\": \"first\",\n";
  j << "    \"self_excluded\": true,\n";
  j << "    \"k\": [" << kList << "]\n";
  j << "  },\n";
  j << "  \"input\": {\n";
  j << "    \"embeddings\": {\"path\": " << jsonString(o.embeddings) << ", \"dtype\": \""
    << npy::dtypeDescr(array.dtype) << "\", \"shape\": [" << rows << ", " << dim << "]},\n";
  if (o.labels.empty())
    j << "    \"labels\": null\n";
  else
    j << "    \"labels\": {\"path\": " << jsonString(o.labels) << ", \"format\": \""
      << labels.format << "\", \"count\": " << labels.values.size()
      << ", \"classes\": " << classification.classes << "}\n";
  j << "  },\n";
  j << "  \"metrics\": {\n";
  j << "    \"spearman\": " << num(retrieval.spearman) << ",\n";
  j << "    \"spearman_ordinal\": " << num(retrieval.spearmanOrdinal) << ",\n";
  j << "    \"spearman_undefined_queries\": " << retrieval.spearmanUndefined << ",\n";
  j << "    \"mean_cosine\": " << num(retrieval.meanCosine) << ",\n";
  j << "    \"mean_hamming\": " << num(retrieval.meanHamming) << ",\n";
  j << "    \"topk_overlap\": " << perK(retrieval.overlap) << ",\n";
  j << "    \"ndcg\": " << perK(retrieval.ndcg) << ",\n";
  j << "    \"recall\": " << perK(retrieval.recall) << ",\n";
  if (o.labels.empty()) {
    j << "    \"classification\": null\n";
  } else {
    j << "    \"classification\": {\n";
    j << "      \"classes\": " << classification.classes << ",\n";
    j << "      \"float_accuracy\": " << num(classification.floatAccuracy) << ",\n";
    j << "      \"binary_accuracy\": " << num(classification.binaryAccuracy) << ",\n";
    j << "      \"accuracy_delta\": " << num(classification.accuracyDelta) << ",\n";
    j << "      \"float_macro_f1\": " << num(classification.floatMacroF1) << ",\n";
    j << "      \"binary_macro_f1\": " << num(classification.binaryMacroF1) << "\n";
    j << "    }\n";
  }
  j << "  }\n";
  j << "}\n";
  const std::string json = j.str();
  if (o.output.empty()) {
    std::fputs(json.c_str(), stdout);
    if (std::fflush(stdout) != 0)
      die("cannot write the JSON to standard output");
  } else {
    std::FILE *f = std::fopen(o.output.c_str(), "wb");
    bool ok = f && std::fwrite(json.data(), 1, json.size(), f) == json.size();
    ok = f && std::fclose(f) == 0 && ok;
    if (!ok)
      die("output '" + o.output + "': cannot write: " + std::strerror(errno));
  }
  return 0;
}
