// The pure view functions behind the pages, on hand-built inputs with hand-computed answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRows, filterRows, parseCondition, sortRows } from '../../src/server/queries/run-table.js';
import { paramDiff } from '../../src/server/queries/compare.js';
import type { MetricSummary, Run } from '../../src/track/store.js';

// Compute saved by early termination: test/sweep/savings.test.ts.

test('conditions parse into field, key, operator and value; malformed ones name the problem', () => {
  assert.deepEqual(parseCondition('param.learning_rate>=1e-5'), { field: 'param', key: 'learning_rate', op: '>=', value: '1e-5' });
  assert.deepEqual(parseCondition('metric.eval/f1<0.9'), { field: 'metric', key: 'eval/f1', op: '<', value: '0.9' });
  assert.deepEqual(parseCondition('param.optimizer!=sgd'), { field: 'param', key: 'optimizer', op: '!=', value: 'sgd' });
  assert.throws(() => parseCondition('lr>1'), /not <param\|metric>/);
  assert.throws(() => parseCondition('param.lr>fast'), /needs a number/);
  assert.throws(() => parseCondition('param.lr='), /not <param\|metric>/);
});

const run = (id: string, params: Run['params'], startedAt: number): Run => ({
  id, experimentId: 'e', name: `run ${id}`, status: 'completed', params, tags: [], command: null, host: null, gitCommit: null,
  startedAt, endedAt: startedAt + 10, exitCode: 0, reason: null, sweepId: null, trialId: null, stopRequested: null,
});
const summary = (runId: string, lastValue: number): MetricSummary => ({ runId, name: 'loss', count: 1, lastStep: 1, lastValue, min: lastValue, max: lastValue, lastWallTime: 0 });

test('rows sort numerically with missing and NaN values last in both directions', () => {
  const rows = buildRows(
    [run('a', { lr: 3e-5 }, 1), run('b', { lr: 1e-4 }, 2), run('c', {}, 3), run('d', { lr: 2e-5 }, 4)],
    [summary('a', 0.5), summary('b', NaN), summary('d', 0.25)],
  );
  assert.deepEqual(sortRows(rows, 'param.lr', 'asc').map((r) => r.id), ['d', 'a', 'b', 'c']);
  assert.deepEqual(sortRows(rows, 'param.lr', 'desc').map((r) => r.id), ['b', 'a', 'd', 'c']);
  assert.deepEqual(sortRows(rows, 'metric.loss', 'asc').map((r) => r.id), ['d', 'a', 'b', 'c']);
  assert.equal(rows[1].metrics.loss.last, null, 'NaN travels as null');
  assert.deepEqual(filterRows(rows, { conditions: [parseCondition('metric.loss<=0.5')] }).map((r) => r.id), ['a', 'd']);
  assert.deepEqual(filterRows(rows, { text: 'LR=0.0001' }).map((r) => r.id), ['b']);
  assert.throws(() => sortRows(rows, 'constructor', 'asc'), /unknown sort key/);
});

test('param diff: differing keys first, null where a run lacks the param', () => {
  const diff = paramDiff([run('a', { lr: 1, bs: 32, opt: 'adamw' }, 0), run('b', { lr: 2, bs: 32 }, 0)]);
  assert.deepEqual(diff, [
    { key: 'lr', values: [1, 2], differs: true },
    { key: 'opt', values: ['adamw', null], differs: true },
    { key: 'bs', values: [32, 32], differs: false },
  ]);
});
