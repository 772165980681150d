//===- BNNDialect.td - bnn dialect definition --------------*- tablegen -*-===//
//
// The bnn dialect: binary ({-1,+1}) tensors, their packed bit representation and the
// XOR/popcount arithmetic on it. The bit contract every op obeys is in
// docs/Architecture.md#the-bit-contract.
//
//===----------------------------------------------------------------------===//

#ifndef BNN_DIALECT_TD
#define BNN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def BNN_Dialect : Dialect {
  let name = "bnn";
  let cppNamespace = "::bnn";
  let summary = "Binary neural network ops: sign, packing and XNOR-popcount arithmetic";
  let description = [{
    The `bnn` dialect models binary (`{-1, +1}`) tensors and the bit-level arithmetic that makes
    them fast. Values are binarised with `bnn.sign`, `bnn.scaled_sign` or `bnn.ste`, packed into
    64-bit words with `bnn.pack`, and multiplied with `bnn.xnor_popcount`, which computes
    `K - 2 * popcount(a XOR b)` per output element.

    Bit contract (shared by the compiler, the runtime and every kernel; in full in
    [docs/Architecture.md](../Architecture.md#the-bit-contract)):

    * `+1` is bit 1 and `-1` is bit 0; `sign(x)` is `-1` when `x < 0` and `+1` otherwise, so
      `sign(0) = sign(-0.0) = +1` (NaN also maps to `+1`).
    * Packing runs along the last axis, least significant bit first inside 64-bit words:
      element `64 * w + j` of a row is bit `j` of word `w`. Rows are padded to whole words with
      zero bits.
    * The logical bit length `K` travels in the type: `!bnn.packed<4x100>` holds 4 rows of
      `K = 100` bits, stored as `4 x 2` words of `i64`.
  }];
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
  }];
}

class BNN_Op<string mnemonic, list<Trait> traits = []>
    : Op<BNN_Dialect, mnemonic, traits>;

#endif // BNN_DIALECT_TD
