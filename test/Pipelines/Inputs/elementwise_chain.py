"""Prints a function with a chain of N elementwise linalg.generic ops (one arith op each), each
with its own tensor.empty as the frontend emits them: elementwise_chain.py N."""
import sys

n = int(sys.argv[1])
ops = ["arith.addf", "arith.mulf", "arith.subf"]
print("#map = affine_map<(d0, d1) -> (d0, d1)>")
print("func.func @chain(%x: tensor<16x64xf32>) -> tensor<16x64xf32> {")
print("  %c = arith.constant 5.000000e-01 : f32")
prev = "%x"
for i in range(n):
    print(f"  %e{i} = tensor.empty() : tensor<16x64xf32>")
    print(f"  %t{i} = linalg.generic {{indexing_maps = [#map, #map], "
          f"iterator_types = [\"parallel\", \"parallel\"]}} ins({prev} : tensor<16x64xf32>) "
          f"outs(%e{i} : tensor<16x64xf32>) {{")
    print("  ^bb0(%a: f32, %o: f32):")
    print(f"    %r = {ops[i % len(ops)]} %a, %c : f32")
    print("    linalg.yield %r : f32")
    print("  } -> tensor<16x64xf32>")
    prev = f"%t{i}"
print(f"  return {prev} : tensor<16x64xf32>")
print("}")
