#!/usr/bin/python3
"""PyTorch twin of the benchmark's Heracles-tiny (bench/model.ts), for bench/step-vs-pytorch.ts.

Same blocks as our tfjs layers (runtime/layers, blocks/):
  stem: conv7x7 s2 (no bias) -> BN -> ReLU -> conv3x3 -> BN -> ReLU -> conv3x3 -> BN -> ReLU -> conv3x3 (bias)
        -> LayerNorm(1e-5)   (stride 2: the last conv has stride 1)
  block: x + mixer(LN(x)); x + FFN(LN(x))   (LN eps 1e-6)
  HeraclesMixer: split channels in half; dwconv3x3(first half, bias) | dht2d filter (second half);
        interleave (channel 2i local, 2i+1 global). dht2d as two matmuls with the same stacked
        [C | S] and [CAS ; C - S] matrices as runtime/spectral/transform.ts (orthonormal scale).
  attention: q Linear(C,C), kv Linear(C,2C), proj Linear(C,C); softmax(q k^T / sqrt(d)) v
  FFN: Linear(C, rC) -> dwconv3x3(rC, bias) -> GELU(exact) -> Linear(rC, C)
  downsample: LN(1e-5) -> conv3x3 s2 pad 1 (bias) -> LN(1e-5)
  head: CaiT class attention (cls = mean of tokens) + class FFN; LN(1e-6); Linear(C, classes)
Tokens are channels-last (B, H, W, C) like ours; convolutions permute to NCHW, as PyTorch needs.

Protocol (stdin/stdout, one JSON object per line, so the caller can interleave rounds with its own):
  {"cmd": "info"}                          -> {"params": n, "torch": version, "threads": t, "blas": path}
  {"cmd": "time", "steps": n, "threads": t} -> {"times_ms": [...], "loss": x}   (one AdamW step each)
  {"cmd": "forward", "steps": n, "threads": t} -> {"times_ms": [...]}          (forward + loss, no_grad)
  {"cmd": "gemm", "m": m, "k": k, "n": n, "reps": r, "threads": t} -> {"times_ms": [...]}
  {"cmd": "quit"}
Options: --batch 64 --dims 32,64,128,160 --depths 1,1,2,1 --ratios 4,4,4,4 --heads 1,2,4,5 --width 16
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cos_sin(n):
    k = torch.arange(n, dtype=torch.float64)
    a = 2 * math.pi * ((k[:, None] * k[None, :]) % n) / n
    return torch.cos(a) / math.sqrt(n), torch.sin(a) / math.sqrt(n)


def dht_matrices(h, w):
    """A = [C_W | S_W] (W x 2W) and Bm (2H x H) with Bm[2m+s, u] = (CAS_H if s == 0 else C_H - S_H)[u, m]."""
    cw, sw = cos_sin(w)
    a = torch.cat([cw, sw], dim=1)
    ch, sh = cos_sin(h)
    bm = torch.stack([(ch + sh).t(), (ch - sh).t()], dim=1).reshape(2 * h, h)
    return a.float(), bm.float()


def dht2d(x, a, bm):
    """True 2-D DHT of x (B, H, W, C) over H, W, as in runtime/spectral/transform.ts (apply2d)."""
    b, h, w, c = x.shape
    rows_w = x.permute(0, 3, 1, 2).reshape(b * c * h, w)
    y = rows_w @ a  # (B*C*H, 2W)
    rows_h = y.reshape(b * c, h, 2, w).permute(0, 3, 1, 2).reshape(b * c * w, 2 * h)
    z = (rows_h @ bm).reshape(b, c, w, h)
    return z.permute(0, 3, 2, 1)


class LN(nn.LayerNorm):
    pass


class DWConv(nn.Module):
    """Depthwise 3x3 'same' conv with bias on channels-last tokens."""

    def __init__(self, c, k=3):
        super().__init__()
        self.conv = nn.Conv2d(c, c, k, padding=k // 2, groups=c, bias=True)

    def forward(self, x):  # (B, H, W, C)
        return self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class HeraclesMixer(nn.Module):
    def __init__(self, c, h, w):
        super().__init__()
        half = c // 2
        self.local = DWConv(half)
        self.weight = nn.Parameter(torch.randn(h, w, half) * 0.02)
        a, bm = dht_matrices(h, w)
        self.register_buffer('a', a)
        self.register_buffer('bm', bm)

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=-1)
        y1 = self.local(x1)
        y2 = dht2d(dht2d(x2, self.a, self.bm) * self.weight, self.a, self.bm)
        return torch.stack([y1, y2], dim=-1).flatten(-2)  # interleave: 2i local, 2i+1 global


def attend(q, k, v, heads):
    b, nq, c = q.shape
    n = k.shape[1]
    d = c // heads
    qh = q.reshape(b, nq, heads, d).transpose(1, 2) * (1 / math.sqrt(d))
    kh = k.reshape(b, n, heads, d).transpose(1, 2)
    vh = v.reshape(b, n, heads, d).transpose(1, 2)
    attn = (qh @ kh.transpose(-2, -1)).softmax(-1)
    return (attn @ vh).transpose(1, 2).reshape(b, nq, c)


class SelfAttention(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(c, c)
        self.kv = nn.Linear(c, 2 * c)
        self.proj = nn.Linear(c, c)

    def forward(self, x):  # (B, H, W, C)
        b, h, w, c = x.shape
        t = x.reshape(b, h * w, c)
        k, v = self.kv(t).chunk(2, dim=-1)
        return self.proj(attend(self.q(t), k, v, self.heads)).reshape(b, h, w, c)


class FFN(nn.Module):
    def __init__(self, c, ratio):
        super().__init__()
        hidden = round(c * ratio)
        self.fc1 = nn.Linear(c, hidden)
        self.dw = DWConv(hidden)
        self.fc2 = nn.Linear(hidden, c)

    def forward(self, x):
        return self.fc2(F.gelu(self.dw(self.fc1(x))))


class Block(nn.Module):
    def __init__(self, c, hw, mixer, heads, ratio):
        super().__init__()
        self.norm1 = LN(c, eps=1e-6)
        self.mixer = HeraclesMixer(c, *hw) if mixer == 'ssm' else SelfAttention(c, heads)
        self.norm2 = LN(c, eps=1e-6)
        self.ffn = FFN(c, ratio)

    def forward(self, x):
        x = x + self.mixer(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class Downsample(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.pre = LN(cin, eps=1e-5)
        self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=True)
        self.norm = LN(cout, eps=1e-5)

    def forward(self, x):
        y = self.conv(self.pre(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return self.norm(y)


class ClassAttention(nn.Module):
    def __init__(self, c, heads, ratio=4, eps=1e-6):
        super().__init__()
        self.heads = heads
        self.norm1 = LN(c, eps=eps)
        self.q = nn.Linear(c, c)
        self.kv = nn.Linear(c, 2 * c)
        self.proj = nn.Linear(c, c)
        self.norm2 = LN(c, eps=eps)
        self.fc1 = nn.Linear(c, round(c * ratio))
        self.fc2 = nn.Linear(round(c * ratio), c)

    def forward(self, x):  # (B, H, W, C) -> (B, C)
        b, h, w, c = x.shape
        t = x.reshape(b, h * w, c)
        cls = t.mean(1, keepdim=True)
        u = self.norm1(torch.cat([cls, t], 1))
        k, v = self.kv(u).chunk(2, dim=-1)
        cls = cls + self.proj(attend(self.q(u[:, :1]), k, v, self.heads))
        cls = cls + self.fc2(F.gelu(self.fc1(self.norm2(cls))))
        return cls[:, 0]


class HeraclesTiny(nn.Module):
    def __init__(self, dims, depths, ratios, heads, width, classes=10, in_ch=1, size=28):
        super().__init__()
        # stride-2 stem: 7x7 s2, then 3x3 s1 (x3)
        self.stem = nn.Sequential(
            nn.Conv2d(in_ch, width, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, dims[0], 3, stride=1, padding=1, bias=True),
        )
        self.stem_norm = LN(dims[0], eps=1e-5)
        hw = (size + 1) // 2
        stages = []
        for i, (c, d) in enumerate(zip(dims, depths)):
            parts = []
            if i > 0:
                parts.append(Downsample(dims[i - 1], c))
                hw = (hw + 1) // 2
            for _ in range(d):
                parts.append(Block(c, (hw, hw), 'ssm' if i < 2 else 'attention', heads[i], ratios[i]))
            stages.append(nn.Sequential(*parts))
        self.stages = nn.Sequential(*stages)
        self.cls = ClassAttention(dims[-1], heads[-1])
        self.head_norm = LN(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], classes)

    def forward(self, x):  # x: (B, 1, 28, 28)
        t = self.stem_norm(self.stem(x).permute(0, 2, 3, 1))
        t = self.stages(t)
        return self.head(self.head_norm(self.cls(t)))


def ints(s):
    return [int(v) for v in s.split(',')]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--dims', type=ints, default=[32, 64, 128, 160])
    p.add_argument('--depths', type=ints, default=[1, 1, 2, 1])
    p.add_argument('--ratios', type=ints, default=[4, 4, 4, 4])
    p.add_argument('--heads', type=ints, default=[1, 2, 4, 5])
    p.add_argument('--width', type=int, default=16)
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = HeraclesTiny(args.dims, args.depths, args.ratios, args.heads, args.width)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    x = torch.randn(args.batch, 1, 28, 28)
    y = torch.randint(0, 10, (args.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def out(obj):
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        if cmd['cmd'] == 'info':
            blas = 'unknown'
            try:
                with open('/proc/self/maps') as f:
                    for l in f:
                        if 'blas' in l and '.so' in l:
                            blas = l.split()[-1]
                            break
            except OSError:
                pass
            out({
                'params': sum(q.numel() for q in model.parameters()),
                'torch': torch.__version__,
                'threads': torch.get_num_threads(),
                'blas': blas,
            })
        elif cmd['cmd'] == 'time':
            torch.set_num_threads(int(cmd.get('threads', args.threads)))
            times = []
            loss = float('nan')
            for _ in range(int(cmd['steps'])):
                t0 = time.perf_counter()
                loss = step()
                times.append((time.perf_counter() - t0) * 1000)
            out({'times_ms': times, 'loss': loss, 'threads': torch.get_num_threads()})
        elif cmd['cmd'] == 'forward':
            torch.set_num_threads(int(cmd.get('threads', args.threads)))
            times = []
            with torch.no_grad():
                for _ in range(int(cmd['steps'])):
                    t0 = time.perf_counter()
                    F.cross_entropy(model(x), y).item()
                    times.append((time.perf_counter() - t0) * 1000)
            out({'times_ms': times})
        elif cmd['cmd'] == 'gemm':
            torch.set_num_threads(int(cmd.get('threads', 1)))
            a = torch.randn(int(cmd['m']), int(cmd['k']))
            b = torch.randn(int(cmd['k']), int(cmd['n']))
            for _ in range(3):
                a @ b
            times = []
            for _ in range(int(cmd.get('reps', 20))):
                t0 = time.perf_counter()
                a @ b
                times.append((time.perf_counter() - t0) * 1000)
            out({'times_ms': times})
        elif cmd['cmd'] == 'quit':
            break


if __name__ == '__main__':
    main()
