//===- Tokenizer.cpp - the byte-level tokenizer of the C API (bnn/bnn_tokenizer.h) -===//
//
// Ids 0..255 are bytes; optional BOS/EOS ids above them carry no text (docs/RuntimeAPI.md,
// "The byte-level tokenizer").
//
//===----------------------------------------------------------------------===//

#include "bnn/bnn.h"
#include "bnn/runtime/Status.h"

#include <limits>
#include <string>

using bnn::fail;

struct bnn_tokenizer {
  int64_t vocab = 0;
  int32_t bos = -1, eos = -1;
};

namespace {

constexpr int64_t kByteIds = 256;

bnn_status checkSpecial(const char *fn, const char *name, int32_t id, int64_t vocab) {
  if (id == -1 || (id >= kByteIds && id < vocab))
    return BNN_STATUS_OK;
  return fail(BNN_STATUS_INVALID_ARGUMENT,
              std::string(fn) + ": " + name + " must be -1 (none) or an id in [256, " +
                  std::to_string(vocab) + ") (ids 0..255 are bytes), found " + std::to_string(id));
}

bnn_status checkBuffer(const char *fn, const char *what, int64_t size, const void *ptr) {
  if (size < 0)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": " + what + " must be >= 0, found " + std::to_string(size));
  if (size > 0 && !ptr)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": null pointer for " + std::to_string(size) + " " + what);
  return BNN_STATUS_OK;
}

} // namespace

extern "C" bnn_status bnn_tokenizer_create_bytes(int64_t vocab_size, int32_t bos_id, int32_t eos_id,
                                                 bnn_tokenizer **out) {
  const char *fn = "bnn_tokenizer_create_bytes";
  return bnn::guardedCall(fn, [&]() -> bnn_status {
    if (!out)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": null out");
    if (vocab_size < kByteIds || vocab_size > std::numeric_limits<int32_t>::max())
      return fail(BNN_STATUS_INVALID_ARGUMENT,
                  std::string(fn) + ": vocab_size must be 256 (one id per byte) to " +
                      std::to_string(std::numeric_limits<int32_t>::max()) + ", found " +
                      std::to_string(vocab_size));
    if (bnn_status s = checkSpecial(fn, "bos_id", bos_id, vocab_size))
      return s;
    if (bnn_status s = checkSpecial(fn, "eos_id", eos_id, vocab_size))
      return s;
    if (bos_id != -1 && bos_id == eos_id)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) +
                                                   ": bos_id and eos_id must "
                                                   "differ, both are " +
                                                   std::to_string(bos_id));
    auto *t = new bnn_tokenizer();
    t->vocab = vocab_size;
    t->bos = bos_id;
    t->eos = eos_id;
    *out = t;
    return BNN_STATUS_OK;
  });
}

extern "C" void bnn_tokenizer_destroy(bnn_tokenizer *tokenizer) { delete tokenizer; }

extern "C" int64_t bnn_tokenizer_vocab_size(const bnn_tokenizer *tokenizer) {
  return tokenizer ? tokenizer->vocab : 0;
}
extern "C" int32_t bnn_tokenizer_bos_id(const bnn_tokenizer *tokenizer) {
  return tokenizer ? tokenizer->bos : -1;
}
extern "C" int32_t bnn_tokenizer_eos_id(const bnn_tokenizer *tokenizer) {
  return tokenizer ? tokenizer->eos : -1;
}

extern "C" bnn_status bnn_tokenizer_encode(const bnn_tokenizer *tokenizer, const char *text,
                                           int64_t text_len, int32_t flags, int32_t *tokens,
                                           int64_t capacity, int64_t *count) {
  const char *fn = "bnn_tokenizer_encode";
  if (!tokenizer || !count)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": null " + (tokenizer ? "count" : "tokenizer"));
  if (bnn_status s = checkBuffer(fn, "text bytes", text_len, text))
    return s;
  if (flags & ~(BNN_TOKENIZER_ADD_BOS | BNN_TOKENIZER_ADD_EOS))
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) +
                    ": flags must combine BNN_TOKENIZER_ADD_BOS (1) and "
                    "BNN_TOKENIZER_ADD_EOS (2), found " +
                    std::to_string(flags));
  const bool addBos = flags & BNN_TOKENIZER_ADD_BOS, addEos = flags & BNN_TOKENIZER_ADD_EOS;
  if (addBos && tokenizer->bos < 0)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": BNN_TOKENIZER_ADD_BOS given, but the tokenizer has no "
                                  "bos_id (created with -1)");
  if (addEos && tokenizer->eos < 0)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": BNN_TOKENIZER_ADD_EOS given, but the tokenizer has no "
                                  "eos_id (created with -1)");
  int64_t needed = 0;
  if (__builtin_add_overflow(text_len, int64_t(addBos) + int64_t(addEos), &needed))
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": text_len " + std::to_string(text_len) + " overflows");
  if (tokens) {
    if (capacity < needed)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": capacity must be at least " +
                                                   std::to_string(needed) + " tokens, found " +
                                                   std::to_string(capacity));
    int64_t at = 0;
    if (addBos)
      tokens[at++] = tokenizer->bos;
    for (int64_t i = 0; i < text_len; ++i)
      tokens[at++] = static_cast<unsigned char>(text[i]);
    if (addEos)
      tokens[at++] = tokenizer->eos;
  }
  *count = needed;
  return BNN_STATUS_OK;
}

extern "C" bnn_status bnn_tokenizer_decode(const bnn_tokenizer *tokenizer, const int32_t *tokens,
                                           int64_t count, char *text, int64_t capacity,
                                           int64_t *length) {
  const char *fn = "bnn_tokenizer_decode";
  if (!tokenizer || !length)
    return fail(BNN_STATUS_INVALID_ARGUMENT,
                std::string(fn) + ": null " + (tokenizer ? "length" : "tokenizer"));
  if (bnn_status s = checkBuffer(fn, "tokens", count, tokens))
    return s;
  int64_t bytes = 0;
  for (int64_t i = 0; i < count; ++i) {
    const int32_t id = tokens[i];
    if (id >= 0 && id < kByteIds) {
      ++bytes;
      continue;
    }
    if (id < 0 || id >= tokenizer->vocab)
      return fail(BNN_STATUS_OUT_OF_RANGE,
                  std::string(fn) + ": tokens[" + std::to_string(i) + "] must be in [0, " +
                      std::to_string(tokenizer->vocab) + "), found " + std::to_string(id));
    if (id == tokenizer->bos || id == tokenizer->eos)
      continue; // specials carry no text (a missing one is -1, never reached here)
    return fail(BNN_STATUS_OUT_OF_RANGE,
                std::string(fn) + ": tokens[" + std::to_string(i) + "] = " + std::to_string(id) +
                    " has no text: byte ids are 0..255, BOS is " + std::to_string(tokenizer->bos) +
                    ", EOS is " + std::to_string(tokenizer->eos));
  }
  if (text) {
    if (capacity < bytes)
      return fail(BNN_STATUS_INVALID_ARGUMENT, std::string(fn) + ": capacity must be at least " +
                                                   std::to_string(bytes) + " bytes, found " +
                                                   std::to_string(capacity));
    int64_t at = 0;
    for (int64_t i = 0; i < count; ++i)
      if (tokens[i] >= 0 && tokens[i] < kByteIds)
        text[at++] = static_cast<char>(static_cast<unsigned char>(tokens[i]));
  }
  *length = bytes;
  return BNN_STATUS_OK;
}
