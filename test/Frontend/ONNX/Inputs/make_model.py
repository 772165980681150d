#!/usr/bin/python3
"""Writes one small ONNX model for the frontend's lit tests: make_model.py NAME OUT.onnx

Needs Debian's python3-onnx and python3-numpy (run it with /usr/bin/python3). Every model is
built deterministically (fixed seeds), so a test that imports it always sees the same graph.
Some models are invalid on purpose (error-path tests); those bypass onnx.checker here.
"""
import os
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


def xnor_wide():
    # sign(x) @ sign(w) with K = 2^31: an i32 XNOR-popcount would wrap, so it stays a float
    # matmul (types only; nothing of that size is allocated by the import).
    k = 1 << 31
    nodes = []
    for name in ("x", "w"):
        nodes += [helper.make_node("GreaterOrEqual", [name, "zero"], [name + "_c"], name=name + "_ge"),
                  helper.make_node("Where", [name + "_c", "one", "minus_one"], [name + "_s"],
                                   name=name + "_sign")]
    nodes.append(helper.make_node("MatMul", ["x_s", "w_s"], ["y"], name="mm"))
    return model(nodes, [tensor("x", [1, k]), tensor("w", [k, 1])], [tensor("y", [1, 1])],
                 [const("zero", np.float32(0)), const("one", np.float32(1)),
                  const("minus_one", np.float32(-1))])


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
    where_sign, where_sign_less, where_greater, onnx_sign, scaled_sign, xnor_mlp, xnor_gemm, xnor_wide,
    shapes, weights, unsupported_op, custom_domain, old_opset, dynamic_input, runtime_shape,
    checker_failure, bad_initializer, shape_mismatch, no_graph, string_input]}
MODELS["bitlinear_ternary"] = lambda: bitlinear(True)
MODELS["bitlinear_binary"] = lambda: bitlinear(False)



# ---- malformed nodes for the importer's own checks (test/Frontend/ONNX/converter-errors.test) --
# Each entry: nodes, inputs (name, type, shape), outputs, initializers, opset. They bypass
# onnx.checker where it would object; most are imported with --onnx-shape-inference=false so
# that the importer's checks, not ONNX's, see them.

I64, I32, F = TensorProto.INT64, TensorProto.INT32, FLOAT
BIG = 1 << 40


def range_model(dtype, start, limit, delta):
    t = I64 if dtype == np.int64 else F
    return single("Range", [("a", t, []), ("b", t, []), ("d", t, [])], outputs=[("y", t, None)],
                  inits=[c("a", start, dtype), c("b", limit, dtype), c("d", delta, dtype)])


def int_gemm(with_c=False, **attrs):
    inputs = [("a", I32, [2, 3]), ("b", I32, [3, 2])] + ([("c", I32, [2])] if with_c else [])
    return single("Gemm", inputs, outputs=[("y", I32, None)], **attrs)


def out(name, dtype=FLOAT, shape=None):
    # The checker wants a shape on graph outputs; one symbolic dimension leaves it open (the
    # importer only compares fully static declared shapes).
    return tensor(name, ["?"] if shape is None else shape, dtype)


def single(op, inputs, outputs=(("y", F, None),), inits=(), opset=17, **attrs):
    in_names = [i[0] if i else "" for i in inputs]
    node = helper.make_node(op, in_names, [o[0] for o in outputs], name="bad_" + op.lower(),
                            **attrs)
    graph_inputs = [tensor(n, s, t) for (n, t, s) in [i for i in inputs if i and i[1] is not None]
                    if n not in {x.name for x in inits}]
    return model([node], graph_inputs, [out(n, t, s) for (n, t, s) in outputs], inits,
                 opset=opset, check=False)


def c(name, array, dtype=None):
    return const(name, np.asarray(array, dtype=dtype))


def string_constant():
    n = helper.make_node("Constant", [], ["y"], name="bad_constant", value_string="text")
    return model([n], [], [tensor("y", [], TensorProto.STRING)], check=False)


def huge_value_tensor():
    # One value for dims that need 2^40: the importer allocated the 4 TiB before counting.
    t = TensorProto(name="v", data_type=F, dims=[1 << 20, 1 << 20], float_data=[1.0])
    return model([helper.make_node("Constant", [], ["y"], name="bad_constant", value=t)],
                 [], [out("y")], check=False)


