// The run journal: records replayed in order, non-finite values kept, a replay that died halfway resumed after its
// last committed record, and a line cut short by a crash skipped.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RunJournal, journalDir, syncJournals } from '../../src/track/journal.js';
import type { Store } from '../../src/track/store.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';

describe('RunJournal', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => ({ store, dispose } = await freshStore(sqliteBackend)));
  after(async () => dispose());

  test('replays params, points (NaN and ±Infinity too), log and end in order, then removes itself', async () => {
    const run = await store.createRun({ experiment: 'journal' });
    const journal = new RunJournal(journalDir(store.home), run.id);
    journal.append([
      { type: 'params', params: { lr: 0.1 } },
      { type: 'points', points: [{ name: 'loss', step: 1, value: 0.5, wallTime: 10 }, { name: 'loss', step: 2, value: Number.NaN, wallTime: 11 }] },
      { type: 'points', points: [{ name: 'loss', step: 3, value: Number.POSITIVE_INFINITY, wallTime: 12 }] },
      { type: 'log', text: 'offline\n' },
      { type: 'end', status: 'completed', reason: null },
    ]);
    assert.equal(journal.pendingPoints(), 3);
    assert.equal(await journal.replay(store), 3);
    assert.equal(journal.pending, false);
    const after = await store.getRun(run.id);
    assert.equal(after.status, 'completed');
    assert.deepEqual(after.params, { lr: 0.1 });
    const [loss] = await store.getMetrics(run.id, ['loss']);
    assert.deepEqual(loss.points.map((p) => [p.step, p.value]), [[1, 0.5], [2, Number.NaN], [3, Number.POSITIVE_INFINITY]]);
    assert.deepEqual((await store.readLog(run.id)).map((c) => c.text), ['offline\n']);
  });

  test('a replay that died after its first record resumes after it; a torn last line is skipped', async () => {
    const run = await store.createRun({ experiment: 'journal' });
    const dir = journalDir(store.home);
    const journal = new RunJournal(dir, run.id);
    journal.append([
      { type: 'points', points: [{ name: 'loss', step: 1, value: 1, wallTime: 1 }] },
      { type: 'points', points: [{ name: 'loss', step: 2, value: 2, wallTime: 2 }] },
    ]);
    await store.appendMetrics(run.id, [{ name: 'loss', step: 1, value: 1, wallTime: 1 }]); // committed …
    writeFileSync(join(dir, `${run.id}.done`), '1'); // … and counted, then the process died
    appendFileSync(journal.file, '{"type":"points","points":[["loss",3,'); // a crash mid-append
    const results = await syncJournals(store);
    assert.deepEqual(results.filter((r) => r.runId === run.id), [{ runId: run.id, points: 1, error: null }]);
    const [loss] = await store.getMetrics(run.id, ['loss']);
    assert.deepEqual(loss.points.map((p) => p.step), [1, 2], 'step 1 once, step 2 replayed, the torn line dropped');
    assert.equal(existsSync(join(dir, `${run.id}.done`)), false);
  });

  test('a journal the store refuses (run deleted) stays, and sync names the run and the reason', async () => {
    const run = await store.createRun({ experiment: 'journal' });
    new RunJournal(journalDir(store.home), run.id).append([{ type: 'points', points: [{ name: 'x', step: 0, value: 0, wallTime: 0 }] }]);
    await store.setRunStatus(run.id, 'completed');
    await store.deleteRun(run.id);
    const [result] = (await syncJournals(store)).filter((r) => r.runId === run.id);
    assert.equal(result.points, 0);
    assert.match(result.error ?? '', new RegExp(`run not found: ${run.id}`));
    assert.equal(new RunJournal(journalDir(store.home), run.id).pending, true);
  });
});
