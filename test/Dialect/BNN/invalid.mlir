// Every verifier message of the bnn dialect, and the type-constraint errors ODS generates.
// RUN: bnn-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{!bnn.packed expects at least one dimension (the bit length K), found none}}
func.func @packed_no_dims(%p: !bnn.packed<>)

// -----

// expected-error @+1 {{!bnn.packed expects a bit length K >= 1 in its last dimension, found 0}}
func.func @packed_zero_k(%p: !bnn.packed<4x0>)

// -----

// expected-error @+1 {{!bnn.packed expects a static bit length K in its last dimension, found ?}}
func.func @packed_dynamic_k(%p: !bnn.packed<4x?>)

// -----

// K near 2^63 used to overflow ceil(K / 64) in every lowering.
// expected-error @+1 {{!bnn.packed expects a bit length K <= 2147483647 (a bnn.xnor_popcount dot product in [-K, K] must fit in i32), found 9223372036854775807}}
func.func @packed_k_too_large(%p: !bnn.packed<9223372036854775807>)

// -----

// expected-error @+1 {{!bnn.packed expects a bit length K <= 2147483647 (a bnn.xnor_popcount dot product in [-K, K] must fit in i32), found 2147483648}}
func.func @packed_k_past_i32(%p: !bnn.packed<2x2147483648>)

// -----

// The largest storage: (2^63 - 1) / 64 words.
func.func private @packed_largest_storage(%p: !bnn.packed<144115188075855871x64>, %q: !bnn.packed<?x4194303x2147483647>)

// -----

// rows x words = 2^57: the size in bits, 2^63, does not fit in int64.
// expected-error @+1 {{!bnn.packed expects at most 144115188075855871 storage words (rows x ceil(K / 64), so that the size in bits fits in int64), found 144115188075855872 rows x 1 words per row}}
func.func @packed_storage_too_large(%p: !bnn.packed<144115188075855872x64>)

// -----

// The product of the rows overflows int64 itself; dynamic dimensions are left out of the bound.
// expected-error @+1 {{!bnn.packed expects at most 144115188075855871 storage words (rows x ceil(K / 64), so that the size in bits fits in int64), found 4294967296x?x4294967296 rows x 2 words per row}}
func.func @packed_rows_overflow(%p: !bnn.packed<4294967296x?x4294967296x100>)

// -----

func.func @sign_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'bnn.sign' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = bnn.sign %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @scaled_sign_per_channel_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'bnn.scaled_sign' op per_channel granularity needs an input of rank >= 1 (dimension 0 is the output channel), found 'tensor<f32>'}}
  %0 = bnn.scaled_sign per_channel %x : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @scaled_sign_alpha_type(%x: tensor<4x8xf32>, %a: tensor<f16>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'bnn.scaled_sign' op expected alpha element type 'f32' (the input's), found 'f16'}}
  %0 = bnn.scaled_sign per_tensor %x alpha(%a : tensor<f16>) : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scaled_sign_per_tensor_shape(%x: tensor<4x8xf32>, %a: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'bnn.scaled_sign' op per_tensor alpha must hold a single value (shape [] or [1]), found shape [4]}}
  %0 = bnn.scaled_sign per_tensor %x alpha(%a : tensor<4xf32>) : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scaled_sign_per_channel_shape(%x: tensor<4x8xf32>, %a: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'bnn.scaled_sign' op per_channel alpha must have shape [4] (one value per index of input dimension 0), found shape [8]}}
  %0 = bnn.scaled_sign per_channel %x alpha(%a : tensor<8xf32>) : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @scaled_sign_result_type(%x: tensor<4x8xf32>) -> tensor<4x8xf16> {
  // expected-error @+1 {{'bnn.scaled_sign' op failed to verify that all of {input, result} have same type}}
  %0 = "bnn.scaled_sign"(%x) <{granularity = 0 : i32}> : (tensor<4x8xf32>) -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

func.func @scaled_sign_bad_granularity(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{custom op 'bnn.scaled_sign' expected string or keyword containing one of the following enum values for attribute 'granularity' [per_tensor, per_channel]}}
  %0 = bnn.scaled_sign per_row %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @ste_negative_clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'bnn.ste' op expected clip > 0 (the gradient passes where |x| <= clip), found -1.000000e+00}}
  %0 = bnn.ste %x {clip = -1.0 : f32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @ste_nan_clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'bnn.ste' op expected clip > 0 (the gradient passes where |x| <= clip), found nan}}
  %0 = bnn.ste %x {clip = 0x7FC00000 : f32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @ste_infinite_scale(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'bnn.ste' op expected a finite grad_scale, found INF}}
  %0 = bnn.ste %x {grad_scale = 0x7F800000 : f32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @pack_scalar(%x: tensor<f32>) -> !bnn.packed<1> {
  // expected-error @+1 {{'bnn.pack' op expected an input of rank >= 1 (its last axis is packed), found 'tensor<f32>'}}
  %0 = bnn.pack %x : tensor<f32> -> !bnn.packed<1>
  return %0 : !bnn.packed<1>
}

// -----

func.func @pack_dynamic_k(%x: tensor<4x?xf32>) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.pack' op expected a static last dimension (the bit length K), found 'tensor<4x?xf32>'}}
  %0 = bnn.pack %x : tensor<4x?xf32> -> !bnn.packed<4x64>
  return %0 : !bnn.packed<4x64>
}

