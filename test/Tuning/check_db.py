"""Checks the structure of a tuning database bnn-tune wrote (docs/Tuning.md), read with
Python's json: one tuned entry for the given class whose parameters are one of the candidates.
Usage: check_db.py FILE CHIP KERNEL M_BUCKET N K MEASURED(m,n,k) CANDIDATES(RxC,...) DATE"""
import json
import sys

path, chip, kernel, m, n, k, measured, candidates, date = sys.argv[1:]
with open(path) as f:
    db = json.load(f)
assert set(db) == {"format", "version", "chip", "entries"}, sorted(db)
assert db["format"] == "bnn-tuning-db" and db["version"] == 1 and db["chip"] == chip, db
entries = db["entries"]
assert len(entries) == 1, entries
e = entries[0]
keys = {"kernel", "shape", "params", "untuned", "chip", "date", "time_us", "measured_shape"}
keys |= {"cpu_model", "threads"} if chip.startswith("cpu-") else {"driver"}
assert set(e) == keys, sorted(e)
assert e["kernel"] == kernel and e["chip"] == chip and e["date"] == date, e
assert e["shape"] == {"m": m, "n": int(n), "k": int(k)}, e["shape"]
assert e["measured_shape"] == [int(x) for x in measured.split(",")], e["measured_shape"]
assert e["untuned"] is False, e
assert isinstance(e["time_us"], (int, float)) and e["time_us"] > 0, e
assert isinstance(e["cpu_model"], str) and e["cpu_model"], e
assert e["threads"] == 1, e
tile = "%dx%d" % (e["params"]["tile_rows"], e["params"]["tile_cols"])
assert set(e["params"]) == {"tile_rows", "tile_cols"}, e["params"]
assert tile in candidates.split(","), (tile, candidates)
print("ok")
