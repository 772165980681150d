#!/usr/bin/python3
"""ONNX models whose size grows with one knob, to measure how compile time scales.

  gen_chain.py chain N OUT.onnx    a chain of N elementwise nodes (Add, Mul, Relu, Sub,
                                   Sigmoid, Tanh in turn) on one [16, 64] float tensor
  gen_chain.py concat N OUT.onnx   one Concat of N graph inputs [1, 64] along axis 0

Needs Debian's python3-onnx (run with /usr/bin/python3). benchmarks/compile-time/measure.sh
times the full path (import, bnn-cpu-pipeline) at several sizes.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SHAPE = [16, 64]
OPS = ["Add", "Mul", "Relu", "Sub", "Sigmoid", "Tanh"]


def chain(n):
    nodes, inits = [], []
    inits.append(numpy_helper.from_array(np.full(SHAPE[-1:], 0.5, np.float32), "c"))
    prev = "x"
    for i in range(n):
        op = OPS[i % len(OPS)]
        out = "y" if i == n - 1 else f"t{i}"
        inputs = [prev, "c"] if op in ("Add", "Mul", "Sub") else [prev]
        nodes.append(helper.make_node(op, inputs, [out], name=f"n{i}"))
        prev = out
    graph = helper.make_graph(
        nodes, f"chain{n}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, SHAPE)], inits)
    return graph


def concat(n):
    inputs = [helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT, [1, SHAPE[-1]])
              for i in range(n)]
    node = helper.make_node("Concat", [f"x{i}" for i in range(n)], ["y"], axis=0, name="cat")
    return helper.make_graph(
        [node], f"concat{n}", inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, SHAPE[-1]])])


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("chain", "concat"):
        sys.exit(__doc__)
    kind, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    graph = chain(n) if kind == "chain" else concat(n)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    main()
