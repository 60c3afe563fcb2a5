"""PyTorch-Python peer of bench/train-throughput.ts: the same BERT sequence classifier, the same batches, the same
optimizer math (AdamW with decay groups, linear schedule with warmup, gradient clipping, dropout 0.1), eager mode.

Usage: python3 bench/train-peer.py BATCHES.bin CONFIG.json PRECISION(fp32|bf16) THREADS [WARMUP_STEPS]
BATCHES.bin (written by the TypeScript side): int32 little-endian words —
  count, then per batch: B, T, input_ids[B*T], attention_mask[B*T], token_type_ids[B*T], labels[B].
The first WARMUP_STEPS steps (default 0) run untimed. Prints one JSON line of the timed steps:
{"steps", "seconds", "real_tokens", "padded_tokens", "first_loss", "last_loss"}.
"""
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(x))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attention_output = nn.Linear(h, h)
        self.attention_norm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.intermediate = nn.Linear(h, c["intermediate_size"])
        self.output = nn.Linear(c["intermediate_size"], h)
        self.output_norm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.attention_dropout = nn.Dropout(c["attention_probs_dropout_prob"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def split(self, x):
        b, t, h = x.shape
        return x.view(b, t, self.heads, h // self.heads).transpose(1, 2)

    def forward(self, x, additive_mask):
        b, t, h = x.shape
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads) + additive_mask
        context = self.attention_dropout(scores.softmax(-1)) @ v
        context = context.transpose(1, 2).reshape(b, t, h)
        x = self.attention_norm(x + self.dropout(self.attention_output(context)))
        y = self.output(nn.functional.gelu(self.intermediate(x)))
        return self.output_norm(x + self.dropout(y))


class BertForSequenceClassification(nn.Module):
    def __init__(self, c, num_labels):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.layers = nn.ModuleList(BertLayer(c) for _ in range(c["num_hidden_layers"]))
        self.pooler = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], num_labels)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(0.0, c["initializer_range"])
            if isinstance(module, nn.Linear):
                module.bias.data.zero_()

    def forward(self, input_ids, attention_mask, token_type_ids, labels):
        additive_mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            x = layer(x, additive_mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        logits = self.classifier(self.dropout(pooled))
        return nn.functional.cross_entropy(logits.float(), labels)


def read_batches(path):
    words = np.fromfile(path, dtype="<i4")
    count, pos, batches = int(words[0]), 1, []
    for _ in range(count):
        b, t = int(words[pos]), int(words[pos + 1])
        pos += 2
        fields = []
        for n in (b * t, b * t, b * t, b):
            fields.append(torch.from_numpy(words[pos:pos + n].astype(np.int64)))
            pos += n
        ids, mask, types, labels = fields
        batches.append((ids.view(b, t), mask.view(b, t), types.view(b, t), labels))
    return batches


def main():
    batches_path, config_path, precision, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    warmup_steps = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    config = json.load(open(config_path))
    batches = read_batches(batches_path)
    model = BertForSequenceClassification(config, 2)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.01},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ], lr=5e-5)
    total, warmup = len(batches), math.ceil(0.1 * len(batches))
    losses, real_tokens, padded_tokens = [], 0, 0
    start = time.perf_counter()
    for step, (ids, mask, types, labels) in enumerate(batches):
        if step == warmup_steps:
            losses, real_tokens, padded_tokens, start = [], 0, 0, time.perf_counter()
        factor = step / max(1, warmup) if step < warmup else max(0.0, (total - step) / max(1, total - warmup))
        for group in optimizer.param_groups:
            group["lr"] = 5e-5 * factor
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(ids, mask, types, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        real_tokens += int(mask.sum())
        padded_tokens += mask.numel()
    seconds = time.perf_counter() - start
    print(json.dumps({"steps": len(batches) - warmup_steps, "seconds": seconds, "real_tokens": real_tokens,
                      "padded_tokens": padded_tokens, "first_loss": losses[0], "last_loss": losses[-1]}))


if __name__ == "__main__":
    main()
