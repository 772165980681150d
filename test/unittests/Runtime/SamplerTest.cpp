// The sampler (bnn/bnn_sampler.h) and the byte-level tokenizer (bnn/bnn_tokenizer.h) of the C
// API: greedy and top-k = 1 against an arg-max, the repetition penalty against the CTRL / Hugging
// Face rule, the distribution against one computed here from docs/RuntimeAPI.md, the generator
// against xoshiro256** written here from its paper, determinism per seed, and every error path.
// The statistical test against scipy is test/Runtime/sampler-statistics.test.
#include "bnn/bnn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

struct SamplerPtr {
  bnn_sampler *p = nullptr;
  ~SamplerPtr() { bnn_sampler_destroy(p); }
};

struct TokenizerPtr {
  bnn_tokenizer *p = nullptr;
  ~TokenizerPtr() { bnn_tokenizer_destroy(p); }
};

bnn_sampler_config config(double temperature, int64_t topK = 0, double topP = 1.0,
                          uint64_t seed = 0) {
  bnn_sampler_config c;
  bnn_sampler_config_default(&c);
  c.temperature = temperature;
  c.top_k = topK;
  c.top_p = topP;
  c.seed = seed;
  return c;
}

std::vector<float> randomLogits(int64_t vocab, unsigned seed, float scale = 3.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> l(static_cast<size_t>(vocab));
  for (float &v : l)
    v = dist(gen);
  return l;
}

int32_t sampleOne(bnn_sampler *s, const std::vector<float> &logits,
                  const std::vector<int32_t> &history = {}) {
  int32_t token = -7;
  EXPECT_EQ(bnn_sampler_sample(s, logits.data(), static_cast<int64_t>(logits.size()),
                               history.data(), static_cast<int64_t>(history.size()), &token),
            BNN_STATUS_OK)
      << bnn_last_error();
  return token;
}

std::vector<int32_t> sampleMany(bnn_sampler *s, const std::vector<float> &logits, int n) {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(sampleOne(s, logits));
  return out;
}

// The first max (smallest id among ties), from std::max_element's definition.
int32_t argmax(const std::vector<float> &l) {
  return static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
}

bool contains(const char *haystack, const char *needle) {
  return std::strstr(haystack, needle) != nullptr;
}

} // namespace

TEST(Sampler, DefaultConfigIsNeutral) {
  bnn_sampler_config c;
  std::memset(&c, 0xff, sizeof c);
  bnn_sampler_config_default(&c);
  EXPECT_EQ(c.seed, 0u);
  EXPECT_EQ(c.temperature, 1.0);
  EXPECT_EQ(c.top_k, 0);
  EXPECT_EQ(c.top_p, 1.0);
  EXPECT_EQ(c.min_p, 0.0);
  EXPECT_EQ(c.repetition_penalty, 1.0);
  EXPECT_EQ(c.penalty_window, 0);
  bnn_sampler_config_default(nullptr); // no crash
}

TEST(Sampler, GreedyIsArgmax) {
  SamplerPtr s;
  bnn_sampler_config c = config(0.0, /*topK=*/5, /*topP=*/0.3);
  ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
  for (unsigned trial = 0; trial < 50; ++trial) {
    std::vector<float> l = randomLogits(1 + trial * 37, trial);
    EXPECT_EQ(sampleOne(s.p, l), argmax(l)) << "trial " << trial;
  }
  // Ties go to the smaller id; -inf entries are skipped.
  const float ninf = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(sampleOne(s.p, {1.0f, 3.0f, 2.0f, 3.0f}), 1);
  EXPECT_EQ(sampleOne(s.p, {ninf, ninf, -5.0f, ninf}), 2);
  EXPECT_EQ(sampleOne(s.p, {-1e30f, -1e30f}), 0);
  std::vector<double> probs(4, -1.0);
  std::vector<float> l = {1.0f, 3.0f, 2.0f, 3.0f};
  ASSERT_EQ(bnn_sampler_distribution(s.p, l.data(), 4, nullptr, 0, probs.data()), BNN_STATUS_OK);
  EXPECT_EQ(probs, (std::vector<double>{0.0, 1.0, 0.0, 0.0}));
}

