#!/usr/bin/env python3
"""The reference training step of bench/train-step.ts in PyTorch (Debian python3-torch + OpenBLAS).

`layers` pre-LN transformer blocks (default 1), `heads`-head causal softmax attention (default 1;
heads batched as [B, H, T, D/H]), ReLU MLP, biases on all linears, MSE loss, Adam(1e-3); one torch
thread: the model of lib/train/reference.ts. Prints one JSON line: {"ok": true, "msPerStep": [...], ...},
or {"ok": false, "why": ...} when torch cannot be imported or the config is bad (the caller then
skips PyTorch).
Usage: train_step_torch.py '{"batch":32,"seq":64,"dModel":128,"dFF":256,"layers":1,"heads":1,"lr":0.001,"warmup":5,"steps":20,"rounds":3,"threads":1}'
With "serve": true it prints {"ok": true, "ready": ...} after the warm-up and then, for every line
"<n>" read from stdin, runs n steps and prints {"ms": <ms per step>} (the benchmark interleaves it
with its own modes, round by round); an empty line or EOF ends it.
"""
import json
import sys
import time

cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
B, T, D, F = cfg.get("batch", 32), cfg.get("seq", 64), cfg.get("dModel", 128), cfg.get("dFF", 256)
L, H = cfg.get("layers", 1), cfg.get("heads", 1)
for name, v in (("batch", B), ("seq", T), ("dModel", D), ("dFF", F), ("layers", L), ("heads", H)):
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        print(json.dumps({"ok": False, "why": f"{name} must be a positive integer, got {v!r}"}))
        sys.exit(0)
if D % H:
    print(json.dumps({"ok": False, "why": f"dModel {D} is not divisible by heads {H}"}))
    sys.exit(0)
DH = D // H
try:
    import torch
    import torch.nn as nn
except Exception as e:  # torch missing: say so, the benchmark skips this column
    print(json.dumps({"ok": False, "why": f"cannot import torch: {e}"}))
    sys.exit(0)

torch.set_num_threads(cfg.get("threads", 1))
torch.manual_seed(cfg.get("seed", 0))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(D, F), nn.Linear(F, D)
        self.register_buffer("mask", torch.triu(torch.full((T, T), -1e9), 1))

    def forward(self, x):
        h = self.ln1(x)
        q, k, v = self.q(h), self.k(h), self.v(h)  # [B, T, D]
        if H == 1:
            att = torch.softmax(q @ k.transpose(1, 2) / D**0.5 + self.mask, -1)  # [B, T, T]
            a = att @ v
        else:
            q, k, v = (t.view(B, T, H, DH).transpose(1, 2) for t in (q, k, v))  # [B, H, T, D/H]
            att = torch.softmax(q @ k.transpose(2, 3) / DH**0.5 + self.mask, -1)  # [B, H, T, T]
            a = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.o(a)
        return x + self.fc2(torch.relu(self.fc1(self.ln2(x))))


model = nn.Sequential(*(Block() for _ in range(L)))
opt = torch.optim.Adam(model.parameters(), lr=cfg.get("lr", 1e-3))
x, y = torch.randn(B, T, D), torch.randn(B, T, D)


def step():
    opt.zero_grad(set_to_none=True)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(cfg.get("warmup", 5)):
    step()


def blas_info():
    try:
        import re

        return ", ".join(re.findall(r"(?:BLAS_INFO|LAPACK_INFO)=[^,\s]+", torch.__config__.show()))
    except Exception:
        return ""


if cfg.get("serve"):
    print(json.dumps({"ok": True, "ready": True, "layers": L, "heads": H, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        n = int(line)
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        print(json.dumps({"ms": (time.perf_counter() - t0) * 1000 / n}), flush=True)
    sys.exit(0)

per_round = []
for _ in range(cfg.get("rounds", 3)):
    t0 = time.perf_counter()
    n = cfg.get("steps", 20)
    for _ in range(n):
        step()
    per_round.append((time.perf_counter() - t0) * 1000 / n)
print(json.dumps({"ok": True, "msPerStep": per_round, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info()}))
