#!/usr/bin/env python3
"""Checks bnn-embed's results on the golden dataset against BinaryLLM Phase 1's published
figures (docs/Embedding.md, "The golden dataset"):

  figure               Phase 1   checked per result   checked on the mean of the results
  spearman             0.94      +-0.04               +-0.025
  topk_overlap k=3     0.91      +-0.04               +-0.025
  ndcg k=3             0.95      +-0.04               +-0.025
  accuracy_delta      -0.08      +-0.04               +-0.025
  float_accuracy       1.00      >= 0.99

  check_golden.py RESULT.json...   (one per dataset seed; prints each figure)
"""
import json
import sys

import numpy as np

FIGURES = [
    ("spearman", lambda m: m["spearman"], 0.94),
    ("topk_overlap@3", lambda m: m["topk_overlap"]["3"], 0.91),
    ("ndcg@3", lambda m: m["ndcg"]["3"], 0.95),
    ("accuracy_delta", lambda m: m["classification"]["accuracy_delta"], -0.08),
]
PER_RESULT, ON_MEAN = 0.04, 0.025


def main():
    errors = []
    table = []
    for path in sys.argv[1:]:
        m = json.load(open(path))["metrics"]
        values = [get(m) for _, get, _ in FIGURES]
        table.append(values)
        fa = m["classification"]["float_accuracy"]
        print(path.rsplit("/", 1)[-1], " ".join(f"{n} {v:.4f}" for (n, _, _), v in
                                                zip(FIGURES, values)), f"float_accuracy {fa:.4f}")
        if fa < 0.99:
            errors.append(f"{path}: float_accuracy {fa:.4f} < 0.99")
        for (name, _, target), v in zip(FIGURES, values):
            if abs(v - target) > PER_RESULT:
                errors.append(f"{path}: {name} {v:.4f} is not within {PER_RESULT} of {target}")
    mean = np.mean(np.array(table), axis=0)
    print("mean", " ".join(f"{n} {v:.4f}" for (n, _, _), v in zip(FIGURES, mean)))
    for (name, _, target), v in zip(FIGURES, mean):
        if abs(v - target) > ON_MEAN:
            errors.append(f"mean {name} {v:.4f} is not within {ON_MEAN} of {target}")
    if errors:
        sys.exit("FAIL\n" + "\n".join(errors))
    print(f"OK: {len(table)} results within {PER_RESULT}, their mean within {ON_MEAN}")


if __name__ == "__main__":
    main()