TEST(Sampler, TopKOneEqualsGreedy) {
  for (double temperature : {0.3, 1.0, 7.5}) {
    SamplerPtr s;
    bnn_sampler_config c = config(temperature, /*topK=*/1, 1.0, /*seed=*/42);
    ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
    for (unsigned trial = 0; trial < 30; ++trial) {
      std::vector<float> l = randomLogits(200, 100 + trial);
      EXPECT_EQ(sampleOne(s.p, l), argmax(l));
    }
    EXPECT_EQ(sampleOne(s.p, {0.5f, 2.0f, 2.0f, 1.0f}), 1); // tie: the smaller id
  }
}

TEST(Sampler, SameSeedSameSequenceOtherSeedsDiffer) {
  std::vector<float> l = randomLogits(1000, 7, 1.0f);
  bnn_sampler_config c = config(1.0, 0, 0.95, /*seed=*/123);
  SamplerPtr a, b, other;
  ASSERT_EQ(bnn_sampler_create(&c, &a.p), BNN_STATUS_OK);
  ASSERT_EQ(bnn_sampler_create(&c, &b.p), BNN_STATUS_OK);
  c.seed = 124;
  ASSERT_EQ(bnn_sampler_create(&c, &other.p), BNN_STATUS_OK);
  std::vector<int32_t> sa = sampleMany(a.p, l, 500), sb = sampleMany(b.p, l, 500);
  std::vector<int32_t> so = sampleMany(other.p, l, 500);
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, so);
  // A sequence over 1000 tokens is not constant (the sampler samples).
  EXPECT_GT(std::set<int32_t>(sa.begin(), sa.end()).size(), 50u);
  // Reseeding restarts the generator; the config reports the new seed.
  ASSERT_EQ(bnn_sampler_reseed(a.p, 123), BNN_STATUS_OK);
  EXPECT_EQ(sampleMany(a.p, l, 500), sb);
  ASSERT_EQ(bnn_sampler_reseed(a.p, 124), BNN_STATUS_OK);
  EXPECT_EQ(sampleMany(a.p, l, 500), so);
  bnn_sampler_config got;
  ASSERT_EQ(bnn_sampler_get_config(a.p, &got), BNN_STATUS_OK);
  EXPECT_EQ(got.seed, 124u);
  EXPECT_EQ(got.top_p, 0.95);
}

