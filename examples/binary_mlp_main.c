/* Embeds the ahead-of-time compiled binary MLP (bnn-compile examples/binary_mlp.mlir) in a
 * plain C program: no MLIR, only the generated object, its header and the bnn runtime.
 *
 *   binary_mlp_main INPUT.bin EXPECTED.bin [repetitions]
 *
 * Runs the model on INPUT (4 x 64 f32), prints each output next to EXPECTED (the reference
 * computed by examples/gen_binary_mlp.py) and the time per inference; exits 1 unless every
 * output matches the reference bit for bit. */

#include "binary_mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kBatch = 4, kIn = 64, kOut = 10 };

static int readFloats(const char *path, float *values, size_t count) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    fprintf(stderr, "binary_mlp_main: cannot open %s\n", path);
    return 0;
  }
  size_t got = fread(values, sizeof(float), count, file);
  int extra = fgetc(file) != EOF;
  fclose(file);
  if (got != count || extra) {
    fprintf(stderr, "binary_mlp_main: %s must hold exactly %zu floats\n", path, count);
    return 0;
  }
  return 1;
}

static double seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + now.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s INPUT.bin EXPECTED.bin [repetitions]\n", argv[0]);
    return 2;
  }
  static float input[kBatch * kIn], expected[kBatch * kOut], output[kBatch * kOut];
  if (!readFloats(argv[1], input, kBatch * kIn) || !readFloats(argv[2], expected, kBatch * kOut))
    return 2;
  int repetitions = argc > 3 ? atoi(argv[3]) : 1000;
  if (repetitions < 1)
    repetitions = 1;

  bnn_mlp(input, output); /* warm-up: first-touch and thread start-up */
  double start = seconds();
  for (int r = 0; r < repetitions; ++r)
    bnn_mlp(input, output);
  double perRun = (seconds() - start) / repetitions;

  int mismatches = 0;
  printf("%-5s %-4s %14s %14s\n", "row", "col", "bnn", "reference");
  for (int m = 0; m < kBatch; ++m)
    for (int n = 0; n < kOut; ++n) {
      float got = output[m * kOut + n], want = expected[m * kOut + n];
      int same = memcmp(&got, &want, sizeof(float)) == 0;
      mismatches += !same;
      printf("%-5d %-4d %14.7g %14.7g%s\n", m, n, got, want, same ? "" : "   <-- MISMATCH");
    }
  printf("%d of %d outputs bit-identical to the reference; %.2f us per inference (batch %d, "
         "mean of %d)\n",
         kBatch * kOut - mismatches, kBatch * kOut, perRun * 1e6, kBatch, repetitions);
  return mismatches ? 1 : 0;
}
