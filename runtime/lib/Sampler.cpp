//===- Sampler.cpp - the seeded token sampler of the C API (bnn/bnn_sampler.h) -===//
//
// docs/RuntimeAPI.md ("The sampler") specifies every step; this file is its implementation.
// Bit-for-bit reproducibility across machines rests on three things: the generator is integer
// arithmetic, every real operation is an IEEE double +, -, *, / (this file is compiled with
// -ffp-contract=off so that no FMA is fused in), and exp is computed here from those
// operations instead of by the platform's libm, whose last bits differ between libraries.
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/Status.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using bnn::fail;

namespace {

/// splitmix64 (Steele, Lea, Flood 2014): expands the 64-bit seed into xoshiro's state.
uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// xoshiro256** 1.0 (Blackman, Vigna 2018).
struct Xoshiro256StarStar {
  uint64_t s[4];
  void seed(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t &word : s)
      word = splitmix64(sm);
  }
  uint64_t next() {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

/// e^x for x <= 0 from IEEE double operations only: x = k ln2 + r with |r| <= ln2/2 (Cody-Waite:
/// ln2 split so that k * ln2Hi is exact), e^r by its Taylor polynomial to degree 13 (truncation
/// below 1e-17 relative), then 2^k exactly by ldexp. Relative error a few ulp; what matters is
/// that the result is the same on every machine.
double portableExp(double x) {
  if (x == 0.0)
    return 1.0;
  if (!(x > -745.5)) // below the smallest subnormal, and -inf
    return 0.0;
  const double ln2Hi = 6.93147180369123816490e-01; // 32 trailing zero bits
  const double ln2Lo = 1.90821492927058770002e-10;
  const double invLn2 = 1.44269504088896338700e+00;
  // floor(x / ln2 + 1/2) by truncation (no libm call: floor is one on baseline x86-64).
  const double shifted = x * invLn2 + 0.5;
  double k = static_cast<double>(static_cast<int64_t>(shifted));
  if (k > shifted)
    k -= 1.0;
  const double r = (x - k * ln2Hi) - k * ln2Lo;
  // Horner over 1/n!, n = 13 down to 0; the constants are folded by the compiler exactly.
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k built from its bits is exact, and p * 2^k is rounded once, as ldexp rounds; below
  // 2^-1022 the factor itself would be subnormal, so ldexp scales there.
  const int exponent = static_cast<int>(k);
  if (exponent < -1022)
    return std::ldexp(p, exponent);
  const uint64_t bits = static_cast<uint64_t>(exponent + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/// About how many of the heaviest candidates the nucleus needs: their weights bucketed by
/// binary exponent (weights in (0, 1]), buckets added from the heaviest until the threshold is
/// reached, plus the next bucket for rounding. Only a starting size: the result never depends
/// on it.
size_t estimateNucleus(const std::vector<int32_t> &cand, const std::vector<double> &weight,
                       double threshold) {
  constexpr int kBuckets = 1026; // exponents 2^0 .. 2^-1022, subnormals, zero
  std::vector<double> mass(kBuckets, 0.0);
  std::vector<size_t> count(kBuckets, 0);
  for (int32_t id : cand) {
    uint64_t bits;
    std::memcpy(&bits, &weight[id], sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7ff); // 1023 for [1, 2)
    const int bucket = weight[id] == 0.0 ? kBuckets - 1 : std::min(1023 - biased, kBuckets - 2);
    const int b = std::max(bucket, 0);
    mass[b] += weight[id];
    ++count[b];
  }
  double sum = 0.0;
  size_t n = 0;
  for (int b = 0; b < kBuckets; ++b) {
    sum += mass[b];
    n += count[b];
    if (sum >= threshold)
      return n + (b + 1 < kBuckets ? count[b + 1] : 0);
  }
  return cand.size();
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bnn_status checkConfig(const char *fn, const bnn_sampler_config &c) {
  auto bad = [&](const std::string &what) {
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": " + what);
  };
  if (!(std::isfinite(c.temperature) && c.temperature >= 0.0))
    return bad("temperature must be finite and >= 0 (0: greedy), found " + num(c.temperature));
  if (c.top_k < 0)
    return bad("top_k must be >= 0 (0: off), found " + std::to_string(c.top_k));
  if (!(c.top_p > 0.0 && c.top_p <= 1.0))
    return bad("top_p must be in (0, 1] (1: off), found " + num(c.top_p));
  if (!(c.min_p >= 0.0 && c.min_p <= 1.0))
    return bad("min_p must be in [0, 1] (0: off), found " + num(c.min_p));
  if (!(c.repetition_penalty >= BNN_SAMPLER_MIN_PENALTY &&
        c.repetition_penalty <= BNN_SAMPLER_MAX_PENALTY))
    return bad("repetition_penalty must be in [" + num(BNN_SAMPLER_MIN_PENALTY) + ", " +
               num(BNN_SAMPLER_MAX_PENALTY) + "] (1: off), found " + num(c.repetition_penalty));
  if (c.penalty_window < 0)
    return bad("penalty_window must be >= 0 (0: the whole history), found " +
               std::to_string(c.penalty_window));
  return BNN_STATUS_OK;
}

/// The kept tokens in ascending id order and their weights, or the greedy token.
struct Filtered {
  std::vector<double> z;      // penalised logits, vocab of them
  std::vector<uint8_t> seen;  // vocab flags, all zero between calls
  std::vector<int32_t> cand;  // candidate ids
  std::vector<double> weight; // by id, valid for the kept ones
  int32_t greedy = -1;        // >= 0 when temperature is 0
};

/// Steps 1 to 6 of docs/RuntimeAPI.md: checks the arguments and leaves in `f` either the greedy
/// token or the kept candidates (f.cand, ascending ids) with their weights.
bnn_status filter(const char *fn, const bnn_sampler_config &c, const float *logits, int64_t vocab,
                  const int32_t *history, int64_t historyLen, Filtered &f) {
  if (!logits)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null logits");
  if (vocab < 1 || vocab > std::numeric_limits<int32_t>::max())
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": vocab must be 1 to " +
                    std::to_string(std::numeric_limits<int32_t>::max()) + ", found " +
                    std::to_string(vocab));
  if (historyLen < 0)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) +
                                                 ": history_len must be >= 0, found " +
                                                 std::to_string(historyLen));
  if (historyLen > 0 && !history)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": null history for " + std::to_string(historyLen) + " tokens");
  for (int64_t j = 0; j < historyLen; ++j)
    if (history[j] < 0 || history[j] >= vocab)
      return fail(BNN_STATUS_OUT_OF_RANGE, std::string(fn) + ": history[" + std::to_string(j) +
                                               "] must be a token id in [0, " +
                                               std::to_string(vocab) + "), found " +
                                               std::to_string(history[j]));
  const size_t n = static_cast<size_t>(vocab);
  f.z.resize(n);
  int64_t finite = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = logits[i];
    if (std::isnan(v) || v == std::numeric_limits<float>::infinity())
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": logits[" + std::to_string(i) +
                      "] must be finite or -inf (an excluded token), found " + num(v));
    f.z[i] = static_cast<double>(v);
    finite += v != -std::numeric_limits<float>::infinity();
  }
  if (finite == 0)
    return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": every one of the " +
                                                 std::to_string(vocab) +
                                                 " logits is -inf: no token can be sampled");

  // 1. Repetition penalty, once per distinct token of the window.
  if (c.repetition_penalty != 1.0 && historyLen > 0) {
    const int64_t start =
        c.penalty_window > 0 && c.penalty_window < historyLen ? historyLen - c.penalty_window : 0;
    f.seen.resize(n, 0);
    for (int64_t j = start; j < historyLen; ++j) {
      const int32_t id = history[j];
      if (f.seen[id])
        continue;
      f.seen[id] = 1;
      double &v = f.z[id];
      v = v > 0.0 ? v / c.repetition_penalty : v * c.repetition_penalty; // -inf stays -inf
    }
    for (int64_t j = start; j < historyLen; ++j)
      f.seen[history[j]] = 0;
  }

  // 2. Greedy: the arg-max, ties to the smaller id.
  if (c.temperature == 0.0) {
    int32_t best = -1;
    for (size_t i = 0; i < n; ++i)
      if (f.z[i] != -std::numeric_limits<double>::infinity() && (best < 0 || f.z[i] > f.z[best]))
        best = static_cast<int32_t>(i);
    f.greedy = best;
    return BNN_STATUS_OK;
  }
  f.greedy = -1;
  f.cand.clear();
  double maxZ = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i)
    if (f.z[i] != -std::numeric_limits<double>::infinity()) {
      f.cand.push_back(static_cast<int32_t>(i));
      maxZ = std::max(maxZ, f.z[i]);
    }
  const std::vector<double> &z = f.z;
  auto before = [&z](int32_t a, int32_t b) { return z[a] > z[b] || (z[a] == z[b] && a < b); };

  // 3. Candidates and top-k by (penalised logit descending, id ascending).
  if (c.top_k > 0 && c.top_k < static_cast<int64_t>(f.cand.size())) {
    std::nth_element(f.cand.begin(), f.cand.begin() + (c.top_k - 1), f.cand.end(), before);
    f.cand.resize(static_cast<size_t>(c.top_k));
  }

  // 4. Weights after temperature: exp((z - max) / T); the largest is exactly 1.
  f.weight.resize(n);
  for (int32_t id : f.cand)
    f.weight[id] = portableExp((z[id] - maxZ) / c.temperature);

  // 5. Top-p: the shortest prefix of the ranking whose running weight sum (in ranking order)
  // reaches top_p of the total (summed in ascending id order, which needs no sort). The prefix
  // is ranked chunk by chunk, the first chunk as long as estimateNucleus guesses, then doubling:
  // the same sums as a full sort, at the cost of ranking little more than the prefix.
  if (c.top_p < 1.0) {
    std::sort(f.cand.begin(), f.cand.end());
    double total = 0.0;
    for (int32_t id : f.cand)
      total += f.weight[id];
    const double threshold = c.top_p * total;
    double sum = 0.0;
    size_t keep = f.cand.size(), done = 0,
           chunk = std::max<size_t>(64, estimateNucleus(f.cand, f.weight, threshold));
    while (done < f.cand.size() && keep == f.cand.size()) {
      const size_t end = std::min(f.cand.size(), done + chunk);
      if (end < f.cand.size())
        std::nth_element(f.cand.begin() + done, f.cand.begin() + end, f.cand.end(), before);
      std::sort(f.cand.begin() + done, f.cand.begin() + end, before);
      for (size_t i = done; i < end; ++i) {
        sum += f.weight[f.cand[i]];
        if (sum >= threshold) {
          keep = i + 1;
          break;
        }
      }
      done = end;
      chunk *= 2;
    }
    f.cand.resize(keep);
  }

  // 6. Min-p: weight (the probability relative to the most likely token) at least min_p.
  if (c.min_p > 0.0)
    f.cand.erase(std::remove_if(f.cand.begin(), f.cand.end(),
                                [&](int32_t id) { return f.weight[id] < c.min_p; }),
                 f.cand.end());
  std::sort(f.cand.begin(), f.cand.end());
  return BNN_STATUS_OK;
}

} // namespace

