"""Peers of bench/gpu/peers.ts: Hugging Face's Trainer on MRPC or SQuAD v1.1, BERT-base from scratch (config only).

  python3 hf_peers.py --task mrpc|squad --preset defaults|tuned MODEL_DIR DATA_FILE [--max-steps N] [--epochs 1]
      [--batch-size 32] [--max-seq-length 128|384] [--doc-stride 128] [--device cuda|cpu]

--preset defaults: what run_glue.py / run_qa.py do without flags: fp32, every feature padded to max_seq_length
  (pad_to_max_length=True, one shape), random order, adamw_torch.
--preset tuned: bf16, dynamic padding with group_by_length, fused AdamW (adamw_torch_fused).
Prints one JSON line {"peer": "hf-<preset>", ...}: seconds, seconds per epoch, features/s, peak CUDA memory.
"""
import argparse, dataclasses, json, time

import torch
from transformers import (AutoConfig, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          AutoTokenizer, DataCollatorWithPadding, Trainer, TrainingArguments, default_data_collator)


def read_mrpc(path):
    rows = []
    with open(path, encoding="utf-8-sig") as f:
        for i, line in enumerate(f):
            cols = line.rstrip("\n").split("\t")
            if i > 0 and len(cols) >= 5:
                rows.append((cols[3], cols[4], int(cols[0])))
    return rows


def mrpc_features(tok, path, max_len, pad):
    rows = read_mrpc(path)
    enc = tok([a for a, _, _ in rows], [b for _, b, _ in rows], truncation=True, max_length=max_len,
              padding="max_length" if pad else False)
    return [{"input_ids": enc["input_ids"][i], "token_type_ids": enc["token_type_ids"][i],
             "attention_mask": enc["attention_mask"][i], "labels": rows[i][2]} for i in range(len(rows))]


def squad_features(tok, path, max_len, stride, pad):
    """run_qa.py's prepare_train_features: windows over the context, answers as token start/end (CLS when outside)."""
    with open(path, encoding="utf-8") as f:
        articles = json.load(f)["data"]
    questions, contexts, answers = [], [], []
    for article in articles:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                questions.append(qa["question"].lstrip())
                contexts.append(paragraph["context"])
                answers.append(qa["answers"][0])
    enc = tok(questions, contexts, truncation="only_second", max_length=max_len, stride=stride,
              return_overflowing_tokens=True, return_offsets_mapping=True, padding="max_length" if pad else False)
    features = []
    for i, offsets in enumerate(enc["offset_mapping"]):
        sample = enc["overflow_to_sample_mapping"][i]
        answer = answers[sample]
        start_char, end_char = answer["answer_start"], answer["answer_start"] + len(answer["text"])
        sequence_ids = enc.sequence_ids(i)
        first = sequence_ids.index(1)
        last = len(sequence_ids) - 1 - sequence_ids[::-1].index(1)
        if offsets[first][0] > start_char or offsets[last][1] < end_char:
            start, end = 0, 0
        else:
            start = first
            while start <= last and offsets[start][0] <= start_char:
                start += 1
            end = last
            while end >= first and offsets[end][1] >= end_char:
                end -= 1
            start, end = start - 1, end + 1
        features.append({"input_ids": enc["input_ids"][i], "token_type_ids": enc["token_type_ids"][i],
                         "attention_mask": enc["attention_mask"][i], "start_positions": start, "end_positions": end})
    return features


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir"); ap.add_argument("data_file")
    ap.add_argument("--task", choices=["mrpc", "squad"], required=True)
    ap.add_argument("--preset", choices=["defaults", "tuned"], required=True)
    ap.add_argument("--epochs", type=float, default=1); ap.add_argument("--max-steps", type=int, default=-1)
    ap.add_argument("--batch-size", type=int, default=32); ap.add_argument("--max-seq-length", type=int)
    ap.add_argument("--doc-stride", type=int, default=128); ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    tuned = args.preset == "tuned"
    max_len = args.max_seq_length or (384 if args.task == "squad" else 128)

    tok = AutoTokenizer.from_pretrained(args.model_dir)
    torch.manual_seed(42)
    if args.task == "mrpc":
        config = AutoConfig.from_pretrained(args.model_dir, num_labels=2)
        model = AutoModelForSequenceClassification.from_config(config)
        data = mrpc_features(tok, args.data_file, max_len, pad=not tuned)
    else:
        model = AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(args.model_dir))
        data = squad_features(tok, args.data_file, max_len, args.doc_stride, pad=not tuned)
    real_tokens = sum(sum(x["attention_mask"]) for x in data)

    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    targs = dict(output_dir="/tmp/hf-peers", per_device_train_batch_size=args.batch_size, num_train_epochs=args.epochs,
                 max_steps=args.max_steps, learning_rate=2e-5 if args.task == "mrpc" else 3e-5, report_to=[],
                 save_strategy="no", logging_steps=50, dataloader_num_workers=0, seed=42,
                 bf16=tuned and args.device == "cuda", use_cpu=args.device == "cpu")
    targs = {k: v for k, v in targs.items() if k in fields}
    targs["eval_strategy" if "eval_strategy" in fields else "evaluation_strategy"] = "no"
    if tuned:
        targs["optim"] = "adamw_torch_fused" if args.device == "cuda" else "adamw_torch"
        if "group_by_length" in fields:
            targs["group_by_length"] = True
        elif "train_sampling_strategy" in fields:
            targs["train_sampling_strategy"] = "group_by_length"
    else:
        targs["optim"] = "adamw_torch"
    collator = DataCollatorWithPadding(tok) if tuned else default_data_collator
    trainer = Trainer(model=model, args=TrainingArguments(**targs), train_dataset=data, data_collator=collator)
    cuda = args.device == "cuda" and torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.time()
    out = trainer.train()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.time() - t0
    steps = out.global_step
    features_seen = min(steps * args.batch_size, len(data) * max(args.epochs, 1)) if args.max_steps > 0 else len(data) * args.epochs
    print(json.dumps({
        "peer": f"hf-{args.preset}", "task": args.task, "features": len(data), "steps": steps, "seconds": seconds,
        "seconds_per_epoch": seconds * len(data) / max(features_seen, 1),
        "features_per_second": features_seen / seconds, "real_tokens_per_second": real_tokens * features_seen / len(data) / seconds,
        "train_loss": out.training_loss, "peak_memory_bytes": torch.cuda.max_memory_allocated() if cuda else None,
        "torch": torch.__version__}))


if __name__ == "__main__":
    main()
