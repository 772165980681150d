#!/usr/bin/python3
"""Compares the f32 values `bnn-checkpoint dump` prints with those make_checkpoint.py wrote.

usage: compare_values.py BNN_CHECKPOINT CHECKPOINT_DIR
values.txt (from make_checkpoint.py) lists tensors with their exact f32 values (float.hex);
the tool's dump prints them in C's %a form. Both are parsed with float.fromhex and must agree
exactly (NaN matches NaN). Prints how many values were compared, or the first difference.
"""

import math
import os
import subprocess
import sys

tool, directory = sys.argv[1], sys.argv[2]
expected = {}
with open(os.path.join(directory, "values.txt")) as f:
    for line in f:
        name, *values = line.split()
        expected[name] = values

command = [tool, "dump", directory] + ["--tensor=" + name for name in expected]
dump = subprocess.run(command, capture_output=True, text=True, check=True).stdout


def parse(text):
    return math.nan if "nan" in text else float.fromhex(text)


count = 0
for line in dump.splitlines():
    head, _, values = line.rpartition(":")
    name = head.split(":")[0]
    got = values.split()
    want = expected.pop(name)
    if len(got) != len(want):
        sys.exit(f"{name}: {len(got)} values, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        a, b = parse(g), parse(w)
        same = (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
        if not same:
            sys.exit(f"{name}[{i}]: bnn read {g}, expected {w}")
        count += 1
if expected:
    sys.exit("not dumped: " + ", ".join(expected))
print(f"compared {count} values: all equal")
