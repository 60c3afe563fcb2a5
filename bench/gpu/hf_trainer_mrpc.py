"""Peer for tunelab's GPU training benchmark: Hugging Face's Trainer, BERT-base from scratch (config only), MRPC.

Usage: python3 hf_trainer_mrpc.py MODEL_DIR TRAIN_TSV [--precision bf16|fp32] [--epochs 1] [--batch-size 32]
Prints one JSON line: seconds per epoch, samples/s, real tokens/s, peak CUDA memory.
"""
import argparse, dataclasses, json, time

import torch
from transformers import (AutoConfig, AutoModelForSequenceClassification, AutoTokenizer,
                          DataCollatorWithPadding, Trainer, TrainingArguments)


def read_mrpc(path):
    rows = []
    with open(path, encoding="utf-8-sig") as f:
        for i, line in enumerate(f):
            cols = line.rstrip("\n").split("\t")
            if i == 0 or len(cols) < 5:
                continue
            rows.append((cols[3], cols[4], int(cols[0])))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir"); ap.add_argument("train_tsv")
    ap.add_argument("--precision", default="bf16"); ap.add_argument("--epochs", type=float, default=1)
    ap.add_argument("--batch-size", type=int, default=32); ap.add_argument("--max-seq-length", type=int, default=128)
    args = ap.parse_args()

    tok = AutoTokenizer.from_pretrained(args.model_dir)
    config = AutoConfig.from_pretrained(args.model_dir, num_labels=2)
    torch.manual_seed(42)
    model = AutoModelForSequenceClassification.from_config(config)
    rows = read_mrpc(args.train_tsv)
    enc = tok([a for a, _, _ in rows], [b for _, b, _ in rows], truncation=True, max_length=args.max_seq_length)
    data = [{"input_ids": enc["input_ids"][i], "token_type_ids": enc["token_type_ids"][i],
             "attention_mask": enc["attention_mask"][i], "labels": rows[i][2]} for i in range(len(rows))]
    real_tokens = sum(len(x["input_ids"]) for x in data)

    # Argument names moved between transformers 4.x and 5.x: pick whichever this version has.
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    targs = dict(output_dir="/tmp/hf-bench", per_device_train_batch_size=args.batch_size,
                 num_train_epochs=args.epochs, learning_rate=2e-5, weight_decay=0.01,
                 bf16=args.precision == "bf16", report_to=[], save_strategy="no", logging_steps=50,
                 dataloader_num_workers=0, seed=42)
    targs["eval_strategy" if "eval_strategy" in fields else "evaluation_strategy"] = "no"
    if "warmup_ratio" in fields:
        targs["warmup_ratio"] = 0.1
    else:
        targs["warmup_steps"] = 0.1
    if "group_by_length" in fields:
        targs["group_by_length"] = True
    elif "train_sampling_strategy" in fields:
        targs["train_sampling_strategy"] = "group_by_length"
    training_args = TrainingArguments(**targs)
    trainer = Trainer(model=model, args=training_args, train_dataset=data,
                      data_collator=DataCollatorWithPadding(tok))
    torch.cuda.reset_peak_memory_stats()
    t0 = time.time()
    out = trainer.train()
    torch.cuda.synchronize()
    seconds = time.time() - t0
    print(json.dumps({"peer": "hf-trainer", "precision": args.precision, "epochs": args.epochs,
                      "seconds": seconds, "seconds_per_epoch": seconds / args.epochs,
                      "samples_per_second": len(data) * args.epochs / seconds,
                      "real_tokens_per_second": real_tokens * args.epochs / seconds,
                      "train_loss": out.training_loss,
                      "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
