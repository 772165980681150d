/* bnn_sampler.h - the seeded token sampler (part of bnn/bnn.h).
 *
 * A sampler turns one row of logits (vocab floats) into a token id. It applies, in this order
 * (docs/RuntimeAPI.md, "The sampler", gives every step exactly):
 *   1. repetition penalty (CTRL / Hugging Face rule) on the tokens of the recent history,
 *   2. greedy when the temperature is 0: the arg-max after step 1, ties to the smaller id, no draw;
 *   3. top-k by logit (descending, ties by the smaller id), 4. temperature: the weights
 *      exp((z - max) / T), 5. top-p (nucleus), 6. min-p,
 *   7. one draw from the sampler's xoshiro256** generator, inverted through the cumulative
 *      weights of the kept tokens summed in ascending token id order.
 * All arithmetic is IEEE double with bnn's own exp (not the platform's), so a seed gives the
 * same tokens on every machine. Logits may be -INFINITY (the token is excluded); NaN or
 * +INFINITY is an error. A handle is used from one thread at a time.
 */
#ifndef BNN_BNN_SAMPLER_H
#define BNN_BNN_SAMPLER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on bnn_sampler_config.repetition_penalty (a penalised logit stays finite). */
#define BNN_SAMPLER_MIN_PENALTY 1e-6
#define BNN_SAMPLER_MAX_PENALTY 1e6

typedef struct bnn_sampler_config {
  uint64_t seed;             /* seeds the generator (bnn_sampler_reseed restarts it) */
  double temperature;        /* >= 0 and finite; 0: greedy */
  int64_t top_k;             /* >= 0; 0: off (every token) */
  double top_p;              /* in (0, 1]; 1: off */
  double min_p;              /* in [0, 1]; 0: off */
  double repetition_penalty; /* in [BNN_SAMPLER_MIN_PENALTY, BNN_SAMPLER_MAX_PENALTY]; 1: off */
  int64_t penalty_window;    /* >= 0: the last penalty_window history tokens; 0: all of them */
} bnn_sampler_config;

typedef struct bnn_sampler bnn_sampler;

/* Fills config with the neutral settings: seed 0, temperature 1, top_k 0, top_p 1, min_p 0,
 * repetition_penalty 1, penalty_window 0 (plain sampling from the softmax). */
void bnn_sampler_config_default(bnn_sampler_config *config);

/* Checks config (each bad field is BNN_STATUS_INVALID_ARGUMENT naming it) and creates a
 * sampler whose generator is seeded from config->seed. */
bnn_status bnn_sampler_create(const bnn_sampler_config *config, bnn_sampler **out);

void bnn_sampler_destroy(bnn_sampler *sampler);

/* The sampler's configuration (its seed is the one it was created or last reseeded with). */
bnn_status bnn_sampler_get_config(const bnn_sampler *sampler, bnn_sampler_config *config);

/* Restarts the generator from seed, as if the sampler had been created with it. */
bnn_status bnn_sampler_reseed(bnn_sampler *sampler, uint64_t seed);

/* Samples one token from logits[0..vocab) given the history (the prompt and the tokens
 * generated so far, oldest first; ids in [0, vocab); may be NULL when history_len is 0).
 * A non-greedy call advances the generator by exactly one 64-bit draw; a greedy one not at all.
 * Errors: a null pointer, vocab outside [1, INT32_MAX], negative history_len, NaN or +inf
 * logits, no logit above -inf (BNN_STATUS_INVALID_ARGUMENT); a history id outside [0, vocab)
 * (BNN_STATUS_OUT_OF_RANGE). On error *token is untouched and the generator does not move. */
bnn_status bnn_sampler_sample(bnn_sampler *sampler, const float *logits, int64_t vocab,
                              const int32_t *history, int64_t history_len, int32_t *token);

/* The distribution bnn_sampler_sample draws from for the same arguments: probs[0..vocab),
 * zero outside the kept tokens, the kept tokens' weights divided by their sum (one-hot at the
 * arg-max when greedy). Does not touch the generator. Errors as bnn_sampler_sample. */
bnn_status bnn_sampler_distribution(const bnn_sampler *sampler, const float *logits, int64_t vocab,
                                    const int32_t *history, int64_t history_len, double *probs);

#ifdef __cplusplus
}
#endif

#endif /* BNN_BNN_SAMPLER_H */
