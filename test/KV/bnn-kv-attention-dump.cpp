//===- bnn-kv-attention-dump.cpp - attention over the KV-cache, dumped ----===//
//
// Test helper of kv_attention_torch.py: fills a KV-cache with seeded random K/V (a prompt, then
// decode steps), runs bnn::ref::pagedAttention after every append, and writes everything to a
// file so that PyTorch can recompute the attention from the specification (docs/KVCache.md).
//
// File: one text line "BNNKVDUMP1 <format> <score> <heads> <kv_heads> <head_dim> <page_size>
// <window> <prompt> <steps>\n", then for each call (the prompt, then each step; T = prompt or
// 1) four little-endian float32 arrays: k [T][kv_heads][head_dim], v (same), q
// [T][heads][head_dim], out [T][heads][head_dim]. The attention is of layer 1 of 2.
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/PagedAttention.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

const char *kUsage =
    "usage: bnn-kv-attention-dump FORMAT SCORE HEADS KV_HEADS HEAD_DIM PAGE_SIZE WINDOW PROMPT "
    "STEPS SEED OUT\n"
    "  FORMAT f32|f16|binary|binary-centred (center_keys), SCORE float|xnor; writes the appended "
    "K/V, the queries and\n"
    "  bnn::ref::pagedAttention's outputs of a seeded prompt + STEPS decode steps to OUT\n"
    "  (format in the source's header). Exit 1 on bad arguments or a failing call.\n";

bool toInt(const char *s, int64_t lo, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > 100000)
    return false;
  out = v;
  return true;
}

int die(const std::string &msg) {
  std::fprintf(stderr, "bnn-kv-attention-dump: %s\n", msg.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc != 12)
    return die("expected 11 arguments, found " + std::to_string(argc - 1) + " (see --help)");
  const std::string format = argv[1], score = argv[2];
  bnn_kv_config c{};
  c.num_layers = 2;
  if (format == "f32")
    c.format = BNN_KV_F32;
  else if (format == "f16")
    c.format = BNN_KV_F16;
  else if (format == "binary")
    c.format = BNN_KV_BINARY;
  else if (format == "binary-centred") {
    c.format = BNN_KV_BINARY;
    c.center_keys = 1;
  } else
    return die("FORMAT must be f32, f16, binary or binary-centred, found '" + format + "'");
  if (score != "float" && score != "xnor")
    return die("SCORE must be float or xnor, found '" + score + "'");
  int64_t heads, prompt, steps, seed;
  const char *names[] = {"HEADS",  "KV_HEADS", "HEAD_DIM", "PAGE_SIZE",
                         "WINDOW", "PROMPT",   "STEPS",    "SEED"};
  int64_t *dst[] = {&heads,  &c.num_kv_heads, &c.head_dim, &c.page_size, &c.sliding_window,
                    &prompt, &steps,          &seed};
  for (int i = 0; i < 8; ++i)
    if (!toInt(argv[3 + i], i == 4 || i >= 6 ? 0 : 1, *dst[i]))
      return die(std::string(names[i]) + " must be an integer in range, found '" + argv[3 + i] +
                 "'");
  c.num_pages = (prompt + steps) / c.page_size + 2;
  c.max_sequences = 1;
  FILE *out = std::fopen(argv[11], "wb");
  if (!out)
    return die(std::string("cannot write '") + argv[11] + "': " + std::strerror(errno));
  std::fprintf(out, "BNNKVDUMP1 %s %s %lld %lld %lld %lld %lld %lld %lld\n", format.c_str(),
               score.c_str(), (long long)heads, (long long)c.num_kv_heads, (long long)c.head_dim,
               (long long)c.page_size, (long long)c.sliding_window, (long long)prompt,
               (long long)steps);
  bnn_kv_cache *cache = nullptr;
  int64_t seq = 0;
  if (bnn_kv_cache_create(&c, &cache) || bnn_kv_seq_add(cache, &seq))
    return die(bnn_last_error());
  std::mt19937_64 rng(static_cast<uint64_t>(seed));
  std::normal_distribution<float> g;
  auto random = [&](int64_t n) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float &e : x)
      e = g(rng);
    return x;
  };
  const auto mode = score == "xnor" ? bnn::ref::KVScore::XnorPopcount : bnn::ref::KVScore::Float;
  const int64_t row = c.num_kv_heads * c.head_dim;
  for (int64_t call = 0; call <= steps; ++call) {
    const int64_t T = call == 0 ? prompt : 1;
    if (T == 0)
      continue;
    std::vector<float> k0 = random(T * row), v0 = random(T * row);
    std::vector<float> k = random(T * row), v = random(T * row);
    std::vector<float> q = random(T * heads * c.head_dim), o(q.size());
    if (bnn_kv_seq_reserve(cache, seq, T, nullptr) ||
        bnn_kv_append(cache, seq, 0, T, k0.data(), v0.data()) ||
        bnn_kv_append(cache, seq, 1, T, k.data(), v.data()) ||
        bnn::ref::pagedAttention(cache, seq, 1, q.data(), T, heads, mode, o.data()))
      return die(bnn_last_error());
    for (const std::vector<float> *a : {&k, &v, &q, &o})
      std::fwrite(a->data(), 4, a->size(), out);
  }
  bnn_kv_cache_destroy(cache);
  if (std::fclose(out) != 0)
    return die(std::string("cannot write '") + argv[11] + "'");
  return 0;
}
