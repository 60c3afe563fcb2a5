#!/usr/bin/env python3
# Runs Hugging Face transformers itself on each tiny-bert fixture and writes OUT/<fixture>.safetensors with
# out.<output> (eval mode; last_hidden_state from the hidden states) and grad.<param> of the loss, for
#   TUNELAB_HF_REFERENCE=OUT node scripts/test.mjs test/models/parity
# It also prints transformers against the fixture's expected.safetensors. Needs torch, transformers, safetensors.
# Usage: python3 hf-compare.py [OUT=hf-reference] [DEVICE=cpu]
import os
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

HEADS = {
    'seqcls': 'AutoModelForSequenceClassification', 'regression': 'AutoModelForSequenceClassification',
    'qa': 'AutoModelForQuestionAnswering', 'tokcls': 'AutoModelForTokenClassification',
    'pretraining': 'AutoModelForPreTraining', 'roberta-seqcls': 'AutoModelForSequenceClassification',
    'distilbert-seqcls': 'AutoModelForSequenceClassification',
}
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../fixtures/tiny-bert')
out_dir = sys.argv[1] if len(sys.argv) > 1 else 'hf-reference'
device = sys.argv[2] if len(sys.argv) > 2 else 'cpu'
os.makedirs(out_dir, exist_ok=True)
print(f'transformers {transformers.__version__}, torch {torch.__version__}, device {device}')


def relative(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


for name, auto in HEADS.items():
    folder = os.path.join(FIXTURES, name)
    model, info = getattr(transformers, auto).from_pretrained(
        folder, attn_implementation='eager', output_loading_info=True)
    assert not info['missing_keys'] and not info['unexpected_keys'], (name, info)
    model.to(device).eval()
    inputs = {k.removeprefix('label.'): v.to(device) for k, v in load_file(f'{folder}/inputs.safetensors').items()}
    output = model(**inputs, output_hidden_states=True)
    output.loss.backward()
    tensors = {f'out.{k}': v.detach().float().cpu().contiguous()
               for k, v in output.items() if torch.is_tensor(v)}
    tensors['out.last_hidden_state'] = output.hidden_states[-1].detach().float().cpu().contiguous()
    tensors.update({f'grad.{n}': p.grad.float().cpu().contiguous() for n, p in model.named_parameters()})
    save_file(tensors, os.path.join(out_dir, f'{name}.safetensors'))

    expected = load_file(f'{folder}/expected.safetensors')
    mask = inputs['attention_mask'].cpu().bool()
    report = []
    # head models return no pooler_output even where the fixture records the base model's
    for key in sorted(k for k in expected if k.startswith('out.') and k in tensors):
        ours, theirs = tensors[key], expected[key]
        if theirs.dim() >= 2 and theirs.shape[1] == mask.shape[1]:
            ours, theirs = ours[mask], theirs[mask]
        report.append(f'{key[4:]} {relative(ours, theirs.reshape(ours.shape)):.1e}')
    grads = {k: v for k, v in expected.items() if k.startswith('grad.')}
    total = sum(v.double().norm() ** 2 for v in grads.values()) ** 0.5
    # gradients below 1e-7 of the total are zero by symmetry (attention key biases): rounding noise, not compared
    worst = max((relative(tensors[k], v), k) for k, v in grads.items() if v.double().norm() > 1e-7 * total)
    print(f'{name}: transformers vs fixture: {", ".join(report)}; worst gradient {worst[0]:.1e} ({worst[1][5:]})')
