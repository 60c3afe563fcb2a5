// The CLI verbs over a real store: sweep run/status/stop/list and runs list/show/compare, plus bad input →
// one line on stderr and exit code 2, with nothing written.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../src/track/store.js';
import type { SweepStatusReport } from '../../src/sweep/status.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';
import { runCli } from './cli-process.js';

const objective = fileURLToPath(new URL('./fixtures/objective.mjs', import.meta.url));

describe('tunelab sweep / runs CLI', () => {
  let store: Store;
  let url: string;
  let home: string;
  let dispose: () => Promise<void>;
  before(async () => ({ store, url, home, dispose } = await freshStore(sqliteBackend)));
  after(async () => dispose());

  it('runs a sweep and reports it with status --json', async () => {
    const specFile = join(home, 'cli.yml');
    writeFileSync(specFile, `name: cli-sweep
trial:
  command: node ${objective} --x=\${{search_space.x}} --steps 3 --sleep-ms 10
search_space: { x: { type: choice, values: [0.5, -0.25, 1] } }
sampling_algorithm: grid
objective: { primary_metric: loss, goal: minimize }
`);
    const run = await runCli(['sweep', 'run', specFile, '--store', url, '--poll', '50'], { main: true });
    assert.equal(run.code, 0, run.output);
    const sweepId = /^sweep (\w+) \(cli-sweep\): 3 trials, 3 at a time, grid sampling, no early termination, local executor/m.exec(run.output)![1];
    assert.match(run.output, /best: trial 1 \(run \w+\) loss 0\.396 at step 3/); // x = -0.25: 0.0625 + 1/3

    const status = await runCli(['sweep', 'status', sweepId, '--json', '--store', url]);
    assert.equal(status.code, 0);
    const report = JSON.parse(status.output) as SweepStatusReport;
    assert.equal(report.id, sweepId);
    assert.equal(report.status, 'completed');
    assert.deepEqual(report.counts, { queued: 0, running: 0, completed: 3, terminated: 0, failed: 0 });
    assert.deepEqual(report.trials.map((t) => [t.params.x, t.status, t.best, t.reason]), [0.5, -0.25, 1].map((x) => [x, 'completed', { value: x * x + 1 / 3, step: 3 }, null]));
    assert.equal(report.best!.number, 1);
    for (const trial of report.trials) assert.deepEqual(Object.keys(trial).slice(0, 5), ['id', 'number', 'params', 'status', 'attempt']);

    const list = await runCli(['runs', 'list', '--sweep', sweepId, '--json', '--store', url]);
    const runs = JSON.parse(list.output) as { id: string; status: string; metrics: { name: string; lastValue: number }[] }[];
    assert.equal(runs.length, 3);
    assert.ok(runs.every((r) => r.status === 'completed' && r.metrics[0].name === 'loss'));
    const show = await runCli(['runs', 'show', report.best!.runId!, '--store', url]);
    assert.match(show.output, /^run \w+ \(cli-sweep\/1\): completed, exit code 0/);
    assert.match(show.output, /^x\s+-0\.25$/m);
    assert.match(show.output, /^loss\s+0\.396\s+3\s+0\.396\s+1\.06\s+3$/m); // last, step, min, max (0.0625 + 1/1), count
    const compare = await runCli(['runs', 'compare', ...runs.map((r) => r.id), '--store', url]);
    assert.match(compare.output, /^x\s+\S+\s+\S+\s+\S+$/m);
    assert.match(compare.output, /^loss \(last\)/m);
    assert.match(compare.output, /^loss \(best, min\)\s.*\s0\.396(\s|$)/m); // x = -0.25's best, whichever column it is
    // By name, with the sweep's objective and searched params as columns.
    const byName = await runCli(['runs', 'list', '--sweep', 'cli-sweep', '--store', url]);
    assert.equal(byName.code, 0, byName.output);
    assert.match(byName.output, /^id\s+trial\s+status\s+loss \(best, minimize\)\s+x$/m);
    assert.match(byName.output, /^\w+\s+1\s+completed\s+0\.396\s+-0\.25$/m);
    assert.equal(byName.output.trim().split('\n').length, 4);
    assert.match((await runCli(['sweep', 'list', '--store', url])).output, new RegExp(`${sweepId}\\s+cli-sweep\\s+completed\\s+3/3`));
  });

  it('rejects bad input with one line and exit code 2, writing nothing', async () => {
    const badSpec = join(home, 'bad.yml');
    writeFileSync(badSpec, `trial: { command: run }
search_space: { x: { type: uniform, min_value: 1, max_value: 0 } }
objective: { primary_metric: loss, goal: minimize }
`);
    const gpuSpec = join(home, 'gpu.yml');
    writeFileSync(gpuSpec, `trial:
  command: node ${objective} --x=\${{search_space.x}}
  distribution: { type: pytorch, process_count_per_instance: 2 }
search_space: { x: { type: choice, values: [1] } }
objective: { primary_metric: loss, goal: minimize }
`);
    const before = (await store.listSweeps()).length;
    const cases: [string[], RegExp][] = [
      [['sweep', 'run', badSpec], /^tunelab sweep run: .*bad\.yml:2: search_space\.x\.max_value: min_value must be < max_value\n$/],
      [['sweep', 'run', gpuSpec, '--gpus', '0'], /^tunelab sweep run: .*gpu\.yml: trial\.distribution\.process_count_per_instance is 2 but only 1 GPU \(0\) can be handed out; each process needs its own \(give more with --gpus, or lower it\)\n$/],
      [['sweep', 'status', 'nope'], /^tunelab sweep status: sweep not found: nope\n$/],
      [['worker', '--sweep', 'nope'], /^tunelab worker: sweep not found: nope\n$/],
    ];
    for (const [args, expected] of cases) {
      const { code, output } = await runCli([...args, '--store', url]);
      assert.equal(code, 2, `${args.join(' ')}: ${output}`);
      assert.match(output, expected);
    }
    const badFlag = await runCli(['runs', 'list', '--limit', '0', '--store', url]);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.output, /--limit <n>' argument '0' is invalid\. expected an integer ≥ 1/);
    assert.equal((await store.listSweeps()).length, before, 'no sweep was created');
  });

  it('stops a sweep that has no live controller', async () => {
    const sweep = await store.createSweep({
      name: 'orphaned', experiment: 'cli', specDir: home, executor: 'local',
      spec: { trial: { command: 'true' }, search_space: { x: { type: 'choice', values: [1] } }, objective: { primary_metric: 'loss', goal: 'minimize' } },
    });
    const queued = await store.createTrial(sweep.id, 0, { x: 1 });
    const stop = await runCli(['sweep', 'stop', sweep.id, '--reason', 'no longer needed', '--store', url]);
    assert.equal(stop.code, 0, stop.output);
    assert.match(stop.output, /no live controller, stopping its trials here/);
    const after = await store.getSweep(sweep.id);
    assert.deepEqual([after.status, after.reason], ['stopped', 'no longer needed']);
    const trial = await store.getTrial(queued.id);
    assert.deepEqual([trial.status, trial.reason], ['terminated', 'sweep stopped: no longer needed']);
  });
});
