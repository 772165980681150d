// RUN: bnn-opt %s --convert-bnn-to-gpu --split-input-file --verify-diagnostics

// Every diagnostic of convert-bnn-to-gpu about its input; option errors are in
// invalid-options.mlir.

func.func @unlowered_sign(%x: tensor<4x64xf32>) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'bnn.sign' op has no GPU lowering; a function lowered by convert-bnn-to-gpu may contain only bnn.pack, bnn.constant, bnn.xnor_popcount, bnn.xnor_linear, bnn.hamming_topk and func.return (run --bnn-lower-ste --canonicalize first)}}
  %s = bnn.sign %x : tensor<4x64xf32>
  %p = bnn.pack %s : tensor<4x64xf32> -> !bnn.packed<4x64>
  return %p : !bnn.packed<4x64>
}

// -----

func.func @other_dialect(%x: tensor<4x64xf32>) -> !bnn.packed<4x64> {
  // expected-error @+1 {{'arith.negf' op has no GPU lowering}}
  %n = arith.negf %x : tensor<4x64xf32>
  %p = bnn.pack %n : tensor<4x64xf32> -> !bnn.packed<4x64>
  return %p : !bnn.packed<4x64>
}

// -----

// expected-error @+1 {{'func.func' op has 2 blocks; convert-bnn-to-gpu lowers straight-line functions (one block)}}
func.func @branches(%x: tensor<4x64xf32>) -> !bnn.packed<4x64> {
  %p = bnn.pack %x : tensor<4x64xf32> -> !bnn.packed<4x64>
  cf.br ^done
^done:
  return %p : !bnn.packed<4x64>
}

// -----

// expected-error @+1 {{'func.func' op has an argument or result of type 'index'; a GPU host function takes ranked tensors and !bnn.packed values}}
func.func @scalar_argument(%x: tensor<4x64xf32>, %i: index) -> !bnn.packed<4x64> {
  %p = bnn.pack %x : tensor<4x64xf32> -> !bnn.packed<4x64>
  return %p : !bnn.packed<4x64>
}

// -----

// expected-error @+1 {{'func.func' op has dynamic shape '!bnn.packed<?x64>'; convert-bnn-to-gpu needs static shapes (specialize first)}}
func.func @dynamic(%a: !bnn.packed<?x64>, %w: !bnn.packed<8x64>) -> tensor<?x8xi32> {
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<?x64>, !bnn.packed<8x64> -> tensor<?x8xi32>
  return %y : tensor<?x8xi32>
}

// -----

func.func @empty_rows(%a: !bnn.packed<0x64>, %w: !bnn.packed<8x64>) -> tensor<0x8xi32> {
  // expected-error @+1 {{'bnn.xnor_popcount' op has an empty operand (M = 0, N = 8); nothing to launch}}
  %y = bnn.xnor_popcount %a, %w : !bnn.packed<0x64>, !bnn.packed<8x64> -> tensor<0x8xi32>
  return %y : tensor<0x8xi32>
}

// -----

func.func @fp8(%x: tensor<2x64xf8E4M3FN>) -> !bnn.packed<2x64> {
  // expected-error @+1 {{'bnn.pack' op packs elements of type 'f8E4M3FN'; the GPU pack kernel reads f16, bf16, f32, f64 or i1}}
  %p = bnn.pack %x : tensor<2x64xf8E4M3FN> -> !bnn.packed<2x64>
  return %p : !bnn.packed<2x64>
}

// -----

func.func @elided_constant() -> !bnn.packed<2x64> {
  // expected-error @+1 {{'bnn.constant' op has storage words that cannot be read (an elided or external resource?)}}
  %w = bnn.constant dense_resource<__elided__> : tensor<2x1xi64> -> !bnn.packed<2x64>
  return %w : !bnn.packed<2x64>
}

// -----

func.func @topk_too_large(%q: !bnn.packed<2x64>, %db: !bnn.packed<100x64>) -> (tensor<2x33xi32>, tensor<2x33xi64>) {
  // expected-error @+1 {{'bnn.hamming_topk' op k = 33 exceeds the GPU kernel's limit of 32}}
  %d, %i = bnn.hamming_topk %q, %db k(33) : !bnn.packed<2x64>, !bnn.packed<100x64> -> tensor<2x33xi32>, tensor<2x33xi64>
  return %d, %i : tensor<2x33xi32>, tensor<2x33xi64>
}
