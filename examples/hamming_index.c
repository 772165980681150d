/* hamming_index.c - the runtime's Hamming index from C (bnn/bnn.h, bnn/bnn_index.h).
 *
 * Builds a projected index (256-bit codes of 32-float vectors), adds 10000 vectors, searches
 * the 5 nearest neighbours of a few of them, saves the index, loads it back (memory-mapped)
 * and checks that the loaded index answers the same. Compiled as C11 against the runtime alone
 * (BNNRuntimeAPI, no MLIR); run by ctest (test/Index).
 *
 *   hamming_index [path.bnnidx]
 */
#include "bnn/bnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 32
#define COUNT 10000
#define QUERIES 4
#define K 5

static int check(bnn_status status, const char *what) {
  if (status != BNN_STATUS_OK) {
    fprintf(stderr, "hamming_index: %s failed: %s: %s\n", what, bnn_status_name(status),
            bnn_last_error());
    return 0;
  }
  return 1;
}

/* A small deterministic generator for the example's vectors. */
static float next_float(unsigned long long *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((*state >> 40) & 0xFFFFFF) / 16777216.0f - 0.5f;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "hamming_index_example.bnnidx";
  if (bnn_abi_version() != BNN_ABI_VERSION) {
    fprintf(stderr, "hamming_index: library ABI %d, header ABI %d\n", bnn_abi_version(),
            BNN_ABI_VERSION);
    return 1;
  }
  float *vectors = malloc(sizeof(float) * DIM * COUNT);
  if (!vectors)
    return 1;
  unsigned long long state = 1;
  for (int i = 0; i < DIM * COUNT; ++i)
    vectors[i] = next_float(&state);

  bnn_index *index = NULL, *loaded = NULL;
  int ok = check(bnn_index_create_projected(256, DIM, 2026, &index), "create") &&
           check(bnn_index_add_floats(index, vectors, COUNT), "add");
  int32_t dist[QUERIES * K], dist2[QUERIES * K];
  int64_t idx[QUERIES * K], idx2[QUERIES * K];
  /* Queries: vectors 0, 100, 200, 300, each slightly perturbed. */
  float queries[QUERIES * DIM];
  for (int q = 0; q < QUERIES; ++q)
    for (int i = 0; i < DIM; ++i)
      queries[q * DIM + i] = vectors[(q * 100) * DIM + i] + 0.01f * next_float(&state);
  ok = ok && check(bnn_index_search_floats(index, queries, QUERIES, K, 2, dist, idx), "search");
  if (ok) {
    for (int q = 0; q < QUERIES; ++q) {
      printf("query %d:", q);
      for (int j = 0; j < K; ++j)
        printf(" %lld (d=%d)", (long long)idx[q * K + j], dist[q * K + j]);
      printf("\n");
      if (idx[q * K] != q * 100) {
        fprintf(stderr, "hamming_index: query %d's nearest code is %lld, expected %d\n", q,
                (long long)idx[q * K], q * 100);
        ok = 0;
      }
    }
  }
  ok = ok && check(bnn_index_save(index, path), "save") &&
       check(bnn_index_load(path, &loaded), "load") &&
       check(bnn_index_search_floats(loaded, queries, QUERIES, K, 1, dist2, idx2),
             "search (loaded)");
  if (ok && (bnn_index_size(loaded) != COUNT || memcmp(dist, dist2, sizeof dist) != 0 ||
             memcmp(idx, idx2, sizeof idx) != 0)) {
    fprintf(stderr, "hamming_index: the loaded index answers differently\n");
    ok = 0;
  }
  /* An error: k = 0 is refused with a message. */
  if (ok &&
      bnn_index_search_floats(index, queries, 1, 0, 1, dist, idx) != BNN_STATUS_INVALID_ARGUMENT) {
    fprintf(stderr, "hamming_index: k = 0 was accepted\n");
    ok = 0;
  }
  if (ok)
    printf("saved and loaded %s: %lld codes of %lld bits; error example: %s\n", path,
           (long long)bnn_index_size(loaded), (long long)bnn_index_code_bits(loaded),
           bnn_last_error());
  bnn_index_destroy(loaded);
  bnn_index_destroy(index);
  free(vectors);
  remove(path);
  return ok ? 0 : 1;
}
