// Every verifier message of the low-bit type and ops.
// RUN: bnn-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{!bnn.ternary expects at least one dimension (the bit length K), found none}}
func.func private @ternary_no_dims(%t: !bnn.ternary<>)

// -----

// expected-error @+1 {{!bnn.ternary expects a bit length K >= 1 in its last dimension, found 0}}
func.func private @ternary_zero_k(%t: !bnn.ternary<4x0>)

// -----

// expected-error @+1 {{!bnn.ternary expects a static bit length K in its last dimension, found ?}}
func.func private @ternary_dynamic_k(%t: !bnn.ternary<4x?>)

// -----

// expected-error @+1 {{!bnn.ternary expects a bit length K <= 2147483647 (a bnn.lowbit_matmul dot product in [-K, K] must fit in i32), found 2147483648}}
func.func private @ternary_k_past_i32(%t: !bnn.ternary<2x2147483648>)

// -----

// Two planes: 2^56 rows of one word per plane are 2^57 words, one too many.
// expected-error @+1 {{!bnn.ternary expects at most 144115188075855871 storage words (rows x 2 planes x ceil(K / 64), so that the size in bits fits in int64), found 72057594037927936 rows x 1 words per plane}}
func.func private @ternary_storage_too_large(%t: !bnn.ternary<72057594037927936x64>)

// -----

// The largest ternary storage: 2^56 - 1 rows of one word per plane.
func.func private @ternary_largest(%t: !bnn.ternary<72057594037927935x64>)

// -----

func.func @pack_ternary_shape(%x: tensor<4x100xf32>) -> !bnn.ternary<4x99> {
  // expected-error @+1 {{'bnn.pack_ternary' op expected a result of shape [4, 100] (the input's), found '!bnn.ternary<4x99>'}}
  %0 = bnn.pack_ternary %x : tensor<4x100xf32> -> !bnn.ternary<4x99>
  return %0 : !bnn.ternary<4x99>
}

// -----

func.func @pack_ternary_int(%x: tensor<4x100xi32>) -> !bnn.ternary<4x100> {
  // expected-error @+1 {{'bnn.pack_ternary' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4x100xi32>'}}
  %0 = bnn.pack_ternary %x : tensor<4x100xi32> -> !bnn.ternary<4x100>
  return %0 : !bnn.ternary<4x100>
}

// -----

func.func @unpack_ternary_shape(%t: !bnn.ternary<4x100>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'bnn.unpack_ternary' op expected result shape [4, 100] (the logical shape of '!bnn.ternary<4x100>'), found [4, 64]}}
  %0 = bnn.unpack_ternary %t : !bnn.ternary<4x100> -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @ternary_constant_type() -> !bnn.ternary<2x3> {
  // expected-error @+1 {{'bnn.ternary_constant' op expected a value of type 'tensor<2x2x1xi64>' (the storage of '!bnn.ternary<2x3>'), found 'tensor<2x1xi64>'}}
  %0 = bnn.ternary_constant dense<[[1], [5]]> : tensor<2x1xi64> -> !bnn.ternary<2x3>
  return %0 : !bnn.ternary<2x3>
}

// -----

func.func @ternary_constant_padding() -> !bnn.ternary<1x3> {
  // expected-error @+1 {{'bnn.ternary_constant' op expected zero padding bits above K = 3 in both planes, found bits set in the last words of row 0 (sign 0x1, mask 0xD)}}
  %0 = bnn.ternary_constant dense<[[[1], [13]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
  return %0 : !bnn.ternary<1x3>
}

// -----

func.func @ternary_constant_sign_without_mask() -> !bnn.ternary<1x3> {
  // expected-error @+1 {{'bnn.ternary_constant' op expected sign bits only where the mask bit is set (0 has sign 0), found sign 0x3 over mask 0x5 in word 0 of row 0}}
  %0 = bnn.ternary_constant dense<[[[3], [5]]]> : tensor<1x2x1xi64> -> !bnn.ternary<1x3>
  return %0 : !bnn.ternary<1x3>
}

// -----

func.func @ternary_constant_splat_padding() -> !bnn.ternary<4x3> {
  // expected-error @+1 {{'bnn.ternary_constant' op expected zero padding bits above K = 3 in both planes, found bits set in the last words of row 0 (sign 0xFFFFFFFFFFFFFFFF, mask 0xFFFFFFFFFFFFFFFF)}}
  %0 = bnn.ternary_constant dense<-1> : tensor<4x2x1xi64> -> !bnn.ternary<4x3>
  return %0 : !bnn.ternary<4x3>
}

// -----

func.func @absmean_scales(%w: tensor<64x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_absmean' op expected scales of shape [64] (one per index of dimension 0), found [1]}}
  %q, %s = bnn.quantize_absmean per_channel %w : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<1xf32>
  return
}

// -----

func.func @absmean_tensor_scales(%w: tensor<64x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_absmean' op expected scales of shape [1] (one per tensor), found [64]}}
  %q, %s = bnn.quantize_absmean per_tensor %w : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<64xf32>
  return
}

// -----

func.func @absmean_result(%w: tensor<64x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_absmean' op expected a ternary result of shape [64, 256] (the input's), found '!bnn.ternary<256x64>'}}
  %q, %s = bnn.quantize_absmean per_tensor %w : tensor<64x256xf32> -> !bnn.ternary<256x64>, tensor<1xf32>
  return
}

