#!/usr/bin/env python3
"""Turns the stage logs of scripts/gpu/run.sh into $OUT/summary.jsonl (one JSON line per stage) and $OUT/summary.md.

  report.py stage OUT NAME RC MILLISECONDS BUDGET_S   parse OUT/NAME.log, append its line, rewrite summary.md
  report.py markdown OUT                              rewrite summary.md from summary.jsonl

A stage log holds the output of its steps, each framed by run.sh's marker lines
  ### step NAME (limit Ns): COMMAND ...        and        ### end NAME rc=N ms=M   (or rc=skipped)
and the lines programs print for this report: `BUILD_INFO {json}`, `PEAK_CUDA_MEMORY {json}`, `NCCL_CHECK {json}`,
`PYTHON_TORCH {json}`, the trainer's `--json` result line, the HF peer's JSON line, node:test's TAP counts, and the
parity tests' `parity (device …)` block. Standard library only: it must run wherever python3 does.
"""
import json
import os
import re
import sys
from datetime import datetime, timezone

STEP_START = re.compile(r'^### step (\S+) \(limit (\d+)s\): (.*)$')
STEP_END = re.compile(r'^### end (\S+) rc=(\S+)(?: ms=(\d+))?')
TAGGED_JSON = re.compile(r'^(?:#\s*)?(BUILD_INFO|PEAK_CUDA_MEMORY|NCCL_CHECK|PYTHON_TORCH) (\{.*\})\s*$')
TAP_COUNT = re.compile(r'^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\S+)$')
NOT_OK = re.compile(r'^(\s*)not ok \d+ - (.*)$')
PARITY_HEAD = re.compile(r'^(?:#\s*)?parity \(device ([^,)]+)(?:, autocast ([^)]+))?\):\s*$')
PARITY_LINE = re.compile(r'^(?:#)?\s+(\S+) vs (\S+): (.*)$')
HF_COMPARE = re.compile(r'^(\S+): transformers vs fixture: (.*); worst gradient (\S+) \((.*)\)$')
ERROR_LINE = re.compile(r'error[: ]|Error:|FAILED|Traceback|cannot|not found', re.IGNORECASE)


def read_steps(lines):
    """[(step dict, its lines)] in order; lines outside any step go to a step named '-'."""
    steps, current, body = [], {'name': '-', 'limit': None, 'command': '', 'rc': None, 'seconds': None}, []
    for line in lines:
        start = STEP_START.match(line)
        end = STEP_END.match(line)
        if start:
            if body or current['name'] != '-':
                steps.append((current, body))
            current = {'name': start[1], 'limit': int(start[2]), 'command': start[3], 'rc': None, 'seconds': None}
            body = []
        elif end and end[1] == current['name']:
            current['rc'] = end[2] if end[2] == 'skipped' else int(end[2])
            current['seconds'] = round(int(end[3]) / 1000, 1) if end[3] else None
            steps.append((current, body))
            current, body = {'name': '-', 'limit': None, 'command': '', 'rc': None, 'seconds': None}, []
        else:
            body.append(line)
    if body or current['name'] != '-':
        if current['name'] != '-' and current['rc'] is None:
            current['rc'] = 'cut off'  # the whole command ended inside this step
        steps.append((current, body))
    for step, _ in steps:
        rc = step['rc']
        step['status'] = ('ok' if rc == 0 else 'skipped' if rc == 'skipped' else 'cut off' if rc == 'cut off'
                          else 'timeout' if rc in (124, 137) else 'failed' if rc is not None else 'n/a')
    return [(s, b) for s, b in steps if not (s['name'] == '-' and not any(l.strip() for l in b))]


def tagged(lines):
    out = {}
    for line in lines:
        m = TAGGED_JSON.match(line)
        if m:
            try:
                out[m[1]] = json.loads(m[2])
            except json.JSONDecodeError:
                pass
    return out


def json_lines(lines, predicate):
    found = []
    for line in lines:
        line = line.strip()
        if line.startswith('{') and line.endswith('}'):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and predicate(value):
                found.append(value)
    return found


