#!/usr/bin/env python3
"""Runs bench/gpu/hf_trainer_mrpc.py (the Hugging Face Trainer peer) on whichever transformers the machine has.

transformers 5.x dropped two TrainingArguments the peer passes: `group_by_length=True` became
`train_sampling_strategy="group_by_length"` and `warmup_ratio=r` became a fractional `warmup_steps=r`. Where the old
name is gone and the new one exists, this maps one onto the other (and says so on stderr); otherwise it changes
nothing, so the peer runs unchanged on transformers 4.x or once it uses the new names itself.
Usage: python3 scripts/gpu/hf-peer.py <the peer's arguments>
"""
import dataclasses
import os
import runpy
import sys

import transformers

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../bench/gpu/hf_trainer_mrpc.py')
FIELDS = {field.name for field in dataclasses.fields(transformers.TrainingArguments)}
Original = transformers.TrainingArguments


def translate(kwargs):
    """The peer's keyword arguments, with names this transformers no longer has replaced by their successors."""
    kwargs = dict(kwargs)
    if 'group_by_length' in kwargs and 'group_by_length' not in FIELDS and 'train_sampling_strategy' in FIELDS:
        if kwargs.pop('group_by_length'):
            kwargs['train_sampling_strategy'] = 'group_by_length'
        print('hf-peer: group_by_length=True -> train_sampling_strategy="group_by_length"', file=sys.stderr)
    if 'warmup_ratio' in kwargs and 'warmup_ratio' not in FIELDS and 'warmup_steps' in FIELDS:
        kwargs['warmup_steps'] = float(kwargs.pop('warmup_ratio'))
        print(f'hf-peer: warmup_ratio -> warmup_steps={kwargs["warmup_steps"]} (a fraction of the steps)', file=sys.stderr)
    return kwargs


def training_arguments(*args, **kwargs):
    return Original(*args, **translate(kwargs))


transformers.TrainingArguments = training_arguments
print(f'hf-peer: transformers {transformers.__version__}', file=sys.stderr)
sys.argv = [PEER, *sys.argv[1:]]
runpy.run_path(PEER, run_name='__main__')