// -----

func.func @absmean_rank0(%w: tensor<f32>) {
  // expected-error @+1 {{'bnn.quantize_absmean' op expected an input of rank >= 1 (its last axis is packed), found 'tensor<f32>'}}
  %q, %s = bnn.quantize_absmean per_tensor %w : tensor<f32> -> !bnn.ternary<1>, tensor<1xf32>
  return
}

// -----

func.func @absmean_eps(%w: tensor<64x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_absmean' op expected a finite eps >= 0, found -1}}
  %q, %s = bnn.quantize_absmean per_tensor %w {eps = -1.0 : f32} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<1xf32>
  return
}

// -----

func.func @threshold_ratio(%w: tensor<64x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_threshold' op expected a finite ratio >= 0, found nan}}
  %q, %s = bnn.quantize_threshold per_tensor %w {ratio = 0x7FC00000 : f32} : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<1xf32>
  return
}

// -----

func.func @threshold_scales(%w: tensor<64x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_threshold' op expected scales of shape [64] (one per index of dimension 0), found [256]}}
  %q, %s = bnn.quantize_threshold per_channel %w : tensor<64x256xf32> -> !bnn.ternary<64x256>, tensor<256xf32>
  return
}

// -----

func.func @absmax_eps(%x: tensor<8x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_absmax' op expected a finite eps > 0 (the floor of the row maximum), found 0}}
  %q, %s = bnn.quantize_absmax %x {eps = 0.0 : f32} : tensor<8x256xf32> -> tensor<8x256xi8>, tensor<8xf32>
  return
}

// -----

func.func @absmax_scales(%x: tensor<8x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_absmax' op expected scales of shape [8] (one per row: the input's leading dimensions), found [256]}}
  %q, %s = bnn.quantize_absmax %x : tensor<8x256xf32> -> tensor<8x256xi8>, tensor<256xf32>
  return
}

// -----

func.func @absmax_result(%x: tensor<8x256xf32>) {
  // expected-error @+1 {{'bnn.quantize_absmax' op expected a result of shape [8, 256] (the input's), found [8, 128]}}
  %q, %s = bnn.quantize_absmax %x : tensor<8x256xf32> -> tensor<8x128xi8>, tensor<8xf32>
  return
}

// -----

func.func @absmax_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'bnn.quantize_absmax' op expected an input of rank >= 1 (rows along its last axis), found 'tensor<f32>'}}
  %q, %s = bnn.quantize_absmax %x : tensor<f32> -> tensor<i8>, tensor<f32>
  return
}

// -----

func.func @matmul_binary_binary(%a: !bnn.packed<8x100>, %b: !bnn.packed<64x100>) {
  // expected-error @+1 {{'bnn.lowbit_matmul' op expected ternary weights or int8 activations (binary x binary is bnn.xnor_popcount), found '!bnn.packed<8x100>' x '!bnn.packed<64x100>'}}
  %0 = bnn.lowbit_matmul %a, %b : !bnn.packed<8x100>, !bnn.packed<64x100> -> tensor<8x64xi32>
  return
}

// -----

func.func @matmul_k_mismatch(%x: tensor<8x100xi8>, %t: !bnn.ternary<64x99>) {
  // expected-error @+1 {{'bnn.lowbit_matmul' op K mismatch: lhs has K = 100, rhs has K = 99}}
  %0 = bnn.lowbit_matmul %x, %t : tensor<8x100xi8>, !bnn.ternary<64x99> -> tensor<8x64xi32>
  return
}

