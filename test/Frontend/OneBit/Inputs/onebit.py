#!/usr/bin/python3
"""An independent writer and checker of OneBit-LLM .1bit files, from the format's description
(docs/OneBitFormat.md; OneBit-LLM's export: magic "1BIT", u32 version, u32 count, u32 config
length, config JSON, then per tensor u32 name length, name, u8 dtype (1 binary, 2 ternary),
u32 rank, u64 dims, u64 data length, data; ternary 2-bit codes 00 = 0, 01 = +1, 11 = -1, four
per byte; binary bits 0 = -1, 1 = +1, eight per byte; LSB first, row-major, no row padding).

  onebit.py write NAME OUT.1bit      a model (valid or one of the broken ones, see MODELS)
  onebit.py check-mlir IN.1bit MODULE.mlir
      decodes IN.1bit here and the bnn constants of MODULE.mlir by bnn's bit contract (binary
      rows LSB first in 64-bit words, +1 = bit 1; ternary rows as a sign plane then a mask plane)
      and prints MATCH, or the first difference (exit 1)
"""
import json
import re
import struct
import sys

import numpy as np

RNG = np.random.default_rng(7)
CONFIG = {"hidden_size": 24, "use_ternary": True, "num_layers": 1}


def pack(kind, values):
    values = np.asarray(values).reshape(-1)
    if kind == 1:
        out = bytearray((values.size + 7) // 8)
        for i, v in enumerate(values):
            if v > 0:
                out[i // 8] |= 1 << (i % 8)
    else:
        out = bytearray((values.size + 3) // 4)
        for i, v in enumerate(values):
            code = 0 if v == 0 else (1 if v > 0 else 3)
            out[i // 4] |= code << (2 * (i % 4))
    return bytes(out)


def tensor(name, kind, values, data=None, dims=None, data_len=None):
    values = np.asarray(values)
    dims = list(values.shape) if dims is None else dims
    data = pack(kind, values) if data is None else data
    data_len = len(data) if data_len is None else data_len
    raw = name.encode()
    out = struct.pack("<I", len(raw)) + raw + struct.pack("<BI", kind, len(dims))
    out += b"".join(struct.pack("<Q", d) for d in dims)
    return out + struct.pack("<Q", data_len) + data


def container(tensors, config=None, magic=b"1BIT", version=1, count=None):
    cfg = json.dumps(CONFIG if config is None else config).encode()
    count = len(tensors) if count is None else count
    return magic + struct.pack("<III", version, count, len(cfg)) + cfg + b"".join(tensors)


def binary(shape):
    return np.where(RNG.standard_normal(shape) >= 0, 1, -1)


def ternary(shape):
    return RNG.integers(-1, 2, size=shape)


def valid():
    # Ragged K (not a multiple of 4, 8 or 64), a 3-D ternary tensor, a rank-1 tensor, a name
    # that is not a symbol.
    return container([
        tensor("model.layers.0.q_proj.weight", 2, ternary((5, 70))),
        tensor("model.layers.0.k_proj.weight", 1, binary((3, 129))),
        tensor("stack", 2, ternary((2, 3, 7))),
        tensor("bias", 1, binary((13,))),
    ])


def truncated():
    return valid()[:-3]


def code_10():
    data = bytearray(pack(2, ternary((2, 8))))
    data[1] = (data[1] & ~0x0C) | 0x08  # element 5 -> code 10
    return container([tensor("w", 2, ternary((2, 8)), data=bytes(data))])


def padding():
    data = bytearray(pack(1, binary((1, 5))))
    data[0] |= 0x80  # bit 7 of a 5-value tensor
    return container([tensor("w", 1, binary((1, 5)), data=bytes(data))])


def bad_length():
    v = binary((2, 16))
    return container([tensor("w", 1, v, data=pack(1, v) + b"\0", data_len=5)])


def duplicate():
    return container([tensor("w", 1, binary((1, 8))), tensor("w", 1, binary((1, 8)))])


MODELS = {
    "valid": valid,
    "truncated": truncated,
    "bad_magic": lambda: container([], magic=b"1BIX"),
    "bad_version": lambda: container([], version=2),
    "bad_dtype": lambda: container([tensor("w", 1, binary((1, 8)))]).replace(
        b"w\x01", b"w\x03", 1),
    "lying_count": lambda: container([], count=1000),
    "bad_json": lambda: container([]).replace(b'"num_layers": 1}', b'"num_layers": 1,', 1),
    "code_10": code_10,
    "padding": padding,
    "bad_length": bad_length,
    "duplicate": duplicate,
    "trailing": lambda: valid() + b"\0",
    "overflow": lambda: container([tensor("w", 1, [], data=b"", dims=[1 << 40, 1 << 40],
                                          data_len=0)]),
    "zero_dim": lambda: container([tensor("w", 1, np.zeros((0, 4)))]),
}


def read(path):
    data = open(path, "rb").read()
    assert data[:4] == b"1BIT"
    version, count, cfg_len = struct.unpack_from("<III", data, 4)
    pos = 16 + cfg_len
    tensors = []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, pos)
        name = data[pos + 4:pos + 4 + n].decode()
        pos += 4 + n
        kind, rank = struct.unpack_from("<BI", data, pos)
        pos += 5
        dims = list(struct.unpack_from("<%dQ" % rank, data, pos))
        pos += 8 * rank
        (length,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        raw = data[pos:pos + length]
        pos += length
        size = int(np.prod(dims))
        if kind == 1:
            values = [1 if (raw[i // 8] >> (i % 8)) & 1 else -1 for i in range(size)]
        else:
            codes = [(raw[i // 4] >> (2 * (i % 4))) & 3 for i in range(size)]
            values = [{0: 0, 1: 1, 3: -1}[c] for c in codes]
        tensors.append((name, kind, dims, np.array(values).reshape(dims)))
    return tensors


def mlir_constants(path):
    """(onebit name, kind, dims, words) of every function of the imported module."""
    text = open(path).read()
    out = []
    for m in re.finditer(r'func\.func @\w+\(\) -> !bnn\.(packed|ternary)<([0-9x]+)>'
                         r' attributes \{bnn\.onebit_name = "([^"]+)"\}.*?'
                         r'dense<([^>]*)> : tensor<[0-9x]+xi64>', text, re.S):
        kind = 1 if m.group(1) == "packed" else 2
        dims = [int(d) for d in m.group(2).split("x")]
        body = m.group(4).strip()
        if body.startswith('"0x'):
            raw = bytes.fromhex(body[3:-1])
            words = np.frombuffer(raw, dtype="<u8")
        else:
            words = np.array([int(w) for w in re.findall(r"-?\d+", body)], dtype=np.int64)
            words = words.astype(np.uint64)
        out.append((m.group(3), kind, dims, words))
    return out


def bnn_values(kind, dims, words):
    k = dims[-1]
    rows = int(np.prod(dims[:-1])) if len(dims) > 1 else 1
    per_row = (k + 63) // 64
    bit = lambda row_words, j: (int(row_words[j // 64]) >> (j % 64)) & 1
    values = np.zeros((rows, k), dtype=np.int64)
    for r in range(rows):
        if kind == 1:
            w = words[r * per_row:(r + 1) * per_row]
            values[r] = [1 if bit(w, j) else -1 for j in range(k)]
        else:
            sign = words[r * 2 * per_row:r * 2 * per_row + per_row]
            mask = words[r * 2 * per_row + per_row:(r + 1) * 2 * per_row]
            values[r] = [0 if not bit(mask, j) else (1 if bit(sign, j) else -1) for j in range(k)]
    return values.reshape(dims)


def check_mlir(onebit_path, mlir_path):
    expected = read(onebit_path)
    got = mlir_constants(mlir_path)
    if len(got) != len(expected):
        print("MISMATCH: %d constants, %d tensors" % (len(got), len(expected)))
        return 1
    for (name, kind, dims, values), (gname, gkind, gdims, words) in zip(expected, got):
        if (name, kind, dims) != (gname, gkind, gdims):
            print("MISMATCH: %s %d %s vs %s %d %s" % (name, kind, dims, gname, gkind, gdims))
            return 1
        decoded = bnn_values(kind, dims, words)
        if not np.array_equal(decoded, values):
            print("MISMATCH in %s at %s" % (name, np.argwhere(decoded != values)[0]))
            return 1
    print("MATCH %d tensors" % len(expected))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        open(sys.argv[3], "wb").write(MODELS[sys.argv[2]]())
    elif len(sys.argv) == 4 and sys.argv[1] == "check-mlir":
        sys.exit(check_mlir(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
