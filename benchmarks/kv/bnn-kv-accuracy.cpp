//===- bnn-kv-accuracy.cpp - accuracy cost of the binary KV-cache (H2) ----===//
//
// Measures what storing keys and values as sign bits plus float scales (BinaryLLM's hypothesis
// H2, bnn's BNN_KV_BINARY) costs in attention accuracy against the f32 cache, on synthetic but
// structured K/V: seeded Gaussians with per-channel scales and a few large-magnitude outlier
// channels in the keys (the shape KIVI and others report for real LLM keys), and queries that
// partly retrieve an earlier key (so attention is peaked, not uniform). A prompt is prefilled,
// then every decode step appends one token and attends; each variant's attention output is
// compared with the f32 cache's: relative L2 error, and the top-1 agreement of a fixed random
// projection of the outputs to `vocab` "logits" (a proxy for greedy-token agreement).
//
// Variants: the cache's formats through bnn::ref::pagedAttention (f16; binary with float
// queries; binary with XNOR-popcount scores; both with key centring, config.center_keys), and
// scale placements the cache does not store,
// emulated by appending the dequantized values to an f32 cache: per-channel key scales frozen
// from the prompt (mean |k| per (head, channel) over the prefill), and K-only / V-only binary.
//
// Runtime only (no MLIR). This is not the model-level H2 number (logit error and greedy
// agreement of a real model over 64 steps), which needs the compiled model.
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/PagedAttention.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

struct Options {
  int64_t heads = 16, kvHeads = 4, headDim = 128, pageSize = 16;
  int64_t prompt = 128, steps = 64, vocab = 1024, trials = 8;
  uint64_t seed = 1;
};

const char *kUsage =
    "usage: bnn-kv-accuracy [options]\n"
    "Accuracy of the binary KV-cache (sign bits + per-token-head scales, BNN_KV_BINARY, with and\n"
    "without key centring) and of other scale placements against the f32 cache, on seeded\n"
    "synthetic K/V with outlier key channels: attention-output relative error and top-1\n"
    "agreement of a random projection of the outputs ('logits'), over a prefilled prompt and\n"
    "`steps` decode steps.\n"
    "  --heads N       query heads (default 16)\n"
    "  --kv-heads N    KV heads, divides --heads (default 4)\n"
    "  --head-dim N    channels per head (default 128)\n"
    "  --page-size N   tokens per page (default 16)\n"
    "  --prompt N      prefilled tokens (default 128)\n"
    "  --steps N       decode steps (default 64)\n"
    "  --vocab N       rows of the random 'logit' projection (default 1024)\n"
    "  --trials N      independent seeded runs averaged (default 8)\n"
    "  --seed N        first seed (default 1)\n"
    "  --help          this text\n";

bool parseInt(const char *s, int64_t lo, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || !end || *end || end == s || v < lo || v > (1ll << 20))
    return false;
  out = v;
  return true;
}

bool parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    struct Flag {
      const char *name;
      int64_t *dst;
      int64_t lo;
    } flags[] = {{"--heads", &o.heads, 1},      {"--kv-heads", &o.kvHeads, 1},
                 {"--head-dim", &o.headDim, 1}, {"--page-size", &o.pageSize, 1},
                 {"--prompt", &o.prompt, 1},    {"--steps", &o.steps, 1},
                 {"--vocab", &o.vocab, 2},      {"--trials", &o.trials, 1}};
    bool matched = false;
    for (const Flag &f : flags)
      if (a == f.name) {
        if (i + 1 >= argc || !parseInt(argv[i + 1], f.lo, *f.dst)) {
          std::fprintf(stderr, "bnn-kv-accuracy: %s needs an integer %lld to 1048576, found '%s'\n",
                       f.name, static_cast<long long>(f.lo), i + 1 < argc ? argv[i + 1] : "");
          return false;
        }
        ++i;
        matched = true;
      }
    if (a == "--seed") {
      int64_t s;
      if (i + 1 >= argc || !parseInt(argv[i + 1], 0, s)) {
        std::fprintf(stderr, "bnn-kv-accuracy: --seed needs an integer 0 to 1048576\n");
        return false;
      }
      o.seed = static_cast<uint64_t>(s);
      ++i;
      matched = true;
    }
    if (!matched) {
      std::fprintf(stderr, "bnn-kv-accuracy: unknown argument '%s' (see --help)\n", a.c_str());
      return false;
    }
  }
  if (o.heads % o.kvHeads != 0) {
    std::fprintf(stderr, "bnn-kv-accuracy: --heads %lld is not a multiple of --kv-heads %lld\n",
                 static_cast<long long>(o.heads), static_cast<long long>(o.kvHeads));
    return false;
  }
  return true;
}

