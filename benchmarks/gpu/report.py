#!/usr/bin/env python3
"""Turns bnn-gpu-bench and baselines.py output (JSON lines) into the GPU benchmark table.

Usage: report.py BNN_JSONL BASELINES_JSONL [--sweep SWEEP_LOG] [--xor-popc COUNT]
Prints Markdown: bnn next to cuBLAS FP16/INT8 in binary-ops/s (2*M*N*K per second) and as
speed-up ratios, GEMV and pack bandwidth as fractions of device-to-device copy bandwidth, and
the issue's targets with PASS/MISS.
"""
import argparse
import json


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def ops_per_s(ops, ms):
    return ops / (ms * 1e-3)


def fmt_rate(rate):
    for unit, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9)):
        if rate >= scale:
            return f"{rate / scale:.2f} {unit}"
    return f"{rate:.3g}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bnn")
    parser.add_argument("baselines")
    parser.add_argument("--sweep")
    parser.add_argument("--xor-popc", type=int)
    args = parser.parse_args()
    bnn = load(args.bnn)
    base = load(args.baselines)
    device = next((b for b in base if b["kind"] == "device"), {})
    copy = next((b for b in base if b["kind"] == "copy"), None)
    out = []
    out.append(f"# bnn GPU benchmark: {device.get('name', 'unknown GPU')}")
    out.append("")
    out.append(f"PyTorch {device.get('torch', '?')} (CUDA {device.get('cuda', '?')}) for the "
               "cuBLAS baselines; bnn kernels from bnn-gpu-pipeline through the runtime's CUDA "
               "backend; all measured in one run. Rates are binary (or fp16/int8) operations "
               "per second, 2*M*N*K / time; ratios are baseline time / bnn time. "
               "\"bnn ms\" is the kernel timed alone (CUDA events around its launch on an idle "
               "GPU, so it includes the host's launch latency, a few microseconds); \"busy ms\" "
               "is the same kernel timed while an earlier call keeps the GPU busy, so the events "
               "and the launch run back to back (the way the cuBLAS baselines and the copy are "
               "timed); \"call ms\" is a whole call (row-popcount kernels included) in a batch.")
    out.append("")
    out.append("| (M, N, K) | bnn bundle | bnn kernel | bnn ms | bnn ops/s | busy ms | "
               "busy ops/s | call ms | "
               "cuBLAS fp16 ms | fp16 ops/s | cuBLAS int8 ms | int8 ops/s | vs fp16 | vs int8 |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    targets = []
    for r in bnn:
        if r.get("kind") not in ("gemm", "gemv"):
            continue
        m, n, k = r["m"], r["n"], r["k"]
        ops = 2.0 * m * n * k
        fp16 = next((b for b in base if b["kind"] == "fp16" and (b["m"], b["n"], b["k"]) == (m, n, k)), {})
        int8 = next((b for b in base if b["kind"] == "int8" and (b["m"], b["n"], b["k"]) == (m, n, k)), {})
        last = r["steps"][-1]["kernel"] if r["steps"] else ""
        kernel = next((label for tag, label in (("wgmma", "wgmma"), ("mma_sync", "mma.sync"),
                                                ("gemv", "gemv")) if tag in last), "?")
        row = [f"({m}, {n}, {k})", r["bundle"], kernel, f"{r['kernel_ms']:.4f}",
               fmt_rate(ops_per_s(ops, r["kernel_ms"]))]
        busy = r.get("kernel_busy_ms")
        row += ([f"{busy:.4f}", fmt_rate(ops_per_s(ops, busy))] if busy else ["n/a", "n/a"])
        row.append(f"{r['call_ms']:.4f}")
        for b in (fp16, int8):
            if "ms" in b:
                row += [f"{b['ms']:.4f}" + (" *" if b.get("note") else ""),
                        fmt_rate(ops_per_s(ops, b["ms"]))]
            else:
                row += ["n/a", b.get("error", "not measured")[:40]]
        for b in (fp16, int8):
            row.append(f"{b['ms'] / r['kernel_ms']:.2f}x" if "ms" in b else "n/a")
        if not r.get("checked", False):
            row[2] += " (WRONG RESULT)"
        out.append("| " + " | ".join(row) + " |")
        if (m, n, k) == (8192, 8192, 8192):
            rate = ops_per_s(ops, r["kernel_ms"])
            targets.append((f"8192^3 GEMM >= 11 POPS ({r['bundle']})", rate >= 11e15,
                            fmt_rate(rate) + "ops/s" + (
                                f" (busy: {fmt_rate(ops_per_s(ops, busy))}ops/s)" if busy else "")))
    if any(b.get("note") for b in base):
        out.append("")
        out.append("\\* " + next(b["note"] for b in base if b.get("note")) +
                   " (operations counted for the logical M).")

    out.append("")
    out.append("## Memory-bound kernels")
    out.append("")
    if copy:
        out.append(f"Device-to-device copy (1 GiB, bytes read + written): "
                   f"{copy['gbps']:.0f} GB/s.")
        out.append("")
    out.append("| kernel | shape | bundle | ms | bytes moved | GB/s | of copy bandwidth | "
               "busy ms | busy GB/s | busy, of copy bandwidth |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in bnn:
        if r.get("bytes", 0) <= 0:
            continue
        gbps = r["bytes"] / (r["kernel_ms"] * 1e-3) / 1e9
        frac = gbps / copy["gbps"] if copy else float("nan")
        shape = (f"N={r['n']}, K={r['k']}" if r["kind"] == "gemv"
                 else f"{r['rows']} x {r['k']} f32")
        busy = r.get("kernel_busy_ms")
        busy_gbps = r["bytes"] / (busy * 1e-3) / 1e9 if busy else float("nan")
        busy_frac = busy_gbps / copy["gbps"] if copy else float("nan")
        out.append(f"| {r['kind']} | {shape} | {r['bundle']} | {r['kernel_ms']:.4f} | "
                   f"{r['bytes'] / 1e6:.1f} MB | {gbps:.0f} | {100 * frac:.0f}% | "
                   + (f"{busy:.4f} | {busy_gbps:.0f} | {100 * busy_frac:.0f}% |" if busy
                      else "n/a | n/a | n/a |"))
        big = r["bytes"] >= 32e6
        if big and copy:
            targets.append((f"{r['kind']} {shape} >= 80% of copy bandwidth ({r['bundle']})",
                            frac >= 0.8, f"{100 * frac:.0f}%" + (
                                f" (busy: {100 * busy_frac:.0f}%)" if busy else "")))

    out.append("")
    out.append("## Hamming top-k (bnn.hamming_topk)")
    out.append("")
    out.append("Comparisons are query-code pairs (Q * N) per second; the PyTorch baseline is "
               "a +-1 f16 similarity GEMM followed by torch.topk.")
    out.append("")
    out.append("| (Q, N, K bits, k) | bundle | bnn ms | comparisons/s | busy ms | PyTorch ms | "
               "vs PyTorch |")
    out.append("|---|---|---|---|---|---|---|")
    for r in bnn:
        if r.get("kind") != "topk":
            continue
        shape = (r["m"], r["n"], r["k"], r["top_k"])
        torch_row = next((b for b in base if b["kind"] == "topk" and
                          (b["m"], b["n"], b["k"], b["top_k"]) == shape), {})
        rate = r["m"] * r["n"] / (r["kernel_ms"] * 1e-3)
        torch_ms = f"{torch_row['ms']:.4f}" if "ms" in torch_row else torch_row.get("error", "n/a")[:40]
        ratio = f"{torch_row['ms'] / r['kernel_ms']:.2f}x" if "ms" in torch_row else "n/a"
        busy = r.get("kernel_busy_ms")
        out.append(f"| {shape} | {r['bundle']} | {r['kernel_ms']:.4f} | {fmt_rate(rate)} | "
                   f"{busy:.4f} | {torch_ms} | {ratio} |" +
                   ("" if r.get("checked") else " WRONG RESULT |"))

    out.append("")
    out.append("## Targets")
    out.append("")
    if args.xor_popc is not None:
        targets.append(("no .xor.popc in the sm_90 PTX", args.xor_popc == 0,
                        f"{args.xor_popc} found"))
    if args.sweep:
        with open(args.sweep) as f:
            summary = [l.strip() for l in f if l.startswith("bnn-gpu-sweep:")]
        for line in summary:
            ok = " 0 failed" in line
            targets.append(("correctness sweep (bit-exact vs reference)", ok, line))
    for name, ok, value in targets:
        out.append(f"- {'PASS' if ok else 'MISS'}: {name}: {value}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