// -----

func.func @pack_dynamic_rows(%x: tensor<?x64xf32>) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.pack' op expected result type '!bnn.packed<?x64>' (the input's shape), found '!bnn.packed<4x64>'}}
  %0 = bnn.pack %x : tensor<?x64xf32> -> !bnn.packed<4x64>
  return %0 : !bnn.packed<4x64>
}

// -----

func.func @pack_shape(%x: tensor<4x100xf32>) -> !bnn.packed<4x99> {
  // expected-error @+1 {{'bnn.pack' op expected result type '!bnn.packed<4x100>' (the input's shape), found '!bnn.packed<4x99>'}}
  %0 = bnn.pack %x : tensor<4x100xf32> -> !bnn.packed<4x99>
  return %0 : !bnn.packed<4x99>
}

// -----

func.func @pack_int(%x: tensor<4x8xi32>) -> !bnn.packed<4x8> {
  // expected-error @+1 {{'bnn.pack' op operand #0 must be ranked tensor of floating-point or 1-bit signless integer values, but got 'tensor<4x8xi32>'}}
  %0 = bnn.pack %x : tensor<4x8xi32> -> !bnn.packed<4x8>
  return %0 : !bnn.packed<4x8>
}

// -----

func.func @unpack_shape(%p: !bnn.packed<4x100>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'bnn.unpack' op expected result shape [4, 100] (the logical shape of '!bnn.packed<4x100>'), found [4, 64]}}
  %0 = bnn.unpack %p : !bnn.packed<4x100> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @unpack_from_tensor(%p: tensor<4x2xi64>) -> tensor<4x100xf32> {
  // expected-error @+1 {{'bnn.unpack' op operand #0 must be bnn packed binary tensor, but got 'tensor<4x2xi64>'}}
  %0 = "bnn.unpack"(%p) : (tensor<4x2xi64>) -> tensor<4x100xf32>
  return %0 : tensor<4x100xf32>
}

// -----

func.func @constant_storage_type() -> !bnn.packed<2x100> {
  // expected-error @+1 {{'bnn.constant' op expected a value of type 'tensor<2x2xi64>' (the storage of '!bnn.packed<2x100>'), found 'tensor<2x3xi64>'}}
  %0 = bnn.constant dense<0> : tensor<2x3xi64> -> !bnn.packed<2x100>
  return %0 : !bnn.packed<2x100>
}

// -----

func.func @constant_padding() -> !bnn.packed<2x3> {
  // expected-error @+1 {{'bnn.constant' op expected zero padding bits above K = 3, found bits set in the last word of row 1 (0x9)}}
  %0 = bnn.constant dense<[[5], [9]]> : tensor<2x1xi64> -> !bnn.packed<2x3>
  return %0 : !bnn.packed<2x3>
}

// -----