/// The synthetic model of one trial: per (kv head, channel) key mean and scale (a few outlier
/// channels), value scales, and a generator for tokens and queries.
struct Synthetic {
  const Options &o;
  std::mt19937_64 rng;
  std::vector<float> kMean, kScale, vScale; // [kvHeads][headDim]
  std::vector<float> history;               // true keys, [token][kvHeads][headDim]
  bool outliers;

  Synthetic(const Options &o, uint64_t seed, bool outliers) : o(o), rng(seed), outliers(outliers) {
    const int64_t n = o.kvHeads * o.headDim;
    kMean.resize(n);
    kScale.resize(n);
    vScale.resize(n);
    std::normal_distribution<float> g;
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int64_t i = 0; i < n; ++i) {
      if (outliers) {
        kScale[i] = std::exp(0.5f * g(rng)); // log-normal spread across channels
        kMean[i] = 0.5f * kScale[i] * g(rng);
        if (u(rng) < 0.04f) { // ~4% outlier channels: large and biased
          kScale[i] *= 6.0f;
          kMean[i] = (u(rng) < 0.5f ? -1.0f : 1.0f) * 4.0f * kScale[i];
        }
        vScale[i] = std::exp(0.3f * g(rng));
      } else {
        kScale[i] = vScale[i] = 1.0f;
        kMean[i] = 0.0f;
      }
    }
  }

  void tokens(int64_t n, std::vector<float> &k, std::vector<float> &v) {
    const int64_t row = o.kvHeads * o.headDim;
    std::normal_distribution<float> g;
    k.resize(n * row);
    v.resize(n * row);
    for (int64_t t = 0; t < n; ++t)
      for (int64_t i = 0; i < row; ++i) {
        k[t * row + i] = kMean[i] + kScale[i] * g(rng);
        v[t * row + i] = vScale[i] * g(rng);
      }
    history.insert(history.end(), k.begin(), k.end());
  }

  /// n queries: each head half retrieves a random earlier key of its KV head (scaled), half
  /// noise shaped like the keys.
  std::vector<float> queries(int64_t n) {
    const int64_t row = o.kvHeads * o.headDim, ctx = history.size() / row;
    std::normal_distribution<float> g;
    std::vector<float> q(n * o.heads * o.headDim);
    const int64_t group = o.heads / o.kvHeads;
    for (int64_t t = 0; t < n; ++t)
      for (int64_t h = 0; h < o.heads; ++h) {
        const int64_t kvh = h / group;
        std::uniform_int_distribution<int64_t> pick(0, ctx - n + t);
        const float *target = &history[(pick(rng) * o.kvHeads + kvh) * o.headDim];
        const float gain = 1.5f / std::sqrt(static_cast<float>(o.headDim));
        for (int64_t c = 0; c < o.headDim; ++c) {
          const int64_t i = kvh * o.headDim + c;
          const float noise = g(rng);
          q[(t * o.heads + h) * o.headDim + c] =
              gain * ((target[c] - kMean[i]) / (kScale[i] * kScale[i]) * 3.0f + noise);
        }
      }
    return q;
  }
};

