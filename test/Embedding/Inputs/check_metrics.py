#!/usr/bin/env python3
"""An independent reference for bnn-embed (docs/Embedding.md), written from the specification
with NumPy and SciPy (Debian's python3-numpy, python3-scipy); it shares no code with bnn.

  check_metrics.py EMBEDDINGS.npy CODES.npy RESULT.json [--labels FILE] [--seed S]
                   [--code-bits N] [--tolerance T]

Checks that
  * CODES.npy ('<u8', rows x ceil(bits/64)) are the documented projection of the embeddings:
    bit j of row r is dot(P[j], x_r) > 0, P generated from the seed by splitmix64 + Box-Muller
    (docs/HammingIndex.md), recomputed here; rows whose dot product is within rounding of 0
    may differ (|dot| <= 1e-6 sum |P[j] x_r|: libm and NumPy may round sin, cos, log a unit
    apart); padding bits are zero;
  * RESULT.json records the seed, code bits and input shape given here, and every metric
    recomputed here from the embeddings and CODES.npy agrees within --tolerance (default 1e-8;
    the JSON prints 9 decimals): spearman (the correlation of scipy.stats.rankdata average
    ranks per query, itself checked against scipy.stats.spearmanr on 64 queries),
    spearman_ordinal (ranks = positions in the stable sorts), mean cosine and Hamming, top-k overlap, nDCG@k, recall@k
    and, with --labels, the nearest-centroid accuracies, their delta and macro F1.
Prints the recomputed metrics; exits 1 with the differences on any mismatch.
"""
import argparse
import json
import sys

import numpy as np
from scipy import stats

MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64_stream(seed, n):
    """The first n outputs of splitmix64 from `seed` (state_i = seed + (i+1) * golden)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def projection(seed, bits, dim):
    """bits x dim standard normals by Box-Muller over splitmix64, row-major, as float32."""
    n = bits * dim
    pairs = (n + 1) // 2
    u = splitmix64_stream(seed, 2 * pairs)
    uniform = ((u >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    u1, u2 = uniform[0::2], uniform[1::2]
    r = np.sqrt(-2.0 * np.log(u1))
    out = np.empty(2 * pairs, dtype=np.float64)
    out[0::2] = r * np.cos(2.0 * np.pi * u2)
    out[1::2] = r * np.sin(2.0 * np.pi * u2)
    return out[:n].astype(np.float32).reshape(bits, dim)


def unpack(codes, bits):
    """rows x words uint64 (LSB first) -> rows x bits of {0, 1}."""
    b = np.unpackbits(codes.astype("<u8").view(np.uint8), axis=1, bitorder="little")
    return b[:, :bits].astype(np.int64), b[:, bits:]


def read_labels(path):
    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False).astype(np.int64)
    with open(path) as f:
        return np.array([int(t) for t in f.read().split()], dtype=np.int64)


def centroid_accuracy(features, labels):
    """BinaryLLM Phase 1's classifier: unit rows, unit class means, argmax of the dot."""
    f = features / np.linalg.norm(features, axis=1, keepdims=True)
    classes = np.unique(labels)
    cent = np.stack([f[labels == c].mean(axis=0) for c in classes])
    norms = np.linalg.norm(cent, axis=1, keepdims=True)
    cent = np.where(norms > 0, cent / np.where(norms > 0, norms, 1), cent)
    pred = classes[np.argmax(f @ cent.T, axis=1)]
    acc = float((pred == labels).mean())
    f1s = []
    for c in classes:
        tp = np.sum((pred == c) & (labels == c))
        fp = np.sum((pred == c) & (labels != c))
        fn = np.sum((pred != c) & (labels == c))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return acc, float(np.mean(f1s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("embeddings")
    ap.add_argument("codes")
    ap.add_argument("result")
    ap.add_argument("--labels")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--code-bits", type=int, required=True)
    ap.add_argument("--tolerance", type=float, default=1e-8)
    a = ap.parse_args()

    res = json.load(open(a.result))
    cfg, metrics = res["config"], res["metrics"]
    x = np.load(a.embeddings, allow_pickle=False).astype(np.float32).astype(np.float64)
    rows, dim = x.shape
    bits = a.code_bits
    words = (bits + 63) // 64
    codes = np.load(a.codes, allow_pickle=False)
    errors = []

    def expect(what, found, expected):
        if found != expected:
            errors.append(f"{what}: expected {expected!r}, found {found!r}")

    expect("seed", res["seed"], a.seed)
    expect("config.code_bits", cfg["code_bits"], bits)
    expect("config.code_words", cfg["code_words"], words)
    expect("input.embeddings.shape", res["input"]["embeddings"]["shape"], [rows, dim])
    expect("codes dtype", codes.dtype.str, "<u8")
    expect("codes shape", list(codes.shape), [rows, words])
    if errors:
        sys.exit("\n".join(errors))

    # The projection, from its specification.
    b, padding = unpack(codes, bits)
    if padding.any():
        errors.append("codes have padding bits set")
    p = projection(a.seed, bits, dim).astype(np.float64)
    dots = x @ p.T
    expected_bits = (dots > 0).astype(np.int64)
    scale = np.abs(x) @ np.abs(p).T
    ambiguous = np.abs(dots) <= 1e-6 * scale
    wrong = (expected_bits != b) & ~ambiguous
    if wrong.any():
        r, j = np.argwhere(wrong)[0]
        errors.append(f"{int(wrong.sum())} code bits differ from the projection "
                      f"(first: row {r} bit {j}, dot {dots[r, j]!r})")

    queries = cfg["queries"]
    ks = cfg["k"]
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    idx = np.arange(rows)
    m = rows - 1
    spear, spear_ord, mcos, mham = [], [], [], []
    overlap = {k: [] for k in ks}
    ndcg = {k: [] for k in ks}
    recall = {k: [] for k in ks}
    checked_with_spearmanr = 0
    for first in range(0, queries, 256):
        qs = np.arange(first, min(queries, first + 256))
        # Each query's other rows, in index order.
        others = np.stack([np.delete(idx, q) for q in qs])
        # Row by row (not one matrix product, whose blocking may round identical columns
        # differently), so that duplicate rows tie exactly, as the definition says they do.
        c = np.stack([(xn[q] * xn[o]).sum(axis=1) for q, o in zip(qs, others)])
        h = np.stack([(b[q] != b[o]).sum(axis=1) for q, o in zip(qs, others)]).astype(np.float64)
        # Spearman: the Pearson correlation of average ranks (similarity ranks: 1 = most similar).
        rf = stats.rankdata(-c, axis=1)
        rb = stats.rankdata(h, axis=1)
        mid = (m + 1) / 2
        num = ((rf - mid) * (rb - mid)).sum(axis=1)
        den = np.sqrt(((rf - mid) ** 2).sum(axis=1) * ((rb - mid) ** 2).sum(axis=1))
        rho = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
        spear.extend(rho.tolist())
        # ... which is what scipy.stats.spearmanr says (checked on the first 64 queries).
        for i in range(min(len(qs), 64 - checked_with_spearmanr)):
            ref = stats.spearmanr(c[i], -h[i]).statistic
            ref = 0.0 if np.isnan(ref) else ref
            if abs(ref - rho[i]) > 1e-12:
                sys.exit(f"reference self-check: query {qs[i]} rank correlation {rho[i]!r}, "
                         f"scipy.stats.spearmanr {ref!r}")
            checked_with_spearmanr += 1
        # Rankings: stable sorts keep ties in index order.
        float_sort = np.argsort(-c, axis=1, kind="stable")
        binary_sort = np.argsort(h, axis=1, kind="stable")
        float_order = np.take_along_axis(others, float_sort, axis=1)
        binary_order = np.take_along_axis(others, binary_sort, axis=1)
        # Ordinal ranks (ties in index order): the positions in those rankings.
        positions = np.broadcast_to(np.arange(1, m + 1), c.shape)
        rfo = np.empty_like(float_sort)
        rbo = np.empty_like(binary_sort)
        np.put_along_axis(rfo, float_sort, positions, axis=1)
        np.put_along_axis(rbo, binary_sort, positions, axis=1)
        spear_ord.extend((1.0 - 6.0 * ((rfo - rbo) ** 2).sum(axis=1) / (m * (m * m - 1))).tolist())
        mcos.extend(c.mean(axis=1).tolist())
        mham.extend((h.mean(axis=1) / bits).tolist())
        for i in range(len(qs)):
            for k in ks:
                ftop = set(float_order[i, :k].tolist())
                btop = binary_order[i, :k].tolist()
                hits = [1.0 if j in ftop else 0.0 for j in btop]
                discount = 1.0 / np.log2(np.arange(2, k + 2))
                overlap[k].append(sum(hits) / k)
                ndcg[k].append(float(np.dot(hits, discount) / discount.sum()))
                recall[k].append(1.0 if float_order[i, 0] in btop else 0.0)
    mine = {
        "spearman": float(np.mean(spear)),
        "spearman_ordinal": float(np.mean(spear_ord)),
        "mean_cosine": float(np.mean(mcos)),
        "mean_hamming": float(np.mean(mham)),
    }
    for name, table in (("topk_overlap", overlap), ("ndcg", ndcg), ("recall", recall)):
        for k in ks:
            mine[f"{name}@{k}"] = float(np.mean(table[k]))
    theirs = {key: metrics[key] for key in ("spearman", "spearman_ordinal", "mean_cosine",
                                             "mean_hamming")}
    for name in ("topk_overlap", "ndcg", "recall"):
        expect(f"{name} cutoffs", sorted(int(k) for k in metrics[name]), ks)
        for k in ks:
            theirs[f"{name}@{k}"] = metrics[name][str(k)]
    if a.labels:
        labels = read_labels(a.labels)
        fa, ff1 = centroid_accuracy(x, labels)
        ba, bf1 = centroid_accuracy(2.0 * b - 1.0, labels)
        mine.update({"float_accuracy": fa, "binary_accuracy": ba, "accuracy_delta": ba - fa,
                     "float_macro_f1": ff1, "binary_macro_f1": bf1})
        cls = metrics["classification"]
        expect("classification.classes", cls["classes"], len(np.unique(labels)))
        for key in ("float_accuracy", "binary_accuracy", "accuracy_delta", "float_macro_f1",
                    "binary_macro_f1"):
            theirs[key] = cls[key]
    else:
        expect("classification", metrics["classification"], None)

    worst = 0.0
    for key, value in mine.items():
        print(f"{key} {value:.9f}")
        worst = max(worst, abs(theirs[key] - value))
        if abs(theirs[key] - value) > a.tolerance:
            errors.append(f"{key}: bnn-embed {theirs[key]:.9f}, reference {value:.9f}")
    if errors:
        sys.exit("MISMATCH\n" + "\n".join(errors))
    print(f"OK: {len(mine)} metrics agree within {a.tolerance} (largest difference {worst:.1e}), "
          f"codes match the projection "
          f"({int(ambiguous.sum())} bits within rounding of 0)")


if __name__ == "__main__":
    main()
