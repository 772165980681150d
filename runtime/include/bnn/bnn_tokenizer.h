/* bnn_tokenizer.h - the byte-level tokenizer (part of bnn/bnn.h).
 *
 * Token ids 0..255 are the bytes of the text (UTF-8 or anything else: bytes pass through
 * unchanged). A tokenizer is created for a model's vocabulary size (at least 256) and may
 * name a BOS (beginning of sequence) and an EOS (end of sequence) id, each either -1 (none) or
 * an id in [256, vocab_size) that is not the other one. Ids from 256 up that are neither BOS
 * nor EOS have no text: decoding them is BNN_STATUS_OUT_OF_RANGE. docs/RuntimeAPI.md,
 * "The byte-level tokenizer".
 */
#ifndef BNN_BNN_TOKENIZER_H
#define BNN_BNN_TOKENIZER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of bnn_tokenizer_encode. */
#define BNN_TOKENIZER_ADD_BOS 1 /* put the BOS id first (the tokenizer must have one) */
#define BNN_TOKENIZER_ADD_EOS 2 /* put the EOS id last (the tokenizer must have one) */

typedef struct bnn_tokenizer bnn_tokenizer;

/* A byte-level tokenizer for a vocabulary of vocab_size ids (256 to INT32_MAX); bos_id and
 * eos_id are -1 or distinct ids in [256, vocab_size). */
bnn_status bnn_tokenizer_create_bytes(int64_t vocab_size, int32_t bos_id, int32_t eos_id,
                                      bnn_tokenizer **out);

void bnn_tokenizer_destroy(bnn_tokenizer *tokenizer);

int64_t bnn_tokenizer_vocab_size(const bnn_tokenizer *tokenizer); /* 0 for NULL */
int32_t bnn_tokenizer_bos_id(const bnn_tokenizer *tokenizer);     /* -1: none (or NULL) */
int32_t bnn_tokenizer_eos_id(const bnn_tokenizer *tokenizer);     /* -1: none (or NULL) */

/* Encodes text_len bytes of text (text may be NULL when text_len is 0; NUL bytes are bytes
 * like any other) into token ids, with BOS/EOS as flags ask. *count is set to the number of
 * ids. With tokens NULL nothing is written but *count (ask first, then allocate); otherwise
 * capacity must be at least that number. */
bnn_status bnn_tokenizer_encode(const bnn_tokenizer *tokenizer, const char *text, int64_t text_len,
                                int32_t flags, int32_t *tokens, int64_t capacity, int64_t *count);

/* Decodes count ids into bytes: ids 0..255 become their byte, BOS and EOS no byte; any other
 * id (negative, beyond the vocabulary, or a non-byte id that is neither BOS nor EOS) is
 * BNN_STATUS_OUT_OF_RANGE naming its position. *length is set to the number of bytes; no NUL
 * terminator is added. With text NULL only *length is set; otherwise capacity must be at
 * least that number. */
bnn_status bnn_tokenizer_decode(const bnn_tokenizer *tokenizer, const int32_t *tokens,
                                int64_t count, char *text, int64_t capacity, int64_t *length);

#ifdef __cplusplus
}
#endif

#endif /* BNN_BNN_TOKENIZER_H */