def bad_value_tensor(op, inputs, inits=()):
    t = TensorProto(name="v", data_type=F, dims=[1], raw_data=b"\0\0")
    return model([helper.make_node(op, inputs, ["y"], name="bad_" + op.lower(), value=t)],
                 [], [out("y")], list(inits), check=False)


def graph_input(kind):
    if kind == "sequence":
        vi = helper.make_value_info("x", helper.make_sequence_type_proto(
            helper.make_tensor_type_proto(F, [2])))
    elif kind == "huge":
        vi = tensor("x", [BIG, BIG])
    elif kind == "negative":
        vi = tensor("x", [-3])
    return model([helper.make_node("Identity", ["x"], ["y"], name="id")], [vi],
                 [out("y")], check=False)


def bad_initializer_kind(kind):
    if kind == "string":
        t = helper.make_tensor("w", TensorProto.STRING, [1], [b"a"])
    elif kind == "external":
        # The checker only wants the file to exist (this script does); the importer does not
        # read external data.
        t = TensorProto(name="w", data_type=F, dims=[1], data_location=TensorProto.EXTERNAL)
        t.external_data.add(key="location", value=os.path.abspath(__file__))
    elif kind == "dims":
        t = TensorProto(name="w", data_type=F, dims=[-1], float_data=[1.0])
    elif kind == "zero_negative":
        # A zero dimension before a negative one: no values needed, still no valid type.
        t = TensorProto(name="w", data_type=F, dims=[0, -1])
    elif kind == "count":
        t = TensorProto(name="w", data_type=F, dims=[3], float_data=[1.0, 2.0])
    return model([helper.make_node("Identity", ["w"], ["y"], name="id")], [],
                 [tensor("y", [1])], [t], check=False)


def no_default_opset():
    graph = helper.make_graph([], "g", [], [])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("com.example", 1)])
    m.ir_version = 8
    return m


def declared_output(kind):
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    if kind == "dtype":
        return model([node], [tensor("x", [4])], [out("y", I64)], check=False)
    if kind == "value_info":
        second = helper.make_node("Relu", ["y"], ["z"], name="relu2")
        m = model([node, second], [tensor("x", [4])], [tensor("z", [4])], check=False)
        m.graph.value_info.append(tensor("y", [5]))
        return m
    return model([node], [tensor("x", [4])], [tensor("z", [4])], check=False)


