/* bnn_kv.h - the paged KV-cache (part of bnn/bnn.h; design and layouts in docs/KVCache.md).
 *
 * A cache owns a pool of num_pages pages. A page holds the keys and values of page_size
 * consecutive token positions of one sequence, for every layer and KV head. A sequence is a
 * block table: the ids of its pages in position order. Pages are reference counted: a forked
 * sequence shares its parent's pages, and the partial last page is copied when either of them
 * appends into it (copy on write), so writes only ever go to pages owned by one sequence.
 *
 * Writing one step (what a compiled prefill or decode step does):
 *   1. bnn_kv_seq_reserve(cache, seq, T, &first): room for T more positions first..first+T-1,
 *      for every layer at once. This is the only call that allocates pages (and copies a shared
 *      last page); it is all-or-nothing: BNN_STATUS_CAPACITY and nothing changed when the pool
 *      cannot hold them.
 *   2. for each layer l: bnn_kv_append(cache, seq, l, T, k, v) writes that layer's K/V of the
 *      reserved positions (in one call or in several chunks, in position order), converting them
 *      to the cache's format. It never allocates. Attention of layer l may read positions up to
 *      the last one written for l (bnn_kv_seq_layer_length).
 * The next reserve and a fork need every layer written up to the length (gather and attention
 * see a layer's written positions only). Positions are absolute: RoPE (or any position encoding) is applied by the caller to
 * the keys before they are appended.
 *
 * Sliding window (sliding_window = W > 0): a query at position p sees the keys of positions
 * p-W+1 .. p. When a reserve starts at position L, pages wholly below L-W+1 are no longer
 * needed by any later query and leave the sequence's block table (returned to the pool when no
 * other sequence holds them). Positions stay absolute; the block table says where it starts.
 *
 * Formats (element layouts byte by byte in docs/KVCache.md):
 *   BNN_KV_F32    4 bytes per element.
 *   BNN_KV_F16    IEEE binary16, rounded to nearest even on append (overflow -> +-inf).
 *   BNN_KV_BINARY per (token, head): sign bits of the head_dim channels packed by the bit
 *                 contract (ceil(head_dim/64) uint64 words, LSB first, +1 -> bit 1, sign(0) = +1,
 *                 padding zero) and one float scale = mean |x| over the head's channels; the
 *                 stored vector reads back as scale * sign(x). Optionally keys are centred
 *                 by a frozen per-channel mean first (center_keys, below).
 *
 * Page memory: for page P and layer l, bnn_kv_page_data gives the K block and the V block, each
 * laid out head-major: [kv_heads][page_size] tokens of the format's element rows (binary: all
 * sign rows, then all scales). Slot s of a page is position first_position + i*page_size + s of
 * the block table entry i.
 *
 * Threads: a cache may be read (block table, page data, gather, stats) from several threads at
 * once, and bnn_kv_append to *different* sequences may run concurrently with each other and
 * with reads of other sequences; create/destroy, seq_add, seq_fork, seq_free and seq_reserve
 * need exclusive use of the cache.
 */
#ifndef BNN_BNN_KV_H
#define BNN_BNN_KV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BNN_KV_MAX_HEAD_DIM 65536 /* channels per head */

typedef enum bnn_kv_format { BNN_KV_F32 = 0, BNN_KV_F16 = 1, BNN_KV_BINARY = 2 } bnn_kv_format;

typedef struct bnn_kv_config {
  int64_t num_layers;     /* >= 1 */
  int64_t num_kv_heads;   /* >= 1 */
  int64_t head_dim;       /* 1 .. BNN_KV_MAX_HEAD_DIM */
  int64_t page_size;      /* tokens per page, >= 1 */
  int64_t num_pages;      /* pages in the pool, >= 1 */
  int64_t max_sequences;  /* sequence slots, >= 1; ids are 0 .. max_sequences-1 */
  int64_t sliding_window; /* 0: off; W > 0: a query sees its W most recent positions */
  int32_t format;         /* a bnn_kv_format (an int32 so that any value is defined) */
  int32_t center_keys;    /* BNN_KV_BINARY only, 0 or 1: keys are centred before binarizing */
} bnn_kv_config;

/* Key centring (center_keys = 1, binary only): at a sequence's first bnn_kv_append of a layer,
 * the mean of that call's keys per (head, channel) is frozen for the sequence (inherited by
 * forks; the prefill is the natural first append), and every key of the layer is stored as
 * binary(k - mean). It reads back (bnn_kv_gather) as mean + scale * sign(k - mean). Scores
 * need no mean: q . mean is the same for every key of a query, so softmax ignores it; the
 * mean is available from bnn_kv_seq_key_mean. */

typedef struct bnn_kv_cache bnn_kv_cache;

/* A cache with an empty pool of config->num_pages pages (allocated and zeroed here). */
bnn_status bnn_kv_cache_create(const bnn_kv_config *config, bnn_kv_cache **out);
void bnn_kv_cache_destroy(bnn_kv_cache *cache);

