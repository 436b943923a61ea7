#!/usr/bin/env python3
"""The Python PyTorch peer of attnlab's model, for bench/run.sh: eager PyTorch, nanoGPT style, the
same architecture and shapes as attnlab's TransformerLM with the softmax mixer (tied embeddings,
pre-norm RMSNorm blocks, fused QKV without bias, RoPE on q and k, causal softmax attention, SwiGLU
with a fused gate/up projection, AdamW with weight decay on matrices, gradient clipping).

  peer.py train  --layers 4 --d-model 128 --heads 4 --vocab 2048 --batch 16 --seq 128 --steps 60
  peer.py decode --layers 4 --d-model 128 --heads 4 --vocab 2048 --batch 1 --prompt 32 --context 256
  peer.py gemm   --size 1024

Each prints one JSON line. Training and decoding use random token ids: throughput does not depend
on the text. Threads: torch.set_num_threads(--threads, else $ATTNLAB_PEER_THREADS; 0 = one per core).
"""
import argparse
import json
import math
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def swiglu_hidden(d_model, ratio=8.0 / 3.0):
    return (math.ceil(ratio * d_model) + 7) // 8 * 8


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Rope:
    def __init__(self, head_dim, ctx, theta=10000.0):
        inv = 1.0 / theta ** (torch.arange(0, head_dim, 2).float() / head_dim)
        angles = torch.outer(torch.arange(ctx).float(), inv)  # [ctx, Dh/2]
        self.cos, self.sin = angles.cos(), angles.sin()

    def apply(self, x, pos0):  # x [B, H, T, Dh]
        T = x.size(2)
        cos, sin = self.cos[pos0:pos0 + T], self.sin[pos0:pos0 + T]
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, d, heads, rope):
        super().__init__()
        self.heads, self.rope = heads, rope
        self.qkv_proj = nn.Linear(d, 3 * d, bias=False)
        self.out_proj = nn.Linear(d, d, bias=False)

    def forward(self, x, cache=None, pos0=0):
        B, T, C = x.shape
        q, k, v = self.qkv_proj(x).view(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k = self.rope.apply(q, pos0), self.rope.apply(k, pos0)
        if cache is not None:  # preallocated [B, H, ctx, Dh] keys and values
            cache["k"][:, :, pos0:pos0 + T] = k
            cache["v"][:, :, pos0:pos0 + T] = v
            k, v = cache["k"][:, :, :pos0 + T], cache["v"][:, :, :pos0 + T]
        S = k.size(2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # [B, H, T, S]
        if T > 1:
            mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
            scores = scores.masked_fill(~mask, float("-inf"))
        y = scores.softmax(-1) @ v
        return self.out_proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, d, heads, rope):
        super().__init__()
        self.attn_norm, self.mlp_norm = RMSNorm(d), RMSNorm(d)
        self.attn = Attention(d, heads, rope)
        hidden = swiglu_hidden(d)
        self.gate_up_proj = nn.Linear(d, 2 * hidden, bias=False)
        self.down_proj = nn.Linear(hidden, d, bias=False)

    def forward(self, x, cache=None, pos0=0):
        x = x + self.attn(self.attn_norm(x), cache, pos0)
        gate, up = self.gate_up_proj(self.mlp_norm(x)).chunk(2, -1)
        return x + self.down_proj(F.silu(gate) * up)


class LM(nn.Module):
    def __init__(self, layers, d, heads, vocab, ctx):
        super().__init__()
        rope = Rope(d // heads, ctx)
        self.tok_emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, heads, rope) for _ in range(layers))
        self.final_norm = RMSNorm(d)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, tokens, caches=None, pos0=0):
        x = self.tok_emb(tokens)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i], pos0)
        return self.final_norm(x) @ self.tok_emb.weight.t()  # tied lm_head


def model_from(args, ctx):
    torch.manual_seed(0)
    return LM(args.layers, args.d_model, args.heads, args.vocab, ctx)


def train(args):
    model = model_from(args, args.seq)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(0)
    times = []
    for step in range(args.steps):
        x = torch.randint(0, args.vocab, (args.batch, args.seq), generator=gen)
        y = torch.randint(0, args.vocab, (args.batch, args.seq), generator=gen)
        start = time.perf_counter()
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append(time.perf_counter() - start)
    steady = sorted(times[args.warmup:])
    median = steady[len(steady) // 2]
    params = sum(p.numel() for p in model.parameters())
    return {"case": "train", "tokens_per_s": args.batch * args.seq / median, "params": params}


@torch.no_grad()
def decode(args):
    model = model_from(args, args.context).eval()
    gen = torch.Generator().manual_seed(0)
    head_dim = args.d_model // args.heads
    caches = [{"k": torch.zeros(args.batch, args.heads, args.context, head_dim),
               "v": torch.zeros(args.batch, args.heads, args.context, head_dim)} for _ in range(args.layers)]
    prompt = torch.randint(0, args.vocab, (args.batch, args.prompt), generator=gen)
    model(prompt, caches, 0)  # warm-up (discarded), as attnlab_bench
    start = time.perf_counter()
    logits = model(prompt, caches, 0)[:, -1]
    prefill = time.perf_counter() - start
    steps = args.context - args.prompt
    start = time.perf_counter()
    for s in range(steps):
        nxt = logits.argmax(-1, keepdim=True)  # [B, 1] greedy, as attnlab_bench
        logits = model(nxt, caches, args.prompt + s)[:, -1]
    seconds = time.perf_counter() - start
    return {"case": "decode", "prefill_tokens_per_s": args.batch * args.prompt / prefill,
            "ms_per_step": 1e3 * seconds / steps, "tokens_per_s": args.batch * steps / seconds,
            "kv_bytes_per_seq": 2 * args.layers * args.d_model * args.context * 4,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def gemm(args):
    a, b = torch.randn(args.size, args.size), torch.randn(args.size, args.size)
    for _ in range(3):
        a @ b
    runs = []
    for _ in range(10):
        start = time.perf_counter()
        a @ b
        runs.append(time.perf_counter() - start)
    best = sorted(runs)[len(runs) // 2]
    return {"case": "gemm", "gflops": 2 * args.size ** 3 / best / 1e9}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=["train", "decode", "gemm"])
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--prompt", type=int, default=32)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    threads = args.threads or int(os.environ.get("ATTNLAB_PEER_THREADS", "0"))  # bench/run.sh sets the env
    torch.set_num_threads(threads if threads > 0 else os.cpu_count())
    result = {"train": train, "decode": decode, "gemm": gemm}[args.case](args)
    result["threads"] = torch.get_num_threads()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
