#!/usr/bin/env python3
"""cuBLAS baselines for the GPU benchmark, measured through PyTorch on the same GPU:

  fp16  torch.matmul of f16 (M x K) @ (K x N)   (cuBLAS FP16 GEMM, f32 accumulation)
  int8  torch._int_mm of s8 (M x K) @ (K x N)   (cuBLAS INT8 GEMM, s32 result)
  copy  device-to-device copy of 1 GiB         (bytes read + written per second)
  topk  Hamming top-k the way a PyTorch user writes it: +-1 f16 codes, Q x N similarity by
        torch.matmul (exact: |similarity| <= K <= 2048), then torch.topk(k) per query

Prints one JSON object per measurement. Same method as bnn-gpu-bench: random inputs rotated
over enough copies to defeat L2, warm-up, CUDA-event timing, median of the timed runs.
Needs the GPU machine's python3 (with PyTorch); run by run_on_gpu.sh.
"""
import json
import math
import statistics
import sys

import torch

SHAPES = [(1, 8192, 8192), (16, 8192, 8192), (4096, 4096, 4096), (8192, 8192, 8192),
          (1, 65536, 8192)]
ROTATE_BYTES = 256 << 20


def timed(fn, copies, iters=20, warmup=3):
    for i in range(warmup):
        fn(i % copies)
    torch.cuda.synchronize()
    times = []
    for i in range(iters):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        fn(i % copies)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


def gemm(kind, m, n, k):
    dtype = torch.float16 if kind == "fp16" else torch.int8
    bytes_per_set = (m * k + n * k) * (2 if kind == "fp16" else 1)
    copies = max(1, min(32, math.ceil(ROTATE_BYTES / bytes_per_set)))
    padded_m = m
    note = ""
    if kind == "int8" and m <= 16:
        # torch._int_mm (cuBLASLt) needs more than 16 rows: time 32 rows, count M's operations.
        padded_m, note = 32, "M padded to 32 rows for _int_mm"
    sets = []
    for _ in range(copies):
        if kind == "fp16":
            a = torch.randn(padded_m, k, device="cuda", dtype=dtype)
            b = torch.randn(n, k, device="cuda", dtype=dtype)
        else:
            a = torch.randint(-128, 128, (padded_m, k), device="cuda", dtype=dtype)
            b = torch.randint(-128, 128, (n, k), device="cuda", dtype=dtype)
        sets.append((a, b.t()))  # (K x N) column-major view: the TN layout cuBLAS prefers
    if kind == "fp16":
        op = lambda i: torch.matmul(sets[i][0], sets[i][1])
    else:
        op = lambda i: torch._int_mm(sets[i][0], sets[i][1])
    ms = timed(op, copies)
    return {"kind": kind, "m": m, "n": n, "k": k, "ms": ms, "ops": 2.0 * m * n * k,
            "input_copies": copies, "note": note}


TOPKS = [(1000, 1000000, 256, 10), (1000, 1000000, 1024, 10), (1, 1000000, 256, 10)]


def topk(q, n, k, t):
    queries = torch.randint(0, 2, (q, k), device="cuda", dtype=torch.int8).to(torch.float16) * 2 - 1
    database = torch.randint(0, 2, (n, k), device="cuda", dtype=torch.int8).to(torch.float16) * 2 - 1
    op = lambda i: torch.topk(torch.matmul(queries, database.t()), t, dim=1)
    ms = timed(op, 1)
    return {"kind": "topk", "m": q, "n": n, "k": k, "top_k": t, "ms": ms}


def copy_bandwidth():
    size = 1 << 30
    src = torch.empty(size, dtype=torch.uint8, device="cuda").random_()
    dst = torch.empty_like(src)
    ms = timed(lambda i: dst.copy_(src), 1)
    return {"kind": "copy", "bytes": 2.0 * size, "ms": ms,
            "gbps": 2.0 * size / (ms * 1e-3) / 1e9}


def main():
    if not torch.cuda.is_available():
        print("SKIPPED: PyTorch sees no CUDA device", file=sys.stderr)
        return 77
    props = torch.cuda.get_device_properties(0)
    print(json.dumps({"kind": "device", "name": props.name, "sms": props.multi_processor_count,
                      "torch": torch.__version__, "cuda": torch.version.cuda}), flush=True)
    print(json.dumps(copy_bandwidth()), flush=True)
    for m, n, k in SHAPES:
        for kind in ("fp16", "int8"):
            try:
                print(json.dumps(gemm(kind, m, n, k)), flush=True)
            except RuntimeError as error:  # report, keep measuring the others
                print(json.dumps({"kind": kind, "m": m, "n": n, "k": k,
                                  "error": str(error).splitlines()[0]}), flush=True)
            torch.cuda.empty_cache()
    for q, n, k, t in TOPKS:
        try:
            print(json.dumps(topk(q, n, k, t)), flush=True)
        except RuntimeError as error:
            print(json.dumps({"kind": "topk", "m": q, "n": n, "k": k, "top_k": t,
                              "error": str(error).splitlines()[0]}), flush=True)
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