def tap(lines):
    counts = {}
    for line in lines:
        m = TAP_COUNT.match(line)
        if m:
            counts[m[1]] = float(m[2]) if m[1] == 'duration_ms' else int(m[2])
    if not counts:
        return None
    failures = []
    for line in lines:
        m = NOT_OK.match(line)
        if m and len(failures) < 15:
            failures.append(('  ' * (len(m[1]) // 4)) + m[2].strip())
    counts['failures'] = failures
    return counts


def parse_value(text):
    try:
        return float(text)
    except ValueError:
        return text


def parity(lines):
    """{'device': ..., 'autocast': ..., 'errors': {'seqcls vs fixture': {'outputs': 1e-7, ...}}} or None."""
    for i, line in enumerate(lines):
        m = PARITY_HEAD.match(line)
        if not m:
            continue
        errors = {}
        for follow in lines[i + 1:]:
            row = PARITY_LINE.match(follow)
            if not row:
                break
            kinds = {}
            for pair in row[3].split(', '):
                if ' ' in pair:
                    kind, value = pair.rsplit(' ', 1)
                    kinds[kind] = parse_value(value)
            errors[f'{row[1]} vs {row[2]}'] = kinds
        return {'device': m[1], 'autocast': m[2], 'errors': errors}
    return None


def hf_compare(lines):
    rows = {}
    for line in lines:
        m = HF_COMPARE.match(line.strip())
        if m:
            outputs = {}
            for pair in m[2].split(', '):
                if ' ' in pair:
                    kind, value = pair.rsplit(' ', 1)
                    outputs[kind] = parse_value(value)
            rows[m[1]] = {'outputs': outputs, 'worst_gradient': parse_value(m[3]), 'worst_gradient_param': m[4]}
    header = next((l.strip() for l in lines if l.startswith('transformers ')), None)
    return {'versions': header, 'fixtures': rows} if rows or header else None


def first_errors(lines, limit=8):
    """The first distinct lines that look like errors, else the step's last lines."""
    found = []
    for line in lines:
        text = line.strip()[:300]
        if ERROR_LINE.search(text) and text not in found and not text.startswith(('ok ', '# Subtest')):
            found.append(text)
    return found[:limit] or [l.strip()[:300] for l in lines if l.strip()][-6:]


def stage_metrics(name, steps):
    """What each stage's log says beyond step statuses."""
    metrics = {}
    everything = [line for _, body in steps for line in body]
    tags = tagged(everything)
    for step, body in steps:
        counts = tap(body)
        if counts:
            metrics.setdefault('tests', {})[step['name']] = counts
        result = parity(body)
        if result:
            metrics.setdefault('parity', {})[step['name']] = result
        if step['status'] in ('failed', 'timeout', 'cut off'):
            metrics.setdefault('errors', {})[step['name']] = first_errors(body)
    if name == 'env':
        metrics['node_env'] = next((l.strip() for l in everything if l.startswith('node v')), None)
        metrics['gpu'] = next((l.strip()[5:] for l in everything if l.startswith('GPU: ')), None)
        metrics['python_torch'] = tags.get('PYTHON_TORCH')
    elif name == 'build':
        metrics['cmake'] = next((l.strip().lstrip('- ').strip() for l in everything if 'tunelab: libtorch' in l), None)
        metrics['build_info'] = tags.get('BUILD_INFO')
        metrics['degraded'] = any('### note: retrying without native/distributed.cpp' in l for l in everything)
    elif name == 'torch':
        doctor = json_lines(everything, lambda v: 'checks' in v and 'ok' in v)
        if doctor:
            metrics['doctor'] = {'ok': doctor[-1]['ok'],
                                 'checks': [f"{'ok' if c.get('ok') else 'FAIL'} {c.get('name')}: {c.get('detail')}"
                                            for c in doctor[-1].get('checks', [])]}
    elif name in ('models', 'hf'):
        for step, body in steps:
            if step['name'] == 'hf-compare':
                metrics['hf_compare'] = hf_compare(body)
    elif name in ('train', 'hfpeer', 'profile'):
        for step, body in steps:
            if step['name'] == 'tunelab-train-nccl1':  # the same run as a 1-rank NCCL job: the process group's cost
                result = json_lines(body, lambda v: v.get('type') == 'result')
                metrics['tunelab_nccl1'] = result[-1]['metrics'] if result else None
                metrics['tunelab_nccl1_wall_seconds'] = step['seconds']
            if step['name'] == 'step-profile':
                profile = [l.split(' ', 1)[1] for l in body if l.startswith('STEP_PROFILE_RESULT ')]
                metrics['step_profile'] = json.loads(profile[-1]) if profile else None
                metrics['step_profile_table'] = [l.rstrip() for l in body if not l.startswith(('STEP_PROFILE_RESULT', '###'))][:12]
            if step['name'] == 'tunelab-train':
                result = json_lines(body, lambda v: v.get('type') == 'result')
                metrics['tunelab'] = result[-1]['metrics'] if result else None
                last_log = json_lines(body, lambda v: v.get('type') == 'log')
                metrics['tunelab_last_log'] = last_log[-1] if last_log else None
                metrics['tunelab_peak_memory'] = tagged(body).get('PEAK_CUDA_MEMORY')
                metrics['tunelab_wall_seconds'] = step['seconds']
                if not result and last_log:  # cut short: how far it got bounds the time per epoch from below
                    metrics['tunelab_partial'] = {'epoch': last_log[-1].get('epoch'), 'step': last_log[-1].get('step'),
                                                  'status': step['status']}
            if step['name'] == 'hf-trainer-peer':
                peer = json_lines(body, lambda v: v.get('peer') == 'hf-trainer')
                metrics['hf_trainer'] = peer[-1] if peer else None
                metrics['hf_wall_seconds'] = step['seconds']
        ours, theirs = metrics.get('tunelab'), metrics.get('hf_trainer')
        if ours and ours.get('train_runtime_s') is not None:
            ours['seconds_per_epoch'] = ours['train_runtime_s'] / (ours.get('epoch') or 1)
        if ours and theirs and ours.get('train_runtime_s') and theirs.get('seconds_per_epoch'):
            metrics['ratio'] = {
                'seconds_per_epoch_tunelab_over_hf': ours['seconds_per_epoch'] / theirs['seconds_per_epoch'],
                'samples_per_second_tunelab_over_hf':
                    ours['train_samples_per_second'] / theirs['samples_per_second'] if theirs.get('samples_per_second') else None,
            }
            peak = (metrics.get('tunelab_peak_memory') or {}).get('maxAllocatedGiB')
            if peak and theirs.get('peak_memory_gib'):
                metrics['ratio']['peak_memory_tunelab_over_hf'] = peak / theirs['peak_memory_gib']
    elif name == 'peers':
        for step, body in steps:
            if step['name'] == 'gpu-peers':
                result = [l.split(' ', 1)[1] for l in body if l.startswith('GPU_PEERS_RESULT ')]
                metrics['peers'] = json.loads(result[-1]) if result else None
                starts = [i for i, l in enumerate(body) if l.startswith('BERT-base from scratch, batch')]
                start = starts[-1] if starts else None   # the table is printed after each task: the last is complete
                metrics['peers_table'] = ([l.rstrip() for l in body[start:] if not l.startswith(('GPU_PEERS_RESULT', '###'))][:60]
                                          if start is not None else [])
    elif name == 'nccl':
        metrics['nccl_check'] = tags.get('NCCL_CHECK')
        metrics['nccl_lines'] = [l.strip() for l in everything if re.match(r'^(ok  |FAIL) ', l)][:12]
    return metrics


def stage(out, name, rc, milliseconds, budget):
    path = os.path.join(out, f'{name}.log')
    lines = open(path, encoding='utf-8', errors='replace').read().splitlines() if os.path.exists(path) else []
    steps = read_steps(lines)
    statuses = [s['status'] for s, _ in steps if s['name'] != '-']
    status = ('ok' if rc == 0 and all(s in ('ok', 'skipped') for s in statuses)
              else 'timeout' if 'timeout' in statuses else 'failed')
    record = {
        'stage': name, 'status': status, 'rc': rc, 'seconds': round(milliseconds / 1000, 1), 'budget_s': budget,
        'steps': [{k: s[k] for k in ('name', 'status', 'rc', 'seconds', 'limit')} for s, _ in steps if s['name'] != '-'],
        **stage_metrics(name, steps),
    }
    with open(os.path.join(out, 'summary.jsonl'), 'a', encoding='utf-8') as f:
        f.write(json.dumps(record) + '\n')
    markdown(out)
    print(f'[{name}] {status} in {record["seconds"]}s (budget {budget}s): '
          + ', '.join(f"{s['name']} {s['status']}" + (f" {s['seconds']}s" if s['seconds'] is not None else '')
                      for s, _ in steps if s['name'] != '-'))


def fmt(value, digits=3):
    if value is None:
        return '–'
    if isinstance(value, float):
        return f'{value:.2e}' if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e5) else f'{value:.{digits}g}'
    return str(value)


def seconds_per_epoch(train):
    ours, partial = train.get('tunelab') or {}, train.get('tunelab_partial')
    if ours.get('seconds_per_epoch') is not None:
        return fmt(ours['seconds_per_epoch'])
    if partial and partial.get('epoch') and train.get('tunelab_wall_seconds'):
        return (f"≈ {fmt(train['tunelab_wall_seconds'] / partial['epoch'])}, extrapolated ({partial['status']} at step "
                f"{partial['step']}, epoch {fmt(partial['epoch'])}; process wall time / epoch, start-up included)")
    return '–'


def markdown(out):
    records = []
    path = os.path.join(out, 'summary.jsonl')
    if os.path.exists(path):
        for line in open(path, encoding='utf-8'):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    by = {r['stage']: r for r in records}
    env = by.get('env', {})
    md = [f"# tunelab GPU run — {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}", '']
    if env.get('gpu') or env.get('node_env'):
        md += [f"- GPU: {env.get('gpu') or '–'}", f"- {env.get('node_env') or 'node: –'}"]
        pt = env.get('python_torch') or {}
        if pt:
            md.append(f"- python3 torch {pt.get('torch')} (CUDA {pt.get('cuda')}, cxx11 ABI {pt.get('cxx11_abi')}, "
                      f"include/ {'present' if pt.get('has_include') else 'MISSING'}), {pt.get('device_name')}")
        md.append('')
    md += ['| stage | status | seconds / budget | steps |', '| --- | --- | --- | --- |']
    for r in records:
        steps = '; '.join(f"{s['name']} {s['status']}" + (f" {s['seconds']}s" if s.get('seconds') is not None else '')
                          for s in r.get('steps', []))
        md.append(f"| {r['stage']} | {r['status']} | {r['seconds']} / {r['budget_s']} | {steps} |")
    md.append('')

    build = by.get('build')
    if build:
        md += ['## Build', f"- {build.get('cmake') or 'cmake: no tunelab status line'}"]
        info = build.get('build_info')
        if info:
            md.append(f"- addon: libtorch {info.get('libtorch')}, CUDA {info.get('cuda')} (available {info.get('cudaAvailable')}, "
                      f"{info.get('cudaDeviceCount')} device), cuDNN {info.get('cudnn')}, backends {info.get('backends')}, "
                      f"CUDA memory stats {info.get('cudaMemoryStats')}, native SDPA {info.get('nativeSdpa')}")
        if build.get('degraded'):
            md.append('- **the full build failed; the addon was rebuilt without native/distributed.cpp**')
        md.append('')

    tests = [(r['stage'], step, c) for r in records for step, c in (r.get('tests') or {}).items()]
    if tests:
        md += ['## Tests', '| stage | step | tests | pass | fail | failing (first) |', '| --- | --- | --- | --- | --- | --- |']
        for stage_name, step, c in tests:
            failing = '<br>'.join(f.replace('|', '\\|') for f in c.get('failures', [])[:6])
            md.append(f"| {stage_name} | {step} | {c.get('tests', '–')} | {c.get('pass', '–')} | {c.get('fail', '–')} | {failing} |")
        doctor = (by.get('torch') or {}).get('doctor')
        if doctor:
            md += ['', f"`tunelab doctor`: {'ok' if doctor['ok'] else 'FAILED'}"] + [f'- {c}' for c in doctor['checks']]
        md.append('')

    models = by.get('models')
    if models and models.get('parity'):
        md += ['## Model parity (largest relative error per fixture)']
        for step, p in models['parity'].items():
            md += ['', f"**{step}** (device {p['device']}{', autocast ' + p['autocast'] if p['autocast'] else ''})", '',
                   '| fixture | ' + ' | '.join(['outputs', 'loss', 'gradients', 'trajectory params']) + ' |',
                   '| --- | --- | --- | --- | --- |']
            for fixture, kinds in p['errors'].items():
                md.append(f"| {fixture} | " + ' | '.join(fmt(kinds.get(k)) for k in ('outputs', 'loss', 'gradients', 'trajectory params')) + ' |')
        hf = models.get('hf_compare')
        if hf:
            md += ['', f"transformers on the fixtures ({hf.get('versions')}):", '']
            for fixture, row in hf['fixtures'].items():
                outs = ', '.join(f'{k} {fmt(v)}' for k, v in row['outputs'].items())
                md.append(f"- {fixture}: {outs}; worst gradient {fmt(row['worst_gradient'])} ({row['worst_gradient_param']})")
        md.append('')

    train = by.get('train')
    peer = by.get('profile') or by.get('hfpeer') or {}
    if train and peer.get('hf_trainer') and not train.get('hf_trainer'):
        train = {**train, 'hf_trainer': peer['hf_trainer'], 'hf_wall_seconds': peer.get('hf_wall_seconds')}
    if train:
        ours, theirs, ratio = train.get('tunelab') or {}, train.get('hf_trainer') or {}, train.get('ratio') or {}
        peak = train.get('tunelab_peak_memory') or {}
        md += ['## Training: BERT-base from scratch, MRPC train, 1 epoch, bf16, batch 32, max length 128',
               '| | tunelab | HF Trainer | tunelab / HF |', '| --- | --- | --- | --- |',
               f"| seconds per epoch | {seconds_per_epoch(train)} | {fmt(theirs.get('seconds_per_epoch'))} | "
               f"{fmt(ratio.get('seconds_per_epoch_tunelab_over_hf'))} |",
               f"| samples / s | {fmt(ours.get('train_samples_per_second'))} | {fmt(theirs.get('samples_per_second'))} | "
               f"{fmt(ratio.get('samples_per_second_tunelab_over_hf'))} |",
               f"| peak CUDA memory (GiB, max allocated) | {fmt(peak.get('maxAllocatedGiB'))} | {fmt(theirs.get('peak_memory_gib'))} | "
               f"{fmt(ratio.get('peak_memory_tunelab_over_hf'))} |",
               f"| final train loss | {fmt(((train.get('tunelab_last_log') or {}).get('metrics') or {}).get('train_loss'))} (last log window) | "
               f"{fmt(theirs.get('train_loss'))} (epoch mean) | |",
               f"| epochs trained | {fmt(ours.get('epoch'))} | {fmt(theirs.get('epochs'))} | |",
               f"| process wall time (s), start-up and saving included | {fmt(train.get('tunelab_wall_seconds'))} | "
               f"{fmt(train.get('hf_wall_seconds'))} | |", '']

    if train and train.get('tunelab_nccl1'):
        plain, nccl1 = train.get('tunelab') or {}, train['tunelab_nccl1']
        overhead = (nccl1['train_runtime_s'] / plain['train_runtime_s'] - 1) if plain.get('train_runtime_s') else None
        md += ['## The same run as a 1-rank NCCL job (`--nproc-per-node 1`)',
               f"- train runtime: no process group {fmt(plain.get('train_runtime_s'))} s, NCCL world of 1 "
               f"{fmt(nccl1.get('train_runtime_s'))} s (overhead {fmt(None if overhead is None else 100 * overhead, 2)} %); "
               f"eval accuracy {fmt(plain.get('eval_accuracy'))} vs {fmt(nccl1.get('eval_accuracy'))}", '']
    if peer.get('step_profile_table'):
        md += ['## One BERT-base step, phase by phase (bench/gpu/step-profile.ts)', '```', *peer['step_profile_table'], '```', '']

    peers = by.get('peers')
    if peers and peers.get('peers_table'):
        md += ['## tunelab vs HF Trainer (defaults, tuned): MRPC epoch, SQuAD steps (bench/gpu/peers.ts)', '```',
               *peers['peers_table'], '```', '']

    nccl = by.get('nccl')
    if nccl:
        md += ['## NCCL (world of 1)']
        check = nccl.get('nccl_check')
        if check:
            ms = check.get('msPerStep', {})
            md.append(f"- {check.get('backend')} on {check.get('device')}: join {fmt(check.get('joinSeconds'))} s; "
                      f"{check.get('steps')} steps of a 4-layer BERT (batch {check.get('batch')}, seq {check.get('seq')}): "
                      f"no group {fmt(ms.get('none'))} ms/step, reducer after backward {fmt(ms.get('after-backward'))} ms "
                      f"({fmt(100 * check.get('overheadAfterBackward', 0), 2)} %), overlapped {fmt(ms.get('overlap'))} ms "
                      f"({fmt(100 * check.get('overheadOverlap', 0), 2)} %)")
        md += [f'- {l}' for l in nccl.get('nccl_lines', [])]
        md.append('')

    errors = [(r['stage'], step, lines) for r in records for step, lines in (r.get('errors') or {}).items()]
    if errors:
        md += ['## First error lines of failed steps']
        for stage_name, step, lines in errors:
            md.append(f'- {stage_name}/{step}:')
            md += [f'    {l}' for l in lines] or ['    (no error line; see the log)']
        md.append('')
    # Written in place: a temporary file beside it could be left behind, and only 8 files come back from OUT.
    with open(os.path.join(out, 'summary.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(md) + '\n')


if __name__ == '__main__':
    if len(sys.argv) == 7 and sys.argv[1] == 'stage':
        stage(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif len(sys.argv) == 3 and sys.argv[1] == 'markdown':
        markdown(sys.argv[2])
    else:
        sys.exit(__doc__)
