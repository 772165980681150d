#!/usr/bin/python3
"""Writes ONNX backend node tests the conformance runner must reject: make_conformance_node.py DIR

DIR/test_huge_declared: a Relu on 4 floats whose test data declares 2^40 values and holds one.
The runner resized its buffer to the declared dims before counting the values (4 TiB: LLVM
ERROR: out of memory). Needs Debian's python3-onnx (run with /usr/bin/python3).
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
test = os.path.join(out, "test_huge_declared")
os.makedirs(os.path.join(test, "test_data_set_0"), exist_ok=True)
graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "test",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
with open(os.path.join(test, "model.onnx"), "wb") as f:
    f.write(model.SerializeToString())
huge = TensorProto(name="x", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20], float_data=[1.0])
with open(os.path.join(test, "test_data_set_0", "input_0.pb"), "wb") as f:
    f.write(huge.SerializeToString())
with open(os.path.join(test, "test_data_set_0", "output_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(np.ones([4], np.float32), "y").SerializeToString())
