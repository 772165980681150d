//===- bnn-tune-time.cpp - time bnn-tune's GPU candidates on the GPU machine -===//
//
// The GPU machine has the runtime and a GPU but no MLIR, so bnn-tune cannot run there. On the
// development machine `bnn-tune --chip=sm_90a --bundle-dir=DIR` compiles the candidates into
// bundles and lists them in DIR/plan.tsv (chip, M, N, K, candidate, bundle file; one a line).
// This program, built with the runtime alone, checks each bundle bit-exact against
// bnn::ref::xnorPopcount on the same random operands as bnn-tune (GemmTiming.h), times it with
// CUDA events and appends a line to bnn-tune's results file (JSON lines). Lines already timed
// in the results file are skipped (resumable). Running bnn-tune again with that results file
// then writes the tuned entries (docs/Tuning.md).
//
//   bnn-tune-time DIR/plan.tsv RESULTS.jsonl [--repetitions N] [--rounds N]
//
// Exit status: 0 done (every candidate timed or reported), 1 an error or a wrong result,
// 77 no CUDA device.
//
//===----------------------------------------------------------------------===//

#include "GemmTiming.h"

#include "bnn/runtime/Reference.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace bnn::cuda;

namespace {

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// The string value of `"key":"..."` in one results line (bnn-tune writes them compactly).
std::string field(const std::string &line, const std::string &key) {
  std::string needle = "\"" + key + "\":\"";
  size_t at = line.find(needle);
  if (at == std::string::npos)
    return "";
  std::string value;
  for (size_t i = at + needle.size(); i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size())
      ++i;
    value += line[i];
  }
  return value;
}

bool parseCount(const char *text, unsigned &out) {
  char *end = nullptr;
  unsigned long v = std::strtoul(text, &end, 10);
  if (!*text || *end || v < 1 || v > 1000000)
    return false;
  out = unsigned(v);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> positional;
  unsigned repetitions = 20, rounds = 3;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("usage: bnn-tune-time PLAN.tsv RESULTS.jsonl [--repetitions N] [--rounds N]\n"
                  "Checks and times the GPU candidates bnn-tune --bundle-dir compiled (see "
                  "docs/Tuning.md); appends to bnn-tune's results file.\n");
      return 0;
    }
    if ((arg == "--repetitions" || arg == "--rounds") && i + 1 < argc) {
      if (!parseCount(argv[++i], arg == "--rounds" ? rounds : repetitions)) {
        std::fprintf(stderr, "bnn-tune-time: %s %s: expected 1 to 1000000\n", arg.c_str(), argv[i]);
        return 1;
      }
      continue;
    }
    if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "bnn-tune-time: unknown option %s (try --help)\n", arg.c_str());
      return 1;
    }
    positional.push_back(arg);
  }
  if (positional.size() != 2) {
    std::fprintf(stderr, "bnn-tune-time: expected PLAN.tsv and RESULTS.jsonl (try --help)\n");
    return 1;
  }
  const std::string planPath = positional[0], resultsPath = positional[1];
  std::string planDir = ".";
  if (size_t slash = planPath.rfind('/'); slash != std::string::npos)
    planDir = planPath.substr(0, slash);

  std::set<std::string> timed;
  {
    std::ifstream in(resultsPath);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && field(line, "status") != "compiled")
        timed.insert(field(line, "chip") + "|" + field(line, "shape") + "|" +
                     field(line, "candidate"));
  }

  struct Item {
    std::string chip, shape, candidate, file;
    int64_t m = 0, n = 0, k = 0;
  };
  std::vector<Item> items;
  {
    std::ifstream in(planPath);
    if (!in) {
      std::fprintf(stderr, "bnn-tune-time: cannot read %s\n", planPath.c_str());
      return 1;
    }
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty())
        continue;
      std::istringstream fields(line);
      Item item;
      if (!(fields >> item.chip >> item.m >> item.n >> item.k >> item.candidate >> item.file) ||
          item.m < 1 || item.n < 1 || item.k < 1 || item.m > (1 << 20) || item.n > (1 << 20) ||
          item.k > (1 << 24)) {
        std::fprintf(stderr, "bnn-tune-time: %s:%d: expected CHIP M N K CANDIDATE FILE\n",
                     planPath.c_str(), number);
        return 1;
      }
      item.shape =
          std::to_string(item.m) + "x" + std::to_string(item.n) + "x" + std::to_string(item.k);
      if (!timed.count(item.chip + "|" + item.shape + "|" + item.candidate))
        items.push_back(item);
    }
  }

  std::unique_ptr<Device> device;
  if (Status s = Device::open(0, device); !s) {
    std::printf("SKIPPED: no usable CUDA device: %s\n", s.message().c_str());
    return 77;
  }
  const std::string driver = describeDriver(*device);
  std::printf("device: %s (%s, %d SMs); %zu candidates to time\n", driver.c_str(),
              device->chip().c_str(), device->multiprocessors(), items.size());

  std::FILE *out = std::fopen(resultsPath.c_str(), "a");
  if (!out) {
    std::fprintf(stderr, "bnn-tune-time: cannot append to %s\n", resultsPath.c_str());
    return 1;
  }
  int exitCode = 0;
  std::map<std::string, std::vector<int32_t>> expectedByShape;
  for (size_t i = 0; i < items.size(); ++i) {
    const Item &item = items[i];
    std::string chipBase = item.chip;
    if (!chipBase.empty() && chipBase.back() == 'a')
      chipBase.pop_back();
    GemmTimingResult r;
    std::vector<uint64_t> a = randomPackedRows(item.m, item.k, 1);
    std::vector<uint64_t> b = randomPackedRows(item.n, item.k, 2);
    if (chipBase != device->chip()) {
      r.status = "invalid";
      r.message = "compiled for " + item.chip + ", the GPU is " + device->chip();
    } else {
      std::ifstream in(planDir + "/" + item.file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) {
        r.status = "invalid";
        r.message = "cannot read " + item.file;
      } else {
        std::vector<int32_t> &expected = expectedByShape[item.shape];
        if (expected.empty()) {
          expected.resize(size_t(item.m * item.n));
          bnn::ref::xnorPopcount(a.data(), item.m, b.data(), item.n, item.k, expected.data());
        }
        r = timeGemmBundle(*device, text.str(), a, b, expected, repetitions, rounds);
      }
    }
    if (r.status == "mismatch")
      exitCode = 1;
    std::string line = "{\"candidate\":" + jsonString(item.candidate) +
                       ",\"chip\":" + jsonString(item.chip) + ",\"driver\":" + jsonString(driver);
    if (!r.message.empty())
      line += ",\"message\":" + jsonString(r.message);
    char time[64];
    std::snprintf(time, sizeof time, "%.4f", r.timeUs);
    line += ",\"shape\":" + jsonString(item.shape) + ",\"status\":" + jsonString(r.status) +
            ",\"time_us\":" + time + "}\n";
    if (std::fputs(line.c_str(), out) < 0 || std::fflush(out) != 0) {
      std::fprintf(stderr, "bnn-tune-time: write error on %s\n", resultsPath.c_str());
      return 1;
    }
    std::printf("[%zu/%zu] %s %s %s: %s%s\n", i + 1, items.size(), item.chip.c_str(),
                item.shape.c_str(), item.candidate.c_str(), r.status.c_str(),
                r.status == "ok" ? (" " + std::string(time) + " us").c_str() : "");
    std::fflush(stdout);
  }
  std::fclose(out);
  return exitCode;
}
