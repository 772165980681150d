#!/usr/bin/python3
"""Writes model checkpoints (config.json + model.safetensors) for the lit tests of bnn-checkpoint.

An independent writer: the safetensors container is written here from the format's specification
(8-byte little-endian header length, a JSON header of {name: {dtype, shape, data_offsets}} with
offsets relative to the data section, then the data), the tensor names and shapes from
docs/ModelFormat.md's table, and the packed binary/ternary words from the bit contract
(docs/Architecture.md). Nothing here uses bnn code. Needs numpy (Debian python3-numpy); with
--torch, the bf16 tensors are made by PyTorch (Debian python3-torch), which rounds to nearest-even.

usage: make_checkpoint.py OUT_DIR PRESET [VARIANT] [--torch]
  PRESET:  tiny-silu | tiny-bitnet | packed
  VARIANT: ok (default) and the broken files the tests expect errors for, see VARIANTS.
It also writes OUT_DIR/values.txt: for a few tensors, the f32 value of every element as the
reader must return it (float.hex, exact), which values.py compares with `bnn-checkpoint dump`.
"""

import json
import os
import struct
import sys

import numpy as np

DTYPE_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U64": 8, "I32": 4, "I8": 1, "U8": 1}

PRESETS = {
    # Llama-style, GQA ratio 2, untied LM head, a mixture of float dtypes.
    "tiny-silu": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 16,
        "hidden_size": 8,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "intermediate_size": 12,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "max_position_embeddings": 64,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "bnn": {"weight_kind": "binary", "layers": {"0": {"q_proj": "float"}, "1": "ternary"}},
    },
    # BitNet b1.58 shape in miniature: relu2, sub-norms, tied embeddings, bf16, ternary by
    # default because of model_type.
    "tiny-bitnet": {
        "architectures": ["BitNetForCausalLM"],
        "model_type": "bitnet",
        "vocab_size": 32,
        "hidden_size": 16,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "intermediate_size": 24,
        "hidden_act": "relu2",
        "rms_norm_eps": 1e-5,
        "rope_theta": 500000.0,
        "max_position_embeddings": 128,
        "tie_word_embeddings": True,
        "torch_dtype": "bfloat16",
    },
    # Already-quantized projections (the form bnn-compress writes): K = 100 (not a multiple of
    # 64) so that padding bits exist.
    "packed": {
        "vocab_size": 10,
        "hidden_size": 100,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 70,
        "hidden_act": "relu2",
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": 32,
        "bnn": {"weight_kind": "ternary", "layers": {"0": {"gate_proj": "binary", "v_proj": "float"}}},
    },
    # The model of the safetensors fuzzer (frontend/checkpoint/fuzz/SafetensorsFuzzer.cpp), for
    # its seed corpus: layer 0's projections and layer 1's q_proj packed, the rest float.
    "fuzz": {
        "vocab_size": 8,
        "hidden_size": 4,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "intermediate_size": 6,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": 16,
        "bnn": {"weight_kind": "ternary", "layers": {"1": {"q_proj": "binary", "k_proj": "float"}}},
    },
}


def is_packed(preset, name, kind):
    """Whether a low-bit projection is written in its packed form."""
    if kind not in ("binary", "ternary"):
        return False
    if preset == "packed":
        return True
    if preset == "fuzz":
        return name.startswith("model.layers.0.") or name == "model.layers.1.self_attn.q_proj.weight"
    return False


def resolve_kinds(config):
    """Kind of each projection of each layer, by the precedence docs/ModelFormat.md states."""
    bnn = config.get("bnn", {})
    default = bnn.get("weight_kind", "ternary" if config.get("model_type") == "bitnet" else "float")
    kinds = []
    for layer in range(config["num_hidden_layers"]):
        entry = bnn.get("layers", {}).get(str(layer))
        layer_kind = default
        overrides = {}
        if isinstance(entry, str):
            layer_kind = entry
        elif isinstance(entry, dict):
            layer_kind = entry.get("weight_kind", default)
            overrides = entry
        kinds.append({p: overrides.get(p, layer_kind) for p in PROJECTIONS})
    return kinds


PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def model_tensors(config):
    """(name, shape, projection kind or None) of every tensor, in the table's order."""
    V, H, L = config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]
    nh = config["num_attention_heads"]
    nkv = config.get("num_key_value_heads", nh)
    d = config.get("head_dim", H // nh)
    I = config["intermediate_size"]
    sub = config.get("bnn", {}).get("sub_norms", config.get("model_type") == "bitnet")
    kinds = resolve_kinds(config)
    out = [("model.embed_tokens.weight", [V, H], None)]
    for n in range(L):
        p = f"model.layers.{n}."
        k = kinds[n]
        out.append((p + "input_layernorm.weight", [H], None))
        out.append((p + "self_attn.q_proj.weight", [nh * d, H], k["q_proj"]))
        out.append((p + "self_attn.k_proj.weight", [nkv * d, H], k["k_proj"]))
        out.append((p + "self_attn.v_proj.weight", [nkv * d, H], k["v_proj"]))
        if sub:
            out.append((p + "self_attn.attn_sub_norm.weight", [nh * d], None))
        out.append((p + "self_attn.o_proj.weight", [H, nh * d], k["o_proj"]))
        out.append((p + "post_attention_layernorm.weight", [H], None))
        out.append((p + "mlp.gate_proj.weight", [I, H], k["gate_proj"]))
        out.append((p + "mlp.up_proj.weight", [I, H], k["up_proj"]))
        if sub:
            out.append((p + "mlp.ffn_sub_norm.weight", [I], None))
        out.append((p + "mlp.down_proj.weight", [H, I], k["down_proj"]))
    out.append(("model.norm.weight", [H], None))
    if not config.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", [V, H], None))
    return out


def float_bytes(values, dtype, use_torch):
    """Little-endian bytes of an f32 array in dtype, and the f32 values a reader must return."""
    values = np.asarray(values, dtype=np.float32)
    if dtype == "F32":
        return values.astype("<f4").tobytes(), values
    if dtype == "F16":
        half = values.astype("<f2")
        return half.tobytes(), half.astype(np.float32)
    assert dtype == "BF16"
    if use_torch:
        import torch

        t = torch.from_numpy(values.copy()).to(torch.bfloat16)
        raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        return raw, t.to(torch.float32).numpy()
    # Without torch: truncation to the upper 16 bits (a valid bf16 value all the same).
    bits = values.view(np.uint32) >> 16
    upper = bits.astype("<u2")
    return upper.tobytes(), (upper.astype(np.uint32) << 16).view(np.float32)


def pack_rows(signs, K):
    """Bit contract: element 64*w + j of a row is bit j of word w; padding bits zero."""
    rows = signs.shape[0]
    W = (K + 63) // 64
    words = np.zeros((rows, W), dtype=np.uint64)
    for r in range(rows):
        for k in range(K):
            if signs[r, k]:
                words[r, k // 64] |= np.uint64(1) << np.uint64(k % 64)
    return words


def write_safetensors(path, entries, metadata=None, raw_header=None):
    """entries: list of (name, dtype, shape, bytes), written in the given order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    data = b""
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = raw_header(header) if raw_header else json.dumps(header)
    text = text.encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    return header


VARIANTS = [
    "ok",
    "truncated",  # the last 10 bytes of the data cut off
    "truncated-header",  # the file ends inside the JSON header
    "lying-offsets",  # the last tensor's end offset beyond the data
    "lying-size",  # a tensor's offsets span fewer bytes than its shape needs
    "overlap",  # two tensors share bytes
    "bad-dtype",  # an unknown dtype string
    "bad-json",  # the header is not JSON
    "duplicate",  # one tensor name twice in the header
    "missing",  # a projection left out
    "shape-mismatch",  # k_proj transposed
    "int-dtype",  # a norm stored as I32
    "unexpected",  # an extra tensor
    "both-forms",  # a low-bit projection both float and packed (packed preset)
    "padding-bits",  # a padding bit set past K (packed preset)
    "sign-under-mask",  # a ternary sign bit under a clear mask bit (packed preset)
    "one-plane",  # a ternary projection packed as one plane, [N, W] (packed preset)
    "missing-scale",  # a packed projection without its scale (packed preset)
    "scale-shape",  # a scale of shape [2] (packed preset)
]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    use_torch = "--torch" in sys.argv
    out_dir, preset = args[0], args[1]
    variant = args[2] if len(args) > 2 else "ok"
    assert variant in VARIANTS, variant
    config = PRESETS[preset]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    rng = np.random.default_rng(1234)
    dtypes = ["F32", "F16", "BF16"]
    entries = []
    values = {}
    for index, (name, shape, kind) in enumerate(model_tensors(config)):
        w = rng.standard_normal(shape).astype(np.float32) * 0.5
        if is_packed(preset, name, kind):
            rows, K = shape
            if kind == "binary":
                words = pack_rows(w >= 0, K)
            else:
                t = np.where(np.abs(w) < 0.3, 0, np.where(w < 0, -1, 1))
                sign = pack_rows(t == 1, K)
                mask = pack_rows(t != 0, K)
                words = np.stack([sign, mask], axis=1)  # [rows, 2, W]: sign plane, then mask
            scale = np.abs(w).mean(axis=1).astype("<f4")
            entries.append((name + ".packed", "I64", list(words.shape), words.astype("<u8").tobytes()))
            entries.append((name + ".scale", "F32", [rows], scale.tobytes()))
            continue
        dtype = "BF16" if preset == "tiny-bitnet" else dtypes[index % 3]
        if preset == "tiny-silu" and name == "model.layers.0.input_layernorm.weight":
            # F16's edges: subnormals, signed zero, infinities, the largest finite, a NaN.
            assert dtype == "F16"
            w = np.array([6e-8, -0.0, np.inf, -np.inf, 65504.0, -3e-5, 0.1, np.nan], np.float32)
        raw, exact = float_bytes(w, dtype, use_torch)
        values[name] = exact
        entries.append((name, dtype, shape, raw))

    names = [e[0] for e in entries]

    def replace(name, **changes):
        i = names.index(name)
        e = list(entries[i])
        for key, value in changes.items():
            e[["name", "dtype", "shape", "raw"].index(key)] = value
        entries[i] = tuple(e)

    raw_header = None
    if variant == "missing":
        i = names.index("model.layers.1.mlp.up_proj.weight")
        del entries[i]
    elif variant == "shape-mismatch":
        name = "model.layers.1.self_attn.k_proj.weight"
        shape = entries[names.index(name)][2]
        replace(name, shape=[shape[1], shape[0]])
    elif variant == "int-dtype":
        name = "model.norm.weight"
        replace(name, dtype="I32", raw=np.ones(entries[names.index(name)][2], "<i4").tobytes())
    elif variant == "unexpected":
        entries.append(("model.layers.0.self_attn.q_proj.bias", "F32", [1], struct.pack("<f", 1.0)))
    elif variant == "bad-dtype":
        replace("model.norm.weight", dtype="F9")
    elif variant == "both-forms":
        name = "model.layers.0.self_attn.q_proj.weight"
        entries.append((name, "F32", [100, 100], np.zeros((100, 100), "<f4").tobytes()))
    elif variant == "padding-bits":
        name = "model.layers.0.mlp.gate_proj.weight.packed"
        words = np.frombuffer(entries[names.index(name)][3], "<u8").copy().reshape(70, 2)
        words[3, 1] |= np.uint64(1) << np.uint64(40)  # element 104 of row 3, K = 100
        replace(name, raw=words.tobytes())
    elif variant == "sign-under-mask":
        name = "model.layers.0.self_attn.q_proj.weight.packed"
        words = np.frombuffer(entries[names.index(name)][3], "<u8").copy().reshape(100, 2, 2)
        clear = ~int(words[5, 1, 0]) & ((1 << 64) - 1)
        bit = (clear & -clear)  # the lowest clear mask bit of row 5, word 0
        assert bit
        words[5, 0, 0] |= np.uint64(bit)
        replace(name, raw=words.tobytes())
    elif variant == "one-plane":
        name = "model.layers.0.mlp.up_proj.weight.packed"
        words = np.frombuffer(entries[names.index(name)][3], "<u8").reshape(70, 2, 2)
        replace(name, shape=[70, 2], raw=words[:, 0, :].copy().tobytes())
    elif variant == "missing-scale":
        del entries[names.index("model.layers.0.mlp.down_proj.weight.scale")]
    elif variant == "scale-shape":
        replace("model.layers.0.self_attn.o_proj.weight.scale", shape=[2], raw=struct.pack("<2f", 1, 2))
    elif variant == "duplicate":

        def raw_header(header):
            text = json.dumps(header)
            first = next(k for k in header if k != "__metadata__")
            # Repeat the first tensor's entry under its own name at the end.
            return text[:-1] + ", " + json.dumps(first) + ": " + json.dumps(header[first]) + "}"

    elif variant == "bad-json":

        def raw_header(header):
            return json.dumps(header)[:-1] + ",}"

    path = os.path.join(out_dir, "model.safetensors")
    header = write_safetensors(path, entries, {"format": "pt"}, raw_header)

    # Container-level lies are edits of the header after the fact, keeping the data.
    def rewrite_header(mutate):
        with open(path, "rb") as f:
            blob = f.read()
        n = struct.unpack("<Q", blob[:8])[0]
        h = json.loads(blob[8 : 8 + n])
        mutate(h)
        text = json.dumps(h).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + blob[8 + n :])

    last = max((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][1])
    if variant == "lying-offsets":
        rewrite_header(lambda h: h[last]["data_offsets"].__setitem__(1, h[last]["data_offsets"][1] + 64))
    elif variant == "lying-size":
        rewrite_header(lambda h: h["model.norm.weight"]["shape"].__setitem__(0, 1000))
    elif variant == "overlap":
        first = min((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
        second = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])[1]

        def overlap(h):
            # The second tensor claims the first's bytes too (its size unchanged: shape kept).
            b, e = h[second]["data_offsets"]
            h[second]["data_offsets"] = [b - 4, e - 4]

        rewrite_header(overlap)
    elif variant in ("truncated", "truncated-header"):
        with open(path, "rb") as f:
            blob = f.read()
        blob = blob[:-10] if variant == "truncated" else blob[:40]
        with open(path, "wb") as f:
            f.write(blob)

    with open(os.path.join(out_dir, "values.txt"), "w") as f:
        for name in sorted(values)[:4]:
            flat = values[name].astype(np.float32).ravel()
            f.write(name + " " + " ".join(float(v).hex() for v in flat) + "\n")


if __name__ == "__main__":
    main()