struct bnn_sampler {
  bnn_sampler_config config;
  Xoshiro256StarStar rng;
  Filtered scratch;
};

extern "C" void bnn_sampler_config_default(bnn_sampler_config *config) {
  if (!config)
    return;
  config->seed = 0;
  config->temperature = 1.0;
  config->top_k = 0;
  config->top_p = 1.0;
  config->min_p = 0.0;
  config->repetition_penalty = 1.0;
  config->penalty_window = 0;
}

extern "C" bnn_status bnn_sampler_create(const bnn_sampler_config *config, bnn_sampler **out) {
  const char *fn = "bnn_sampler_create";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (!config || !out)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": null " + (config ? "out" : "config"));
    if (bnn_status s = checkConfig(fn, *config))
      return s;
    auto *sampler = new bnn_sampler();
    sampler->config = *config;
    sampler->rng.seed(config->seed);
    *out = sampler;
    return BNN_STATUS_OK;
  });
}

extern "C" void bnn_sampler_destroy(bnn_sampler *sampler) { delete sampler; }

extern "C" bnn_status bnn_sampler_get_config(const bnn_sampler *sampler,
                                             bnn_sampler_config *config) {
  if (!sampler || !config)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string("bnn_sampler_get_config: null ") + (sampler ? "config" : "sampler"));
  *config = sampler->config;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_sampler_reseed(bnn_sampler *sampler, uint64_t seed) {
  if (!sampler)
    return fail(BNN_STATUS_INVALID_ARGUMENT, "bnn_sampler_reseed: null sampler");
  sampler->config.seed = seed;
  sampler->rng.seed(seed);
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_sampler_sample(bnn_sampler *sampler, const float *logits, int64_t vocab,
                                         const int32_t *history, int64_t history_len,
                                         int32_t *token) {
  const char *fn = "bnn_sampler_sample";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (!sampler || !token)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": null " + (sampler ? "token" : "sampler"));
    Filtered &f = sampler->scratch;
    if (bnn_status s = filter(fn, sampler->config, logits, vocab, history, history_len, f))
      return s;
    if (f.greedy >= 0) {
      *token = f.greedy;
      return BNN_STATUS_OK;
    }
    // 7. Inverse CDF: u in [0, 1) from the top 53 bits of one draw, t = u * total, the first
    // kept id (ascending) whose running weight sum exceeds t.
    double total = 0.0;
    for (int32_t id : f.cand)
      total += f.weight[id];
    const double u = static_cast<double>(sampler->rng.next() >> 11) * 0x1p-53;
    const double target = u * total;
    double sum = 0.0;
    int32_t chosen = -1;
    for (int32_t id : f.cand) {
      if (f.weight[id] > 0.0)
        chosen = id; // rounding can leave target >= the last sum: the last positive one
      sum += f.weight[id];
      if (target < sum)
        break;
    }
    if (chosen < 0)
      return fail(BNN_STATUS_INTERNAL, std::string(fn) + ": no kept token has a weight");
    *token = chosen;
    return BNN_STATUS_OK;
  });
}

extern "C" bnn_status bnn_sampler_distribution(const bnn_sampler *sampler, const float *logits,
                                               int64_t vocab, const int32_t *history,
                                               int64_t history_len, double *probs) {
  const char *fn = "bnn_sampler_distribution";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (!sampler || !probs)
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": null " + (sampler ? "probs" : "sampler"));
    Filtered f;
    if (bnn_status s = filter(fn, sampler->config, logits, vocab, history, history_len, f))
      return s;
    std::fill(probs, probs + vocab, 0.0);
    if (f.greedy >= 0) {
      probs[f.greedy] = 1.0;
      return BNN_STATUS_OK;
    }
    double total = 0.0;
    for (int32_t id : f.cand)
      total += f.weight[id];
    for (int32_t id : f.cand)
      probs[id] = f.weight[id] / total;
    return BNN_STATUS_OK;
  });
}
