#!/usr/bin/env python3
"""Writes the MLIR of the GPU correctness sweep (runtime/cuda/tools/bnn-gpu-sweep.cpp).

Every function computes one bnn op on its arguments; the sweep tool reads the op from the
function name (xnor_*, linear_*, pack_*) and the shapes from the bundle's manifest:

  xnor_f_m{M}_n{N}_k{K}    bnn.xnor_popcount(pack(a), pack(b)), a: MxK f32, b: NxK f32
                           (pack kernels and their row-popcount by-products, GEMV or GEMM)
  xnor_p_m{M}_n{N}_k{K}    bnn.xnor_popcount(a, b) of packed arguments (popcount kernels)
  linear_m{M}_n{N}_k{K}_{cs,rs,b,relu}_{f32,bits}
                           bnn.xnor_linear with the named epilogue pieces
  pack_{dtype}_r{R}_k{K}   bnn.pack of an f32/f16/bf16/i1 tensor
  topk_q{Q}_n{N}_k{K}_t{T} bnn.hamming_topk(queries, database) k(T) of packed arguments
                           (distances and indices, ties by the smaller index)

Usage: gen_sweep.py [--small] > sweep.mlir
  --small   a handful of shapes (what CI compiles and the ctest runs where there is a GPU)
"""
import sys

FULL_K = [1, 63, 64, 65, 255, 256, 257, 4096]
FULL_MN = [1, 3, 64, 257]


def packed(rows, k):
    return f"!bnn.packed<{rows}x{k}>"


def xnor_from_floats(m, n, k):
    return f"""
func.func @xnor_f_m{m}_n{n}_k{k}(%a: tensor<{m}x{k}xf32>, %b: tensor<{n}x{k}xf32>) -> tensor<{m}x{n}xi32> {{
  %pa = bnn.pack %a : tensor<{m}x{k}xf32> -> {packed(m, k)}
  %pb = bnn.pack %b : tensor<{n}x{k}xf32> -> {packed(n, k)}
  %y = bnn.xnor_popcount %pa, %pb : {packed(m, k)}, {packed(n, k)} -> tensor<{m}x{n}xi32>
  return %y : tensor<{m}x{n}xi32>
}}"""


def xnor_from_packed(m, n, k):
    return f"""
func.func @xnor_p_m{m}_n{n}_k{k}(%a: {packed(m, k)}, %b: {packed(n, k)}) -> tensor<{m}x{n}xi32> {{
  %y = bnn.xnor_popcount %a, %b : {packed(m, k)}, {packed(n, k)} -> tensor<{m}x{n}xi32>
  return %y : tensor<{m}x{n}xi32>
}}"""


def linear(m, n, k, flags, output):
    args = [f"%a: {packed(m, k)}", f"%w: {packed(n, k)}"]
    parts = []
    if "cs" in flags:
        args.append(f"%cs: tensor<{n}xf32>")
        parts.append(f"col_scale(%cs : tensor<{n}xf32>)")
    if "rs" in flags:
        args.append(f"%rs: tensor<{m}xf32>")
        parts.append(f"row_scale(%rs : tensor<{m}xf32>)")
    if "b" in flags:
        args.append(f"%bias: tensor<{n}xf32>")
        parts.append(f"bias(%bias : tensor<{n}xf32>)")
    if "relu" in flags:
        parts.append("activation(relu)")
    result = f"tensor<{m}x{n}xf32>" if output == "f32" else packed(m, n)
    name = "_".join([f"linear_m{m}_n{n}_k{k}"] + flags + [output])
    return f"""
func.func @{name}({", ".join(args)}) -> {result} {{
  %y = bnn.xnor_linear %a, %w {" ".join(parts)} : {packed(m, k)}, {packed(n, k)} -> {result}
  return %y : {result}
}}"""


def pack(dtype, rows, k):
    return f"""
func.func @pack_{dtype}_r{rows}_k{k}(%x: tensor<{rows}x{k}x{dtype}>) -> {packed(rows, k)} {{
  %p = bnn.pack %x : tensor<{rows}x{k}x{dtype}> -> {packed(rows, k)}
  return %p : {packed(rows, k)}
}}"""


def topk(q, n, k, t):
    d, i = f"tensor<{q}x{t}xi32>", f"tensor<{q}x{t}xi64>"
    return f"""
func.func @topk_q{q}_n{n}_k{k}_t{t}(%q: {packed(q, k)}, %db: {packed(n, k)}) -> ({d}, {i}) {{
  %d, %i = bnn.hamming_topk %q, %db k({t}) : {packed(q, k)}, {packed(n, k)} -> {d}, {i}
  return %d, %i : {d}, {i}
}}"""


def main():
    small = "--small" in sys.argv[1:]
    funcs = []
    if small:
        for m, n, k in [(1, 3, 65), (3, 64, 257), (64, 3, 63), (257, 257, 4096)]:
            funcs.append(xnor_from_floats(m, n, k))
        funcs.append(xnor_from_packed(3, 257, 255))
        funcs.append(linear(3, 100, 257, ["cs", "rs", "b", "relu"], "f32"))
        funcs.append(linear(257, 100, 65, ["cs"], "bits"))
        funcs.append(linear(1, 100, 65, ["b"], "bits"))
        funcs.append(pack("f16", 3, 65))
        # Few bits (K = 7): many equal distances, so the tie order is exercised.
        # The last two split the database into shards (scan + merge kernels).
        for q, n, k, t in [(3, 257, 256, 10), (1, 64, 7, 32), (5, 1000, 4096, 1),
                           (1, 40000, 64, 10), (2, 70000, 7, 32)]:
            funcs.append(topk(q, n, k, t))
    else:
        for k in FULL_K:
            for m in FULL_MN:
                for n in FULL_MN:
                    funcs.append(xnor_from_floats(m, n, k))
        for k in FULL_K:
            for m, n in [(1, 257), (3, 64), (257, 3), (257, 257)]:
                funcs.append(xnor_from_packed(m, n, k))
        for k in [65, 257, 4096]:
            for m in [1, 3, 257]:
                for n in [3, 64, 257]:
                    funcs.append(linear(m, n, k, ["cs", "rs", "b", "relu"], "f32"))
                    funcs.append(linear(m, n, k, [], "f32"))
                    funcs.append(linear(m, n, k, ["cs"], "bits"))
                    funcs.append(linear(m, n, k, ["b", "relu"], "bits"))
        for k in [7, 64, 65, 256, 1024, 4096]:
            for q, n in [(1, 32), (3, 257), (64, 1000), (257, 5000)]:
                for t in [1, 10, 32]:
                    funcs.append(topk(q, n, k, t))
        # Sharded databases (few queries): 2 to 64 shards, and ties across shards (K = 7).
        for q, n, k, t in [(1, 40000, 64, 10), (2, 70000, 7, 32), (1, 1000000, 256, 10),
                           (16, 300000, 1024, 32)]:
            funcs.append(topk(q, n, k, t))
        for dtype in ["f32", "f16", "bf16", "i1"]:
            for rows in [1, 3, 257]:
                for k in [1, 63, 64, 65, 257, 4096]:
                    funcs.append(pack(dtype, rows, k))
    print("// Generated by test/GPU/gen_sweep.py" + (" --small" if small else "") +
          "; do not edit.")
    print("\n".join(funcs))


if __name__ == "__main__":
    main()
