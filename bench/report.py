#!/usr/bin/env python3
"""Markdown tables from bench/run.sh's measurements (one JSON object per line).

  report.py bench/out/results.jsonl

Medians over the rounds; ratios are attnlab / peer (higher is better for attnlab) unless a
column says otherwise. MFU: model FLOPs per token (6 N + 12 L d T, PaLM appendix B; N counts the
non-embedding matrices plus the tied output head) x tokens/s over the machine's measured fp32
GEMM rate.
"""
import collections
import json
import math
import statistics
import sys

SHAPES = {"tiny": (4, 128), "small": (6, 256)}  # layers, d_model (configs/model/*.yaml)
VOCAB = 2048


def median(values):
    return statistics.median(values) if values else math.nan


def train_flops_per_token(model, seq):
    layers, d = SHAPES[model]
    hidden = (math.ceil(8 * d / 3) + 7) // 8 * 8  # SwiGLU width
    n = layers * (4 * d * d + 3 * d * hidden) + d * VOCAB
    return 6 * n + 12 * layers * d * seq


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    by = collections.defaultdict(list)
    for r in rows:
        by[r["case"]].append(r)

    gemm = median([r["gflops"] for r in by["gemm"]])
    if by["gemm"]:
        print(f"fp32 GEMM (1024^3, torch.mm on this machine's BLAS, {by['gemm'][0]['threads']} threads): "
              f"{gemm:.1f} GFLOP/s\n")

    if by["train"]:
        values = collections.defaultdict(list)
        for r in by["train"]:
            values[(r["model"], r["seq"], r["side"])].append(r["value"])
        print("| training, batch 16 | attnlab tok/s | peer, defaults | attnlab / peer | peer, matched threads "
              "| attnlab / peer | attnlab MFU | peer MFU (defaults, matched) |")
        print("| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for model in SHAPES:
            for seq in (128, 256):
                a = median(values[(model, seq, "attnlab")])
                p = median(values[(model, seq, "peer_default")])
                m = median(values[(model, seq, "peer_matched")])
                mfu = lambda rate: 100 * rate * train_flops_per_token(model, seq) / gemm / 1e9
                print(f"| {model} x {seq} | {a:.0f} | {p:.0f} | **{a / p:.2f}** | {m:.0f} | **{a / m:.2f}** "
                      f"| {mfu(a):.1f}% | {mfu(p):.1f}%, {mfu(m):.1f}% |")
        print()

    if by["decode"]:
        print("| decoding, tiny, KV cache, prompt 32 to 256 tokens | attnlab ms/step | tok/s "
              "| peer, defaults: ms/step | tok/s | attnlab / peer | peer, matched: ms/step | tok/s | attnlab / peer |")
        print("| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for batch in (1, 8):
            rows = lambda side: [r["row"] for r in by["decode"] if r["side"] == side and r["row"].get("batch", r.get("batch")) == batch]
            cells = []
            for side in ("attnlab", "peer_default", "peer_matched"):
                ms = median([x["ms_per_step"] for x in rows(side)])
                tok = median([x["tokens_per_s"] for x in rows(side)])
                cells.append((ms, tok))
            (am, at), (pm, pt), (mm, mt) = cells
            print(f"| batch {batch} | {am:.3f} | {at:.0f} | {pm:.3f} | {pt:.0f} | **{at / pt:.2f}** | {mm:.3f} | {mt:.0f} "
                  f"| **{at / mt:.2f}** |")
        prefill = lambda side: median([r["row"]["prefill_tokens_per_s"] for r in by["prefill"] if r["side"] == side])
        a, p, m = prefill("attnlab"), prefill("peer_default"), prefill("peer_matched")
        print(f"\nPrefill (batch 1, 512 tokens in one forward): attnlab {a:.0f} tok/s; peer {p:.0f} tok/s with its "
              f"defaults (ratio **{a / p:.2f}**), {m:.0f} tok/s at matched threads (ratio **{a / m:.2f}**).\n")

    if by["evict"]:
        print("| eviction, tiny, batch | scissorhands ms/step (ctx 1024, ratio 5) | of it in the policy "
              "| mean cache tokens | full ms/step at that cache length | overhead |")
        print("| :--- | ---: | ---: | ---: | ---: | ---: |")
        for batch in (1, 8):
            s = [r["row"] for r in by["evict"] if r["side"] == "scissorhands" and r["row"]["batch"] == batch]
            f = [r["row"] for r in by["evict"] if r["side"] == "full" and r["row"]["batch"] == batch]
            sm, fm = median([x["ms_per_step"] for x in s]), median([x["ms_per_step"] for x in f])
            print(f"| {batch} | {sm:.3f} | {median([x['policy_ms_per_step'] for x in s]):.3f} "
                  f"| {median([x['mean_cache_tokens'] for x in s]):.1f} | {fm:.3f} | **{100 * (sm / fm - 1):+.1f}%** |")
        print()

    if by["memory"]:
        print("| context | attnlab full: KV bytes | peak RSS MiB | ms/step | scissorhands r5: KV bytes (peak) "
              "| KV ratio | + bookkeeping bytes | (KV + bookkeeping) ratio | peak RSS MiB | peer: KV bytes | peak RSS MiB "
              "| ms/step |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        contexts = sorted({r["row"]["context"] for r in by["memory"] if r["side"] == "attnlab"})
        for c in contexts:
            full = next(r["row"] for r in by["memory"] if r["side"] == "attnlab" and r["policy"] == "full"
                        and r["row"]["context"] == c)
            sh = next(r["row"] for r in by["memory"] if r["side"] == "attnlab" and r["policy"] == "scissorhands"
                      and r["row"]["context"] == c)
            peer = [r["row"] for r in by["memory"] if r["side"] == "peer"][contexts.index(c)]
            print(f"| {c} | {full['kv_bytes_peak']} | {full['peak_rss_mib']:.0f} | {full['ms_per_step']:.3f} "
                  f"| {sh['kv_bytes_peak']} | **{sh['kv_bytes_peak'] / full['kv_bytes_peak']:.3f}** "
                  f"| {sh['bookkeeping_bytes_peak']} "
                  f"| {(sh['kv_bytes_peak'] + sh['bookkeeping_bytes_peak']) / (full['kv_bytes_peak'] + full['bookkeeping_bytes_peak']):.3f} "
                  f"| {sh['peak_rss_mib']:.0f} | {peer['kv_bytes_per_seq']} | {peer['peak_rss_mib']:.0f} "
                  f"| {peer['ms_per_step']:.3f} |")
        print()

    if by["linear"]:
        contexts = sorted({r["row"]["context"] for r in by["linear"]})
        print("| decode ms/step (batch 1, the 224 steps before the context) | "
              + " | ".join(f"ctx {c}" for c in contexts) + f" | ctx {contexts[-1]} / ctx {contexts[0]} |")
        print("| :--- |" + " ---: |" * (len(contexts) + 1))
        for mixer in dict.fromkeys(r["mixer"] for r in by["linear"]):
            ms = [median([r["row"]["ms_per_step"] for r in by["linear"] if r["mixer"] == mixer
                          and r["row"]["context"] == c]) for c in contexts]
            print(f"| {mixer} | " + " | ".join(f"{m:.3f}" for m in ms) + f" | {ms[-1] / ms[0]:.2f} |")
        print()

    if by["mixer"]:
        values = collections.defaultdict(list)
        for r in by["mixer"]:
            values[r["mixer"]].append(r["value"])
        base = median(values["softmax"])
        print("| mixer (tiny, batch 16 x 128) | training tok/s | relative to softmax |")
        print("| :--- | ---: | ---: |")
        for mixer in sorted(values, key=lambda m: -median(values[m])):
            print(f"| {mixer} | {median(values[mixer]):.0f} | {median(values[mixer]) / base:.2f} |")
        print()

    if by["blas"]:
        values = collections.defaultdict(list)
        for r in by["blas"]:
            values[r["mode"]].append(r["value"])
        own, fallback, replaced = (median(values[m]) for m in ("own", "fallback", "replaced"))
        print("| tiny training, batch 16 x 128, BLAS kernels | tok/s | relative to OpenBLAS's own core |")
        print("| :--- | ---: | ---: |")
        print(f"| OpenBLAS's own core on this machine | {own:.0f} | 1.00 |")
        print(f"| the Prescott fallback (OPENBLAS_CORETYPE=Prescott, left alone) | {fallback:.0f} | {fallback / own:.2f} |")
        print(f"| the fallback replaced by attnlab (ATTNLAB_BLAS_SIMULATE_FALLBACK=1) | {replaced:.0f} | **{replaced / own:.2f}** |")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
