# An independent eager-PyTorch reference on MQAR (experiments/results/probes.md): a plain GPT
# (learned positions, LayerNorm, GELU MLP, untied head), Zoology's generator written with numpy,
# AdamW with one-cycle, batch 64, 20k training examples, V=256, L=64, N=8, power_a 0.01.
#   python3 bench/peer/mqar_peer.py [THREADS] [LR]    (prints test accuracy every 100 steps; 1500 steps)
import sys, time, math, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
V, L, N, A = 256, 64, 8, 0.01
lr = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-3
def mqar(n, seed):
    rng = np.random.default_rng(seed)
    space = (L - 2 * N) // 2
    p = A * np.arange(1, space + 1) ** (A - 1); p /= p.sum()
    X = np.zeros((n, L + 1), np.int64); Y = np.full((n, L + 1), -100, np.int64)
    for i in range(n):
        k = rng.choice(np.arange(1, V // 2), N, replace=False); v = rng.choice(np.arange(V // 2, V), N, replace=False)
        X[i, 0:2 * N:2] = k; X[i, 1:2 * N:2] = v
        g = rng.choice(space, N, replace=False, p=p)
        X[i, 2 * N + 2 * g] = k; Y[i, 2 * N + 2 * g + 1] = v
    x, y = torch.tensor(X[:, :-1]), torch.tensor(Y[:, 1:])
    x = torch.where(x == 0, torch.randint(V, x.shape), x)
    return x, y
torch.manual_seed(0)
xtr, ytr = mqar(20000, 1); xte, yte = mqar(1000, 2)
class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.h = h; s.ln1 = nn.LayerNorm(d); s.qkv = nn.Linear(d, 3 * d); s.o = nn.Linear(d, d)
        s.ln2 = nn.LayerNorm(d); s.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
    def forward(s, x):
        B, T, C = x.shape
        q, k, v = s.qkv(s.ln1(x)).view(B, T, 3, s.h, C // s.h).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-1, -2)) / math.sqrt(C // s.h)
        a = a.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf")).softmax(-1)
        x = x + s.o((a @ v).transpose(1, 2).reshape(B, T, C))
        return x + s.mlp(s.ln2(x))
class GPT(nn.Module):
    def __init__(s, d=128, h=4):
        super().__init__(); s.emb = nn.Embedding(V, d); s.pos = nn.Embedding(L, d)
        s.blocks = nn.ModuleList([Block(d, h) for _ in range(2)]); s.ln = nn.LayerNorm(d); s.head = nn.Linear(d, V)
    def forward(s, x):
        h = s.emb(x) + s.pos(torch.arange(x.shape[1]))
        for b in s.blocks: h = b(h)
        return s.head(s.ln(h))
m = GPT(); opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=0.1)
steps = 1500; sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
t0 = time.time(); g = torch.Generator().manual_seed(0)
for step in range(1, steps + 1):
    idx = torch.randint(20000, (64,), generator=g)
    loss = F.cross_entropy(m(xtr[idx]).reshape(-1, V), ytr[idx].reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    if step % 100 == 0:
        with torch.no_grad():
            pred = m(xte).argmax(-1); mask = yte != -100
            acc = (pred[mask] == yte[mask]).float().mean().item()
        print(f"step {step} tokens {step*64*64/1e6:.2f}M {time.time()-t0:.0f}s loss {loss.item():.3f} acc {acc:.4f}", flush=True)
