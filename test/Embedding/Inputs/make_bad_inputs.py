#!/usr/bin/env python3
"""Writes the malformed and unsupported inputs of test/Embedding/errors.test into DIR, each
named after what is wrong with it (NumPy only writes the good ones; the bad bytes are spelled
out here). Needs Debian's python3-numpy."""
import os
import struct
import sys

import numpy as np


def npy(header, data=b"", version=(1, 0), magic=b"\x93NUMPY"):
    """A .npy file with the given header dict text, padded as NumPy pads it."""
    text = header.encode("latin1")
    length_bytes = 2 if version[0] == 1 else 4
    pad = (64 - (len(magic) + 2 + length_bytes + len(text) + 1) % 64) % 64
    text += b" " * pad + b"\n"
    length = struct.pack("<H" if length_bytes == 2 else "<I", len(text))
    return magic + bytes(version) + length + text + data


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    good = np.arange(24, dtype="<f4").reshape(6, 4) + 1
    files = {
        "magic.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
                         good.tobytes(), magic=b"\x93NUMPX"),
        "empty.npy": b"",
        "version.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
                           good.tobytes(), version=(4, 0)),
        "int-dtype.npy": npy("{'descr': '<i4', 'fortran_order': False, 'shape': (6, 4), }",
                             np.zeros(24, "<i4").tobytes()),
        "big-endian.npy": npy("{'descr': '>f4', 'fortran_order': False, 'shape': (6, 4), }",
                              good.astype(">f4").tobytes()),
        "fortran.npy": npy("{'descr': '<f4', 'fortran_order': True, 'shape': (6, 4), }",
                           good.T.tobytes()),
        "truncated.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
                             good.tobytes()[:-3]),
        "trailing.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
                            good.tobytes() + b"\0\0\0\0"),
        "truncated-header.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }")[:40],
        "one-dim.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (24,), }",
                           good.tobytes()),
        "bad-key.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), 'x': 1}",
                           good.tobytes()),
        "no-shape.npy": npy("{'descr': '<f4', 'fortran_order': False, }", good.tobytes()),
        "huge-shape.npy": npy("{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (4294967296, 4294967296), }"),
        "nan.npy": None,
        "zero-row.npy": None,
        "v2.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
                      good.tobytes(), version=(2, 0)),
        "v3.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }",
                      good.tobytes(), version=(3, 0)),
    }
    for name, data in files.items():
        if data is not None:
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
    bad = good.copy()
    bad[2, 1] = np.nan
    np.save(os.path.join(out, "nan.npy"), bad)
    zero = good.copy()
    zero[3] = 0
    np.save(os.path.join(out, "zero-row.npy"), zero)
    np.save(os.path.join(out, "good.npy"), good)
    np.save(os.path.join(out, "labels5.npy"), np.arange(5, dtype=np.int64))
    np.save(os.path.join(out, "labels-float.npy"), np.zeros(6, dtype=np.float32))
    np.save(os.path.join(out, "labels-2d.npy"), np.zeros((6, 1), dtype=np.int32))
    with open(os.path.join(out, "labels7.txt"), "w") as f:
        f.write("0 1 2 0 1 2 0\n")
    with open(os.path.join(out, "labels-word.txt"), "w") as f:
        f.write("0 1 two 0 1 2\n")


if __name__ == "__main__":
    main()