BAD = {
    "clip_vector_bounds": lambda: single("Clip", [("x", F, [4]), ("lo", F, [2])],
                                         inits=[c("lo", [0, 1], np.float32)]),
    "erf_int": lambda: single("Erf", [("x", I32, [4])], outputs=[("y", I32, [4])]),
    "sqrt_int": lambda: single("Sqrt", [("x", I32, [4])], outputs=[("y", I32, [4])]),
    "add_mixed": lambda: single("Add", [("a", F, [4]), ("b", I64, [4])]),
    "add_shapes": lambda: single("Add", [("a", F, [2]), ("b", F, [3])]),
    "matmul_scalar": lambda: single("MatMul", [("a", F, []), ("b", F, [3])]),
    "matmul_inner": lambda: single("MatMul", [("a", F, [2, 3]), ("b", F, [4, 5])]),
    "matmul_batch": lambda: single("MatMul", [("a", F, [2, 2, 3]), ("b", F, [3, 3, 4])]),
    "gemm_rank": lambda: single("Gemm", [("a", F, [2, 3, 4]), ("b", F, [4, 5])]),
    "gemm_inner": lambda: single("Gemm", [("a", F, [2, 3]), ("b", F, [4, 5])]),
    "gemm_c": lambda: single("Gemm", [("a", F, [2, 3]), ("b", F, [3, 5]), ("c", F, [3])]),
    "softmax_scalar": lambda: single("Softmax", [("x", F, [])]),
    "layernorm_stash": lambda: single("LayerNormalization", [("x", F, [2, 5]), ("s", F, [5])],
                                      stash_type=16),
    "layernorm_scale": lambda: single("LayerNormalization", [("x", F, [2, 5]), ("s", F, [7])]),
    "constant_bad_value": lambda: bad_value_tensor("Constant", []),
    "constant_string": string_constant,
    "constant_huge_dims": huge_value_tensor,
    "constantofshape_negative": lambda: single("ConstantOfShape", [("s", I64, [1])],
                                               inits=[c("s", [-2], np.int64)]),
    "constantofshape_huge": lambda: single("ConstantOfShape", [("s", I64, [2])],
                                           inits=[c("s", [BIG, BIG], np.int64)]),
    "constantofshape_two_values": lambda: single(
        "ConstantOfShape", [("s", I64, [1])], inits=[c("s", [2], np.int64)],
        value=numpy_helper.from_array(np.array([1, 2], np.float32))),
    "constantofshape_bad_value": lambda: bad_value_tensor("ConstantOfShape", ["s"],
                                                          [c("s", [2], np.int64)]),
    "constantofshape_runtime": lambda: single("ConstantOfShape", [("s", I64, [1])]),
    "range_vector": lambda: single("Range", [("a", F, [2]), ("b", F, []), ("d", F, [])],
                                   inits=[c("a", [0, 1], np.float32), c("b", 4, np.float32),
                                          c("d", 1, np.float32)]),
    "range_zero_float": lambda: single("Range", [("a", F, []), ("b", F, []), ("d", F, [])],
                                       inits=[c("a", 0, np.float32), c("b", 4, np.float32),
                                              c("d", 0, np.float32)]),
    "range_zero_int": lambda: single("Range", [("a", I64, []), ("b", I64, []), ("d", I64, [])],
                                     outputs=[("y", I64, None)],
                                     inits=[c("a", 0, np.int64), c("b", 4, np.int64),
                                            c("d", 0, np.int64)]),
    "range_long": lambda: single("Range", [("a", I64, []), ("b", I64, []), ("d", I64, [])],
                                 outputs=[("y", I64, None)],
                                 inits=[c("a", 0, np.int64), c("b", BIG, np.int64),
                                        c("d", 1, np.int64)]),
    "range_runtime": lambda: single("Range", [("a", F, []), ("b", F, []), ("d", F, [])],
                                    inits=[c("a", 0, np.float32), c("d", 1, np.float32)]),
    # Model numbers are range-checked before they become integers: a float step count beyond
    # int64 (or NaN), and float Gemm scales an integer Gemm cannot apply exactly.
    "range_float_infinite": lambda: range_model(np.float32, 0, np.inf, 1),
    "range_float_nan": lambda: range_model(np.float32, 0, 4, np.nan),
    "range_float_long": lambda: range_model(np.float32, 0, 1e30, 1),
    "gemm_int_alpha_nan": lambda: int_gemm(alpha=float("nan")),
    "gemm_int_alpha_inf": lambda: int_gemm(alpha=float("inf")),
    "gemm_int_alpha_huge": lambda: int_gemm(alpha=1e30),
    "gemm_int_beta_fraction": lambda: int_gemm(beta=0.5, with_c=True),
    "cast_to_wide": lambda: single("Cast", [("x", F, [2])], outputs=[("y", F, [2])],
                                   to=(1 << 32) + TensorProto.FLOAT),
    "cast_string": lambda: single("Cast", [("x", F, [2])], outputs=[("y", TensorProto.STRING, [2])],
                                  to=TensorProto.STRING),
    "reshape_count": lambda: single("Reshape", [("x", F, [2, 3]), ("s", I64, [1])],
                                    inits=[c("s", [4], np.int64)]),
    "reshape_copy_rank": lambda: single("Reshape", [("x", F, [6]), ("s", I64, [2])],
                                        inits=[c("s", [0, 0], np.int64)]),
    "reshape_two_minus": lambda: single("Reshape", [("x", F, [6]), ("s", I64, [2])],
                                        inits=[c("s", [-1, -1], np.int64)]),
    "reshape_negative": lambda: single("Reshape", [("x", F, [6]), ("s", I64, [2])],
                                       inits=[c("s", [-2, 3], np.int64)]),
    "reshape_huge": lambda: single("Reshape", [("x", F, [6]), ("s", I64, [2])],
                                   inits=[c("s", [BIG, BIG], np.int64)]),
    "reshape_infer": lambda: single("Reshape", [("x", F, [6]), ("s", I64, [2])],
                                    inits=[c("s", [4, -1], np.int64)]),
    "flatten_axis": lambda: single("Flatten", [("x", F, [2, 3])], axis=5),
    "squeeze_size": lambda: single("Squeeze", [("x", F, [2, 3]), ("a", I64, [1])],
                                   inits=[c("a", [0], np.int64)]),
    "squeeze_axis_range": lambda: single("Squeeze", [("x", F, [2, 3]), ("a", I64, [1])],
                                         inits=[c("a", [5], np.int64)]),
    "unsqueeze_repeat": lambda: single("Unsqueeze", [("x", F, [2, 3]), ("a", I64, [2])],
                                       inits=[c("a", [0, 0], np.int64)]),
    "transpose_perm": lambda: single("Transpose", [("x", F, [2, 3])], perm=[0, 0]),
    "transpose_perm_length": lambda: single("Transpose", [("x", F, [2, 3])], perm=[0]),
    "concat_rank": lambda: single("Concat", [("a", F, [2, 3]), ("b", F, [3])], axis=0),
    "concat_dims": lambda: single("Concat", [("a", F, [2, 3]), ("b", F, [3, 3])], axis=1),
    "concat_axis": lambda: single("Concat", [("a", F, [2, 3]), ("b", F, [2, 3])], axis=3),
    "slice_lengths": lambda: single("Slice", [("x", F, [4]), ("s", I64, [1]), ("e", I64, [2])],
                                    inits=[c("s", [0], np.int64), c("e", [1, 2], np.int64)]),
    "slice_step0": lambda: single("Slice", [("x", F, [4]), ("s", I64, [1]), ("e", I64, [1]),
                                            ("a", I64, [1]), ("t", I64, [1])],
                                  inits=[c("s", [0], np.int64), c("e", [3], np.int64),
                                         c("a", [0], np.int64), c("t", [0], np.int64)]),
    "slice_runtime": lambda: single("Slice", [("x", F, [4]), ("s", I64, [1]), ("e", I64, [1])],
                                    inits=[c("e", [3], np.int64)]),
    "topk_k_range": lambda: single("TopK", [("x", F, [2, 5]), ("k", I64, [1])],
                                   outputs=[("v", F, None), ("i", I64, None)],
                                   inits=[c("k", [6], np.int64)]),
    "topk_k_runtime": lambda: single("TopK", [("x", F, [2, 5]), ("k", I64, [1])],
                                     outputs=[("v", F, None), ("i", I64, None)]),
    "argmax_axis": lambda: single("ArgMax", [("x", F, [2, 5])], outputs=[("i", I64, None)],
                                  axis=2),
    "expand_bad": lambda: single("Expand", [("x", F, [3]), ("s", I64, [1])],
                                 inits=[c("s", [2], np.int64)]),
    "expand_huge": lambda: single("Expand", [("x", F, [1]), ("s", I64, [2])],
                                  inits=[c("s", [BIG, BIG], np.int64)]),
    "expand_zero_negative": lambda: single("Expand", [("x", F, [1]), ("s", I64, [2])],
                                           inits=[c("s", [0, -4], np.int64)]),
    "expand_runtime": lambda: single("Expand", [("x", F, [3]), ("s", I64, [1])]),
    "tile_length": lambda: single("Tile", [("x", F, [2, 3]), ("r", I64, [1])],
                                  inits=[c("r", [2], np.int64)]),
    "tile_negative": lambda: single("Tile", [("x", F, [2, 3]), ("r", I64, [2])],
                                    inits=[c("r", [-1, 1], np.int64)]),
    "tile_huge": lambda: single("Tile", [("x", F, [2, 3]), ("r", I64, [2])],
                                inits=[c("r", [BIG, BIG], np.int64)]),
    "tile_overflow": lambda: single("Tile", [("x", F, [4, 3]), ("r", I64, [2])],
                                    inits=[c("r", [1 << 62, 1], np.int64)]),
    "split_overflow": lambda: single("Split", [("x", F, [5]), ("s", I64, [2])],
                                     outputs=[("y", F, None), ("z", F, None)],
                                     inits=[c("s", [(1 << 62) + 3, (1 << 62) + 2], np.int64)]),
    "split_equal": lambda: single("Split", [("x", F, [5])], outputs=[("y", F, None), ("z", F, None)]),
    "split_negative": lambda: single("Split", [("x", F, [5]), ("s", I64, [2])],
                                     outputs=[("y", F, None), ("z", F, None)],
                                     inits=[c("s", [-1, 6], np.int64)]),
    "split_sum": lambda: single("Split", [("x", F, [5]), ("s", I64, [2])],
                                outputs=[("y", F, None), ("z", F, None)],
                                inits=[c("s", [2, 2], np.int64)]),
    "gather_scalar": lambda: single("Gather", [("x", F, []), ("i", I64, [1])]),
    "gather_huge": lambda: single("Gather", [("x", F, [2, 4]), ("i", I64, [1 << 24, 1 << 24])],
                                  axis=1),
    "gather_empty_axis": lambda: single("Gather", [("x", F, [2, 0]), ("i", I64, [4])], axis=1),
    "gatherelements_empty_axis": lambda: single("GatherElements", [("x", F, [2, 0]),
                                                                   ("i", I64, [2, 3])], axis=1),
    "gatherelements_rank": lambda: single("GatherElements", [("x", F, [2, 3]), ("i", I64, [2])]),
    "gatherelements_exceed": lambda: single("GatherElements", [("x", F, [2, 3]),
                                                               ("i", I64, [3, 3])], axis=1),
    "trilu_rank": lambda: single("Trilu", [("x", F, [3])]),
    "trilu_k": lambda: single("Trilu", [("x", F, [3, 3]), ("k", I64, [2])],
                              inits=[c("k", [1, 2], np.int64)]),
    "input_sequence": lambda: graph_input("sequence"),
    "input_huge": lambda: graph_input("huge"),
    "input_negative": lambda: graph_input("negative"),
    "initializer_string": lambda: bad_initializer_kind("string"),
    "initializer_external": lambda: bad_initializer_kind("external"),
    "initializer_dims": lambda: bad_initializer_kind("dims"),
    "initializer_count": lambda: bad_initializer_kind("count"),
    "initializer_zero_negative": lambda: bad_initializer_kind("zero_negative"),
    "no_default_opset": no_default_opset,
    "output_dtype": lambda: declared_output("dtype"),
    "output_value_info": lambda: declared_output("value_info"),
    "output_missing": lambda: declared_output("missing"),
}
MODELS.update({"bad_" + k: v for k, v in BAD.items()})
# Range bounds whose counts the importer once got wrong (import.test): a float step count of
# about -3e39, cast to int64_t unchecked (UB, found by the fuzzer), is an empty range; integer
# bounds whose count through double is one too many (the extra element wrapped around int64).
MODELS["concat3"] = lambda: model(
    [helper.make_node("Concat", ["a", "b", "c"], ["y"], name="cat", axis=0)],
    [tensor("a", [1, 4]), tensor("b", [2, 4]), tensor("c", [1, 4])], [tensor("y", [4, 4])])
MODELS["range_float_empty"] = lambda: range_model(np.float32, 0, -3e38, 0.1)
MODELS["range_int_exact"] = lambda: range_model(np.int64, 5182723085609970111,
                                                9223372036854775739, 4040648951244805778)

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--all-bad":
        # Every malformed model at once: DIR/<name>.onnx.
        os.makedirs(sys.argv[2], exist_ok=True)
        for name, make in BAD.items():
            with open(os.path.join(sys.argv[2], name + ".onnx"), "wb") as f:
                f.write(make().SerializeToString())
        sys.exit(0)
    if len(sys.argv) != 3 or sys.argv[1] not in MODELS:
        sys.exit("usage: make_model.py {%s} OUT.onnx" % ",".join(sorted(MODELS)))
    with open(sys.argv[2], "wb") as f:
        f.write(MODELS[sys.argv[1]]().SerializeToString())
