#!/usr/bin/python3
"""Binarized ONNX models with numpy references, for the demo and the end-to-end tests.

  make_onnx_models.py NAME OUTDIR     writes OUTDIR/model.onnx, OUTDIR/input<i>.bin (raw
                                      little-endian inputs) and OUTDIR/expected<i>.bin (the
                                      numpy reference outputs)
  make_onnx_models.py --compare OUTDIR RESULTDIR
                                      compares RESULTDIR/result<i>.bin (bnn-run --output-dir)
                                      with OUTDIR/expected<i>.bin; exits 1 on a mismatch

Models (all deterministic, fixed seeds):
  bitnet_mlp         BitNet b1.58 MLP: BitLinear(128 -> 128, ternary) -> ReLU^2 -> BitLinear(128
                     -> 64, ternary); absmax 8-bit activations, absmean weights, exported with the
                     weight quantization constant-folded (as torch.onnx.export does).
  bitlinear_binary   one BitLinear with binary (sign, absmean-scaled) weights.
  binary_embedding   random hyperplane hashing: x @ R -> Where(>= 0, 1, -1) -> 256-bit codes, then
                     Hamming similarity to a database of 32 binary codes (codes @ DB).
  hamming_runtime    two inputs binarized at run time (Where(a >= 0, 1, -1), Where(b < 0, -1, 1))
                     and their product: an XNOR-popcount with a runtime right-hand side.
  binary_search      binary_embedding's hashing, then TopK(k = 10) of the similarity to a
                     database of 500 codes: the k nearest codes by Hamming distance (many ties,
                     broken by the smaller index), values and int64 indices.

The references are computed with numpy from the same weights, independently of ONNX and bnn.
Needs Debian's python3-onnx and python3-numpy (run with /usr/bin/python3). `examples/onnx/*.onnx`
are this script's output for the demo (regenerate: make_onnx_models.py NAME DIR, copy model.onnx).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def finish(nodes, inputs, outputs, initializers, name):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="bnn-examples")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def absmean_ternary(w, ternary=True):
    """BitNet weight quantization: s = mean|W|; t = clip(round(W / s), -1, 1) (or sign)."""
    s = np.float32(max(np.abs(w).mean(), 1e-5))
    t = np.clip(np.round(w / s), -1, 1) if ternary else np.where(w >= 0, 1.0, -1.0)
    return (t * s).astype(np.float32)  # the constant an exporter folds the quantization into


def bitlinear_nodes(prefix, x, w_name, out):
    """absmax 8-bit activation quantization followed by MatMul with the folded weight."""
    p = prefix
    return [
        helper.make_node("Abs", [x], [p + "abs"], name=p + "abs"),
        helper.make_node("ReduceMax", [p + "abs"], [p + "max"], name=p + "absmax", axes=[-1],
                         keepdims=1),
        helper.make_node("Clip", [p + "max", "eps", ""], [p + "maxc"], name=p + "clamp"),
        helper.make_node("Div", ["q127", p + "maxc"], [p + "scale"], name=p + "scale"),
        helper.make_node("Mul", [x, p + "scale"], [p + "scaled"], name=p + "quantize"),
        helper.make_node("Round", [p + "scaled"], [p + "rounded"], name=p + "round"),
        helper.make_node("Clip", [p + "rounded", "qmin", "qmax"], [p + "q"], name=p + "clip"),
        helper.make_node("Div", [p + "q", p + "scale"], [p + "xq"], name=p + "dequantize"),
        helper.make_node("MatMul", [p + "xq", w_name], [out], name=p + "matmul"),
    ]


QUANT_CONSTANTS = [const("eps", np.float32(1e-5)), const("q127", np.float32(127)),
                   const("qmin", np.float32(-128)), const("qmax", np.float32(127))]


def bitlinear_reference(x, w):
    scale = np.float32(127) / np.maximum(np.abs(x).max(axis=-1, keepdims=True), np.float32(1e-5))
    q = np.clip(np.round(x * scale), -128, 127)
    return ((q / scale).astype(np.float64) @ w.astype(np.float64)).astype(np.float32)


def bitnet_mlp():
    rng = np.random.default_rng(2024)
    w1 = absmean_ternary(rng.standard_normal((128, 128)).astype(np.float32) / np.sqrt(128))
    w2 = absmean_ternary(rng.standard_normal((128, 64)).astype(np.float32) / np.sqrt(128))
    nodes = (bitlinear_nodes("up_", "x", "w1", "h")
             + [helper.make_node("Relu", ["h"], ["hr"], name="relu"),
                helper.make_node("Mul", ["hr", "hr"], ["h2"], name="square")]
             + bitlinear_nodes("down_", "h2", "w2", "y"))
    model = finish(nodes, [helper.make_tensor_value_info("x", FLOAT, [4, 128])],
                   [helper.make_tensor_value_info("y", FLOAT, [4, 64])],
                   QUANT_CONSTANTS + [const("w1", w1), const("w2", w2)], "bitnet_mlp")
    x = rng.standard_normal((4, 128)).astype(np.float32)
    h = np.maximum(bitlinear_reference(x, w1), 0)
    y = bitlinear_reference((h * h).astype(np.float32), w2)
    return model, [x], [y], (1e-4, 1e-5)


def bitlinear_binary():
    rng = np.random.default_rng(7)
    w = absmean_ternary(rng.standard_normal((96, 40)).astype(np.float32), ternary=False)
    model = finish(bitlinear_nodes("", "x", "w", "y"),
                   [helper.make_tensor_value_info("x", FLOAT, [3, 96])],
                   [helper.make_tensor_value_info("y", FLOAT, [3, 40])],
                   QUANT_CONSTANTS + [const("w", w)], "bitlinear_binary")
    x = rng.standard_normal((3, 96)).astype(np.float32)
    return model, [x], [bitlinear_reference(x, w)], (1e-4, 1e-5)


def binary_embedding():
    rng = np.random.default_rng(99)
    dim, bits, entries = 64, 256, 32
    r = rng.standard_normal((dim, bits)).astype(np.float32)
    database = np.where(rng.standard_normal((bits, entries)) >= 0, 1.0, -1.0).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "hyperplanes"], ["projected"], name="project"),
        helper.make_node("GreaterOrEqual", ["projected", "zero"], ["positive"], name="test"),
        helper.make_node("Where", ["positive", "one", "minus_one"], ["codes"], name="sign"),
        helper.make_node("MatMul", ["codes", "database"], ["similarity"], name="hamming"),
    ]
    model = finish(nodes, [helper.make_tensor_value_info("x", FLOAT, [4, dim])],
                   [helper.make_tensor_value_info("codes", FLOAT, [4, bits]),
                    helper.make_tensor_value_info("similarity", FLOAT, [4, entries])],
                   [const("hyperplanes", r), const("database", database),
                    const("zero", np.float32(0)), const("one", np.float32(1)),
                    const("minus_one", np.float32(-1))], "binary_embedding")
    x = rng.standard_normal((4, dim)).astype(np.float32)
    codes = np.where(x.astype(np.float64) @ r >= 0, 1.0, -1.0).astype(np.float32)
    # similarity = bits - 2 * hamming distance: exact integers.
    return model, [x], [codes, codes @ database], (0.0, 0.0)


def hamming_runtime():
    """Both operands binarized at run time: sign(a) @ sign(b), all-pairs similarity of codes."""
    rng = np.random.default_rng(5)
    nodes = [
        helper.make_node("GreaterOrEqual", ["a", "zero"], ["pa"], name="test_a"),
        helper.make_node("Where", ["pa", "one", "minus_one"], ["ca"], name="sign_a"),
        helper.make_node("Less", ["b", "zero"], ["nb"], name="test_b"),
        helper.make_node("Where", ["nb", "minus_one", "one"], ["cb"], name="sign_b"),
        helper.make_node("MatMul", ["ca", "cb"], ["similarity"], name="similarity"),
    ]
    model = finish(nodes, [helper.make_tensor_value_info("a", FLOAT, [5, 200]),
                           helper.make_tensor_value_info("b", FLOAT, [200, 7])],
                   [helper.make_tensor_value_info("similarity", FLOAT, [5, 7])],
                   [const("zero", np.float32(0)), const("one", np.float32(1)),
                    const("minus_one", np.float32(-1))], "hamming_runtime")
    a = rng.standard_normal((5, 200)).astype(np.float32)
    b = rng.standard_normal((200, 7)).astype(np.float32)
    a[0, :3] = 0.0  # zeros are +1 on both sides
    b[:2, 0] = -0.0
    reference = np.where(a >= 0, 1.0, -1.0) @ np.where(b < 0, -1.0, 1.0)
    return model, [a, b], [reference.astype(np.float32)], (0.0, 0.0)


def binary_search():
    """Hash, then the 10 most similar of 500 database codes (ONNX TopK, ties by smaller index)."""
    rng = np.random.default_rng(2024)
    dim, bits, entries, k = 48, 256, 500, 10
    r = rng.standard_normal((dim, bits)).astype(np.float32)
    database = np.where(rng.standard_normal((bits, entries)) >= 0, 1.0, -1.0).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "hyperplanes"], ["projected"], name="project"),
        helper.make_node("GreaterOrEqual", ["projected", "zero"], ["positive"], name="test"),
        helper.make_node("Where", ["positive", "one", "minus_one"], ["codes"], name="sign"),
        helper.make_node("MatMul", ["codes", "database"], ["similarity"], name="hamming"),
        helper.make_node("TopK", ["similarity", "k"], ["values", "indices"], name="search"),
    ]
    model = finish(nodes, [helper.make_tensor_value_info("x", FLOAT, [6, dim])],
                   [helper.make_tensor_value_info("values", FLOAT, [6, k]),
                    helper.make_tensor_value_info("indices", TensorProto.INT64, [6, k])],
                   [const("hyperplanes", r), const("database", database),
                    const("zero", np.float32(0)), const("one", np.float32(1)),
                    const("minus_one", np.float32(-1)), const("k", np.array([k], np.int64))],
                   "binary_search")
    x = rng.standard_normal((6, dim)).astype(np.float32)
    codes = np.where(x.astype(np.float64) @ r >= 0, 1.0, -1.0)
    similarity = codes @ database
    # A stable sort of -similarity: equal similarities keep the smaller index first.
    order = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    values = np.take_along_axis(similarity, order, axis=1).astype(np.float32)
    assert (np.diff(np.sort(similarity, axis=1)) == 0).any(), "the test wants ties"
    return model, [x], [values, order.astype(np.int64)], (0.0, 0.0)


MODELS = {"bitnet_mlp": bitnet_mlp, "bitlinear_binary": bitlinear_binary,
          "binary_embedding": binary_embedding, "hamming_runtime": hamming_runtime,
          "binary_search": binary_search}


def write(name, outdir):
    model, inputs, expected, tolerance = MODELS[name]()
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for i, x in enumerate(inputs):
        x.tofile(os.path.join(outdir, "input%d.bin" % i))
    dtypes = []
    for i, y in enumerate(expected):
        y = y if y.dtype == np.int64 else y.astype(np.float32)
        dtypes.append(y.dtype.name)
        y.tofile(os.path.join(outdir, "expected%d.bin" % i))
    with open(os.path.join(outdir, "tolerance.txt"), "w") as f:
        f.write("%r %r %d %s\n" % (tolerance[0], tolerance[1], len(expected), ",".join(dtypes)))


def compare(outdir, resultdir):
    with open(os.path.join(outdir, "tolerance.txt")) as f:
        rtol, atol, count, dtypes = f.read().split()
    ok = True
    for i, dtype in zip(range(int(count)), dtypes.split(",")):
        expected = np.fromfile(os.path.join(outdir, "expected%d.bin" % i), dtype=dtype)
        actual = np.fromfile(os.path.join(resultdir, "result%d.bin" % i), dtype=dtype)
        if actual.shape != expected.shape:
            print("output %d: %d elements, expected %d" % (i, actual.size, expected.size))
            ok = False
            continue
        error = np.abs(actual.astype(np.float64) - expected)
        bad = error > float(atol) + float(rtol) * np.abs(expected)
        print("output %d: %d elements, max abs error %.3g, %d outside rtol=%s atol=%s"
              % (i, expected.size, error.max(), bad.sum(), rtol, atol))
        ok &= not bad.any()
    print("MATCH numpy reference" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    if len(sys.argv) != 3 or sys.argv[1] not in MODELS:
        sys.exit(__doc__)
    write(sys.argv[1], sys.argv[2])