// A splat is checked once, however many rows it declares (the verifier used to read every
// word: 4e9 rows ran it out of memory).
func.func @constant_splat_padding() -> !bnn.packed<4000000000x100> {
  // expected-error @+1 {{'bnn.constant' op expected zero padding bits above K = 100, found bits set in the last word of row 0 (0xFFFFFFFFFFFFFFFF)}}
  %0 = bnn.constant dense<-1> : tensor<4000000000x2xi64> -> !bnn.packed<4000000000x100>
  return %0 : !bnn.packed<4000000000x100>
}

// -----

// Padding of a dense_resource blob is checked too: K = 3 with the word 0xFF (bits 3..7 set)
// used to be accepted and compute wrong dot products.
func.func @constant_blob_padding() -> !bnn.packed<2x3> {
  // expected-error @+1 {{'bnn.constant' op expected zero padding bits above K = 3, found bits set in the last word of row 1 (0xFF)}}
  %0 = bnn.constant dense_resource<blob_padding> : tensor<2x1xi64> -> !bnn.packed<2x3>
  return %0 : !bnn.packed<2x3>
}

{-#
  dialect_resources: {
    builtin: {
      blob_padding: "0x080000000500000000000000FF00000000000000"
    }
  }
#-}

// -----

// A blob must hold exactly the words of the storage type: here one word for two rows.
func.func @constant_blob_size() -> !bnn.packed<2x3> {
  // expected-error @+1 {{'bnn.constant' op expected a dense_resource blob of 16 bytes (2 words of 'tensor<2x1xi64>'), found 8 bytes}}
  %0 = bnn.constant dense_resource<blob_short> : tensor<2x1xi64> -> !bnn.packed<2x3>
  return %0 : !bnn.packed<2x3>
}

{-#
  dialect_resources: {
    builtin: {
      blob_short: "0x080000000500000000000000"
    }
  }
#-}

// -----

// Sparse elements can declare far more words than they hold; the storage is dense or a blob.
func.func @constant_sparse() -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.constant' op expected dense or dense_resource storage words, found builtin.sparse_elements}}
  %0 = bnn.constant sparse<[[0, 0]], [5]> : tensor<4x1xi64> -> !bnn.packed<4x64>
  return %0 : !bnn.packed<4x64>
}

// -----

func.func @xnor_rhs_rank(%a: !bnn.packed<8x64>, %b: !bnn.packed<2x4x64>) -> tensor<8x2xi32> {
  // expected-error @+1 {{'bnn.xnor_popcount' op expected rhs to be an N x K matrix of rank 2, found rank 3 ('!bnn.packed<2x4x64>')}}
  %0 = bnn.xnor_popcount %a, %b : !bnn.packed<8x64>, !bnn.packed<2x4x64> -> tensor<8x2xi32>
  return %0 : tensor<8x2xi32>
}

// -----

func.func @xnor_k_mismatch(%a: !bnn.packed<8x100>, %b: !bnn.packed<16x99>) -> tensor<8x16xi32> {
  // expected-error @+1 {{'bnn.xnor_popcount' op K mismatch: lhs has K = 100 bits, rhs has K = 99 bits}}
  %0 = bnn.xnor_popcount %a, %b : !bnn.packed<8x100>, !bnn.packed<16x99> -> tensor<8x16xi32>
  return %0 : tensor<8x16xi32>
}

// -----

func.func @xnor_result_shape(%a: !bnn.packed<8x100>, %b: !bnn.packed<16x100>) -> tensor<8x15xi32> {
  // expected-error @+1 {{'bnn.xnor_popcount' op expected result type 'tensor<8x16xi32>' (lhs leading dimensions, then N), found 'tensor<8x15xi32>'}}
  %0 = bnn.xnor_popcount %a, %b : !bnn.packed<8x100>, !bnn.packed<16x100> -> tensor<8x15xi32>
  return %0 : tensor<8x15xi32>
}

// -----

func.func @xnor_result_element(%a: !bnn.packed<8x100>, %b: !bnn.packed<16x100>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'bnn.xnor_popcount' op result #0 must be ranked tensor of 32-bit signless integer values, but got 'tensor<8x16xf32>'}}
  %0 = bnn.xnor_popcount %a, %b : !bnn.packed<8x100>, !bnn.packed<16x100> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

func.func @xnor_unpacked(%a: tensor<8x2xi64>, %b: !bnn.packed<16x100>) -> tensor<8x16xi32> {
  // expected-error @+1 {{'bnn.xnor_popcount' op operand #0 must be bnn packed binary tensor, but got 'tensor<8x2xi64>'}}
  %0 = "bnn.xnor_popcount"(%a, %b) : (tensor<8x2xi64>, !bnn.packed<16x100>) -> tensor<8x16xi32>
  return %0 : tensor<8x16xi32>
}

// -----

func.func @unknown_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{custom op 'bnn.frobnicate' is unknown}}
  %0 = bnn.frobnicate %x : tensor<4xf32>
  return
}

