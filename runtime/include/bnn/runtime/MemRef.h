/*===- MemRef.h - runtime support symbols of compiled bnn code --------*- C -*-===*
 *
 * Compiled bnn code follows MLIR's memref ABI; the few runtime functions that ABI calls are
 * provided here, so that generated objects link against the bnn runtime alone (no MLIR).
 *
 *===----------------------------------------------------------------------===*/

#ifndef BNN_RUNTIME_MEMREF_H
#define BNN_RUNTIME_MEMREF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An unranked memref as passed by compiled code: rank, then a pointer to the ranked descriptor
 * { base, data, offset, sizes[rank], strides[rank] }. */
typedef struct {
  int64_t rank;
  void *descriptor;
} BnnUnrankedMemRef;

/* Copies the elements of `source` into `target` (same shape, any strides), element size
 * `elementSize` bytes. Called by compiled code for memref.copy between strided views. */
void memrefCopy(int64_t elementSize, BnnUnrankedMemRef *source, BnnUnrankedMemRef *target);

#ifdef __cplusplus
}
#endif

#endif /* BNN_RUNTIME_MEMREF_H */