/* The configuration the cache was created with. */
bnn_status bnn_kv_cache_config(const bnn_kv_cache *cache, bnn_kv_config *out);

/* Bytes of one page (all layers, K and V) and of one layer's K block (= its V block) in it. */
bnn_status bnn_kv_page_bytes(const bnn_kv_cache *cache, int64_t *page_bytes, int64_t *block_bytes);

/* A new, empty sequence: its id (the lowest free slot) in *seq. CAPACITY when every slot is in
 * use. An id is reused after bnn_kv_seq_free. */
bnn_status bnn_kv_seq_add(bnn_kv_cache *cache, int64_t *seq);

/* A new sequence *child holding the same positions as parent: it shares every page of the
 * parent (reference counts go up; no copy now). Every layer of the parent must be written up to
 * its length. CAPACITY when no slot is free. */
bnn_status bnn_kv_seq_fork(bnn_kv_cache *cache, int64_t parent, int64_t *child);

/* Releases the sequence: its pages' reference counts go down, pages no longer held return to
 * the pool, and its id becomes free. */
bnn_status bnn_kv_seq_free(bnn_kv_cache *cache, int64_t seq);

/* Positions reserved in the sequence (0 .. length-1). */
bnn_status bnn_kv_seq_length(const bnn_kv_cache *cache, int64_t seq, int64_t *length);

/* Positions whose K/V of layer are written (0 .. written-1; <= the length). */
bnn_status bnn_kv_seq_layer_length(const bnn_kv_cache *cache, int64_t seq, int64_t layer,
                                   int64_t *written);

/* Makes room for ntokens (>= 1) more positions; *first_position (may be NULL) is the first of
 * them (the old length). Allocates pages, copies a shared partial last page, and applies the
 * sliding window (above). Needs every layer written up to the old length. All-or-nothing:
 * CAPACITY (and no change) when the free pages plus the pages the window releases do not
 * cover what the new positions need. */
bnn_status bnn_kv_seq_reserve(bnn_kv_cache *cache, int64_t seq, int64_t ntokens,
                              int64_t *first_position);

/* Writes layer's keys and values of the next ntokens positions of that layer (from
 * bnn_kv_seq_layer_length onwards), which must be reserved. k and v are
 * [ntokens][num_kv_heads][head_dim] floats, all finite; they are converted to the format.
 * All-or-nothing: a bad argument writes nothing. */
bnn_status bnn_kv_append(bnn_kv_cache *cache, int64_t seq, int64_t layer, int64_t ntokens,
                         const float *k, const float *v);

/* Where the sequence's kept positions are. */
typedef struct bnn_kv_block_table_info {
  int64_t length;         /* positions reserved: 0 .. length-1 */
  int64_t first_position; /* first kept position, a multiple of page_size (0 without window) */
  int64_t num_pages;      /* ceil((length - first_position) / page_size) block table entries */
} bnn_kv_block_table_info;

/* The sequence's block table: *info, and when page_ids is not NULL its num_pages page ids
 * (capacity must be >= num_pages). Entry i holds positions first_position + i*page_size ..
 * first_position + (i+1)*page_size - 1. Valid until the next reserve, fork or free. */
bnn_status bnn_kv_block_table(const bnn_kv_cache *cache, int64_t seq, int64_t *page_ids,
                              int64_t capacity, bnn_kv_block_table_info *info);

/* The K and V blocks of layer in page (layouts above and in docs/KVCache.md). The pointers
 * stay valid until the cache is destroyed (the page's content changes when it is reused). */
bnn_status bnn_kv_page_data(const bnn_kv_cache *cache, int64_t page, int64_t layer, const void **k,
                            const void **v);

/* Dense float copy of layer's kept, written positions first_position .. written-1 (as
 * bnn_kv_block_table and bnn_kv_seq_layer_length report): k_out and v_out receive
 * [n][num_kv_heads][head_dim] floats, dequantized (binary: scale * sign). max_tokens is the
 * room in k_out/v_out, in tokens; *num_tokens (may be NULL) receives n. */
bnn_status bnn_kv_gather(const bnn_kv_cache *cache, int64_t seq, int64_t layer, int64_t max_tokens,
                         float *k_out, float *v_out, int64_t *num_tokens);

/* The frozen key mean of layer ([num_kv_heads][head_dim] floats), or *mean = NULL when the
 * cache does not centre keys or the layer has not been appended to yet. Valid until the
 * sequence is freed. */
bnn_status bnn_kv_seq_key_mean(const bnn_kv_cache *cache, int64_t seq, int64_t layer,
                               const float **mean);

typedef struct bnn_kv_stats {
  int64_t pages_total;  /* the pool: num_pages */
  int64_t pages_used;   /* held by at least one sequence */
  int64_t pages_shared; /* held by more than one sequence (reference count > 1) */
  int64_t bytes_used;   /* pages_used * page bytes */
  int64_t sequences;    /* live sequences */
} bnn_kv_stats;

bnn_status bnn_kv_get_stats(const bnn_kv_cache *cache, bnn_kv_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* BNN_BNN_KV_H */
