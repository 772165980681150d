/* bnn_index.h - exact Hamming k-NN index over packed binary codes (part of bnn/bnn.h).
 *
 * An index holds codes of a fixed length in bits (1 to BNN_INDEX_MAX_CODE_BITS), packed by the
 * bit contract: ceil(bits / 64) uint64 words per code, bit i of a code in word i / 64 at bit
 * i % 64 (LSB first), padding bits zero. Search returns, for each query, the k codes nearest by
 * Hamming distance, ascending, ties broken by the smaller index (FAISS IndexBinaryFlat's order);
 * entries past the index's size get distance INT32_MAX and index -1.
 *
 * An index may carry a projection (Gaussian random hyperplanes, docs/HammingIndex.md): float
 * vectors of its input dimension are encoded as bit j = (dot(P[j], x) > 0), so floats can be
 * added and searched directly.
 *
 * Files (bnn_index_save / bnn_index_load) follow the format in docs/HammingIndex.md; the
 * loader checks every field and a checksum, and maps the codes read-only (no copy).
 * A handle may be searched from several threads at once; adding needs exclusive use.
 */
#ifndef BNN_BNN_INDEX_H
#define BNN_BNN_INDEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BNN_INDEX_MAX_CODE_BITS 65536   /* 8 KiB per code */
#define BNN_INDEX_MAX_INPUT_DIM 1048576 /* projection input dimension */

typedef struct bnn_index bnn_index;

/* An empty index of codes of code_bits bits (no projection). */
bnn_status bnn_index_create(int64_t code_bits, bnn_index **out);

/* An empty index with a projection from input_dim floats to code_bits bits, generated from
 * seed (the same seed gives the same hyperplanes). */
bnn_status bnn_index_create_projected(int64_t code_bits, int64_t input_dim, uint64_t seed,
                                      bnn_index **out);

void bnn_index_destroy(bnn_index *index);

int64_t bnn_index_code_bits(const bnn_index *index);  /* 0 for NULL */
int64_t bnn_index_code_words(const bnn_index *index); /* uint64 words per code */
int64_t bnn_index_size(const bnn_index *index);       /* codes held */
int64_t bnn_index_input_dim(const bnn_index *index);  /* 0 without a projection */

/* Appends count packed codes (count x code_words words); their indices continue from size. */
bnn_status bnn_index_add(bnn_index *index, const uint64_t *codes, int64_t count);

/* Encodes count float vectors (count x input_dim, finite) through the projection into codes
 * (count x code_words words). */
bnn_status bnn_index_encode(const bnn_index *index, const float *vectors, int64_t count,
                            uint64_t *codes);

/* Encodes and appends count float vectors. */
bnn_status bnn_index_add_floats(bnn_index *index, const float *vectors, int64_t count);

/* The k nearest codes of each of num_queries packed queries: distances and indices are
 * num_queries x k. threads <= 0: all hardware threads. Results do not depend on threads. */
bnn_status bnn_index_search(const bnn_index *index, const uint64_t *queries, int64_t num_queries,
                            int64_t k, int32_t threads, int32_t *distances, int64_t *indices);

/* As bnn_index_search, with float queries encoded through the projection. */
bnn_status bnn_index_search_floats(const bnn_index *index, const float *queries,
                                   int64_t num_queries, int64_t k, int32_t threads,
                                   int32_t *distances, int64_t *indices);

/* Writes the index to path (docs/HammingIndex.md), replacing the file. */
bnn_status bnn_index_save(const bnn_index *index, const char *path);

/* Reads an index from path; the codes stay memory-mapped read-only until destroy (adding to a
 * loaded index copies them first). */
bnn_status bnn_index_load(const char *path, bnn_index **out);

/* Reads an index from size bytes at data (copied), as bnn_index_load reads a file. */
bnn_status bnn_index_load_buffer(const void *data, int64_t size, bnn_index **out);

#ifdef __cplusplus
}
#endif

#endif /* BNN_BNN_INDEX_H */
