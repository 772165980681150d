//===- MemRef.cpp - memref ABI support for compiled bnn code --------------===//

#include "bnn/runtime/MemRef.h"

#include <cstdlib>
#include <cstring>

namespace {

struct Descriptor {
  char *base;
  char *data;
  int64_t offset;
  // sizes[rank], strides[rank] follow.
};

const int64_t *sizesOf(const BnnUnrankedMemRef *m) {
  return reinterpret_cast<const int64_t *>(static_cast<const char *>(m->descriptor) +
                                           sizeof(Descriptor));
}
const int64_t *stridesOf(const BnnUnrankedMemRef *m) { return sizesOf(m) + m->rank; }

} // namespace

extern "C" void memrefCopy(int64_t elementSize, BnnUnrankedMemRef *source,
                           BnnUnrankedMemRef *target) {
  const auto *src = static_cast<const Descriptor *>(source->descriptor);
  const auto *dst = static_cast<const Descriptor *>(target->descriptor);
  int64_t rank = source->rank;
  const int64_t *sizes = sizesOf(source);
  const int64_t *srcStrides = stridesOf(source), *dstStrides = stridesOf(target);
  const char *srcBase = src->data + src->offset * elementSize;
  char *dstBase = dst->data + dst->offset * elementSize;
  if (rank == 0) {
    std::memcpy(dstBase, srcBase, elementSize);
    return;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (sizes[i] == 0)
      return;
  // Odometer over all but the innermost dimension; the innermost is one memcpy when both
  // sides are contiguous there.
  // No C++ library calls here: a C program links the generated object with this library and
  // nothing else (no -lstdc++).
  int64_t stackIndex[16] = {0};
  int64_t *index = rank <= 16 ? stackIndex
                              : static_cast<int64_t *>(std::calloc(rank, sizeof(int64_t)));
  int64_t inner = sizes[rank - 1];
  bool contiguous = srcStrides[rank - 1] == 1 && dstStrides[rank - 1] == 1;
  while (true) {
    int64_t srcOffset = 0, dstOffset = 0;
    for (int64_t i = 0; i + 1 < rank; ++i) {
      srcOffset += index[i] * srcStrides[i];
      dstOffset += index[i] * dstStrides[i];
    }
    if (contiguous) {
      std::memcpy(dstBase + dstOffset * elementSize, srcBase + srcOffset * elementSize,
                  inner * elementSize);
    } else {
      for (int64_t j = 0; j < inner; ++j)
        std::memcpy(dstBase + (dstOffset + j * dstStrides[rank - 1]) * elementSize,
                    srcBase + (srcOffset + j * srcStrides[rank - 1]) * elementSize, elementSize);
    }
    int64_t dim = rank - 2;
    while (dim >= 0 && ++index[dim] == sizes[dim])
      index[dim--] = 0;
    if (dim < 0) {
      if (index != stackIndex)
        std::free(index);
      return;
    }
  }
}
