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
def BNN_Ternary : Type<CPred<"::llvm::isa<::bnn::TernaryType>($_self)">,
                       "bnn packed ternary tensor", "::bnn::TernaryType">;
def BNN_Int8Tensor : RankedTensorOf<[I8]>;
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

//===----------------------------------------------------------------------===//
// Low-bit values: ternary planes, quantizers, low-bit matrix products
//===----------------------------------------------------------------------===//

def BNN_PackTernaryOp : BNN_Op<"pack_ternary", [Pure]> {
  let summary = "pack float -1/0/+1 values into ternary sign and mask planes";
  let description = [{
    Packs `input` into a `!bnn.ternary` value of the same logical shape along the last axis:
    element `k` of a row sets bit `k % 64` of word `k / 64` of the mask plane when it is not
    zero, and of the sign plane when it is `+1`. Any float is accepted and read as its ternary
    value: `+0.0` and `-0.0` are `0`, negative values `-1`, everything else (NaN included) `+1`,
    so quantized weights (`-1.0`, `0.0`, `+1.0`) pack exactly. Padding bits are zero in both
    planes.

    Example:

    ```mlir
    %t = bnn.pack_ternary %w : tensor<64x100xf32> -> !bnn.ternary<64x100>
    ```
  }];
  let arguments = (ins BNN_FloatTensor:$input);
  let results = (outs BNN_Ternary:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BNN_UnpackTernaryOp : BNN_Op<"unpack_ternary", [Pure]> {
  let summary = "unpack ternary planes into -1/0/+1 floats";
  let description = [{
    The inverse of `bnn.pack_ternary`: a clear mask bit becomes `0.0`, a set one `+1.0` or
    `-1.0` by the sign bit. The result has the logical shape of the ternary type.

    Example:

    ```mlir
    %w = bnn.unpack_ternary %t : !bnn.ternary<64x100> -> tensor<64x100xf32>
    ```
  }];
  let arguments = (ins BNN_Ternary:$input);
  let results = (outs BNN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BNN_TernaryConstantOp : BNN_Op<"ternary_constant", [ConstantLike, Pure]> {
  let summary = "packed ternary constant";
  let description = [{
    A `!bnn.ternary` constant given by its storage words: `value` has the storage type of the
    result (leading dimensions, `2` planes, `ceil(K / 64)` words of `i64`: sign plane, then mask
    plane). The verifier checks that padding bits past `K` are zero in both planes and that no
    sign bit is set where the mask bit is clear, so every ternary value has one encoding.
    Folding `bnn.pack_ternary` or a ternary quantizer of a constant produces this op.

    Example:

    ```mlir
    // One row of K = 3: [+1, 0, -1] (sign 0b001, mask 0b101).
    %c = bnn.ternary_constant dense<[[[1], [5]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
    ```
  }];
  let arguments = (ins I64ElementsAttr:$value);
  let results = (outs BNN_Ternary:$result);
  let assemblyFormat = "$value attr-dict `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BNN_QuantizeAbsmeanOp : BNN_Op<"quantize_absmean", [Pure]> {
  let summary = "absmean ternary quantization (BitNet b1.58) with its scales";
  let description = [{
    Quantizes `input` to ternary values as BitNet b1.58 does: per scope (the whole tensor for
    `per_tensor`, each index of dimension 0 for `per_channel`)

    ```
    gamma = mean(|w|)                         (summed in f64, rounded to f32)
    q     = clip(round(w / (gamma + eps)), -1, 1)
    ```

    with the division in `f32` and `round` to nearest, ties to even (`torch.round`); a NaN
    weight quantizes to `0`. `eps` defaults to `1e-5`. Results: the packed ternary `q` (the
    input's shape) and the dequantization scales `gamma` (`w ~ gamma * q`): shape `[1]` for
    `per_tensor`, `[D0]` for `per_channel`, ready to be a weight scale of `bnn.lowbit_linear`.
    Constant weights fold to a `bnn.ternary_constant` and an `arith.constant`.

    Example:

    ```mlir
    %q, %gamma = bnn.quantize_absmean per_tensor %w : tensor<64x256xf32>
                   -> !bnn.ternary<64x256>, tensor<1xf32>
    ```
  }];
  let arguments = (ins BNN_ScaleGranularity:$granularity, BNN_F32Tensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$eps);
  let results = (outs BNN_Ternary:$result, BNN_F32Tensor:$scales);
  let assemblyFormat = [{
    $granularity $input attr-dict `:` type($input) `->` qualified(type($result)) `,`
    type($scales)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BNN_QuantizeThresholdOp : BNN_Op<"quantize_threshold", [Pure]> {
  let summary = "dynamic-threshold ternary quantization (TWN / OneBit-LLM) with its scales";
  let description = [{
    Quantizes `input` to ternary values with a threshold relative to the mean magnitude, per
    scope (whole tensor or each index of dimension 0, as `bnn.quantize_absmean`):

    ```
    delta = ratio * mean(|w|)                 (mean summed in f64, rounded to f32; f32 product)
    q     = 0 where |w| < delta or w == 0, sign(w) elsewhere
    alpha = mean(|w|) over the elements with q != 0 (f64 sum), 0 if there are none
    ```

    `ratio` defaults to `0.7`. Results: the packed ternary `q` and the scales `alpha`
    (`w ~ alpha * q`), shaped as for `bnn.quantize_absmean`. Constant weights fold.

    Example:

    ```mlir
    %q, %alpha = bnn.quantize_threshold per_channel %w : tensor<64x256xf32>
                   -> !bnn.ternary<64x256>, tensor<64xf32>
    ```
  }];
  let arguments = (ins BNN_ScaleGranularity:$granularity, BNN_F32Tensor:$input,
                       DefaultValuedAttr<F32Attr, "0.7f">:$ratio);
  let results = (outs BNN_Ternary:$result, BNN_F32Tensor:$scales);
  let assemblyFormat = [{
    $granularity $input attr-dict `:` type($input) `->` qualified(type($result)) `,`
    type($scales)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BNN_QuantizeAbsmaxOp : BNN_Op<"quantize_absmax", [Pure]> {
  let summary = "absmax int8 quantization per row (per token) with its scales";
  let description = [{
    Quantizes each row (last axis) of `input` to int8 as BitNet's activation quantizer:

    ```
    m     = max(max_k |x[..., k]|, eps)       (NaN elements ignored)
    q     = clip(round(x * (127 / m)), -127, 127)
    scale = m / 127
    ```

    in `f32`, `round` to nearest with ties to even; a NaN element quantizes to `0`, and `-128`
    is never produced (the range is symmetric). `eps` defaults to `1e-5`. Results: `q`
    (`i8`, the input's shape) and the per-row dequantization scales (`x ~ q * scale`), shaped
    as the input's leading dimensions: the `row_scale` of `bnn.lowbit_linear`. Constant inputs
    fold.

    Example:

    ```mlir
    %q, %s = bnn.quantize_absmax %x : tensor<8x2560xf32> -> tensor<8x2560xi8>, tensor<8xf32>
    ```
  }];
  let arguments = (ins BNN_F32Tensor:$input, DefaultValuedAttr<F32Attr, "1.0e-5f">:$eps);
  let results = (outs BNN_Int8Tensor:$result, BNN_F32Tensor:$scales);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result) `,` type($scales)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def BNN_LowBitMatmulOp : BNN_Op<"lowbit_matmul", [Pure]> {
  let summary = "exact low-bit matrix product: ternary or binary weights, binary or int8 activations";
  let description = [{
    Computes `result[..., m, n] = sum_k lhs[..., m, k] * rhs[n, k]` exactly in `i32` for these
    operand kinds (activations `lhs`, weights `rhs` given as `N x K` rows):

    | lhs | rhs | evaluated as |
    |---|---|---|
    | `!bnn.packed` (binary) | `!bnn.ternary` | `popcount(mask) - 2 * popcount(mask AND (a XOR sign))` |
    | `tensor<... x K x i8>` | `!bnn.ternary` | int8 dot product with the weights unpacked to `-1/0/+1` |
    | `tensor<... x K x i8>` | `!bnn.packed` (binary) | int8 dot product with the weights unpacked to `-1/+1` |

    Binary x binary is `bnn.xnor_popcount`. Both operands have the same `K`; with int8
    activations `|dot| <= 128 * K`, so `K` is at most `(2^31 - 1) / 128 = 16777215`. The result
    has shape `lhs.shape[:-1] + [N]`.

    Example:

    ```mlir
    %y = bnn.lowbit_matmul %x, %w : tensor<8x2560xi8>, !bnn.ternary<6912x2560> -> tensor<8x6912xi32>
    %z = bnn.lowbit_matmul %a, %w : !bnn.packed<8x2560>, !bnn.ternary<6912x2560> -> tensor<8x6912xi32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[BNN_Packed, BNN_Int8Tensor]>:$lhs,
                       AnyTypeOf<[BNN_Packed, BNN_Ternary]>:$rhs);
  let results = (outs BNN_Int32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The largest K with int8 activations: |dot| <= 128 * K must fit in i32.
    static constexpr int64_t kMaxInt8K = ((int64_t{1} << 31) - 1) / 128;
    /// The result shape implied by the operand types: lhs leading dimensions, then N.
    static ::llvm::SmallVector<int64_t> inferResultShape(::mlir::Type lhs, ::mlir::Type rhs);
  }];
}

def BNN_LowBitLinearOp : BNN_Op<"lowbit_linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "low-bit linear layer: lowbit_matmul with its fused scale epilogue";
  let description = [{
    `bnn.lowbit_matmul` followed by the epilogue of a quantized linear layer (BitNet's
    BitLinear), in one pass so that the `i32` dot products are never materialised:

    ```
    y = activation(((float(dot[..., m, n]) * weight_scale[n]) * row_scale[..., m]) + bias[n])
    ```

    in exactly this order (the order of `bnn.xnor_linear`), so the result is bit-identical to
    the unfused `f32` computation. `weight_scale` has shape `[N]` (per output channel) or `[1]`
    (per tensor, as `bnn.quantize_absmean per_tensor` returns); `row_scale` (the activation
    scales of `bnn.quantize_absmax`) has the leading dimensions of `lhs`; `bias` has shape
    `[N]`. Each is optional. `activation` is `none` or `relu` (`arith.maximumf(y, +0.0)`). The
    operand kinds are those of `bnn.lowbit_matmul`.

    Example:

    ```mlir
    %y = bnn.lowbit_linear %x, %w weight_scale(%g : tensor<1xf32>) row_scale(%s : tensor<8xf32>)
           : tensor<8x2560xi8>, !bnn.ternary<6912x2560> -> tensor<8x6912xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[BNN_Packed, BNN_Int8Tensor]>:$lhs,
                       AnyTypeOf<[BNN_Packed, BNN_Ternary]>:$rhs,
                       Optional<BNN_F32Tensor>:$weight_scale,
                       Optional<BNN_F32Tensor>:$row_scale,
                       Optional<BNN_F32Tensor>:$bias,
                       DefaultValuedAttr<BNN_Activation, "::bnn::Activation::None">:$activation);
  let results = (outs BNN_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`weight_scale` `(` $weight_scale^ `:` type($weight_scale) `)`)?
    (`row_scale` `(` $row_scale^ `:` type($row_scale) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`activation` `(` $activation^ `)`)?
    attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // BNN_OPS_TD