// -----

func.func @matmul_rhs_rank(%x: tensor<8x100xi8>, %t: !bnn.ternary<2x64x100>) {
  // expected-error @+1 {{'bnn.lowbit_matmul' op expected rhs to be an N x K matrix of rank 2, found rank 3 ('!bnn.ternary<2x64x100>')}}
  %0 = bnn.lowbit_matmul %x, %t : tensor<8x100xi8>, !bnn.ternary<2x64x100> -> tensor<8x64xi32>
  return
}

// -----

func.func @matmul_result(%x: tensor<8x100xi8>, %t: !bnn.ternary<64x100>) {
  // expected-error @+1 {{'bnn.lowbit_matmul' op expected result shape [8, 64] (lhs leading dimensions, then N), found [64, 8]}}
  %0 = bnn.lowbit_matmul %x, %t : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<64x8xi32>
  return
}

// -----

func.func @matmul_int8_dynamic_k(%x: tensor<8x?xi8>, %t: !bnn.ternary<64x100>) {
  // expected-error @+1 {{'bnn.lowbit_matmul' op expected int8 activations with a static last dimension K, found 'tensor<8x?xi8>'}}
  %0 = bnn.lowbit_matmul %x, %t : tensor<8x?xi8>, !bnn.ternary<64x100> -> tensor<8x64xi32>
  return
}

// -----

func.func @matmul_int8_k_bound(%x: tensor<1x16777216xi8>, %t: !bnn.ternary<1x16777216>) {
  // expected-error @+1 {{'bnn.lowbit_matmul' op expected K <= 16777215 with int8 activations (|dot| <= 128 * K must fit in i32), found K = 16777216}}
  %0 = bnn.lowbit_matmul %x, %t : tensor<1x16777216xi8>, !bnn.ternary<1x16777216> -> tensor<1x1xi32>
  return
}

// -----

func.func @matmul_lhs_type(%x: tensor<8x100xi32>, %t: !bnn.ternary<64x100>) {
  // expected-error @+1 {{'bnn.lowbit_matmul' op operand #0 must be bnn packed binary tensor or ranked tensor of 8-bit signless integer values, but got 'tensor<8x100xi32>'}}
  %0 = bnn.lowbit_matmul %x, %t : tensor<8x100xi32>, !bnn.ternary<64x100> -> tensor<8x64xi32>
  return
}

// -----

func.func @linear_weight_scale(%x: tensor<8x100xi8>, %t: !bnn.ternary<64x100>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'bnn.lowbit_linear' op expected weight_scale of shape [64] (per output channel) or [1] (per tensor), found [8]}}
  %0 = bnn.lowbit_linear %x, %t weight_scale(%s : tensor<8xf32>) : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x64xf32>
  return
}

// -----

func.func @linear_row_scale(%x: tensor<8x100xi8>, %t: !bnn.ternary<64x100>, %s: tensor<64xf32>) {
  // expected-error @+1 {{'bnn.lowbit_linear' op expected row_scale of shape [8] (lhs leading dimensions), found [64]}}
  %0 = bnn.lowbit_linear %x, %t row_scale(%s : tensor<64xf32>) : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x64xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<8x100xi8>, %t: !bnn.ternary<64x100>, %s: tensor<1xf32>) {
  // expected-error @+1 {{'bnn.lowbit_linear' op expected bias of shape [64], found [1]}}
  %0 = bnn.lowbit_linear %x, %t bias(%s : tensor<1xf32>) : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x64xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<8x100xi8>, %t: !bnn.ternary<64x100>) {
  // expected-error @+1 {{'bnn.lowbit_linear' op expected result shape [8, 64] (lhs leading dimensions, then N), found [8, 63]}}
  %0 = bnn.lowbit_linear %x, %t : tensor<8x100xi8>, !bnn.ternary<64x100> -> tensor<8x63xf32>
  return
}

// -----

func.func @linear_binary_binary(%a: !bnn.packed<8x100>, %b: !bnn.packed<64x100>) {
  // expected-error @+1 {{'bnn.lowbit_linear' op expected ternary weights or int8 activations (binary x binary is bnn.xnor_popcount), found '!bnn.packed<8x100>' x '!bnn.packed<64x100>'}}
  %0 = bnn.lowbit_linear %a, %b : !bnn.packed<8x100>, !bnn.packed<64x100> -> tensor<8x64xf32>
  return
}
