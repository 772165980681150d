#!/usr/bin/python3
"""Independent NumPy references for bnn-compress's lit tests (nothing here uses bnn code).

Each method is written from its paper / docs/Compression.md's formulas; the safetensors container
from its specification; the packed bits from the bit contract (docs/Architecture.md: +1 is bit 1,
element 64*w + j of a row is bit j of word w, little-endian words).

usage:
  reference.py layer OUT.safetensors N K T SEED        a weight (heavy-tailed) and inputs
  reference.py model OUT_DIR silu|bitnet SEED           a float checkpoint (vocab 256)
  reference.py text OUT N SEED                          N calibration bytes
  reference.py check-layer METHOD LAYER OUT SUMMARY [k=v ...]
  reference.py check-dbf LAYER OUT SUMMARY              error falls over iterations
  reference.py dbf-ranks SUMMARY...                     error falls with r
  reference.py check-logits MODEL_DIR TEXT LOGITS       the forward of docs/ModelFormat.md
  reference.py check-model IN_DIR OUT_DIR               the stored layers decode to sensible Wq
"""

import json
import os
import struct
import sys

import numpy as np

DT = {"F32": np.float32, "I64": np.int64, "U64": np.uint64, "I32": np.int32, "I8": np.int8,
      "F16": np.float16}