// -----

func.func @slice_count(%p: !bnn.packed<8x4x64>) -> !bnn.packed<2x4x64> {
  // expected-error @+1 {{'bnn.slice' op expected 2 offsets and sizes (one per leading dimension of '!bnn.packed<8x4x64>'), found 1 offsets and 1 sizes}}
  %0 = bnn.slice %p [0] [2] : !bnn.packed<8x4x64> -> !bnn.packed<2x4x64>
  return %0 : !bnn.packed<2x4x64>
}

// -----

func.func @slice_result(%p: !bnn.packed<8x64>) -> !bnn.packed<3x64> {
  // expected-error @+1 {{'bnn.slice' op expected result type '!bnn.packed<2x64>' (the slice sizes, then K), found '!bnn.packed<3x64>'}}
  %0 = bnn.slice %p [0] [2] : !bnn.packed<8x64> -> !bnn.packed<3x64>
  return %0 : !bnn.packed<3x64>
}

// -----

func.func @slice_bounds(%p: !bnn.packed<8x64>) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.slice' op expected slice [offset, offset + size) of dimension 0 within [0, 8), found offset 6 and size 4}}
  %0 = bnn.slice %p [6] [4] : !bnn.packed<8x64> -> !bnn.packed<4x64>
  return %0 : !bnn.packed<4x64>
}

// -----

// offset + size wraps to a negative number, which used to pass the bounds check.
func.func @slice_bounds_overflow(%p: !bnn.packed<8x64>) -> !bnn.packed<2x64> {
  // expected-error @+1 {{'bnn.slice' op expected slice [offset, offset + size) of dimension 0 within [0, 8), found offset 9223372036854775807 and size 2}}
  %0 = bnn.slice %p [9223372036854775807] [2] : !bnn.packed<8x64> -> !bnn.packed<2x64>
  return %0 : !bnn.packed<2x64>
}

// -----

// A dynamic dimension is at most 2^63 - 1 rows: an end past that is out of bounds too.
func.func @slice_bounds_overflow_dynamic(%p: !bnn.packed<?x64>) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.slice' op expected slice [offset, offset + size) of dimension 0 within [0, ?), found offset 9223372036854775806 and size 4}}
  %0 = bnn.slice %p [9223372036854775806] [4] : !bnn.packed<?x64> -> !bnn.packed<4x64>
  return %0 : !bnn.packed<4x64>
}

// -----

// The expected result type is named without building it (it is not a valid type here).
func.func @slice_result_too_large(%p: !bnn.packed<?x64>) -> !bnn.packed<?x64> {
  // expected-error @+1 {{'bnn.slice' op expected result type '!bnn.packed<4611686018427387904x64>' (the slice sizes, then K), found '!bnn.packed<?x64>'}}
  %0 = "bnn.slice"(%p) <{operandSegmentSizes = array<i32: 1, 0, 0>, static_offsets = array<i64: 0>, static_sizes = array<i64: 4611686018427387904>}> : (!bnn.packed<?x64>) -> !bnn.packed<?x64>
  return %0 : !bnn.packed<?x64>
}

// -----

func.func @pack_k_too_large(%x: tensor<4x4294967296xf32>) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.pack' op expected an input shape that a !bnn.packed type can hold: !bnn.packed expects a bit length K <= 2147483647 (a bnn.xnor_popcount dot product in [-K, K] must fit in i32), found 4294967296}}
  %0 = bnn.pack %x : tensor<4x4294967296xf32> -> !bnn.packed<4x64>
  return %0 : !bnn.packed<4x64>
}

// -----

