#!/usr/bin/python3
"""Writes one small ONNX model for the frontend's lit tests: make_model.py NAME OUT.onnx

Needs Debian's python3-onnx and python3-numpy (run it with /usr/bin/python3). Every model is
built deterministically (fixed seeds), so a test that imports it always sees the same graph.
Some models are invalid on purpose (error-path tests); those bypass onnx.checker here.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT


def tensor(name, shape, dtype=FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, initializers=(), opset=17, check=True, domains=()):
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(initializers))
    imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(graph, opset_imports=imports, producer_name="bnn-tests")
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    return m


rng = np.random.default_rng(1234)


def random_pm1(shape):
    return np.where(rng.standard_normal(shape) >= 0, 1.0, -1.0).astype(np.float32)


def where_sign():
    # Where(x >= 0, 1, -1): exactly bnn.sign.
    return model(
        [helper.make_node("GreaterOrEqual", ["x", "zero"], ["c"], name="ge"),
         helper.make_node("Where", ["c", "one", "minus_one"], ["y"], name="sign")],
        [tensor("x", [4, 8])], [tensor("y", [4, 8])],
        [const("zero", np.float32(0)), const("one", np.float32(1)),
         const("minus_one", np.float32(-1))])


def where_sign_less():
    # Where(0 > x, -1, 1): also bnn.sign.
    return model(
        [helper.make_node("Greater", ["zero", "x"], ["c"], name="gt"),
         helper.make_node("Where", ["c", "minus_one", "one"], ["y"], name="sign")],
        [tensor("x", [3, 5])], [tensor("y", [3, 5])],
        [const("zero", np.float32(0)), const("one", np.float32(1)),
         const("minus_one", np.float32(-1))])


def where_greater():
    # Where(x > 0, 1, -1) maps 0 to -1, unlike bnn.sign: must stay a select.
    return model(
        [helper.make_node("Greater", ["x", "zero"], ["c"], name="gt"),
         helper.make_node("Where", ["c", "one", "minus_one"], ["y"], name="not_sign")],
        [tensor("x", [4, 8])], [tensor("y", [4, 8])],
        [const("zero", np.float32(0)), const("one", np.float32(1)),
         const("minus_one", np.float32(-1))])


def onnx_sign():
    # ONNX Sign on an activation (0 -> 0) and on constant weights without zeros.
    w = rng.standard_normal((8, 4)).astype(np.float32)
    w[w == 0] = 1
    return model(
        [helper.make_node("Sign", ["x"], ["s"], name="act_sign"),
         helper.make_node("Sign", ["w"], ["ws"], name="weight_sign"),
         helper.make_node("MatMul", ["s", "ws"], ["y"], name="mm")],
        [tensor("x", [2, 8])], [tensor("y", [2, 4])], [const("w", w)])


def scaled_sign():
    # Sign(W) * mean(|W|), per tensor and per output column, feeding float MatMuls.
    w = rng.standard_normal((16, 8)).astype(np.float32)
    return model(
        [helper.make_node("Sign", ["w"], ["ws"], name="sign"),
         helper.make_node("Abs", ["w"], ["wa"], name="abs"),
         helper.make_node("ReduceMean", ["wa"], ["alpha"], name="mean", keepdims=0),
         helper.make_node("Mul", ["ws", "alpha"], ["wb"], name="scaled"),
         helper.make_node("MatMul", ["x", "wb"], ["y"], name="mm"),
         helper.make_node("ReduceMean", ["wa"], ["alpha_col"], name="mean_col", axes=[0],
                          keepdims=1),
         helper.make_node("Mul", ["ws", "alpha_col"], ["wc"], name="scaled_col"),
         helper.make_node("MatMul", ["x", "wc"], ["z"], name="mm_col")],
        [tensor("x", [2, 16])], [tensor("y", [2, 8]), tensor("z", [2, 8])], [const("w", w)],
        opset=13)


def xnor_mlp():
    # sign(x) @ (+-1 W) + b, relu: bnn.xnor_popcount with a bias + relu epilogue.
    w = random_pm1((100, 24))
    b = rng.standard_normal(24).astype(np.float32)
    return model(
        [helper.make_node("GreaterOrEqual", ["x", "zero"], ["c"], name="ge"),
         helper.make_node("Where", ["c", "one", "minus_one"], ["xs"], name="sign"),
         helper.make_node("MatMul", ["xs", "w"], ["mm"], name="fc"),
         helper.make_node("Add", ["mm", "b"], ["biased"], name="bias"),
         helper.make_node("Relu", ["biased"], ["y"], name="relu")],
        [tensor("x", [3, 100])], [tensor("y", [3, 24])],
        [const("zero", np.float32(0)), const("one", np.float32(1)),
         const("minus_one", np.float32(-1)), const("w", w), const("b", b)])


def xnor_gemm():
    # Gemm(sign(x), W^T scaled per row, transB=1): xnor_popcount with a column scale.
    w = random_pm1((10, 70)) * np.linspace(0.5, 1.5, 10, dtype=np.float32)[:, None]
    return model(
        [helper.make_node("Less", ["x", "zero"], ["c"], name="lt"),
         helper.make_node("Where", ["c", "minus_one", "one"], ["xs"], name="sign"),
         helper.make_node("Gemm", ["xs", "w"], ["y"], name="gemm", transB=1, alpha=0.5)],
        [tensor("x", [2, 70])], [tensor("y", [2, 10])],
        [const("zero", np.float32(0)), const("one", np.float32(1)),
         const("minus_one", np.float32(-1)), const("w", w.astype(np.float32))])


def bitlinear(ternary=True):
    # BitNet b1.58 linear: absmax 8-bit activations, absmean-scaled ternary weights (exported
    # with constant folding, so the weight is the constant W_q * scale).
    k, n = 48, 12
    w = rng.standard_normal((n, k)).astype(np.float32)
    scale = np.abs(w).mean() + 1e-5
    wq = np.clip(np.round(w / scale), -1, 1) if ternary else np.where(w >= 0, 1.0, -1.0)
    weight = (wq * scale).astype(np.float32).T  # K x N for MatMul
    return model(
        [helper.make_node("Abs", ["x"], ["xa"], name="abs"),
         helper.make_node("ReduceMax", ["xa"], ["xm"], name="absmax", axes=[-1], keepdims=1),
         helper.make_node("Clip", ["xm", "eps", ""], ["xmc"], name="clamp"),
         helper.make_node("Div", ["q127", "xmc"], ["a"], name="scale"),
         helper.make_node("Mul", ["x", "a"], ["xs"], name="quant"),
         helper.make_node("Round", ["xs"], ["xr"], name="round"),
         helper.make_node("Clip", ["xr", "qmin", "qmax"], ["q"], name="clip"),
         helper.make_node("Div", ["q", "a"], ["xq"], name="dequant"),
         helper.make_node("MatMul", ["xq", "w"], ["y"], name="bitlinear")],
        [tensor("x", [2, 3, k])], [tensor("y", [2, 3, n])],
        [const("eps", np.float32(1e-5)), const("q127", np.float32(127)),
         const("qmin", np.float32(-128)), const("qmax", np.float32(127)), const("w", weight)])


def shapes():
    # Shape computations resolved by data propagation feeding Reshape, plus Slice/Concat/etc.
    return model(
        [helper.make_node("Shape", ["x"], ["s"], name="shape"),
         helper.make_node("Gather", ["s", "zero_i"], ["d0"], name="dim0", axis=0),
         helper.make_node("Unsqueeze", ["d0", "axes0"], ["d0v"], name="unsq"),
         helper.make_node("Concat", ["d0v", "minus_one_i"], ["target"], name="cat", axis=0),
         helper.make_node("Reshape", ["x", "target"], ["flat"], name="reshape"),
         helper.make_node("Slice", ["flat", "starts", "ends", "axes1", "steps"], ["y"],
                          name="slice")],
        [tensor("x", [2, 3, 4])], [tensor("y", [2, 6])],
        [const("zero_i", np.int64(0)), const("axes0", np.array([0], np.int64)),
         const("minus_one_i", np.array([-1], np.int64)),
         const("starts", np.array([0], np.int64)), const("ends", np.array([12], np.int64)),
         const("axes1", np.array([1], np.int64)), const("steps", np.array([2], np.int64))])


def weights():
    # A large initializer (dense resource) and a small one (inline).
    w = rng.standard_normal((32, 16)).astype(np.float32)
    return model(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="fc"),
         helper.make_node("Add", ["h", "b"], ["y"], name="bias")],
        [tensor("x", [1, 32])], [tensor("y", [1, 16])],
        [const("w", w), const("b", np.arange(16, dtype=np.float32))])


# ---- invalid or unsupported models -------------------------------------------------------

def unsupported_op():
    return model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv1")],
                 [tensor("x", [1, 1, 4, 4]), tensor("w", [1, 1, 3, 3])],
                 [tensor("y", [1, 1, 2, 2])], opset=13)


def custom_domain():
    return model([helper.make_node("Fancy", ["x"], ["y"], name="mystery", domain="com.example")],
                 [tensor("x", [4])], [tensor("y", [4])], domains=["com.example"], check=False)


def old_opset():
    # Unsqueeze-1 (axes attribute, opset 9) is not a version the importer implements.
    return model([helper.make_node("Unsqueeze", ["x"], ["y"], name="unsq", axes=[0])],
                 [tensor("x", [4])], [tensor("y", [1, 4])], opset=9)


def dynamic_input():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [tensor("x", ["batch", 8])], [tensor("y", ["batch", 8])])


def runtime_shape():
    # Reshape to a shape only known at run time.
    return model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
                 [tensor("x", [2, 6]), tensor("shape", [2], TensorProto.INT64)],
                 [tensor("y", ["a", "b"])])


def checker_failure():
    # A node reads a value nothing defines.
    return model([helper.make_node("Relu", ["nowhere"], ["y"], name="relu")],
                 [tensor("x", [4])], [tensor("y", [4])], check=False)


def bad_initializer():
    # raw_data is shorter than the dims need; the checker does not look at sizes.
    t = TensorProto(name="w", data_type=FLOAT, dims=[4, 4], raw_data=b"\0" * 12)
    return model([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                 [tensor("x", [4, 4])], [tensor("y", [4, 4])], [t], check=False)


def shape_mismatch():
    # MatMul with inner dimensions that disagree; ONNX shape inference reports it.
    return model([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
                 [tensor("a", [2, 3]), tensor("b", [4, 5])], [tensor("y", [2, 5])], check=False)


def no_graph():
    m = onnx.ModelProto()
    m.ir_version = 8
    return m


def string_input():
    return model([helper.make_node("Identity", ["x"], ["y"], name="id")],
                 [tensor("x", [2], TensorProto.STRING)], [tensor("y", [2], TensorProto.STRING)])


MODELS = {f.__name__: f for f in [
    where_sign, where_sign_less, where_greater, onnx_sign, scaled_sign, xnor_mlp, xnor_gemm,
    shapes, weights, unsupported_op, custom_domain, old_opset, dynamic_input, runtime_shape,
    checker_failure, bad_initializer, shape_mismatch, no_graph, string_input]}
MODELS["bitlinear_ternary"] = lambda: bitlinear(True)
MODELS["bitlinear_binary"] = lambda: bitlinear(False)

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in MODELS:
        sys.exit("usage: make_model.py {%s} OUT.onnx" % ",".join(sorted(MODELS)))
    with open(sys.argv[2], "wb") as f:
        f.write(MODELS[sys.argv[1]]().SerializeToString())
