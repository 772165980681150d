#!/usr/bin/env python3
"""The synthetic golden dataset of bnn-embed's tests (docs/Embedding.md, "The golden dataset").

Deterministic for a given --seed (NumPy's PCG64 Generator). Rows are float32 embeddings of
--dim dimensions in --classes classes, built as:

  u0           one shared unit direction (real sentence encoders share a mean direction)
  A            a random dim x rank orthonormal basis
  c_k          class centre: normalize(A z_k + shared * u0), z_k ~ N(0, I_rank)
  g            group centre: c_k + group_spread * e / sqrt(dim),   e ~ N(0, I_dim)
  x            row:          g + point_spread * e' / sqrt(dim)

--groups-per-class groups of --group-size rows per class (a group is a set of near duplicates,
so a row's group-size - 1 nearest neighbours are its group). A low rank spreads the class
centres over a graded range of cosines, which the Hamming ranking must preserve. The rows are
shuffled, so the first rows (bnn-embed --queries) are a random sample.

Writes EMBEDDINGS (.npy '<f4', or '<f8' with --dtype f8, rows x dim) and LABELS (.npy '<i8' 1-D, or a text file of one
integer per line when the name does not end in .npy). Needs Debian's python3-numpy.
"""
import argparse

import numpy as np


def generate(seed, classes, groups, group_size, dim, rank, shared, group_spread, point_spread):
    rng = np.random.default_rng(seed)
    u0 = rng.standard_normal(dim)
    u0 /= np.linalg.norm(u0)
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0]
    rows, labels = [], []
    for k in range(classes):
        centre = basis @ rng.standard_normal(rank) + shared * u0
        centre /= np.linalg.norm(centre)
        for _ in range(groups):
            group = centre + group_spread * rng.standard_normal(dim) / np.sqrt(dim)
            for _ in range(group_size):
                rows.append(group + point_spread * rng.standard_normal(dim) / np.sqrt(dim))
                labels.append(k)
    x = np.array(rows, dtype=np.float32)
    y = np.array(labels, dtype=np.int64)
    perm = rng.permutation(len(y))
    return x[perm], y[perm]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("embeddings")
    p.add_argument("labels")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--classes", type=int, default=24)
    p.add_argument("--groups-per-class", type=int, default=10)
    p.add_argument("--group-size", type=int, default=4)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--rank", type=int, default=2)
    p.add_argument("--shared", type=float, default=0.0)
    p.add_argument("--group-spread", type=float, default=0.64)
    p.add_argument("--point-spread", type=float, default=0.41)
    p.add_argument("--dtype", choices=["f4", "f8"], default="f4",
                   help="store the embeddings as float32 (default) or float64")
    a = p.parse_args()
    x, y = generate(a.seed, a.classes, a.groups_per_class, a.group_size, a.dim, a.rank, a.shared,
                    a.group_spread, a.point_spread)
    np.save(a.embeddings, x if a.dtype == "f4" else x.astype(np.float64))
    if a.labels.endswith(".npy"):
        np.save(a.labels, y)
    else:
        with open(a.labels, "w") as f:
            f.write("".join(f"{v}\n" for v in y))


if __name__ == "__main__":
    main()