def read_st(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        arr = np.frombuffer(body[b:e], dtype=np.dtype(DT[info["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"])
    return out


def write_st(path, tensors):
    header, blobs, off = {}, [], 0
    names = {"float32": "F32", "int32": "I32", "int64": "I64", "int8": "I8"}
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[str(arr.dtype)], "shape": list(arr.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def unpack_bits(words, cols):
    """[..., W] int64 words -> [..., cols] of {0, 1}."""
    w = words.view(np.uint64)
    bits = (w[..., :, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    return bits.reshape(*w.shape[:-1], -1)[..., :cols].astype(np.int64)


def signs(words, cols):
    return np.where(unpack_bits(words, cols) == 1, 1.0, -1.0)


# --- The methods, from their papers ------------------------------------------------------------

def ref_binary(w, per_channel):
    a = np.abs(w).astype(np.float64)
    alpha = a.mean(axis=1, keepdims=True) if per_channel else a.mean()
    return np.where(w >= 0, 1.0, -1.0) * alpha


def ref_ternary(w, per_channel):
    """BitNet b1.58: gamma = mean|W|, clip(round(W / (gamma + eps)), -1, 1)."""
    a = np.abs(w).astype(np.float64)
    gamma = (a.mean(axis=1, keepdims=True) if per_channel else a.mean()).astype(np.float32)
    q = np.clip(np.round(w / (gamma + np.float32(1e-5))), -1, 1)
    return q * gamma


def ref_twn(w, per_channel):
    """TWN / OneBit's threshold: delta = 0.7 mean|W|, alpha = mean of the kept |W|."""
    def one(x):
        delta = np.float32(0.7) * np.float32(np.abs(x).astype(np.float64).mean())
        keep = ~((np.abs(x) < delta) | (x == 0))
        alpha = np.abs(x[keep]).astype(np.float64).mean() if keep.any() else 0.0
        return np.where(keep, np.sign(x), 0.0) * np.float32(alpha)
    if per_channel:
        return np.stack([one(row) for row in w])
    return one(w)


def damped(h, damp):
    h = h.copy()
    d = np.diag(h).copy()
    d[d == 0] = 1
    np.fill_diagonal(h, d)
    h[np.diag_indices_from(h)] += damp * d.mean()
    return h


def ref_salient(w, h, fraction, saliency, damp):
    n, k = w.shape
    if saliency == "magnitude":
        col = np.ones(k)
    elif saliency == "activation":  # |W_ij| * ||x_j||
        col = np.sqrt(np.diag(h))
    else:  # PB-LLM / SparseGPT: w^2 / [H^-1]_jj^2, ranked by |w| / [H^-1]_jj
        col = 1.0 / np.diag(np.linalg.inv(damped(h, damp)))
    score = (np.abs(w.astype(np.float64)) * col[None, :]).ravel()
    count = int(np.floor(fraction * n * k + 0.5))
    order = np.lexsort((np.arange(n * k), -score))
    return np.sort(order[:count])


def ref_pb(w, h, fraction, saliency, damp, gptq):
    """PB-LLM: salient weights int8 (per-row absmax / 127), the rest alpha_row * sign; with
    GPTQ (Frantar et al., Algorithm 1) compensating each column's error in the later columns."""
    n, k = w.shape
    sal = ref_salient(w, h, fraction, saliency, damp)
    mask = np.zeros(n * k, bool)
    mask[sal] = True
    mask = mask.reshape(n, k)
    w64 = w.astype(np.float64)
    alpha = np.array([np.abs(w64[r][~mask[r]]).mean() if (~mask[r]).any() else 0.0
                      for r in range(n)], dtype=np.float32).astype(np.float64)
    s8 = np.array([np.abs(w64[r][mask[r]]).max() / 127.0 if mask[r].any() else 0.0
                   for r in range(n)], dtype=np.float32)

    def quant(col, j):
        out = np.where(col >= 0, alpha, -alpha)
        for r in range(n):
            if mask[r, j]:
                s = s8[r]
                out[r] = 0.0 if s == 0 else np.clip(np.round(np.float32(col[r]) / s), -127, 127) * s
        return out

    work = w64.copy()
    q = np.zeros_like(work)
    if not gptq:
        for j in range(k):
            q[:, j] = quant(work[:, j], j)
    else:
        work[:, np.diag(h) == 0] = 0
        hinv = np.linalg.inv(damped(h, damp))
        u = np.linalg.cholesky(hinv).T  # upper: H^-1 = U^T U
        for j in range(k):
            q[:, j] = quant(work[:, j], j)
            err = (work[:, j] - q[:, j]) / u[j, j]
            work[:, j + 1:] -= np.outer(err, u[j, j + 1:])
    return q, sal, mask, alpha.astype(np.float32), s8


def out_err(w, q, h):
    e = (w.astype(np.float64) - q.astype(np.float64))
    return float(np.einsum("ij,jk,ik->", e, h, e)) if h is not None else float((e * e).sum())


def parse_summary(path):
    out = {}
    for line in open(path):
        parts = line.split()
        if parts:
            out[parts[0]] = parts[1:]
    return out


def close(name, got, want, rtol):
    ok = abs(got - want) <= rtol * max(abs(want), 1e-30)
    print(f"{name}: bnn {got:.8e} reference {want:.8e} {'ok' if ok else 'MISMATCH'}")
    return ok


def check_layer(method, layer_path, out_path, summary_path, opts):
    layer = read_st(layer_path)
    out = read_st(out_path)
    summary = parse_summary(summary_path)
    w = layer["weight"].astype(np.float32)
    x = layer.get("inputs")
    h = x.astype(np.float64).T @ x.astype(np.float64) if x is not None else None
    n, k = w.shape
    per_channel = opts.get("per_channel") == "1"
    rec = out["reconstruction"]
    ok = True
    if method in ("binary", "ternary", "twn"):
        want = {"binary": ref_binary, "ternary": ref_ternary, "twn": ref_twn}[method](w, per_channel)
        # Decode the stored form independently of 'reconstruction'.
        scale = out["weight.scale"].astype(np.float64)
        scale = scale[:, None] if scale.size > 1 else scale[0]
        if method == "binary":
            decoded = signs(out["weight.packed"], k) * scale
        else:
            p = out["weight.packed"]
            sgn, msk = unpack_bits(p[:, 0, :], k), unpack_bits(p[:, 1, :], k)
            assert not (sgn & (1 - msk)).any(), "sign bit under a clear mask bit"
            decoded = np.where(msk == 1, np.where(sgn == 1, 1.0, -1.0), 0.0) * scale
        ok &= np.allclose(decoded, rec, rtol=1e-6, atol=0)
        mism = int((np.abs(want - rec) > 1e-5 * np.abs(want).max()).sum())
        print(f"elements differing from the reference: {mism} of {n * k}")
        ok &= mism == 0
        ok &= close("weight_error", float(summary["weight_error"][0]), out_err(w, want, None), 1e-5)
    elif method == "pb":
        fraction = float(opts.get("fraction", 0.1))
        saliency = opts.get("saliency", "magnitude")
        gptq = opts.get("gptq", "0") == "1"
        want, sal, mask, alpha, s8 = ref_pb(w, h, fraction, saliency, 0.01, gptq)
        got_sal = out["weight.salient_index"].astype(np.int64)
        same = np.array_equal(np.sort(got_sal), sal)
        print(f"salient set: {len(got_sal)} bnn, {len(sal)} reference, "
              f"{'identical' if same else 'DIFFERENT'}")
        ok &= same
        # Decode the stored form: binary part, then the int8 salient values.
        dec = signs(out["weight.packed"], k) * out["weight.scale"].astype(np.float64)[:, None]
        flat = dec.ravel()
        rows = got_sal // k
        flat[got_sal] = out["weight.salient_value"].astype(np.float64) * \
            out["weight.salient_scale"].astype(np.float64)[rows]
        dec = flat.reshape(n, k)
        ok &= np.allclose(dec, rec, rtol=1e-6, atol=1e-7)
        bits = unpack_bits(out["weight.packed"], k).ravel()
        ok &= not bits[got_sal].any()
        ok &= np.allclose(out["weight.scale"], alpha, rtol=1e-6)
        # Sign agreement of the binarized part (GPTQ's updates can flip a value near zero).
        agree = float((np.sign(want[~mask]) == np.sign(rec[~mask])).mean())
        print(f"binarized signs agreeing with the reference: {agree:.6f}")
        ok &= agree >= 0.999
        ok &= close("weight_error", float(summary["weight_error"][0]), out_err(w, want, None), 1e-3)
        if h is not None:
            ok &= close("output_error", float(summary["output_error"][0]), out_err(w, want, h), 1e-3)
            ok &= close("bnn output_error of its own reconstruction",
                        float(summary["output_error"][0]), out_err(w, rec, h), 1e-6)
    elif method == "dbf":
        ok &= check_dbf_form(w, out, rec)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def check_dbf_form(w, out, rec):
    n, k = w.shape
    r = out["weight.m"].shape[0]
    a, m, b = (out["weight." + x].astype(np.float64) for x in "amb")
    s1 = signs(out["weight.b1.packed"], r)
    s2 = signs(out["weight.b2.packed"], k)
    dec = (a[:, None] * s1) @ (m[:, None] * s2) * b[None, :]
    ok = np.allclose(dec, rec, rtol=1e-4, atol=1e-6 * np.abs(w).max())
    print(f"dbf r={r}: decoded diag(a) B1 diag(m) B2 diag(b) {'matches' if ok else 'DIFFERS FROM'}"
          " the reconstruction")
    return ok


def check_dbf(layer_path, out_path, summary_path):
    w = read_st(layer_path)["weight"].astype(np.float64)
    out = read_st(out_path)
    s = parse_summary(summary_path)
    errs = [float(v) for v in s["iteration_errors"]]
    ok = check_dbf_form(w, out, out["reconstruction"])
    rec = out["reconstruction"].astype(np.float64)
    rel = float(((w - rec) ** 2).sum() / (w ** 2).sum())
    ok &= close("final relative error", errs[-1], rel, 1e-4)
    # The scale refit only improves on the best iterate; the iterations improve on the start.
    ok &= errs[-1] <= min(errs[:-1]) * (1 + 1e-9)
    ok &= min(errs[1:-1]) < errs[0] if len(errs) > 2 else True
    # A rank-r factorization cannot beat the truncated SVD (Eckart-Young).
    r = out["weight.m"].shape[0]
    sv = np.linalg.svd(w, compute_uv=False)
    bound = float((sv[r:] ** 2).sum() / (sv ** 2).sum())
    print(f"iteration 0 {errs[0]:.5f}, best iteration {min(errs[1:-1]) if len(errs) > 2 else errs[0]:.5f}, "
          f"refitted {errs[-1]:.5f}; rank-{r} SVD bound {bound:.5f}")
    ok &= rel >= bound - 1e-6
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def dbf_ranks(paths):
    errs = []
    for p in paths:
        s = parse_summary(p)
        errs.append((int(s["rank"][0]), float(s["iteration_errors"][-1])))
    print(" ".join(f"r={r}:{e:.5f}" for r, e in errs))
    ok = all(errs[i][0] < errs[i + 1][0] and errs[i][1] > errs[i + 1][1] for i in range(len(errs) - 1))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


# --- Models ------------------------------------------------------------------------------------

def model_config(kind):
    c = {"vocab_size": 256, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "intermediate_size": 96, "rms_norm_eps": 1e-5,
         "rope_theta": 10000.0, "max_position_embeddings": 64}
    if kind == "silu":
        c.update({"model_type": "llama", "hidden_act": "silu", "tie_word_embeddings": False})
    else:
        c.update({"model_type": "bitnet", "hidden_act": "relu2", "tie_word_embeddings": True,
                  "bnn": {"weight_kind": "float"}})
    return c


def model_shapes(c):
    V, H, L, I = c["vocab_size"], c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"]
    nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    d = H // nh
    sub = c.get("model_type") == "bitnet"
    s = {"model.embed_tokens.weight": [V, H], "model.norm.weight": [H]}
    for n in range(L):
        p = f"model.layers.{n}."
        s[p + "input_layernorm.weight"] = [H]
        s[p + "post_attention_layernorm.weight"] = [H]
        s[p + "self_attn.q_proj.weight"] = [nh * d, H]
        s[p + "self_attn.k_proj.weight"] = [nkv * d, H]
        s[p + "self_attn.v_proj.weight"] = [nkv * d, H]
        s[p + "self_attn.o_proj.weight"] = [H, nh * d]
        s[p + "mlp.gate_proj.weight"] = [I, H]
        s[p + "mlp.up_proj.weight"] = [I, H]
        s[p + "mlp.down_proj.weight"] = [H, I]
        if sub:
            s[p + "self_attn.attn_sub_norm.weight"] = [nh * d]
            s[p + "mlp.ffn_sub_norm.weight"] = [I]
    if not c["tie_word_embeddings"]:
        s["lm_head.weight"] = [V, H]
    return s


def make_model(out, kind, seed):
    rng = np.random.default_rng(seed)
    c = model_config(kind)
    t = {}
    for name, shape in sorted(model_shapes(c).items()):
        if len(shape) == 1:
            t[name] = (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        else:
            t[name] = (rng.standard_t(4, shape) / np.sqrt(shape[1])).astype(np.float32)
    os.makedirs(out, exist_ok=True)
    json.dump(c, open(os.path.join(out, "config.json"), "w"), indent=1)
    write_st(os.path.join(out, "model.safetensors"), t)


def rmsnorm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def rope(x, theta):  # x [T, heads, d], rotate_half
    T, _, d = x.shape
    inv = theta ** (-np.arange(0, d // 2) * 2.0 / d)
    ang = np.arange(T)[:, None] * inv[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


def ref_forward(c, t, tokens):
    H, nh, nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    d = H // nh
    eps = c["rms_norm_eps"]
    sub = c.get("model_type") == "bitnet"
    g = {k: v.astype(np.float64) for k, v in t.items()}
    T = len(tokens)
    h = g["model.embed_tokens.weight"][tokens]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for n in range(c["num_hidden_layers"]):
        p = f"model.layers.{n}."
        x = rmsnorm(h, g[p + "input_layernorm.weight"], eps)
        q = rope((x @ g[p + "self_attn.q_proj.weight"].T).reshape(T, nh, d), c["rope_theta"])
        k = rope((x @ g[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, d), c["rope_theta"])
        v = (x @ g[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, d)
        rep = nh // nkv
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = np.einsum("thd,shd->hts", q, k) / np.sqrt(d) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        a = np.einsum("hts,shd->thd", s, v).reshape(T, nh * d)
        if sub:
            a = rmsnorm(a, g[p + "self_attn.attn_sub_norm.weight"], eps)
        h = h + a @ g[p + "self_attn.o_proj.weight"].T
        x = rmsnorm(h, g[p + "post_attention_layernorm.weight"], eps)
        gt = x @ g[p + "mlp.gate_proj.weight"].T
        act = gt / (1 + np.exp(-gt)) if c["hidden_act"] == "silu" else np.maximum(gt, 0) ** 2
        m = act * (x @ g[p + "mlp.up_proj.weight"].T)
        if sub:
            m = rmsnorm(m, g[p + "mlp.ffn_sub_norm.weight"], eps)
        h = h + m @ g[p + "mlp.down_proj.weight"].T
    head = g["model.embed_tokens.weight"] if c["tie_word_embeddings"] else g["lm_head.weight"]
    return rmsnorm(h, g["model.norm.weight"], eps) @ head.T


def check_logits(model_dir, logits_path):
    c = json.load(open(os.path.join(model_dir, "config.json")))
    t = read_st(os.path.join(model_dir, "model.safetensors"))
    got = read_st(logits_path)
    want = ref_forward(c, t, got["tokens"].astype(np.int64))
    diff = float(np.abs(got["logits"] - want).max())
    scale = float(np.abs(want).max())
    ok = diff <= 1e-4 * scale
    print(f"logits {got['logits'].shape}: max |bnn - reference| {diff:.3e} (max |logit| {scale:.3f}) "
          f"{'ok' if ok else 'MISMATCH'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def decode(q, name, shape):
    """The f32 matrix a stored projection stands for (any kind), and its kind."""
    n, k = shape
    if name in q:
        dec, kind = q[name].astype(np.float64), "float"
    elif name + ".salient_index" in q:
        kind = "pb"
        dec = signs(q[name + ".packed"], k) * q[name + ".scale"].astype(np.float64)[:, None]
        idx = q[name + ".salient_index"].astype(np.int64)
        flat = dec.ravel()
        flat[idx] = q[name + ".salient_value"] * q[name + ".salient_scale"].astype(np.float64)[idx // k]
        dec = flat.reshape(n, k)
    elif name + ".m" in q:
        kind = "dbf"
        r = q[name + ".m"].shape[0]
        dec = (q[name + ".a"][:, None] * signs(q[name + ".b1.packed"], r)) @ \
            (q[name + ".m"][:, None] * signs(q[name + ".b2.packed"], k)) * q[name + ".b"][None, :]
    else:
        p = q[name + ".packed"]
        sc = q[name + ".scale"].astype(np.float64)
        sc = sc[:, None] if sc.size > 1 else sc[0]
        if p.ndim == 2:
            kind, dec = "binary", signs(p, k) * sc
        else:
            kind = "ternary"
            dec = np.where(unpack_bits(p[:, 1], k) == 1,
                           np.where(unpack_bits(p[:, 0], k) == 1, 1.0, -1.0), 0.0) * sc
    return dec, kind


def check_model(in_dir, out_dir):
    """Every stored projection decodes to a matrix close to the float one (relative error < 1)."""
    c = json.load(open(os.path.join(out_dir, "config.json")))
    f = read_st(os.path.join(in_dir, "model.safetensors"))
    q = read_st(os.path.join(out_dir, "model.safetensors"))
    ok = True
    kinds = {}
    for name, shape in model_shapes(c).items():
        if len(shape) == 1 or "layers" not in name:
            ok &= np.array_equal(f[name], q[name])
            continue
        w = f[name].astype(np.float64)
        dec, kind = decode(q, name, shape)
        rel = float(((w - dec) ** 2).sum() / (w ** 2).sum())
        kinds[kind] = kinds.get(kind, 0) + 1
        if not rel < 1.0:
            print(f"{name}: relative error {rel}")
            ok = False
    print("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def perplexity(model_dir, text_path, seq_len, limit=4096):
    """exp(mean next-token NLL) of the (decoded) model over sequences of seq_len bytes."""
    c = json.load(open(os.path.join(model_dir, "config.json")))
    q = read_st(os.path.join(model_dir, "model.safetensors"))
    t = {}
    for name, shape in model_shapes(c).items():
        t[name] = decode(q, name, shape)[0] if (len(shape) == 2 and "layers" in name) else q[name]
    tokens = np.frombuffer(open(text_path, "rb").read()[:limit], np.uint8).astype(np.int64)
    nll, count = 0.0, 0
    for start in range(0, len(tokens), seq_len):
        seq = tokens[start:start + seq_len]
        if len(seq) < 2:
            break
        logits = ref_forward(c, t, seq)
        mx = logits.max(-1, keepdims=True)
        logp = logits - mx - np.log(np.exp(logits - mx).sum(-1, keepdims=True))
        nll -= logp[np.arange(len(seq) - 1), seq[1:]].sum()
        count += len(seq) - 1
    return float(np.exp(nll / count))


def check_perplexity(float_dir, out_dir, text_path, seq_len, summary_path):
    line = [l for l in open(summary_path) if l.startswith("perplexity")][0]
    got = [float(x) for x in (line.split("float ")[1].split(", compressed "))]
    ok = close("float perplexity", got[0], perplexity(float_dir, text_path, seq_len), 1e-4)
    ok &= close("compressed perplexity", got[1], perplexity(out_dir, text_path, seq_len), 1e-4)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def corrupt(in_dir, out_dir, what):
    os.makedirs(out_dir, exist_ok=True)
    c = json.load(open(os.path.join(in_dir, "config.json")))
    t = {k: v.copy() for k, v in read_st(os.path.join(in_dir, "model.safetensors")).items()}
    p = "model.layers.0.self_attn.q_proj.weight"
    if what == "salient-bit":  # the binary bit of a salient element set
        i = int(t[p + ".salient_index"][0])
        k = c["hidden_size"]
        words = t[p + ".packed"].view(np.uint64)
        words[i // k, (i % k) // 64] |= np.uint64(1) << np.uint64(i % 64)
    elif what == "salient-order":
        t[p + ".salient_index"] = t[p + ".salient_index"][::-1].copy()
    elif what == "salient-value":
        t[p + ".salient_value"] = t[p + ".salient_value"][:-1].copy()
    elif what == "salient-range":
        t[p + ".salient_index"][-1] = c["hidden_size"] * c["hidden_size"]
    elif what == "salient-dtype":
        t[p + ".salient_index"] = t[p + ".salient_index"].astype(np.int64)
    elif what == "pb-scale-dtype":
        t[p + ".scale"] = t[p + ".scale"].astype(np.int32)
    elif what == "dbf-m-missing":
        del t[p + ".m"]
    elif what == "pb-missing":
        del t[p + ".salient_scale"]
    elif what == "dbf-b2":
        t[p + ".b2.packed"] = t[p + ".b2.packed"][:-1].copy()
    elif what == "dbf-float":
        t[p] = np.zeros((c["hidden_size"], c["hidden_size"]), np.float32)
    elif what == "dbf-padding":
        t[p + ".b1.packed"].view(np.uint64)[0, -1] |= np.uint64(1) << np.uint64(63)
    json.dump(c, open(os.path.join(out_dir, "config.json"), "w"))
    write_st(os.path.join(out_dir, "model.safetensors"), t)
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "layer":
        out, n, k, t, seed = argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6])
        rng = np.random.default_rng(seed)
        w = (rng.standard_t(3, (n, k)) * 0.02).astype(np.float32)
        # Correlated inputs with uneven column scales (what makes H-aware choices matter).
        mix = rng.standard_normal((k, k)) / np.sqrt(k) + np.eye(k)
        x = (rng.standard_normal((t, k)) @ mix * np.exp(rng.standard_normal(k))).astype(np.float32)
        write_st(out, {"weight": w, "inputs": x})
        return 0
    if cmd == "model":
        make_model(argv[2], argv[3], int(argv[4]))
        return 0
    if cmd == "text":
        rng = np.random.default_rng(int(argv[4]))
        words = [b"the ", b"binary ", b"network ", b"packs ", b"bits ", b"and ", b"scales. "]
        out = b"".join(words[i] for i in rng.integers(0, len(words), int(argv[3])))
        open(argv[2], "wb").write(out[: int(argv[3])])
        return 0
    if cmd == "check-layer":
        opts = dict(a.split("=", 1) for a in argv[6:])
        return check_layer(argv[2], argv[3], argv[4], argv[5], opts)
    if cmd == "check-dbf":
        return check_dbf(argv[2], argv[3], argv[4])
    if cmd == "dbf-ranks":
        return dbf_ranks(argv[2:])
    if cmd == "less":  # SUMMARY_A SUMMARY_B KEY: A's KEY is smaller than B's
        a, b = (float(parse_summary(x)[argv[4]][0]) for x in argv[2:4])
        print(f"{argv[4]}: {a:.6e} < {b:.6e}: {'PASS' if a < b else 'FAIL'}")
        return 0 if a < b else 1
    if cmd == "corrupt":  # IN_DIR OUT_DIR WHAT: a broken copy for the validator's tests
        return corrupt(argv[2], argv[3], argv[4])
    if cmd == "check-logits":
        return check_logits(argv[2], argv[3])
    if cmd == "check-perplexity":  # FLOAT_DIR OUT_DIR TEXT SEQ_LEN SUMMARY
        return check_perplexity(argv[2], argv[3], argv[4], int(argv[5]), argv[6])
    if cmd == "check-model":
        return check_model(argv[2], argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
