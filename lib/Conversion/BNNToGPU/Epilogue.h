//===- Epilogue.h - the xnor_linear epilogue inside GPU kernels -*- C++ -*-===//
//
// Shared by the GEMV and GEMM kernels: turns a dot product into the stored value, in the
// operation order of bnn.xnor_linear (so the result is bit-identical to the unfused f32
// computation), and stores int32/f32 results or assembles packed sign bits.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_LIB_CONVERSION_BNNTOGPU_EPILOGUE_H
#define BNN_LIB_CONVERSION_BNNTOGPU_EPILOGUE_H

#include "KernelEmitter.h"

namespace bnn::gpugen {

class EpilogueEmitter {
public:
  /// `colScale`, `rowScale`, `bias` and `out` are the kernel arguments (null when absent);
  /// they are flattened here. `m` x `n` is the logical result shape.
  EpilogueEmitter(KernelEmitter &e, const EpilogueSpec &spec, int64_t m, int64_t n,
                  mlir::Value colScale, mlir::Value rowScale, mlir::Value bias,
                  mlir::Value out);

  const EpilogueSpec &spec() const { return specification; }

  /// The f32 value y of bnn.xnor_linear for dot product `dot` (i32) at (row, col) (index
  /// values, which must be in bounds: callers clamp them).
  mlir::Value floatValue(mlir::Value dot, mlir::Value row, mlir::Value col);

  /// The packed bit (i32 0/1) of the result at (row, col): sign rule !(y < 0).
  mlir::Value signBit(mlir::Value dot, mlir::Value row, mlir::Value col);

  /// Stores dot/y at (row, col) and (row, col + 1) when each is in bounds (Int32/Float32
  /// outputs). `col` is even; when n is even the pair is stored as one 8-byte vector.
  void storePair(mlir::Value row, mlir::Value col, mlir::Value dot0, mlir::Value dot1);

  /// Stores dot (Int32) or y (Float32) at (row, col), which the caller has bounds-checked.
  void storeOne(mlir::Value row, mlir::Value col, mlir::Value dot);

  /// Stores one u32 of a packed result row: bits for columns [32*u32Index, 32*u32Index + 32).
  /// Skipped when `row` >= m or the u32 lies past the row's padded words.
  void storePackedU32(mlir::Value row, mlir::Value u32Index, mlir::Value bits);

  /// Declares that every (row, col) handed to storePair is in bounds (the tiles divide the
  /// result exactly), so the stores need no guards.
  void setAllInBounds(bool value) { allInBounds = value; }

  /// Number of u32 halves of words per packed result row.
  int64_t packedU32PerRow() const { return 2 * ((n + 63) / 64); }

private:
  KernelEmitter &e;
  EpilogueSpec specification;
  int64_t m, n;
  bool allInBounds = false;
  mlir::Value colScale, rowScale, bias, out, outPointer;
};

} // namespace bnn::gpugen

#endif // BNN_LIB_CONVERSION_BNNTOGPU_EPILOGUE_H
