"""Peer of bench/gpu/step-profile.ts: the same BERT step in PyTorch + transformers, phase by phase.

Usage: python3 step_profile.py CONFIG_JSON DEVICE PRECISION BATCH SEQ STEPS WARMUP
Prints one line: STEP_PROFILE {"phases": {...}, "msPerStep": ..., "loss": ...}
"""
import json, sys, time

import torch
from transformers import BertConfig, BertForSequenceClassification


def main():
    config_path, device, precision = sys.argv[1:4]
    batch, seq, steps, warmup = map(int, sys.argv[4:8])
    config = BertConfig.from_json_file(config_path)
    config.num_labels = 2
    torch.manual_seed(42)
    try:  # transformers 4.x picks the attention from the config; 5.x uses SDPA by default
        config._attn_implementation = "sdpa"
    except (AttributeError, ValueError):
        pass
    model = BertForSequenceClassification(config).to(device).train()
    attention = getattr(model.config, "_attn_implementation", "?")
    params = list(model.parameters())
    fused = device != "cpu"
    optimizer = torch.optim.AdamW(params, lr=2e-5, weight_decay=0.01, fused=fused)
    k = torch.arange(batch * seq)
    ids = (1 + (k * 7919) % (config.vocab_size - 1)).view(batch, seq).to(device)
    lengths = torch.tensor([min(seq, 48 + (37 * i) % 80) for i in range(batch)])
    mask = (torch.arange(seq)[None, :] < lengths[:, None]).long().to(device)
    inputs = dict(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids),
                  labels=(torch.arange(batch) % 2).to(device))
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    sync = torch.cuda.synchronize if device != "cpu" else (lambda: None)

    def forward():
        with torch.autocast(device_type=device.split(":")[0], dtype=dtype, enabled=dtype is not None):
            return model(**inputs).loss.float()

    phases = {p: {"ms": 0.0, "hostMs": 0.0} for p in ("forward", "backward", "clip", "optimizer")}

    def timed(phase, counted, fn):
        start = time.perf_counter()
        result = fn()
        queued = time.perf_counter()
        sync()
        if counted:
            phases[phase]["hostMs"] += (queued - start) * 1000
            phases[phase]["ms"] += (time.perf_counter() - start) * 1000
        return result

    def optimizer_step():
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    loss = 0.0
    for step in range(warmup + steps):
        counted = step >= warmup
        out = timed("forward", counted, forward)
        timed("backward", counted, out.backward)
        timed("clip", counted, lambda: torch.nn.utils.clip_grad_norm_(params, 1.0))
        timed("optimizer", counted, optimizer_step)
        loss = out.item()
    for p in phases.values():
        p["ms"] /= steps
        p["hostMs"] /= steps

    sync()
    start = time.perf_counter()
    for _ in range(steps):
        out = forward()
        out.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer_step()
    sync()
    ms_per_step = (time.perf_counter() - start) * 1000 / steps
    print("STEP_PROFILE " + json.dumps({"phases": phases, "msPerStep": ms_per_step, "loss": loss, "torch": torch.__version__,
                                       "attention": attention}))


if __name__ == "__main__":
    main()