struct Variant {
  const char *name;
  bnn_kv_format format;
  bnn::ref::KVScore score;
  // Emulated variants: a transform of (k, v) before appending them to an f32 cache. The prompt's
  // first chunk is passed with `prefill` true.
  std::function<void(std::vector<float> &k, std::vector<float> &v, bool prefill)> emulate;
  bool centreKeys = false; // config.center_keys
};

struct Accum {
  double relErrSum = 0, relErrMax = 0, logitRelErrSum = 0, cosSum = 0;
  int64_t agree = 0, count = 0;
};

double norm(const std::vector<float> &a) {
  double s = 0;
  for (float x : a)
    s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parseArgs(argc, argv, o))
    return 1;
  const int64_t H = o.kvHeads, D = o.headDim, row = H * D;
  const int64_t outDim = o.heads * D;
  const int64_t pages = (o.prompt + o.steps + o.pageSize - 1) / o.pageSize + 1;

  // Emulated scale placements (applied to true K/V; results appended to an f32 cache).
  std::vector<float> frozenKScale; // per (kv head, channel), from the prefill
  auto signTimes = [](float x, float s) { return x < 0 ? -s : s; };
  auto perTokenHead = [&](std::vector<float> &x) {
    for (size_t r = 0; r < x.size() / D; ++r) {
      double sum = 0;
      for (int64_t c = 0; c < D; ++c)
        sum += std::fabs(static_cast<double>(x[r * D + c]));
      const float s = static_cast<float>(sum / D);
      for (int64_t c = 0; c < D; ++c)
        x[r * D + c] = signTimes(x[r * D + c], s);
    }
  };
  auto perChannelFrozen = [&](std::vector<float> &x, bool prefill) {
    const int64_t n = x.size() / row;
    if (prefill) {
      frozenKScale.assign(row, 0.0f);
      std::vector<double> sum(row, 0.0);
      for (int64_t t = 0; t < n; ++t)
        for (int64_t i = 0; i < row; ++i)
          sum[i] += std::fabs(static_cast<double>(x[t * row + i]));
      for (int64_t i = 0; i < row; ++i)
        frozenKScale[i] = static_cast<float>(sum[i] / n);
    }
    for (int64_t t = 0; t < n; ++t)
      for (int64_t i = 0; i < row; ++i)
        x[t * row + i] = signTimes(x[t * row + i], frozenKScale[i]);
  };
  std::vector<float> frozenVScale;
  auto perChannelFrozenV = [&](std::vector<float> &x, bool prefill) {
    std::swap(frozenKScale, frozenVScale);
    perChannelFrozen(x, prefill);
    std::swap(frozenKScale, frozenVScale);
  };

  // Keys centred by a per-channel mean frozen at the prefill before binarizing: q . mean is the
  // same for every key of a query, so softmax does not see it and the mean need not be stored.
  std::vector<float> frozenKMean;
  auto centredPerTokenHead = [&](std::vector<float> &x, bool prefill) {
    const int64_t n = x.size() / row;
    if (prefill) {
      std::vector<double> sum(row, 0.0);
      for (int64_t t = 0; t < n; ++t)
        for (int64_t i = 0; i < row; ++i)
          sum[i] += x[t * row + i];
      frozenKMean.assign(row, 0.0f);
      for (int64_t i = 0; i < row; ++i)
        frozenKMean[i] = static_cast<float>(sum[i] / n);
    }
    for (int64_t t = 0; t < n; ++t)
      for (int64_t i = 0; i < row; ++i)
        x[t * row + i] -= frozenKMean[i];
    perTokenHead(x);
  };

  using bnn::ref::KVScore;
  std::vector<Variant> variants = {
      {"f32 (baseline)", BNN_KV_F32, KVScore::Float, nullptr},
      {"f16", BNN_KV_F16, KVScore::Float, nullptr},
      {"binary K+V, per-token-head scale (BNN_KV_BINARY), float q", BNN_KV_BINARY, KVScore::Float,
       nullptr},
      {"binary K+V, per-token-head scale, XNOR-popcount scores", BNN_KV_BINARY,
       KVScore::XnorPopcount, nullptr},
      {"binary K+V, centred keys (BNN_KV_BINARY + center_keys), float q", BNN_KV_BINARY,
       KVScore::Float, nullptr, true},
      {"binary K+V, centred keys, XNOR-popcount scores", BNN_KV_BINARY, KVScore::XnorPopcount,
       nullptr, true},
      {"binary K only, per-token-head (emulated)", BNN_KV_F32, KVScore::Float,
       [&](std::vector<float> &k, std::vector<float> &, bool) { perTokenHead(k); }},
      {"binary V only, per-token-head (emulated)", BNN_KV_F32, KVScore::Float,
       [&](std::vector<float> &, std::vector<float> &v, bool) { perTokenHead(v); }},
      {"binary K only, per-channel scale frozen at prefill (emulated)", BNN_KV_F32, KVScore::Float,
       [&](std::vector<float> &k, std::vector<float> &, bool prefill) {
         perChannelFrozen(k, prefill);
       }},
      {"binary K only, centred by a frozen per-channel mean, per-token-head (emulated)", BNN_KV_F32,
       KVScore::Float,
       [&](std::vector<float> &k, std::vector<float> &, bool prefill) {
         centredPerTokenHead(k, prefill);
       }},
      {"binary K centred + V, per-token-head (emulated)", BNN_KV_F32, KVScore::Float,
       [&](std::vector<float> &k, std::vector<float> &v, bool prefill) {
         centredPerTokenHead(k, prefill);
         perTokenHead(v);
       }},
      {"binary K per-channel frozen at prefill + V per-token-head (emulated)", BNN_KV_F32,
       KVScore::Float,
       [&](std::vector<float> &k, std::vector<float> &v, bool prefill) {
         perChannelFrozen(k, prefill);
         perTokenHead(v);
       }},
      {"binary K+V per-channel frozen at prefill (emulated)", BNN_KV_F32, KVScore::Float,
       [&](std::vector<float> &k, std::vector<float> &v, bool prefill) {
         perChannelFrozen(k, prefill);
         perChannelFrozenV(v, prefill);
       }},
  };

  std::printf("bnn-kv-accuracy: heads %lld, kv heads %lld, head_dim %lld, page %lld, prompt "
              "%lld, %lld decode steps, vocab %lld, %lld trials from seed %llu\n\n",
              (long long)o.heads, (long long)o.kvHeads, (long long)D, (long long)o.pageSize,
              (long long)o.prompt, (long long)o.steps, (long long)o.vocab, (long long)o.trials,
              (unsigned long long)o.seed);
  for (bool outliers : {false, true}) {
    std::vector<Accum> acc(variants.size());
    for (int64_t trial = 0; trial < o.trials; ++trial) {
      const uint64_t seed = o.seed + static_cast<uint64_t>(trial) * 1000003ull;
      // Fixed random "unembedding" of the attention outputs.
      std::mt19937_64 prng(seed ^ 0xabcdefull);
      std::normal_distribution<float> g;
      std::vector<float> proj(o.vocab * outDim);
      for (float &x : proj)
        x = g(prng);
      std::vector<std::vector<float>> outputs(variants.size());
      for (size_t vi = 0; vi < variants.size(); ++vi) {
        const Variant &var = variants[vi];
        Synthetic syn(o, seed, outliers); // same data for every variant
        bnn_kv_config c{};
        c.num_layers = 1;
        c.num_kv_heads = H;
        c.head_dim = D;
        c.page_size = o.pageSize;
        c.num_pages = pages;
        c.max_sequences = 1;
        c.format = var.format;
        c.center_keys = var.centreKeys;
        bnn_kv_cache *cache = nullptr;
        int64_t seq = 0;
        if (bnn_kv_cache_create(&c, &cache) || bnn_kv_seq_add(cache, &seq)) {
          std::fprintf(stderr, "bnn-kv-accuracy: %s\n", bnn_last_error());
          return 1;
        }
        std::vector<float> &outs = outputs[vi];
        for (int64_t step = -1; step < o.steps; ++step) {
          const int64_t n = step < 0 ? o.prompt : 1;
          std::vector<float> k, v;
          syn.tokens(n, k, v);
          if (var.emulate)
            var.emulate(k, v, step < 0);
          std::vector<float> q = syn.queries(1); // the newest position's query
          std::vector<float> out(outDim);
          if (bnn_kv_seq_reserve(cache, seq, n, nullptr) ||
              bnn_kv_append(cache, seq, 0, n, k.data(), v.data()) ||
              bnn::ref::pagedAttention(cache, seq, 0, q.data(), 1, o.heads, var.score,
                                       out.data())) {
            std::fprintf(stderr, "bnn-kv-accuracy: %s\n", bnn_last_error());
            return 1;
          }
          if (step >= 0)
            outs.insert(outs.end(), out.begin(), out.end());
        }
        bnn_kv_cache_destroy(cache);
      }
      // Compare each variant with the f32 baseline, step by step.
      auto logits = [&](const float *out) {
        std::vector<float> l(o.vocab);
        for (int64_t r = 0; r < o.vocab; ++r) {
          double s = 0;
          for (int64_t i = 0; i < outDim; ++i)
            s += static_cast<double>(proj[r * outDim + i]) * out[i];
          l[r] = static_cast<float>(s);
        }
        return l;
      };
      for (int64_t step = 0; step < o.steps; ++step) {
        const float *base = &outputs[0][step * outDim];
        std::vector<float> lb = logits(base);
        const int64_t top = std::max_element(lb.begin(), lb.end()) - lb.begin();
        for (size_t vi = 0; vi < variants.size(); ++vi) {
          const float *x = &outputs[vi][step * outDim];
          double e = 0, nb = 0, dot = 0, nx = 0;
          for (int64_t i = 0; i < outDim; ++i) {
            e += (double(x[i]) - base[i]) * (double(x[i]) - base[i]);
            nb += double(base[i]) * base[i];
            nx += double(x[i]) * x[i];
            dot += double(x[i]) * base[i];
          }
          std::vector<float> lx = logits(x);
          std::vector<float> diff(o.vocab);
          for (int64_t r = 0; r < o.vocab; ++r)
            diff[r] = lx[r] - lb[r];
          Accum &a = acc[vi];
          const double rel = std::sqrt(e / nb);
          a.relErrSum += rel;
          a.relErrMax = std::max(a.relErrMax, rel);
          a.cosSum += dot / std::sqrt(nb * nx);
          a.logitRelErrSum += norm(diff) / norm(lb);
          a.agree += (std::max_element(lx.begin(), lx.end()) - lx.begin()) == top;
          ++a.count;
        }
      }
    }
    std::printf("### K/V %s\n\n", outliers ? "with per-channel scales, key means and ~4% outlier "
                                             "key channels"
                                           : "isotropic N(0, 1)");
    std::printf("| variant | attn-out rel. L2 error (mean / max) | cosine | logit rel. error | "
                "top-1 agreement |\n|---|---|---|---|---|\n");
    for (size_t vi = 0; vi < variants.size(); ++vi) {
      const Accum &a = acc[vi];
      std::printf("| %s | %.4f / %.4f | %.4f | %.4f | %.1f%% (%lld/%lld) |\n", variants[vi].name,
                  a.relErrSum / a.count, a.relErrMax, a.cosSum / a.count,
                  a.logitRelErrSum / a.count, 100.0 * a.agree / a.count, (long long)a.agree,
                  (long long)a.count);
    }
    std::printf("\n");
  }
  return 0;
}