func.func @slice_negative_size(%p: !bnn.packed<8x64>) -> !bnn.packed<?x64> {
  // expected-error @+1 {{'bnn.slice' op expected non-negative offsets and sizes, found offset 2 and size -2 in dimension 0}}
  %0 = "bnn.slice"(%p) <{operandSegmentSizes = array<i32: 1, 0, 0>, static_offsets = array<i64: 2>, static_sizes = array<i64: -2>}> : (!bnn.packed<8x64>) -> !bnn.packed<?x64>
  return %0 : !bnn.packed<?x64>
}

// -----

func.func @slice_dynamic_count(%p: !bnn.packed<8x64>, %i: index) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.slice' op expected one SSA value per dynamic offset and size}}
  %0 = "bnn.slice"(%p, %i) <{operandSegmentSizes = array<i32: 1, 1, 0>, static_offsets = array<i64: 0>, static_sizes = array<i64: 4>}> : (!bnn.packed<8x64>, index) -> !bnn.packed<4x64>
  return %0 : !bnn.packed<4x64>
}

// -----

func.func @linear_k(%a: !bnn.packed<8x100>, %w: !bnn.packed<16x99>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'bnn.xnor_linear' op K mismatch: lhs has K = 100 bits, rhs has K = 99 bits}}
  %0 = bnn.xnor_linear %a, %w : !bnn.packed<8x100>, !bnn.packed<16x99> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

func.func @linear_rhs_rank(%a: !bnn.packed<8x64>, %w: !bnn.packed<64>) -> tensor<8xf32> {
  // expected-error @+1 {{'bnn.xnor_linear' op expected rhs to be an N x K matrix of rank 2, found rank 1 ('!bnn.packed<64>')}}
  %0 = bnn.xnor_linear %a, %w : !bnn.packed<8x64>, !bnn.packed<64> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @linear_result(%a: !bnn.packed<8x64>, %w: !bnn.packed<16x64>) -> !bnn.packed<8x15> {
  // expected-error @+1 {{'bnn.xnor_linear' op expected result shape [8, 16] (lhs leading dimensions, then N), found [8, 15]}}
  %0 = bnn.xnor_linear %a, %w : !bnn.packed<8x64>, !bnn.packed<16x64> -> !bnn.packed<8x15>
  return %0 : !bnn.packed<8x15>
}

// -----

func.func @linear_scale(%a: !bnn.packed<8x64>, %w: !bnn.packed<16x64>, %s: tensor<8xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'bnn.xnor_linear' op expected col_scale of shape [16], found [8]}}
  %0 = bnn.xnor_linear %a, %w col_scale(%s : tensor<8xf32>) : !bnn.packed<8x64>, !bnn.packed<16x64> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

func.func @linear_bias(%a: !bnn.packed<8x64>, %w: !bnn.packed<16x64>, %b: tensor<16x1xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'bnn.xnor_linear' op expected bias of shape [16], found [16, 1]}}
  %0 = bnn.xnor_linear %a, %w bias(%b : tensor<16x1xf32>) : !bnn.packed<8x64>, !bnn.packed<16x64> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

func.func @linear_row_scale(%a: !bnn.packed<8x64>, %w: !bnn.packed<16x64>, %r: tensor<16xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'bnn.xnor_linear' op expected row_scale of shape [8], found [16]}}
  %0 = bnn.xnor_linear %a, %w row_scale(%r : tensor<16xf32>) : !bnn.packed<8x64>, !bnn.packed<16x64> -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}

// -----

func.func @linear_f16(%a: !bnn.packed<8x64>, %w: !bnn.packed<16x64>) -> tensor<8x16xf16> {
  // expected-error @+1 {{'bnn.xnor_linear' op result #0 must be ranked tensor of 32-bit float values or bnn packed binary tensor, but got 'tensor<8x16xf16>'}}
  %0 = bnn.xnor_linear %a, %w : !bnn.packed<8x64>, !bnn.packed<16x64> -> tensor<8x16xf16>
  return %0 : tensor<8x16xf16>
}

// -----

func.func @topk_queries_rank(%q: !bnn.packed<2x8x64>, %db: !bnn.packed<16x64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected queries to be a Q x K matrix of rank 2, found rank 3 ('!bnn.packed<2x8x64>')}}
  %d, %i = bnn.hamming_topk %q, %db k(1) : !bnn.packed<2x8x64>, !bnn.packed<16x64> -> tensor<2x1xi32>, tensor<2x1xi64>
  return
}

