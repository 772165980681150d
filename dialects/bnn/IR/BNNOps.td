//===- BNNOps.td - bnn op definitions ----------------------*- tablegen -*-===//

#ifndef BNN_OPS_TD
#define BNN_OPS_TD

include "bnn/IR/BNNDialect.td"
include "bnn/IR/BNNTypes.td"
include "bnn/IR/BNNAttrs.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"
include "mlir/Interfaces/ViewLikeInterface.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def BNN_FloatTensor : RankedTensorOf<[AnyFloat]>;
def BNN_FloatOrBoolTensor : RankedTensorOf<[AnyFloat, I1]>;
def BNN_Packed : Type<CPred<"::llvm::isa<::bnn::PackedType>($_self)">,
                      "bnn packed binary tensor", "::bnn::PackedType">;
def BNN_Int32Tensor : RankedTensorOf<[I32]>;
def BNN_F32Tensor : RankedTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Binarisation
//===----------------------------------------------------------------------===//

def BNN_SignOp : BNN_Op<"sign", [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "elementwise sign to +1/-1 (sign(0) = +1)";
  let description = [{
    Maps each element to `-1.0` when it is negative and to `+1.0` otherwise, so zero (of either
    sign) and NaN become `+1`. This differs from ONNX `Sign`, which maps 0 to 0.

    Example:

    ```mlir
    %b = bnn.sign %x : tensor<4x100xf32>
    ```
  }];
  let arguments = (ins BNN_FloatTensor:$input);
  let results = (outs BNN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

def BNN_ScaledSignOp : BNN_Op<"scaled_sign",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "alpha * sign(x), alpha per tensor or per output channel";
  let description = [{
    Binarises `input` and multiplies by a positive scale `alpha`, the XNOR-Net / BitNet form of a
    binary weight. `granularity` chooses one scale for the whole tensor (`per_tensor`) or one per
    output channel, i.e. per index of dimension 0 (`per_channel`). When the `alpha` operand is
    absent the scale is computed as `mean(|x|)` over the tensor or over each channel.

    `alpha` has one element for `per_tensor` (shape `[]` or `[1]`) and `D0` elements for
    `per_channel` (shape `[D0]`), with the element type of the input.

    Example:

    ```mlir
    // Weight matrix N x K, one absmean scale per output row.
    %wb = bnn.scaled_sign per_channel %w : tensor<64x256xf32>
    // Given scale.
    %xb = bnn.scaled_sign per_tensor %x alpha(%a : tensor<f32>) : tensor<8x256xf32>
    ```
  }];
  let arguments = (ins BNN_ScaleGranularity:$granularity, BNN_FloatTensor:$input,
                       Optional<BNN_FloatTensor>:$alpha);
  let results = (outs BNN_FloatTensor:$result);
  let assemblyFormat = [{
    $granularity $input (`alpha` `(` $alpha^ `:` type($alpha) `)`)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def BNN_SteOp : BNN_Op<"ste", [Pure, Elementwise, SameOperandsAndResultType]> {
  let summary = "sign with a straight-through estimator for the gradient";
  let description = [{
    Forward: `sign(x)` with the same contract as `bnn.sign`. Backward (used by training steps):
    the incoming gradient passes straight through, multiplied by `grad_scale`, where
    `|x| <= clip`, and is zero outside `[-clip, clip]`. `clip` must be positive (it may be
    `+inf` for an unclipped estimator) and `grad_scale` finite.

    Example:

    ```mlir
    %b = bnn.ste %x {clip = 1.0 : f32, grad_scale = 1.0 : f32} : tensor<16x256xf32>
    ```
  }];
  let arguments = (ins BNN_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0f">:$clip,
                       DefaultValuedAttr<F32Attr, "1.0f">:$grad_scale);
  let results = (outs BNN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

def BNN_PackOp : BNN_Op<"pack", [Pure]> {
  let summary = "pack float or i1 values into bits along the last axis";
  let description = [{
    Packs `input` into a `!bnn.packed` value of the same logical shape: element `k` of a row
    becomes bit `k % 64` of word `k / 64`, set when the element is `+1` under the `bnn.sign` rule
    (float: not negative; i1: true). Padding bits are zero. Any float is accepted, so
    `pack(sign(x)) == pack(x)`.

    Example:

    ```mlir
    %p = bnn.pack %x : tensor<4x100xf32> -> !bnn.packed<4x100>
    ```
  }];
  let arguments = (ins BNN_FloatOrBoolTensor:$input);
  let results = (outs BNN_Packed:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BNN_UnpackOp : BNN_Op<"unpack", [Pure]> {
  let summary = "unpack bits into +1/-1 floats or i1 values";
  let description = [{
    The inverse of `bnn.pack`: bit 1 becomes `+1.0` (or `true`), bit 0 becomes `-1.0` (or
    `false`). The result has the logical shape of the packed type.

    Example:

    ```mlir
    %x = bnn.unpack %p : !bnn.packed<4x100> -> tensor<4x100xf32>
    ```
  }];
  let arguments = (ins BNN_Packed:$input);
  let results = (outs BNN_FloatOrBoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def BNN_ConstantOp : BNN_Op<"constant", [ConstantLike, Pure]> {
  let summary = "packed binary constant";
  let description = [{
    A `!bnn.packed` constant given by its storage words: `value` has the storage type of the
    result (leading dimensions, then `ceil(K / 64)` words of `i64`) and its padding bits are zero.
    It is dense elements (a splat is one word for the whole storage) or a `dense_resource` blob
    of exactly the storage's words; the verifier checks the padding of both.
    Folding `bnn.pack` of a constant produces this op, so a compiled model keeps one bit per
    binary weight.

    Example:

    ```mlir
    // Two rows of K = 3 bits: [+1, -1, +1] and [-1, -1, +1].
    %c = bnn.constant dense<[[5], [4]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs BNN_Packed:$result);
  let assemblyFormat = "$value attr-dict `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

def BNN_XnorPopcountOp : BNN_Op<"xnor_popcount", [Pure,
    DeclareOpInterfaceMethods<TilingInterface,
        ["getLoopIteratorTypes", "getIterationDomain", "getTiledImplementation",
         "getResultTilePosition"]>]> {
  let summary = "binary matrix product of packed operands: K - 2 * popcount(a XOR b)";
  let description = [{
    Computes `result[..., m, n] = sum_k lhs[..., m, k] * rhs[n, k]` for `+1/-1` values, evaluated
    on bits as `K - 2 * popcount(lhs_m XOR rhs_n)`. `rhs` is given as `N x K` rows, like the
    weight matrix of a linear layer; `lhs` has any number of leading dimensions (rank 1 is a
    matrix-vector product). Both operands must have the same `K`. The result is `i32` with
    shape `lhs.shape[:-1] + [N]`.

    Example:

    ```mlir
    %y = bnn.xnor_popcount %a, %w : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xi32>
    %v = bnn.xnor_popcount %x, %w : !bnn.packed<1000>, !bnn.packed<64x1000> -> tensor<64xi32>
    ```
  }];
  let arguments = (ins BNN_Packed:$lhs, BNN_Packed:$rhs);
  let results = (outs BNN_Int32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result type implied by the operand types.
    static ::mlir::RankedTensorType inferResultType(PackedType lhs, PackedType rhs);
  }];
}

def BNN_SliceOp : BNN_Op<"slice", [Pure, AttrSizedOperandSegments]> {
  let summary = "rows of a packed value (a slice of its leading dimensions)";
  let description = [{
    Extracts the packed rows `[offsets, offsets + sizes)` of the leading dimensions of `source`;
    the bit length `K` is kept whole (a row is never split). Offsets and sizes are static or SSA
    `index` values, as in `tensor.extract_slice`. `bnn-tile` creates this op to hand each tile
    its operand rows; lowering turns it into a slice of the storage words.

    Example:

    ```mlir
    %rows = bnn.slice %w [%n0] [64] : !bnn.packed<4096x1000> -> !bnn.packed<64x1000>
    %tail = bnn.slice %a [%m0] [%size] : !bnn.packed<100x1000> -> !bnn.packed<?x1000>
    ```
  }];
  let arguments = (ins BNN_Packed:$source, Variadic<Index>:$offsets, Variadic<Index>:$sizes,
                       DenseI64ArrayAttr:$static_offsets, DenseI64ArrayAttr:$static_sizes);
  let results = (outs BNN_Packed:$result);
  let assemblyFormat = [{
    $source custom<DynamicIndexList>($offsets, $static_offsets)
    custom<DynamicIndexList>($sizes, $static_sizes) attr-dict `:` qualified(type($source))
    `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$source, "::mlir::ArrayRef<::mlir::OpFoldResult>":$offsets,
                   "::mlir::ArrayRef<::mlir::OpFoldResult>":$sizes)>
  ];
  let extraClassDeclaration = [{
    ::mlir::SmallVector<::mlir::OpFoldResult> getMixedOffsets();
    ::mlir::SmallVector<::mlir::OpFoldResult> getMixedSizes();
  }];
}

def BNN_XnorLinearOp : BNN_Op<"xnor_linear", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<TilingInterface,
        ["getLoopIteratorTypes", "getIterationDomain", "getTiledImplementation",
         "getResultTilePosition"]>]> {
  let summary = "binary linear layer: xnor_popcount with its fused epilogue";
  let description = [{
    `bnn.xnor_popcount` followed by the elementwise epilogue of a binary linear layer, computed
    in one pass so that the `i32` dot products are never materialised:

    ```
    dot[..., m, n] = sum_k lhs[..., m, k] * rhs[n, k]            (as in bnn.xnor_popcount)
    y = activation(((float(dot) * col_scale[n]) * row_scale[..., m]) + bias[n])
    ```

    Each of `col_scale` (shape `[N]`), `row_scale` (the leading dimensions of `lhs`) and `bias`
    (`[N]`) is optional; the operations are applied in exactly this order so the result is
    bit-identical to the unfused `f32` computation. `activation` is `none` or `relu`
    (`arith.maximumf(y, +0.0)`: NaN propagates, `-0.0` becomes `+0.0`). With a `tensor<...xf32>` result, `y` is returned; with a `!bnn.packed` result,
    `y` is re-binarized and packed along `N` (`pack(y)`, the input of the next binary layer).
    `bnn-fuse` forms this op from `bnn.xnor_popcount` and a `linalg.generic` epilogue.

    Example:

    ```mlir
    %y = bnn.xnor_linear %a, %w col_scale(%alpha : tensor<64xf32>) bias(%b : tensor<64xf32>)
           activation(relu) : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> tensor<8x64xf32>
    %h = bnn.xnor_linear %a, %w col_scale(%alpha : tensor<64xf32>)
           : !bnn.packed<8x1000>, !bnn.packed<64x1000> -> !bnn.packed<8x64>
    ```
  }];
  let arguments = (ins BNN_Packed:$lhs, BNN_Packed:$rhs,
                       Optional<BNN_F32Tensor>:$col_scale,
                       Optional<BNN_F32Tensor>:$row_scale,
                       Optional<BNN_F32Tensor>:$bias,
                       DefaultValuedAttr<BNN_Activation, "::bnn::Activation::None">:$activation);
  let results = (outs AnyTypeOf<[BNN_F32Tensor, BNN_Packed]>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`col_scale` `(` $col_scale^ `:` type($col_scale) `)`)?
    (`row_scale` `(` $row_scale^ `:` type($row_scale) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`activation` `(` $activation^ `)`)?
    attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True when the result is re-binarized and packed.
    bool hasPackedResult() { return ::llvm::isa<PackedType>(getResult().getType()); }
    /// The logical result shape: lhs leading dimensions, then N.
    ::llvm::ArrayRef<int64_t> getResultShape();
  }];
}

//===----------------------------------------------------------------------===//
// Search
//===----------------------------------------------------------------------===//

def BNN_Int64Tensor : RankedTensorOf<[I64]>;

def BNN_HammingTopKOp : BNN_Op<"hamming_topk", [Pure]> {
  let summary = "the k nearest packed codes of each query by Hamming distance";
  let description = [{
    Exact k-nearest-neighbour search over binary codes: for every row `q` of `queries`
    (`Q x K`), the `k` rows `c` of `database` (`N x K`) with the smallest Hamming distance
    `popcount(q XOR c)`. Row `q` of `distances` holds those distances in ascending order and row
    `q` of `indices` the database rows they belong to; ties are broken by the smaller index
    (the order of FAISS `IndexBinaryFlat`). When `k > N` (possible only when `N` is dynamic:
    the verifier rejects `k > N` for a static `N`), entries `N` to `k - 1` of a row are
    `INT32_MAX` with index `-1`.

    The distance is `(K - xnor_popcount(q, c)) / 2`, so the `k` largest `bnn.xnor_popcount`
    similarities are `K - 2 * distances`, in this order. Indices are `i64`, as in FAISS and
    ONNX `TopK`. `Q` and `N` may be dynamic; `K` is at most `2^31 - 64` (the kernel counts
    whole words in `i32`).

    Example:

    ```mlir
    %d, %i = bnn.hamming_topk %q, %db k(10)
               : !bnn.packed<8x256>, !bnn.packed<1000x256> -> tensor<8x10xi32>, tensor<8x10xi64>
    ```
  }];
  let arguments = (ins BNN_Packed:$queries, BNN_Packed:$database, I64Attr:$k);
  let results = (outs BNN_Int32Tensor:$distances, BNN_Int64Tensor:$indices);
  let assemblyFormat = [{
    $queries `,` $database `k` `(` $k `)` attr-dict `:` qualified(type($queries)) `,`
    qualified(type($database)) `->` type($distances) `,` type($indices)
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$queries, "::mlir::Value":$database, "int64_t":$k)>
  ];
  let extraClassDeclaration = [{
    /// The largest K: the kernel counts a distance over whole words, ceil(K / 64) * 64 bits,
    /// in int32.
    static constexpr int64_t kMaxBitLength = (int64_t{1} << 31) - 64;
    /// The largest k (a row of the results is addressed with 32-bit counts by the GPU kernel).
    static constexpr int64_t kMaxK = (int64_t{1} << 31) - 1;
  }];
}

#endif // BNN_OPS_TD