// docs/RuntimeAPI.md: with equal logits every weight is exactly 1, so the token of a draw x is
// floor(u * vocab) with u = (x >> 11) * 2^-53 and x the generator's next output. The generator
// is xoshiro256** seeded by four splitmix64 outputs, written here from Blackman & Vigna.
TEST(Sampler, GeneratorIsXoshiro256StarStarFromSplitmix64) {
  auto splitmix = [](uint64_t &x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  uint64_t zero = 0;
  EXPECT_EQ(splitmix(zero), 0xe220a8397b1dcdafull); // splitmix64's published first output
  auto rotl = [](uint64_t v, int k) { return (v << k) | (v >> (64 - k)); };
  for (uint64_t seed : {0ull, 1ull, 0xdeadbeefcafef00dull}) {
    uint64_t sm = seed, st[4];
    for (uint64_t &w : st)
      w = splitmix(sm);
    const int64_t vocab = 1000;
    std::vector<float> l(vocab, 0.25f);
    SamplerPtr s;
    bnn_sampler_config c = config(0.8, 0, 1.0, seed);
    ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
    for (int i = 0; i < 200; ++i) {
      uint64_t result = rotl(st[1] * 5, 7) * 9, t = st[1] << 17;
      st[2] ^= st[0];
      st[3] ^= st[1];
      st[1] ^= st[2];
      st[0] ^= st[3];
      st[2] ^= t;
      st[3] = rotl(st[3], 45);
      double u = static_cast<double>(result >> 11) * 0x1p-53;
      EXPECT_EQ(sampleOne(s.p, l), static_cast<int32_t>(std::floor(u * vocab)))
          << "seed " << seed << " draw " << i;
    }
  }
}

// The distribution after temperature, top-k and top-p, from the specification.
TEST(Sampler, DistributionFollowsTheSpecification) {
  const std::vector<float> l = {
      1.0f, 3.0f, 0.0f, 2.5f, -1.0f, 2.5f, -std::numeric_limits<float>::infinity()};
  const int64_t vocab = static_cast<int64_t>(l.size());
  auto weights = [&](double t) {
    std::vector<double> w(l.size());
    for (size_t i = 0; i < l.size(); ++i)
      w[i] = std::exp((double(l[i]) - 3.0) / t);
    return w;
  };
  auto normalised = [](std::vector<double> w, const std::vector<int> &keep) {
    std::vector<double> p(w.size(), 0.0);
    double sum = 0;
    for (int i : keep)
      sum += w[i];
    for (int i : keep)
      p[i] = w[i] / sum;
    return p;
  };
  struct Case {
    double t;
    int64_t k;
    double p, minP;
    std::vector<int> keep;
  };
  // Order by (logit desc, id asc): 1, 3, 5, 0, 2, 4 (6 is -inf).
  std::vector<Case> cases = {
      {1.0, 0, 1.0, 0.0, {0, 1, 2, 3, 4, 5}},
      {0.5, 3, 1.0, 0.0, {1, 3, 5}},
      {2.0, 2, 1.0, 0.0, {1, 3}},    // the 2.5 tie goes to the smaller id
      {1.0, 0, 0.5, 0.0, {1, 3}},    // w 1, .61, .61, .14, .05, .02: 1/2.42 < .5 <= 1.61/2.42
      {1.0, 0, 1.0, 0.2, {1, 3, 5}}, // token 0's weight exp(-2) = .14 < .2
      {1.0, 4, 0.9, 0.0, {1, 3, 5}}, // top-4 mass 2.35, 90% of it reached at the third
  };
  for (const Case &cs : cases) {
    bnn_sampler_config c = config(cs.t, cs.k, cs.p);
    c.min_p = cs.minP;
    SamplerPtr s;
    ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
    std::vector<double> probs(l.size());
    ASSERT_EQ(bnn_sampler_distribution(s.p, l.data(), vocab, nullptr, 0, probs.data()),
              BNN_STATUS_OK);
    std::vector<double> want = normalised(weights(cs.t), cs.keep);
    for (size_t i = 0; i < l.size(); ++i) {
      EXPECT_NEAR(probs[i], want[i], 1e-14) << "t " << cs.t << " k " << cs.k << " p " << cs.p
                                            << " min_p " << cs.minP << " token " << i;
      EXPECT_EQ(probs[i] > 0, want[i] > 0) << "token " << i;
    }
    // Samples stay in the support.
    for (int i = 0; i < 300; ++i) {
      int32_t t = sampleOne(s.p, l);
      EXPECT_GT(want[t], 0.0) << "sampled token " << t;
    }
  }
}

// Top-p over large vocabularies (the nucleus is ranked chunk by chunk): the kept set equals a
// full sort's, computed here from the specification with std::exp, wherever the boundary is
// clear of rounding (a relative margin of 1e-9).
TEST(Sampler, TopPOverLargeVocabulariesMatchesAFullSort) {
  int checked = 0;
  for (unsigned trial = 0; trial < 24; ++trial) {
    const int64_t vocab = 5000 + 3001 * trial;
    std::vector<float> l = randomLogits(vocab, 900 + trial, 1.0f + 0.5f * (trial % 5));
    const double t = 0.5 + 0.25 * (trial % 4), topP = 0.3 + 0.03 * trial;
    const int64_t topK = trial % 3 == 0 ? 3000 : 0;
    std::vector<int32_t> order(static_cast<size_t>(vocab));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
    if (topK > 0)
      order.resize(topK);
    std::vector<double> w(static_cast<size_t>(vocab), 0.0);
    for (int32_t id : order)
      w[id] = std::exp((double(l[id]) - double(l[order[0]])) / t);
    double total = 0.0;
    for (double v : w)
      total += v;
    double sum = 0.0, before = 0.0;
    size_t keep = 0;
    while (keep < order.size() && sum < topP * total) {
      before = sum;
      sum += w[order[keep++]];
    }
    if (std::min(sum - topP * total, topP * total - before) < 1e-9 * total)
      continue;
    ++checked;
    bnn_sampler_config c = config(t, topK, topP);
    SamplerPtr s;
    ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
    std::vector<double> probs(static_cast<size_t>(vocab));
    ASSERT_EQ(bnn_sampler_distribution(s.p, l.data(), vocab, nullptr, 0, probs.data()),
              BNN_STATUS_OK);
    std::vector<int32_t> want(order.begin(), order.begin() + keep), got;
    std::sort(want.begin(), want.end());
    for (int64_t i = 0; i < vocab; ++i)
      if (probs[i] > 0)
        got.push_back(static_cast<int32_t>(i));
    EXPECT_EQ(got, want) << "vocab " << vocab << " T " << t << " top_p " << topP << " top_k "
                         << topK;
  }
  EXPECT_GE(checked, 20);
}

// CTRL (Keskar et al. 2019) as Hugging Face's RepetitionPenaltyLogitsProcessor applies it:
// a token of the window has its logit divided by the penalty when positive and multiplied by
// it otherwise, once however often it occurs.
TEST(Sampler, RepetitionPenaltyFollowsTheCtrlRule) {
  auto greedy = [](double penalty, int64_t window, const std::vector<float> &l,
                   const std::vector<int32_t> &history) {
    bnn_sampler_config c = config(0.0);
    c.repetition_penalty = penalty;
    c.penalty_window = window;
    SamplerPtr s;
    EXPECT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
    return sampleOne(s.p, l, history);
  };
  // Positive logit divided: 2.0 / 1.2 = 1.67 < 1.9.
  EXPECT_EQ(greedy(1.0, 0, {2.0f, 1.9f}, {0}), 0);
  EXPECT_EQ(greedy(1.2, 0, {2.0f, 1.9f}, {0}), 1);
  // Negative logit multiplied: -1.0 * 1.2 = -1.2 < -1.1 (dividing would have raised it).
  EXPECT_EQ(greedy(1.2, 0, {-1.0f, -1.1f}, {0}), 1);
  EXPECT_EQ(greedy(1.2, 0, {-1.1f, -1.0f}, {1}), 0);
  // A penalty below 1 rewards repetition: 1.0 / 0.5 = 2.0 > 1.5.
  EXPECT_EQ(greedy(0.5, 0, {1.0f, 1.5f}, {0}), 0);
  // Once per distinct token: 2.0 / 1.2 = 1.67 > 1.5 (three times would be 1.16).
  EXPECT_EQ(greedy(1.2, 0, {2.0f, 1.5f}, {0, 0, 0}), 0);
  // The window: only the last 2 history tokens count.
  EXPECT_EQ(greedy(1.2, 2, {2.0f, 1.9f, 0.0f}, {0, 2, 2}), 0);
  EXPECT_EQ(greedy(1.2, 3, {2.0f, 1.9f, 0.0f}, {0, 2, 2}), 1);
  EXPECT_EQ(greedy(1.2, 0, {2.0f, 1.9f, 0.0f}, {0, 2, 2}), 1);
  EXPECT_EQ(greedy(1.2, 100, {2.0f, 1.9f, 0.0f}, {0, 2, 2}), 1);

  // The distribution: softmax of the penalised logits.
  const std::vector<float> l = {2.0f, -0.5f, 1.0f, 0.25f};
  const std::vector<int32_t> history = {3, 1, 1};
  bnn_sampler_config c = config(0.7);
  c.repetition_penalty = 1.3;
  SamplerPtr s;
  ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
  std::vector<double> probs(4);
  ASSERT_EQ(bnn_sampler_distribution(s.p, l.data(), 4, history.data(), 3, probs.data()),
            BNN_STATUS_OK);
  std::vector<double> z = {2.0, -0.5 * 1.3, 1.0, 0.25 / 1.3}, want(4);
  double sum = 0;
  for (int i = 0; i < 4; ++i)
    sum += want[i] = std::exp(z[i] / 0.7);
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(probs[i], want[i] / sum, 1e-14) << "token " << i;
}

TEST(Sampler, ExcludedTokensAreNeverDrawn) {
  const float ninf = -std::numeric_limits<float>::infinity();
  std::vector<float> l = {ninf, 0.0f, ninf, 0.0f, ninf};
  bnn_sampler_config c = config(1.0, 0, 1.0, 5);
  SamplerPtr s;
  ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
  int seen[5] = {};
  for (int i = 0; i < 1000; ++i)
    ++seen[sampleOne(s.p, l)];
  EXPECT_EQ(seen[0] + seen[2] + seen[4], 0);
  EXPECT_GT(seen[1], 400);
  EXPECT_GT(seen[3], 400);
  // A penalised -inf stays excluded (multiplied, it stays -inf).
  c.repetition_penalty = 2.0;
  SamplerPtr p;
  ASSERT_EQ(bnn_sampler_create(&c, &p.p), BNN_STATUS_OK);
  std::vector<int32_t> history = {0, 2, 4};
  for (int i = 0; i < 200; ++i) {
    int32_t t = sampleOne(p.p, l, history);
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
  // Extreme temperatures stay finite: a tiny one is greedy in effect, a huge one uniform.
  std::vector<float> big = {3e38f, -3e38f, 2.9e38f};
  for (double t : {1e-300, 1e300}) {
    SamplerPtr e;
    bnn_sampler_config ec = config(t);
    ASSERT_EQ(bnn_sampler_create(&ec, &e.p), BNN_STATUS_OK);
    std::vector<double> probs(3);
    ASSERT_EQ(bnn_sampler_distribution(e.p, big.data(), 3, nullptr, 0, probs.data()),
              BNN_STATUS_OK);
    for (double v : probs)
      EXPECT_TRUE(std::isfinite(v));
    if (t < 1)
      EXPECT_EQ(probs, (std::vector<double>{1.0, 0.0, 0.0}));
    else
      EXPECT_NEAR(probs[1], 1.0 / 3.0, 1e-9);
  }
}

TEST(Sampler, BadConfigIsInvalidArgument) {
  SamplerPtr s;
  bnn_sampler_config c = config(1.0);
  EXPECT_EQ(bnn_sampler_create(nullptr, &s.p), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null config")) << bnn_last_error();
  EXPECT_EQ(bnn_sampler_create(&c, nullptr), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null out")) << bnn_last_error();
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  struct Bad {
    void (*set)(bnn_sampler_config &, double);
    double value;
    const char *message;
  };
  std::vector<Bad> bad = {
      {[](bnn_sampler_config &x, double v) { x.temperature = v; }, -0.5,
       "temperature must be finite and >= 0 (0: greedy), found -0.5"},
      {[](bnn_sampler_config &x, double v) { x.temperature = v; }, nan, "temperature"},
      {[](bnn_sampler_config &x, double v) { x.temperature = v; }, inf, "found inf"},
      {[](bnn_sampler_config &x, double v) { x.top_k = static_cast<int64_t>(v); }, -1,
       "top_k must be >= 0 (0: off), found -1"},
      {[](bnn_sampler_config &x, double v) { x.top_p = v; }, 0.0,
       "top_p must be in (0, 1] (1: off), found 0"},
      {[](bnn_sampler_config &x, double v) { x.top_p = v; }, 1.5, "top_p"},
      {[](bnn_sampler_config &x, double v) { x.top_p = v; }, nan, "top_p"},
      {[](bnn_sampler_config &x, double v) { x.min_p = v; }, -0.1,
       "min_p must be in [0, 1] (0: off), found -0.1"},
      {[](bnn_sampler_config &x, double v) { x.min_p = v; }, 1.1, "min_p"},
      {[](bnn_sampler_config &x, double v) { x.min_p = v; }, nan, "min_p"},
      {[](bnn_sampler_config &x, double v) { x.repetition_penalty = v; }, 0.0,
       "repetition_penalty must be in [9.9999999999999995e-07, 1000000] (1: off), found 0"},
      {[](bnn_sampler_config &x, double v) { x.repetition_penalty = v; }, 2e6,
       "repetition_penalty"},
      {[](bnn_sampler_config &x, double v) { x.repetition_penalty = v; }, nan,
       "repetition_penalty"},
      {[](bnn_sampler_config &x, double v) { x.penalty_window = static_cast<int64_t>(v); }, -3,
       "penalty_window must be >= 0 (0: the whole history), found -3"},
  };
  for (const Bad &b : bad) {
    bnn_sampler_config x = config(1.0);
    b.set(x, b.value);
    bnn_sampler *out = reinterpret_cast<bnn_sampler *>(0x1);
    EXPECT_EQ(bnn_sampler_create(&x, &out), BNN_STATUS_INVALID_ARGUMENT) << b.message;
    EXPECT_EQ(out, reinterpret_cast<bnn_sampler *>(0x1)); // untouched
    EXPECT_TRUE(contains(bnn_last_error(), b.message)) << bnn_last_error();
    EXPECT_TRUE(contains(bnn_last_error(), "bnn_sampler_create: ")) << bnn_last_error();
  }
  // Boundaries that are valid.
  for (double t : {0.0, 1e-300, 1e300}) {
    bnn_sampler_config x = config(t, std::numeric_limits<int64_t>::max(), 1.0);
    x.min_p = 1.0;
    x.repetition_penalty = BNN_SAMPLER_MAX_PENALTY;
    x.penalty_window = std::numeric_limits<int64_t>::max();
    SamplerPtr ok;
    EXPECT_EQ(bnn_sampler_create(&x, &ok.p), BNN_STATUS_OK) << bnn_last_error();
  }
  EXPECT_EQ(bnn_sampler_get_config(nullptr, &c), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null sampler"));
  EXPECT_EQ(bnn_sampler_reseed(nullptr, 1), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "bnn_sampler_reseed: null sampler"));
  bnn_sampler_destroy(nullptr);
}

TEST(Sampler, BadCallsAreStatusesAndMoveNothing) {
  bnn_sampler_config c = config(1.0, 0, 1.0, 99);
  SamplerPtr s, ref;
  ASSERT_EQ(bnn_sampler_create(&c, &s.p), BNN_STATUS_OK);
  ASSERT_EQ(bnn_sampler_create(&c, &ref.p), BNN_STATUS_OK);
  ASSERT_EQ(bnn_sampler_get_config(s.p, nullptr), BNN_STATUS_INVALID_ARGUMENT);
  const float nanf = std::nanf(""), inff = std::numeric_limits<float>::infinity();
  std::vector<float> good = randomLogits(16, 3);
  std::vector<int32_t> history = {1, 2, 3};
  struct Bad {
    std::vector<float> logits;
    int64_t vocab;
    std::vector<int32_t> history;
    int64_t historyLen;
    bool nullLogits, nullHistory;
    bnn_status status;
    const char *message;
  };
  std::vector<float> withNan = good, withInf = good, allNinf(16, -inff);
  withNan[5] = nanf;
  withInf[9] = inff;
  std::vector<Bad> bad = {
      {good, 16, {}, 0, true, false, BNN_STATUS_INVALID_ARGUMENT, "null logits"},
      {good,
       0,
       {},
       0,
       false,
       false,
       BNN_STATUS_INVALID_ARGUMENT,
       "vocab must be 1 to 2147483647, found 0"},
      {good, -4, {}, 0, false, false, BNN_STATUS_INVALID_ARGUMENT, "found -4"},
      {good,
       int64_t(1) << 31,
       {},
       0,
       false,
       false,
       BNN_STATUS_INVALID_ARGUMENT,
       "found 2147483648"},
      {good, 16, history, -1, false, false, BNN_STATUS_INVALID_ARGUMENT,
       "history_len must be >= 0, found -1"},
      {good, 16, {}, 3, false, true, BNN_STATUS_INVALID_ARGUMENT, "null history for 3 tokens"},
      {good,
       16,
       {1, 16},
       2,
       false,
       false,
       BNN_STATUS_OUT_OF_RANGE,
       "history[1] must be a token id in [0, 16), found 16"},
      {good, 16, {-1}, 1, false, false, BNN_STATUS_OUT_OF_RANGE, "found -1"},
      {withNan,
       16,
       {},
       0,
       false,
       false,
       BNN_STATUS_INVALID_ARGUMENT,
       "logits[5] must be finite or -inf (an excluded token), found nan"},
      {withInf, 16, {}, 0, false, false, BNN_STATUS_INVALID_ARGUMENT, "logits[9] must be"},
      {allNinf,
       16,
       {},
       0,
       false,
       false,
       BNN_STATUS_INVALID_ARGUMENT,
       "every one of the 16 logits is -inf"},
  };
  for (const Bad &b : bad) {
    for (bool distribution : {false, true}) {
      const float *logits = b.nullLogits ? nullptr : b.logits.data();
      const int32_t *hist = b.nullHistory ? nullptr : b.history.data();
      if (distribution) {
        std::vector<double> probs(16, -1.0);
        EXPECT_EQ(bnn_sampler_distribution(s.p, logits, b.vocab, hist, b.historyLen, probs.data()),
                  b.status)
            << b.message;
        EXPECT_TRUE(contains(bnn_last_error(), "bnn_sampler_distribution: "));
      } else {
        int32_t token = -42;
        EXPECT_EQ(bnn_sampler_sample(s.p, logits, b.vocab, hist, b.historyLen, &token), b.status)
            << b.message;
        EXPECT_EQ(token, -42);
        EXPECT_TRUE(contains(bnn_last_error(), "bnn_sampler_sample: "));
      }
      EXPECT_TRUE(contains(bnn_last_error(), b.message)) << bnn_last_error();
    }
  }
  int32_t token;
  EXPECT_EQ(bnn_sampler_sample(nullptr, good.data(), 16, nullptr, 0, &token),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null sampler"));
  EXPECT_EQ(bnn_sampler_sample(s.p, good.data(), 16, nullptr, 0, nullptr),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null token"));
  EXPECT_EQ(bnn_sampler_distribution(s.p, good.data(), 16, nullptr, 0, nullptr),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null probs"));
  EXPECT_EQ(bnn_sampler_distribution(nullptr, good.data(), 16, nullptr, 0, nullptr),
            BNN_STATUS_INVALID_ARGUMENT);
  // The failures did not advance the generator.
  EXPECT_EQ(sampleMany(s.p, good, 100), sampleMany(ref.p, good, 100));
}

TEST(Tokenizer, BytesRoundTrip) {
  TokenizerPtr t;
  ASSERT_EQ(bnn_tokenizer_create_bytes(260, 256, 257, &t.p), BNN_STATUS_OK);
  EXPECT_EQ(bnn_tokenizer_vocab_size(t.p), 260);
  EXPECT_EQ(bnn_tokenizer_bos_id(t.p), 256);
  EXPECT_EQ(bnn_tokenizer_eos_id(t.p), 257);
  const std::string text("h\xc3\xa9llo\0\xff!", 9); // UTF-8, a NUL and a 0xff byte
  for (int32_t flags : {0, BNN_TOKENIZER_ADD_BOS, BNN_TOKENIZER_ADD_EOS,
                        BNN_TOKENIZER_ADD_BOS | BNN_TOKENIZER_ADD_EOS}) {
    int64_t count = -1;
    ASSERT_EQ(bnn_tokenizer_encode(t.p, text.data(), 9, flags, nullptr, 0, &count), BNN_STATUS_OK);
    const bool bos = flags & BNN_TOKENIZER_ADD_BOS, eos = flags & BNN_TOKENIZER_ADD_EOS;
    ASSERT_EQ(count, 9 + bos + eos);
    std::vector<int32_t> ids(static_cast<size_t>(count));
    int64_t written = -1;
    ASSERT_EQ(bnn_tokenizer_encode(t.p, text.data(), 9, flags, ids.data(), count, &written),
              BNN_STATUS_OK);
    EXPECT_EQ(written, count);
    std::vector<int32_t> want;
    if (bos)
      want.push_back(256);
    for (unsigned char ch : text)
      want.push_back(ch);
    if (eos)
      want.push_back(257);
    EXPECT_EQ(ids, want);
    int64_t length = -1;
    ASSERT_EQ(bnn_tokenizer_decode(t.p, ids.data(), count, nullptr, 0, &length), BNN_STATUS_OK);
    EXPECT_EQ(length, 9);
    std::string back(9, '?');
    ASSERT_EQ(bnn_tokenizer_decode(t.p, ids.data(), count, &back[0], 9, &length), BNN_STATUS_OK);
    EXPECT_EQ(back, text);
  }
  // Empty text: NULL is fine.
  int64_t count = -1;
  EXPECT_EQ(bnn_tokenizer_encode(t.p, nullptr, 0, 0, nullptr, 0, &count), BNN_STATUS_OK);
  EXPECT_EQ(count, 0);
  EXPECT_EQ(bnn_tokenizer_decode(t.p, nullptr, 0, nullptr, 0, &count), BNN_STATUS_OK);
  EXPECT_EQ(count, 0);
  // A plain byte tokenizer: 256 ids, no specials.
  TokenizerPtr plain;
  ASSERT_EQ(bnn_tokenizer_create_bytes(256, -1, -1, &plain.p), BNN_STATUS_OK);
  EXPECT_EQ(bnn_tokenizer_bos_id(plain.p), -1);
  EXPECT_EQ(bnn_tokenizer_eos_id(plain.p), -1);
  EXPECT_EQ(bnn_tokenizer_vocab_size(nullptr), 0);
  EXPECT_EQ(bnn_tokenizer_bos_id(nullptr), -1);
  EXPECT_EQ(bnn_tokenizer_eos_id(nullptr), -1);
  bnn_tokenizer_destroy(nullptr);
}

TEST(Tokenizer, ErrorsNameWhatIsWrong) {
  bnn_tokenizer *out = reinterpret_cast<bnn_tokenizer *>(0x1);
  struct BadCreate {
    int64_t vocab;
    int32_t bos, eos;
    const char *message;
  };
  for (const BadCreate &b : std::vector<BadCreate>{
           {255, -1, -1, "vocab_size must be 256 (one id per byte) to 2147483647, found 255"},
           {int64_t(1) << 31, -1, -1, "found 2147483648"},
           {300, 10, -1,
            "bos_id must be -1 (none) or an id in [256, 300) (ids 0..255 are "
            "bytes), found 10"},
           {300, 300, -1, "bos_id must be"},
           {300, -1, -2, "eos_id must be -1 (none) or an id in [256, 300)"},
           {300, 256, 256, "bos_id and eos_id must differ, both are 256"},
       }) {
    EXPECT_EQ(bnn_tokenizer_create_bytes(b.vocab, b.bos, b.eos, &out), BNN_STATUS_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(bnn_last_error(), b.message)) << bnn_last_error();
    EXPECT_EQ(out, reinterpret_cast<bnn_tokenizer *>(0x1));
  }
  EXPECT_EQ(bnn_tokenizer_create_bytes(256, -1, -1, nullptr), BNN_STATUS_INVALID_ARGUMENT);

  TokenizerPtr t, plain;
  ASSERT_EQ(bnn_tokenizer_create_bytes(300, 256, -1, &t.p), BNN_STATUS_OK);
  ASSERT_EQ(bnn_tokenizer_create_bytes(256, -1, -1, &plain.p), BNN_STATUS_OK);
  int64_t count = 77;
  int32_t ids[4];
  EXPECT_EQ(bnn_tokenizer_encode(nullptr, "ab", 2, 0, nullptr, 0, &count),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null tokenizer"));
  EXPECT_EQ(bnn_tokenizer_encode(t.p, "ab", 2, 0, nullptr, 0, nullptr),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null count"));
  EXPECT_EQ(bnn_tokenizer_encode(t.p, nullptr, 2, 0, nullptr, 0, &count),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null pointer for 2 text bytes"));
  EXPECT_EQ(bnn_tokenizer_encode(t.p, "ab", -1, 0, nullptr, 0, &count),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "text bytes must be >= 0, found -1"));
  EXPECT_EQ(bnn_tokenizer_encode(t.p, "ab", 2, 4, nullptr, 0, &count), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "found 4"));
  EXPECT_EQ(bnn_tokenizer_encode(t.p, "ab", 2, BNN_TOKENIZER_ADD_EOS, nullptr, 0, &count),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "BNN_TOKENIZER_ADD_EOS given, but the tokenizer has no "
                                         "eos_id"));
  EXPECT_EQ(bnn_tokenizer_encode(plain.p, "ab", 2, BNN_TOKENIZER_ADD_BOS, nullptr, 0, &count),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "BNN_TOKENIZER_ADD_BOS given"));
  EXPECT_EQ(bnn_tokenizer_encode(t.p, "ab", 2, BNN_TOKENIZER_ADD_BOS, ids, 2, &count),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "capacity must be at least 3 tokens, found 2"));
  EXPECT_EQ(bnn_tokenizer_encode(t.p, "ab", std::numeric_limits<int64_t>::max(),
                                 BNN_TOKENIZER_ADD_BOS, nullptr, 0, &count),
            BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "overflows"));
  EXPECT_EQ(count, 77); // untouched by every failure

  char text[8];
  struct BadDecode {
    std::vector<int32_t> ids;
    const char *message;
  };
  for (const BadDecode &b : std::vector<BadDecode>{
           {{104, -1}, "tokens[1] must be in [0, 300), found -1"},
           {{300}, "tokens[0] must be in [0, 300), found 300"},
           {{104, 105, 257},
            "tokens[2] = 257 has no text: byte ids are 0..255, BOS is 256, EOS "
            "is -1"},
       }) {
    int64_t length = 77;
    EXPECT_EQ(bnn_tokenizer_decode(t.p, b.ids.data(), static_cast<int64_t>(b.ids.size()), text, 8,
                                   &length),
              BNN_STATUS_OUT_OF_RANGE);
    EXPECT_TRUE(contains(bnn_last_error(), b.message)) << bnn_last_error();
    EXPECT_EQ(length, 77);
  }
  int32_t hi[3] = {256, 104, 105};
  int64_t length = 77;
  EXPECT_EQ(bnn_tokenizer_decode(t.p, hi, 3, text, 1, &length), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "capacity must be at least 2 bytes, found 1"));
  EXPECT_EQ(bnn_tokenizer_decode(t.p, nullptr, 3, text, 8, &length), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null pointer for 3 tokens"));
  EXPECT_EQ(bnn_tokenizer_decode(t.p, hi, -2, text, 8, &length), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(bnn_tokenizer_decode(t.p, hi, 3, text, 8, nullptr), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(bnn_last_error(), "null length"));
  EXPECT_EQ(bnn_tokenizer_decode(nullptr, hi, 3, text, 8, &length), BNN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(length, 77);
}
