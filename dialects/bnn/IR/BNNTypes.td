//===- BNNTypes.td - bnn type definitions ------------------*- tablegen -*-===//

#ifndef BNN_TYPES_TD
#define BNN_TYPES_TD

include "bnn/IR/BNNDialect.td"
include "mlir/IR/AttrTypeBase.td"

def BNN_PackedType : TypeDef<BNN_Dialect, "Packed"> {
  let mnemonic = "packed";
  let summary = "binary tensor packed LSB-first into 64-bit words along its last axis";
  let description = [{
    `!bnn.packed<D0 x ... x K>` is a tensor of logical binary values whose last (reduction) axis
    has `K` bits. It is stored as a tensor of `i64` words with the same leading dimensions and
    `ceil(K / 64)` words in the last one; element `64 * w + j` of a row is bit `j` of word `w`, and
    the padding bits of the last word are zero. Because `K` is part of the type, every consumer
    (for example `bnn.xnor_popcount`) can check that its operands agree on it.

    Example:

    ```mlir
    // 4 rows of 100 bits, stored as tensor<4x2xi64>.
    !bnn.packed<4x100>
    // A single packed vector of 4096 bits (64 words).
    !bnn.packed<4096>
    ```

    `K` is static, at least 1 and at most `2^31 - 1` (`kMaxBitLength`), so that a
    `bnn.xnor_popcount` dot product, which lies in `[-K, K]`, fits in its `i32` result. The
    leading dimensions are static or dynamic (`?`: a `bnn.slice` with a dynamic size yields
    `!bnn.packed<?x100>`). The storage of the static leading dimensions, `rows x ceil(K / 64)`
    words, holds at most `2^57 - 1` words (`kMaxStorageWords`): its size in bits, and so every
    byte, word or element count derived from the type, fits in `int64_t`.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t", "logical shape; the last entry is K">:$shape);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The largest bit length K: a dot product in [-K, K] must fit in the i32 result of
    /// bnn.xnor_popcount.
    static constexpr int64_t kMaxBitLength = (int64_t{1} << 31) - 1;
    /// The most storage words (rows x words of the static dimensions) a packed type may have,
    /// so that its size in bits fits in int64_t: (2^63 - 1) / 64.
    static constexpr int64_t kMaxStorageWords = (int64_t{1} << 57) - 1;

    /// Number of logical bits per packed row (the last dimension).
    int64_t getK() const { return getShape().back(); }
    /// Number of 64-bit words per packed row: ceil(K / 64).
    int64_t getNumWords() const;
    /// Number of packed rows: the product of all dimensions but the last (kDynamic if any is).
    /// The verifier bounds it, so it never overflows for a type built with getChecked or parsed.
    int64_t getNumRows() const;
    bool hasStaticShape() const;
    int64_t getRank() const { return getShape().size(); }
    /// The tensor of i64 words that holds the bits: leading dimensions, then getNumWords().
    ::mlir::RankedTensorType getStorageType() const;
  }];
}

def BNN_TernaryType : TypeDef<BNN_Dialect, "Ternary"> {
  let mnemonic = "ternary";
  let summary = "ternary tensor packed as two bit planes (sign, non-zero mask) along its last axis";
  let description = [{
    `!bnn.ternary<D0 x ... x K>` is a tensor of logical ternary values (`-1`, `0`, `+1`) whose
    last (reduction) axis has `K` elements. Each row is stored as two bit planes, LSB first in
    64-bit words as for `!bnn.packed` (element `64 * w + j` is bit `j` of word `w`):

    * the **sign plane** has bit 1 exactly where the value is `+1`;
    * the **mask plane** has bit 1 where the value is non-zero (`-1` or `+1`).

    So `+1` is (sign 1, mask 1), `-1` is (sign 0, mask 1) and `0` is (sign 0, mask 0); a sign bit
    is never set where the mask bit is clear, and the padding bits past `K` are zero in both
    planes. The storage is `tensor<D0 x ... x 2 x ceil(K / 64) x i64>`: per row, the
    `ceil(K / 64)` sign words, then the `ceil(K / 64)` mask words. Each plane of a row is
    contiguous, so a kernel loads a vector of sign words and the vector of mask words of the
    same elements with two plain loads (no deinterleaving shuffles), and a row is still one
    contiguous block of `2 * ceil(K / 64)` words that a matrix-vector product streams once.

    The dot product with a binary row `a` (bit contract) is
    `popcount(mask) - 2 * popcount(mask AND (a XOR sign))`.

    Example:

    ```mlir
    // 64 rows of 100 ternary weights, stored as tensor<64x2x2xi64>.
    !bnn.ternary<64x100>
    ```

    The bounds are those of `!bnn.packed`: `K` static, `1 <= K <= 2^31 - 1`; leading dimensions
    static or dynamic; the storage of the static leading dimensions,
    `rows x 2 x ceil(K / 64)` words, at most `2^57 - 1` words.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t", "logical shape; the last entry is K">:$shape);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bit planes per row: sign, then mask.
    static constexpr int64_t kNumPlanes = 2;
    static constexpr int64_t kSignPlane = 0;
    static constexpr int64_t kMaskPlane = 1;

    /// Number of logical elements per row (the last dimension).
    int64_t getK() const { return getShape().back(); }
    /// Number of 64-bit words of one plane of a row: ceil(K / 64).
    int64_t getNumWords() const;
    /// Number of rows: the product of all dimensions but the last (kDynamic if any is).
    int64_t getNumRows() const;
    bool hasStaticShape() const;
    int64_t getRank() const { return getShape().size(); }
    /// The storage tensor: leading dimensions, then 2 planes, then getNumWords() words of i64.
    ::mlir::RankedTensorType getStorageType() const;
  }];
}

#endif // BNN_TYPES_TD
