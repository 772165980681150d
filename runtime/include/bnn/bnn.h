/* bnn runtime C API (C11; the library links no MLIR or LLVM).
 *
 * Conventions shared by every part of the API (see docs/RuntimeAPI.md):
 *  - Objects are opaque handles created by bnn_<thing>_create/_open/_load and released by
 *    bnn_<thing>_destroy (destroying NULL is a no-op).
 *  - Every function that can fail returns a bnn_status; BNN_OK is 0. Results come back through
 *    out-parameters, which are left untouched on failure.
 *  - bnn_last_error() returns a message describing the most recent failure on the calling
 *    thread (what was expected, what was found); it stays valid until the next failing call on
 *    that thread.
 *  - Sizes and counts are int64_t and checked: negative or overflowing values are
 *    BNN_STATUS_INVALID_ARGUMENT, never a crash.
 *
 * The parts of the API live in their own headers (bnn/bnn_<part>.h), each included at the end
 * of this one; the error helpers for implementing them are in bnn/runtime/Status.h (C++).
 */
#ifndef BNN_BNN_H
#define BNN_BNN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a declaration in these headers changes incompatibly. */
#define BNN_ABI_VERSION 1

typedef enum bnn_status {
  BNN_STATUS_OK = 0,
  BNN_STATUS_INVALID_ARGUMENT = 1, /* a null handle or pointer, a bad size, a bad option */
  BNN_STATUS_OUT_OF_MEMORY = 2,    /* an allocation failed */
  BNN_STATUS_IO_ERROR = 3,         /* a file could not be opened, read, mapped or written */
  BNN_STATUS_BAD_FORMAT = 4,       /* a file's bytes do not follow its documented format */
  BNN_STATUS_OUT_OF_RANGE = 5,     /* an index, token id or position beyond its limit */
  BNN_STATUS_CAPACITY = 6,         /* a fixed pool (pages, slots) is full */
  BNN_STATUS_UNSUPPORTED = 7,      /* valid, but not implemented for this kind or target */
  BNN_STATUS_NOT_FOUND = 8,        /* a named function, tensor or entry does not exist */
  BNN_STATUS_INTERNAL = 9,         /* a bug in bnn: please report it */
  /* Not a status: makes the enum int-sized with the whole int range valid, so a value from a
   * newer library (or any int a caller casts) is a valid bnn_status, not undefined behaviour. */
  BNN_STATUS_FORCE_INT32_ = 0x7fffffff
} bnn_status;

/* The ABI version the library was built with (compare with BNN_ABI_VERSION). */
int bnn_abi_version(void);

/* A fixed, static name of a status ("ok", "invalid argument", ...). */
const char *bnn_status_name(bnn_status status);

/* The message of the most recent failure on this thread ("" when none). */
const char *bnn_last_error(void);

#ifdef __cplusplus
}
#endif

/* The parts of the API. */
#include "bnn/bnn_index.h"
#include "bnn/bnn_kv.h"
#include "bnn/bnn_sampler.h"
#include "bnn/bnn_tokenizer.h"

#endif /* BNN_BNN_H */
