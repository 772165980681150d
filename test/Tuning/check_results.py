"""Checks bnn-tune's results file: one JSON line per candidate, each checked ("ok") and timed.
Usage: check_results.py FILE SHAPE CANDIDATES(RxC,...)"""
import json
import sys

path, shape, candidates = sys.argv[1:]
with open(path) as f:
    lines = [json.loads(line) for line in f if line.strip()]
seen = sorted(r["candidate"] for r in lines)
assert seen == sorted(candidates.split(",")), seen
for r in lines:
    assert r["shape"] == shape and r["status"] == "ok" and r["time_us"] > 0, r
print("ok")
