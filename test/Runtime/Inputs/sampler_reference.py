#!/usr/bin/python3
"""Checks bnn's sampler (bnn-sample-check) against a reference written here from the sampler's
specification in docs/RuntimeAPI.md ("The sampler"), not from bnn's code.

For each configuration below: the kept set (support) of bnn's distribution must equal the
reference's exactly, its probabilities agree within 1e-12, no draw may fall outside the support,
and a chi-square goodness-of-fit test of 200000 draws against the reference probabilities must
give p > 1e-6 (the seed is fixed, so the result is the same on every run). A negative control
checks the test has power: the same draws against a distribution 5% hotter must give p < 1e-6.

Needs Debian's python3-numpy and python3-scipy.
usage: sampler_reference.py BNN_SAMPLE_CHECK WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
from scipy import stats

SAMPLES = 200000


def reference(logits, temperature, top_k=0, top_p=1.0, min_p=0.0, penalty=1.0, window=0,
              history=()):
    """The distribution of docs/RuntimeAPI.md, steps 1 to 6, in float64."""
    z = logits.astype(np.float64)
    history = list(history)
    if penalty != 1.0 and history:
        recent = history[-window:] if 0 < window < len(history) else history
        for t in set(recent):  # once per distinct token
            z[t] = z[t] / penalty if z[t] > 0 else z[t] * penalty
    ids = np.nonzero(z != -np.inf)[0]
    probs = np.zeros(len(z))
    if temperature == 0:
        probs[ids[np.argmax(z[ids])]] = 1.0  # np.argmax: the first, i.e. smallest id, of ties
        return probs, {}
    order = ids[np.lexsort((ids, -z[ids]))]  # logit descending, id ascending
    if 0 < top_k < len(order):
        order = order[:top_k]
    w = np.exp((z[order] - z[order[0]]) / temperature)
    margins = {}
    if top_p < 1.0:
        cum = np.cumsum(w)
        threshold = top_p * cum[-1]
        n = int(np.argmax(cum >= threshold)) + 1
        # How far the boundary is from flipping (relative to the total): a test design check.
        margins["top_p"] = min(cum[n - 1] - threshold, threshold - (cum[n - 2] if n > 1 else 0))
        margins["top_p"] /= cum[-1]
        order, w = order[:n], w[:n]
    if min_p > 0.0:
        keep = w >= min_p
        margins["min_p"] = float(np.min(np.abs(w - min_p)))
        order, w = order[keep], w[keep]
    probs[order] = w / w.sum()
    return probs, margins


def run(tool, workdir, name, logits, config, seed):
    path = os.path.join(workdir, name)
    np.save(path + ".logits.npy", logits.astype(np.float32))
    cmd = [tool, path + ".logits.npy", "--seed", str(seed), "--samples", str(SAMPLES),
           "--counts", path + ".counts.npy", "--probs", path + ".probs.npy"]
    flags = {"temperature": "--temperature", "top_k": "--top-k", "top_p": "--top-p",
             "min_p": "--min-p", "penalty": "--repetition-penalty", "window": "--penalty-window"}
    for key, flag in flags.items():
        if key in config:
            cmd += [flag, repr(config[key])]
    if config.get("history"):
        cmd += ["--history", ",".join(str(t) for t in config["history"])]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return np.load(path + ".counts.npy"), np.load(path + ".probs.npy")


def chisquare_p(counts, expected_probs):
    """Chi-square p-value of counts against expected_probs over its support, bins with an
    expected count under 5 pooled into one."""
    support = expected_probs > 0
    obs, exp = counts[support].astype(np.float64), expected_probs[support] * counts.sum()
    small = exp < 5
    if small.any():
        obs = np.append(obs[~small], obs[small].sum())
        exp = np.append(exp[~small], exp[small].sum())
    if len(obs) < 2:
        return 1.0
    return float(stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


def main():
    tool, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    rng = np.random.default_rng(20261203)
    base = rng.normal(0.0, 2.0, 300)
    ties = np.round(rng.normal(0.0, 1.5, 64) * 2) / 2  # many equal logits
    ties[[3, 17, 40]] = -np.inf
    history = [int(t) for t in rng.integers(0, 300, 12)] + [int(np.argmax(base))]
    cases = [
        ("plain", base, {"temperature": 1.0}, True),
        ("cold-top-k", base, {"temperature": 0.7, "top_k": 40}, False),
        ("hot-top-p", base, {"temperature": 1.3, "top_p": 0.9}, True),
        ("min-p", base, {"temperature": 1.0, "min_p": 0.02}, False),
        ("all", base, {"temperature": 0.8, "top_k": 50, "top_p": 0.8, "min_p": 0.05,
                       "penalty": 1.3, "window": 8, "history": history}, False),
        ("penalty-all-history", base, {"temperature": 1.0, "penalty": 1.8,
                                       "history": history}, False),
        ("ties-top-k", ties, {"temperature": 1.0, "top_k": 10}, False),
        ("ties-top-p", ties, {"temperature": 1.0, "top_p": 0.9}, False),
        ("greedy-penalty", base, {"temperature": 0.0, "penalty": 1.5, "history": history}, False),
    ]
    failures = 0
    for i, (name, logits, config, control) in enumerate(cases):
        logits = logits.astype(np.float32)  # what the sampler sees
        kwargs = {k: v for k, v in config.items()}
        want, margins = reference(logits, **kwargs)
        for what, margin in margins.items():
            assert margin > 1e-9, f"{name}: the {what} boundary is too close to call ({margin})"
        if name == "greedy-penalty":  # a design check: the penalty moves the arg-max here
            assert np.argmax(want) != np.argmax(logits), "the penalty does not change the arg-max"
        counts, probs = run(tool, workdir, name, logits, config, seed=1000 + i)
        problems = []
        if not np.array_equal(probs > 0, want > 0):
            problems.append("support differs: bnn %s, reference %s" % (
                np.nonzero(probs)[0].tolist(), np.nonzero(want)[0].tolist()))
        diff = float(np.max(np.abs(probs - want)))
        if diff > 1e-12:
            problems.append(f"probabilities differ by up to {diff:.3g}")
        outside = int(counts[want == 0].sum())
        if outside:
            problems.append(f"{outside} draws outside the support")
        if counts.sum() != SAMPLES:
            problems.append(f"{counts.sum()} draws, expected {SAMPLES}")
        p = chisquare_p(counts, want)
        if not p > 1e-6:
            problems.append(f"chi-square p = {p:.3g} <= 1e-6")
        line = f"{name}: support {int((want > 0).sum())} max |dp| {diff:.1e} chi2 p {p:.3g}"
        if control:
            hotter, _ = reference(logits, **dict(kwargs, temperature=kwargs["temperature"] * 1.05))
            pc = chisquare_p(counts, hotter)
            line += f" control p {pc:.3g}"
            if not pc < 1e-6:
                problems.append(f"negative control: p = {pc:.3g} against a 5% hotter distribution"
                                " (the test has no power)")
        print(line)
        for problem in problems:
            print(f"FAIL {name}: {problem}")
        failures += bool(problems)
    print("sampler: all %d configurations agree" % len(cases) if not failures
          else f"sampler: {failures} configurations disagree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
