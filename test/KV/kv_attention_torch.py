#!/usr/bin/python3
"""bnn::ref::pagedAttention against PyTorch, from the specification in docs/KVCache.md.

Runs bnn-kv-attention-dump (argv[1]) for several shapes, formats and windows, and recomputes
every attention call with torch from the dumped K/V and queries: the cache's element format
(f16: torch's half rounding; binary: mean|x| * sign(x), sign(0) = +1), causal GQA attention with
the sliding window, and for "xnor" the query binarized as mean|q| * sign(q). PyTorch 1.13
(Debian's python3-torch) has no scaled_dot_product_attention, so the attention is written with
torch.softmax and a mask. Exit 0 when all agree within 1e-5 relative, 1 otherwise, 77 (ctest's
skip) without torch.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"skipped: {e} (needs python3-torch and python3-numpy)")
    sys.exit(77)

torch.set_default_dtype(torch.float64)


def stored(x, fmt):
    """The value the cache's format stores for float32 rows x[..., head_dim]."""
    if fmt == "f32":
        return x.double()
    if fmt == "f16":
        return x.half().double()
    scale = x.double().abs().mean(dim=-1, keepdim=True).float().double()
    return torch.where(x < 0, -scale, scale)


def attention(keys, values, q, fmt, score, heads, window, prompt):
    """keys/values [n][kv][d] float32 as appended, q [T][heads][d]: the T newest queries."""
    n, kv, d = keys.shape
    T = q.shape[0]
    if fmt == "binary-centred":
        # center_keys: the mean of the first append (the prompt) per (head, channel), rounded to
        # float; keys stored as binary(k - mean) and read back as mean + scale * sign(k - mean).
        # XNOR scores leave out q . mean (a constant per query that softmax does not see).
        mean = keys[:prompt].double().mean(dim=0).float()
        k = stored(keys - mean, "binary")
        if score != "xnor":
            k = (mean.double() + k).float().double()
        k = k.repeat_interleave(heads // kv, dim=1)
    else:
        k = stored(keys, fmt).repeat_interleave(heads // kv, dim=1)  # GQA: head h -> h // group
    v = stored(values, "binary" if fmt == "binary-centred" else fmt)
    v = v.repeat_interleave(heads // kv, dim=1)
    qq = stored(q, "binary") if score == "xnor" else q.double()
    s = torch.einsum("thd,jhd->htj", qq, k) / d**0.5
    pos = torch.arange(n - T, n).unsqueeze(1)
    j = torch.arange(n).unsqueeze(0)
    visible = j <= pos
    if window > 0:
        visible &= j > pos - window
    s = s.masked_fill(~visible.unsqueeze(0), float("-inf"))
    return torch.einsum("htj,jhd->thd", torch.softmax(s, dim=-1), v)


def check(tool, fmt, score, heads, kv, d, page, window, prompt, steps, seed):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dump.bin")
        args = [fmt, score, heads, kv, d, page, window, prompt, steps, seed]
        subprocess.run([tool] + [str(a) for a in args] + [path], check=True)
        with open(path, "rb") as f:
            header = f.readline().split()
            data = np.frombuffer(f.read(), dtype="<f4")
    assert header[0] == b"BNNKVDUMP1", header
    at, worst = 0, 0.0
    keys = torch.zeros(0, kv, d, dtype=torch.float32)
    values = torch.zeros(0, kv, d, dtype=torch.float32)
    for call in range(steps + 1):
        T = prompt if call == 0 else 1
        arrays = []
        for shape in [(T, kv, d), (T, kv, d), (T, heads, d), (T, heads, d)]:
            size = int(np.prod(shape))
            arrays.append(torch.from_numpy(data[at:at + size].copy()).reshape(shape))
            at += size
        k, v, q, out = arrays
        keys, values = torch.cat([keys, k]), torch.cat([values, v])
        want = attention(keys, values, q, fmt, score, heads, window, prompt)
        err = (out.double() - want).abs().max().item() / max(want.abs().max().item(), 1e-30)
        worst = max(worst, err)
    assert at == data.size, f"{data.size - at} floats left over"
    ok = worst < 1e-5
    print(f"{'ok  ' if ok else 'FAIL'} {fmt:14} {score:5} heads {heads} kv {kv} d {d} page {page} "
          f"window {window} prompt {prompt} steps {steps}: max rel. error {worst:.2e}")
    return ok


def main():
    if len(sys.argv) != 2:
        print("usage: kv_attention_torch.py PATH/TO/bnn-kv-attention-dump", file=sys.stderr)
        return 1
    tool = sys.argv[1]
    cases = [
        ("f32", "float", 4, 4, 16, 4, 0, 11, 6, 1),
        ("f32", "float", 8, 2, 64, 16, 0, 37, 8, 2),
        ("f32", "float", 8, 2, 32, 4, 7, 13, 12, 3),
        ("f16", "float", 4, 1, 48, 8, 0, 19, 5, 4),
        ("f16", "float", 6, 3, 20, 5, 9, 23, 10, 5),
        ("binary", "float", 4, 4, 70, 4, 0, 10, 6, 6),
        ("binary", "float", 8, 2, 128, 16, 12, 33, 20, 7),
        ("binary", "xnor", 4, 4, 70, 4, 0, 10, 6, 8),
        ("binary", "xnor", 8, 2, 130, 8, 5, 17, 9, 9),
        ("binary", "xnor", 2, 1, 3, 3, 0, 7, 4, 10),
        ("binary-centred", "float", 8, 2, 70, 4, 0, 12, 8, 11),
        ("binary-centred", "float", 4, 4, 64, 8, 6, 9, 10, 12),
        ("binary-centred", "xnor", 8, 2, 130, 4, 0, 15, 6, 13),
    ]
    results = [check(tool, *c) for c in cases]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
