/* sampler.c - the runtime's byte-level tokenizer and seeded sampler from C (bnn/bnn.h,
 * bnn/bnn_tokenizer.h, bnn/bnn_sampler.h).
 *
 * Tokenizes a prompt (with BOS), then generates up to 24 tokens from fixed logits standing in
 * for a model: each step favours the byte that follows the previous one in the prompt, and EOS
 * grows likelier with every token. Sampling uses temperature, top-k, top-p and a repetition
 * penalty over the last 8 tokens; the tokens and their text are printed. It then checks that
 * the same seed gives the same tokens again and that greedy decoding follows the arg-max.
 * Compiled as C11 against the runtime alone (BNNRuntimeAPI, no MLIR); run by ctest
 * (test/Runtime).
 *
 *   sampler [prompt] [seed]
 */
#include "bnn/bnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCAB 258 /* 256 bytes, BOS, EOS */
#define BOS 256
#define EOS 257
#define MAX_NEW 24
#define MAX_TOKENS 512

static int check(bnn_status status, const char *what) {
  if (status != BNN_STATUS_OK) {
    fprintf(stderr, "sampler: %s failed: %s: %s\n", what, bnn_status_name(status),
            bnn_last_error());
    return 0;
  }
  return 1;
}

/* The stand-in model: logits for the token after `last`, given the prompt's bytes and the
 * number of tokens generated so far (EOS grows likelier with it). */
static void fake_logits(const int32_t *prompt, int64_t n, int32_t last, int generated,
                        float *logits) {
  for (int i = 0; i < VOCAB; ++i)
    logits[i] = -2.0f + 0.001f * (float)(i % 7);
  logits[BOS] = -1e30f; /* never generated (a finite logit, not -inf, to show both work) */
  for (int64_t i = 0; i < n; ++i)
    logits[prompt[i]] += 0.5f; /* the prompt's bytes are likelier */
  for (int64_t i = 0; i < n; ++i)
    if (prompt[i] == last)
      logits[prompt[(i + 1) % n]] += 4.0f; /* its successor in the prompt (cyclically) */
  logits[EOS] += 0.25f * (float)generated;
}

/* Generates after the tokens in seq[0..len); returns the new length (or -1 on error). */
static int64_t generate(bnn_sampler *sampler, int32_t *seq, int64_t len, const int32_t *prompt,
                        int64_t prompt_len) {
  float logits[VOCAB];
  for (int step = 0; step < MAX_NEW && len < MAX_TOKENS; ++step) {
    int32_t token = -1;
    fake_logits(prompt, prompt_len, seq[len - 1], step, logits);
    if (!check(bnn_sampler_sample(sampler, logits, VOCAB, seq, len, &token), "sample"))
      return -1;
    seq[len++] = token;
    if (token == EOS)
      break;
  }
  return len;
}

int main(int argc, char **argv) {
  const char *prompt_text = argc > 1 ? argv[1] : "hello, binary world";
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 2026;
  if (bnn_abi_version() != BNN_ABI_VERSION) {
    fprintf(stderr, "sampler: library ABI %d, header ABI %d\n", bnn_abi_version(), BNN_ABI_VERSION);
    return 1;
  }
  bnn_tokenizer *tokenizer = NULL;
  bnn_sampler *sampler = NULL, *greedy = NULL;
  int ok = check(bnn_tokenizer_create_bytes(VOCAB, BOS, EOS, &tokenizer), "tokenizer");
  int64_t text_len = (int64_t)strlen(prompt_text), count = 0;
  int32_t prompt[MAX_TOKENS], seq[MAX_TOKENS], again[MAX_TOKENS];
  ok = ok && check(bnn_tokenizer_encode(tokenizer, prompt_text, text_len, BNN_TOKENIZER_ADD_BOS,
                                        NULL, 0, &count),
                   "encode (count)");
  if (ok && count > MAX_TOKENS / 2) {
    fprintf(stderr, "sampler: the prompt is too long (%lld tokens)\n", (long long)count);
    ok = 0;
  }
  ok = ok && check(bnn_tokenizer_encode(tokenizer, prompt_text, text_len, BNN_TOKENIZER_ADD_BOS,
                                        prompt, MAX_TOKENS, &count),
                   "encode");
  if (ok) {
    printf("prompt tokens:");
    for (int64_t i = 0; i < count; ++i)
      printf(" %d", (int)prompt[i]);
    printf("\n");
  }

  bnn_sampler_config config;
  bnn_sampler_config_default(&config);
  config.seed = seed;
  config.temperature = 0.8;
  config.top_k = 8;
  config.top_p = 0.9;
  config.repetition_penalty = 1.1;
  config.penalty_window = 8;
  ok = ok && check(bnn_sampler_create(&config, &sampler), "create");

  int64_t len = -1, len2 = -1;
  if (ok) {
    memcpy(seq, prompt, sizeof(int32_t) * (size_t)count);
    len = generate(sampler, seq, count, prompt + 1, count - 1);
    ok = len >= 0;
  }
  if (ok) {
    char text[MAX_TOKENS + 1];
    int64_t text_out = 0;
    printf("generated tokens:");
    for (int64_t i = count; i < len; ++i)
      printf(" %d", (int)seq[i]);
    printf("\n");
    ok = check(
        bnn_tokenizer_decode(tokenizer, seq + count, len - count, text, MAX_TOKENS, &text_out),
        "decode");
    if (ok) {
      text[text_out] = '\0';
      printf("generated text: \"%s\"%s\n", text, seq[len - 1] == EOS ? " (EOS)" : "");
    }
  }
  /* The same seed gives the same tokens. */
  if (ok && check(bnn_sampler_reseed(sampler, seed), "reseed")) {
    memcpy(again, prompt, sizeof(int32_t) * (size_t)count);
    len2 = generate(sampler, again, count, prompt + 1, count - 1);
    if (len2 != len || memcmp(seq, again, sizeof(int32_t) * (size_t)len) != 0) {
      fprintf(stderr, "sampler: seed %llu gave other tokens the second time\n",
              (unsigned long long)seed);
      ok = 0;
    } else {
      printf("same seed, same tokens\n");
    }
  }
  /* Greedy decoding (temperature 0) takes the arg-max of the penalised logits. */
  config.temperature = 0.0;
  config.repetition_penalty = 1.0;
  if (ok && check(bnn_sampler_create(&config, &greedy), "create greedy")) {
    float logits[VOCAB];
    int32_t token = -1, best = 0;
    fake_logits(prompt + 1, count - 1, prompt[1], 0, logits);
    for (int i = 1; i < VOCAB; ++i)
      if (logits[i] > logits[best])
        best = i;
    ok = check(bnn_sampler_sample(greedy, logits, VOCAB, NULL, 0, &token), "greedy sample");
    if (ok && token != best) {
      fprintf(stderr, "sampler: greedy gave %d, the arg-max is %d\n", (int)token, (int)best);
      ok = 0;
    } else if (ok) {
      printf("greedy after %d: %d\n", (int)prompt[1], (int)token);
    }
  }
  bnn_sampler_destroy(greedy);
  bnn_sampler_destroy(sampler);
  bnn_tokenizer_destroy(tokenizer);
  return ok ? 0 : 1;
}