// -----

func.func @topk_database_rank(%q: !bnn.packed<8x64>, %db: !bnn.packed<64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected database to be an N x K matrix of rank 2, found rank 1 ('!bnn.packed<64>')}}
  %d, %i = bnn.hamming_topk %q, %db k(1) : !bnn.packed<8x64>, !bnn.packed<64> -> tensor<8x1xi32>, tensor<8x1xi64>
  return
}

// -----

func.func @topk_k_mismatch(%q: !bnn.packed<8x100>, %db: !bnn.packed<16x99>) {
  // expected-error @+1 {{'bnn.hamming_topk' op K mismatch: queries have K = 100 bits, database has K = 99 bits}}
  %d, %i = bnn.hamming_topk %q, %db k(1) : !bnn.packed<8x100>, !bnn.packed<16x99> -> tensor<8x1xi32>, tensor<8x1xi64>
  return
}

// -----

func.func @topk_bit_length(%q: !bnn.packed<1x2147483647>, %db: !bnn.packed<1x2147483647>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected K <= 2147483584 (a distance over whole 64-bit words must fit in i32), found 2147483647}}
  %d, %i = bnn.hamming_topk %q, %db k(1) : !bnn.packed<1x2147483647>, !bnn.packed<1x2147483647> -> tensor<1x1xi32>, tensor<1x1xi64>
  return
}

// -----

func.func @topk_zero_k(%q: !bnn.packed<8x64>, %db: !bnn.packed<16x64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected k in [1, 2147483647], found 0}}
  %d, %i = bnn.hamming_topk %q, %db k(0) : !bnn.packed<8x64>, !bnn.packed<16x64> -> tensor<8x0xi32>, tensor<8x0xi64>
  return
}

// -----

func.func @topk_huge_k(%q: !bnn.packed<8x64>, %db: !bnn.packed<?x64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected k in [1, 2147483647], found 2147483648}}
  %d, %i = bnn.hamming_topk %q, %db k(2147483648) : !bnn.packed<8x64>, !bnn.packed<?x64> -> tensor<8x2147483648xi32>, tensor<8x2147483648xi64>
  return
}

// -----

func.func @topk_k_past_n(%q: !bnn.packed<8x64>, %db: !bnn.packed<5x64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected k <= N = 5 (the database rows), found k = 6}}
  %d, %i = bnn.hamming_topk %q, %db k(6) : !bnn.packed<8x64>, !bnn.packed<5x64> -> tensor<8x6xi32>, tensor<8x6xi64>
  return
}

// -----

func.func @topk_result_bytes(%q: !bnn.packed<144115188075855871x1>, %db: !bnn.packed<?x1>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected Q x k x 8 bytes of results to fit in int64_t, found Q = 144115188075855871, k = 16}}
  %d, %i = bnn.hamming_topk %q, %db k(16) : !bnn.packed<144115188075855871x1>, !bnn.packed<?x1> -> tensor<144115188075855871x16xi32>, tensor<144115188075855871x16xi64>
  return
}

// -----

func.func @topk_distances_type(%q: !bnn.packed<8x64>, %db: !bnn.packed<16x64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected distances of type 'tensor<8x4xi32>' (Q x k), found 'tensor<8x3xi32>'}}
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<8x64>, !bnn.packed<16x64> -> tensor<8x3xi32>, tensor<8x4xi64>
  return
}

// -----

func.func @topk_indices_type(%q: !bnn.packed<?x64>, %db: !bnn.packed<16x64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op expected indices of type 'tensor<?x4xi64>' (Q x k), found 'tensor<8x4xi64>'}}
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<?x64>, !bnn.packed<16x64> -> tensor<?x4xi32>, tensor<8x4xi64>
  return
}

// -----

func.func @topk_indices_element(%q: !bnn.packed<8x64>, %db: !bnn.packed<16x64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op result #1 must be ranked tensor of 64-bit signless integer values, but got 'tensor<8x4xi32>'}}
  %d, %i = bnn.hamming_topk %q, %db k(4) : !bnn.packed<8x64>, !bnn.packed<16x64> -> tensor<8x4xi32>, tensor<8x4xi32>
  return
}
