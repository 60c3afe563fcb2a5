"""PyTorch-Python peer of bench/torch-encoder.ts: the same BERT-base-shaped encoder stack, the same ops.

Usage: python3 bench/torch-encoder.py LAYERS BATCH SEQ STEPS WARMUP THREADS PRECISION(fp32|bf16)
Prints one JSON line: {"torch": version, "seconds": fastest step (wall, s), "cpu": fastest step (process CPU time, s)}.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

HIDDEN, HEADS, INTERMEDIATE = 768, 12, 3072


def make_layer():
    def linear(out_f, in_f):
        return [(torch.randn(out_f, in_f) * 0.02).requires_grad_(), torch.zeros(out_f, requires_grad=True)]
    def norm():
        return [torch.ones(HIDDEN, requires_grad=True), torch.zeros(HIDDEN, requires_grad=True)]
    return (linear(HIDDEN, HIDDEN) + linear(HIDDEN, HIDDEN) + linear(HIDDEN, HIDDEN) + linear(HIDDEN, HIDDEN) + norm()
            + linear(INTERMEDIATE, HIDDEN) + linear(HIDDEN, INTERMEDIATE) + norm())


def attention(q, k, v, mask):
    if hasattr(F, "scaled_dot_product_attention"):  # libtorch >= 2.0, as the binding uses
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.1)
    scores = torch.matmul(q, k.transpose(-2, -1)).mul(1 / math.sqrt(q.size(-1))).add(mask)
    return torch.matmul(F.dropout(scores.softmax(-1), 0.1, True), v)


def encoder_layer(x, p, mask):
    (wq, bq, wk, bk, wv, bv, wo, bo, g1, b1, wi, bi, wo2, bo2, g2, b2) = p
    B, T, H = x.shape
    heads = lambda t: t.view(B, T, HEADS, H // HEADS).transpose(1, 2)
    q, k, v = heads(F.linear(x, wq, bq)), heads(F.linear(x, wk, bk)), heads(F.linear(x, wv, bv))
    ctx = attention(q, k, v, mask).transpose(1, 2).reshape(B, T, H)
    h1 = F.layer_norm(F.dropout(F.linear(ctx, wo, bo), 0.1, True).add(x), [H], g1, b1, 1e-12)
    inter = F.gelu(F.linear(h1, wi, bi))
    return F.layer_norm(F.dropout(F.linear(inter, wo2, bo2), 0.1, True).add(h1), [H], g2, b2, 1e-12)


def run(layers, batch, seq, steps, warmup, bf16):
    torch.manual_seed(0)
    params = [make_layer() for _ in range(layers)]
    flat = [t for layer in params for t in layer]
    opt = torch.optim.AdamW(flat, lr=1e-4)
    x = torch.randn(batch, seq, HIDDEN)
    mask = torch.zeros(batch, 1, 1, seq)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            h = x
            for p in params:
                h = encoder_layer(h, p, mask)
            loss = h.float().pow(2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    for _ in range(warmup):
        step()
    times, cpu = [], []
    for _ in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(times), min(cpu)  # the least disturbed step: robust to other load on the machine


if __name__ == "__main__":
    layers, batch, seq, steps, warmup, threads = map(int, sys.argv[1:7])
    torch.set_num_threads(threads)
    seconds, cpu = run(layers, batch, seq, steps, warmup, sys.argv[7] == "bf16")
    print(json.dumps({"torch": torch.__version__, "seconds": seconds, "cpu": cpu}))
