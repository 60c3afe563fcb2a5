// The Store contract (track/store.ts doc comments), run unchanged on SQLite and PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuplicateError, NotFoundError, RUN_LOST_AFTER_MS, RunFinishedError, StoreInputError, displayStatus, openStore,
  type Store,
} from '../../src/track/store.js';
import { ageRun, backends, freshStore } from './backends.js';

for (const backend of backends) {
  describe(`Store contract on ${backend.name}`, { skip: backend.unavailable }, () => {
    let store: Store;
    let url: string;
    let dispose: () => Promise<void>;
    before(async () => ({ store, url, dispose } = await freshStore(backend)));
    after(async () => dispose());

    it('creates experiments once; getOrCreate is safe under concurrency', async () => {
      const created = await store.createExperiment('exp-a');
      await assert.rejects(store.createExperiment('exp-a'), DuplicateError);
      const many = await Promise.all(Array.from({ length: 8 }, () => store.getOrCreateExperiment('exp-b')));
      assert.equal(new Set(many.map((e) => e.id)).size, 1);
      assert.deepEqual(await store.getExperiment(created.id), created);
      assert.deepEqual(await store.getExperiment('exp-a'), created);
      await assert.rejects(store.getExperiment('nope'), NotFoundError);
    });

    it('creates, reads and filters runs', async () => {
      const a = await store.createRun({ experiment: 'filters', name: 'alpha', params: { lr: 0.1, opt: 'adam' }, tags: ['base', 'x'] });
      const b = await store.createRun({ experiment: 'filters', name: 'beta', tags: ['x'] });
      const c = await store.createRun({ experiment: 'other', name: 'gamma_1%' });
      await store.setRunStatus(b.id, 'failed', { exitCode: 3, reason: 'boom' });
      assert.equal(a.status, 'running');
      assert.deepEqual(a.params, { lr: 0.1, opt: 'adam' });
      assert.deepEqual(a.tags, ['base', 'x']);
      const ids = (runs: { id: string }[]) => runs.map((r) => r.id).sort();
      assert.deepEqual(ids(await store.listRuns({ experiment: 'filters' })), [a.id, b.id].sort());
      assert.deepEqual(ids(await store.listRuns({ experiment: 'filters', status: 'failed' })), [b.id]);
      assert.deepEqual(ids(await store.listRuns({ tag: 'base' })), [a.id]);
      assert.deepEqual(ids(await store.listRuns({ nameContains: '_1%' })), [c.id]); // % and _ are literal
      assert.deepEqual(ids(await store.listRuns({ nameContains: 'MMA_1' })), [c.id], 'case-insensitive on both backends');
      assert.deepEqual(await store.listRuns({ experiment: 'no-such-experiment' }), []);
      const newestFirst = await store.listRuns({ experiment: 'filters' });
      assert.ok(newestFirst[0].startedAt >= newestFirst[1].startedAt);
      const page = await store.listRuns({ experiment: 'filters', order: 'oldest', limit: 1, offset: 1 });
      assert.equal(page.length, 1);
      assert.equal(page[0].id, (await store.listRuns({ experiment: 'filters', order: 'oldest' }))[1].id);
      const failed = await store.getRun(b.id);
      assert.equal(failed.exitCode, 3);
      assert.equal(failed.reason, 'boom');
      assert.ok(failed.endedAt !== null && failed.endedAt >= failed.startedAt);
    });

    it('merges params and rejects non-scalar values', async () => {
      const run = await store.createRun({ experiment: 'params', params: { a: 1 } });
      await store.logParams(run.id, { b: 'two', a: 3 });
      await store.logParams(run.id, { c: true, d: null });
      assert.deepEqual((await store.getRun(run.id)).params, { a: 3, b: 'two', c: true, d: null });
      await assert.rejects(store.logParams(run.id, { e: { nested: 1 } } as never), StoreInputError);
      await assert.rejects(store.logParams(run.id, { f: NaN }), StoreInputError);
    });

    it('keeps metric series append-only, NaN included, with summaries', async () => {
      const run = await store.createRun({ experiment: 'metrics' });
      await store.appendMetrics(run.id, [
        { name: 'loss', step: 0, value: 2, wallTime: 1000 },
        { name: 'loss', step: 1, value: NaN, wallTime: 1001 },
        { name: 'acc', step: 1, value: 0.5, wallTime: 1001 },
      ]);
      await store.appendMetrics(run.id, [{ name: 'loss', step: 1, value: 0.5, wallTime: 1002 }, { name: 'loss', step: 2, value: 1, wallTime: 1003 }]);
      const series = await store.getMetrics(run.id);
      assert.deepEqual(series.map((s) => s.name), ['acc', 'loss']);
      const loss = series[1].points;
      assert.deepEqual(loss.map((p) => p.step), [0, 1, 1, 2]); // the repeated step 1 is kept, in append order
      assert.ok(Number.isNaN(loss[1].value));
      assert.deepEqual(loss.map((p) => p.wallTime), [1000, 1001, 1002, 1003]);
      assert.deepEqual((await store.getMetrics(run.id, ['acc'])).map((s) => s.name), ['acc']);
      assert.deepEqual(await store.getMetrics(run.id, []), []);
      const [acc, lossSummary] = await store.getMetricSummaries([run.id]);
      assert.deepEqual({ ...lossSummary }, { runId: run.id, name: 'loss', count: 4, lastStep: 2, lastValue: 1, min: 0.5, max: 2, lastWallTime: 1003 });
      assert.equal(acc.count, 1);
      await assert.rejects(store.appendMetrics(run.id, [{ name: 'loss', step: -1, value: 1 }]), StoreInputError);
      await assert.rejects(store.appendMetrics(run.id, [{ name: 'loss', step: 1.5, value: 1 }]), StoreInputError);
      await assert.rejects(store.appendMetrics(run.id, [{ name: '', step: 1, value: 1 }]), StoreInputError);
    });

    it('thins a long series to maxPoints, keeping first, last and extremes', async () => {
      const run = await store.createRun({ experiment: 'metrics' });
      const points = Array.from({ length: 5000 }, (_, i) => ({ name: 'x', step: i, value: i === 2345 ? 100 : Math.sin(i / 50), wallTime: i }));
      await store.appendMetrics(run.id, points);
      const [series] = await store.getMetrics(run.id, ['x'], { maxPoints: 200 });
      assert.ok(series.points.length <= 200 && series.points.length >= 150, `got ${series.points.length}`);
      assert.equal(series.points[0].step, 0);
      assert.equal(series.points.at(-1)!.step, 4999);
      assert.ok(series.points.some((p) => p.step === 2345 && p.value === 100), 'the spike survives');
      const steps = series.points.map((p) => p.step);
      assert.deepEqual(steps, [...steps].sort((x, y) => x - y));
    });

    it('tails a series after a step, thinning the tail on request', async () => {
      const run = await store.createRun({ experiment: 'metrics' });
      await store.appendMetrics(run.id, [0, 1, 2, 3, 4, 5].map((step) => ({ name: 'loss', step, value: 10 - step, wallTime: step })));
      await store.appendMetrics(run.id, [{ name: 'acc', step: 4, value: 0.5, wallTime: 9 }, { name: 'loss', step: 2, value: 7.5, wallTime: 10 }]);
      const tail = await store.getMetrics(run.id, undefined, { afterStep: 3 });
      assert.deepEqual(tail.map((s) => [s.name, s.points.map((p) => p.step)]), [['acc', [4]], ['loss', [4, 5]]]);
      assert.deepEqual(await store.getMetrics(run.id, ['loss'], { afterStep: 5 }), []);
      const all = await store.getMetrics(run.id, ['loss'], { afterStep: -1 });
      assert.deepEqual(all[0].points.map((p) => [p.step, p.value]), [[0, 10], [1, 9], [2, 8], [2, 7.5], [3, 7], [4, 6], [5, 5]]);
      const [thinned] = await store.getMetrics(run.id, ['loss'], { afterStep: 0, maxPoints: 2 });
      assert.deepEqual(thinned.points.map((p) => p.step), [1, 5]);
      await assert.rejects(store.getMetrics(run.id, ['loss'], { afterStep: 1.5 }), StoreInputError);
      await assert.rejects(store.getMetrics(run.id, ['loss'], { maxPoints: 1 }), StoreInputError);
    });

    it('thins many runs\' series in one call exactly as thinning each series\' points', async () => {
      const long = await store.createRun({ experiment: 'bulk' });
      const offset = await store.createRun({ experiment: 'bulk' });
      const short = await store.createRun({ experiment: 'bulk' });
      const other = await store.createRun({ experiment: 'bulk' });
      // 3,000 steps with NaNs, a spike, equal values and a step reported twice, appended out of step order.
      const longPoints = Array.from({ length: 3000 }, (_, step) => ({
        name: 'loss', step, wallTime: 10_000 + step,
        value: step === 1777 ? 99 : step % 97 === 0 ? NaN : step % 50 === 0 ? -1 : Math.round(100 * Math.cos(step / 40)) / 100,
      }));
      longPoints.push({ name: 'loss', step: 1500, value: -5, wallTime: 20_000 });
      await store.appendMetrics(long.id, longPoints.slice(2000));
      await store.appendMetrics(long.id, longPoints.slice(0, 1000));
      await store.appendMetrics(long.id, longPoints.slice(1000, 2000));
      await store.appendMetrics(offset.id, Array.from({ length: 2500 }, (_, i) => ({ name: 'loss', step: 1000 + 7 * i, value: (i * 37) % 101, wallTime: i })));
      await store.appendMetrics(short.id, Array.from({ length: 50 }, (_, i) => ({ name: 'loss', step: i, value: i % 7, wallTime: i })));
      await store.appendMetrics(other.id, [{ name: 'acc', step: 0, value: 1 }]);
      const ids = [long.id, offset.id, short.id, other.id];

      const raw = await store.getMetricsForRuns(ids, 'loss');
      assert.equal(raw.get(long.id)!.length, 3001);
      assert.deepEqual(raw.get(other.id), []);
      for (const maxPoints of [2, 3, 4, 20, 200, 1000]) {
        const thinned = await store.getMetricsForRuns(ids, 'loss', { maxPoints });
        assert.deepEqual([...thinned.keys()], ids);
        for (const id of ids) {
          const expected = referenceThin(raw.get(id)!, maxPoints);
          assert.deepEqual(thinned.get(id), expected, `run ${id}, maxPoints ${maxPoints}`);
          const single = await store.getMetrics(id, ['loss'], { maxPoints });
          assert.deepEqual(single[0]?.points ?? [], expected);
        }
      }
      const curve = (await store.getMetricsForRuns([long.id], 'loss', { maxPoints: 20 })).get(long.id)!;
      assert.ok(curve.some((p) => p.step === 1777 && p.value === 99) && curve.some((p) => p.value === -5), 'spike and dip survive');
      await assert.rejects(store.getMetricsForRuns([long.id, 'no-such-run'], 'loss'), NotFoundError);
      await assert.rejects(store.getMetricsForRuns([long.id], 'loss', { maxPoints: 0 }), StoreInputError);
    });

    it('makes finished runs immutable except for tags', async () => {
      const run = await store.createRun({ experiment: 'immutable' });
      await store.setRunStatus(run.id, 'completed');
      await assert.rejects(store.appendMetrics(run.id, [{ name: 'm', step: 0, value: 1 }]), RunFinishedError);
      await assert.rejects(store.logParams(run.id, { a: 1 }), RunFinishedError);
      await assert.rejects(store.appendLog(run.id, 'stdout', 'late\n'), RunFinishedError);
      await assert.rejects(store.setRunStatus(run.id, 'failed'), RunFinishedError);
      await assert.rejects(store.setRunStatus(run.id, 'running' as never), StoreInputError);
      assert.equal(await store.requestRunStop(run.id, 'too late'), false);
      await store.addTags(run.id, ['keep', 'keep', 'best']);
      await store.removeTags(run.id, ['keep']);
      assert.deepEqual((await store.getRun(run.id)).tags, ['best']);
    });

    it('throws NotFoundError for unknown ids', async () => {
      const missing = 'no-such-id';
      for (const call of [
        () => store.getRun(missing), () => store.appendMetrics(missing, [{ name: 'm', step: 0, value: 1 }]),
        () => store.logParams(missing, {}), () => store.setRunStatus(missing, 'completed'), () => store.getMetrics(missing),
        () => store.appendLog(missing, 'log', 'x'), () => store.readLog(missing), () => store.listArtifacts(missing),
        () => store.addTags(missing, ['t']), () => store.deleteRun(missing), () => store.requestRunStop(missing, 'r'),
        () => store.getSweep(missing), () => store.getTrial(missing), () => store.requestSweepStop(missing, 'r'),
        () => store.createTrial(missing, 0, {}), () => store.finishTrial(missing, null, 'failed'),
      ]) {
        await assert.rejects(call(), NotFoundError);
      }
    });

    it('numbers log chunks per run and tails them', async () => {
      const run = await store.createRun({ experiment: 'logs' });
      assert.equal(await store.appendLog(run.id, 'stdout', 'one\n'), 1);
      assert.equal(await store.appendLog(run.id, 'stderr', 'two\n'), 2);
      assert.equal(await store.appendLog(run.id, 'log', 'three\n'), 3);
      assert.deepEqual((await store.readLog(run.id)).map((c) => [c.seq, c.stream, c.text]), [[1, 'stdout', 'one\n'], [2, 'stderr', 'two\n'], [3, 'log', 'three\n']]);
      assert.deepEqual((await store.readLog(run.id, { afterSeq: 1 })).map((c) => c.seq), [2, 3]);
      assert.deepEqual((await store.readLog(run.id, { stream: 'stderr' })).map((c) => c.text), ['two\n']);
      assert.deepEqual((await store.readLog(run.id, { tail: 2 })).map((c) => c.seq), [2, 3]);
      assert.deepEqual((await store.readLog(run.id, { tail: 10 })).map((c) => c.seq), [1, 2, 3]);
      assert.deepEqual((await store.readLog(run.id, { stream: 'stdout', tail: 1 })).map((c) => c.text), ['one\n']);
      assert.deepEqual((await store.readLog(run.id, { afterSeq: 0, limit: 2 })).map((c) => c.seq), [1, 2]);
      await assert.rejects(store.readLog(run.id, { tail: 1, limit: 1 }), StoreInputError);
      await assert.rejects(store.readLog(run.id, { tail: 0 }), StoreInputError);
      await assert.rejects(store.appendLog(run.id, 'weird' as never, 'x'), StoreInputError);
    });

    it('copies artifacts into the run folder and deletes them with the run', async () => {
      const run = await store.createRun({ experiment: 'artifacts' });
      const source = join(store.home, 'src-files');
      mkdirSync(join(source, 'sub'), { recursive: true });
      writeFileSync(join(source, 'model.bin'), 'weights');
      writeFileSync(join(source, 'sub', 'cfg.json'), '{}');
      const [file] = await store.logArtifact(run.id, join(source, 'model.bin'));
      assert.equal(file.name, 'model.bin');
      assert.equal(readFileSync(file.path, 'utf8'), 'weights');
      const folder = await store.logArtifact(run.id, source, 'ckpt');
      assert.deepEqual(folder.map((a) => a.name), ['ckpt/model.bin', 'ckpt/sub/cfg.json']);
      writeFileSync(join(store.artifactsDir(run.id), 'written-by-trial.txt'), 'abc');
      const registered = await store.registerArtifacts(run.id);
      assert.ok(registered.some((a) => a.name === 'written-by-trial.txt' && a.size === 3));
      assert.deepEqual((await store.listArtifacts(run.id)).map((a) => a.name), ['ckpt/model.bin', 'ckpt/sub/cfg.json', 'model.bin', 'written-by-trial.txt']);
      await assert.rejects(store.logArtifact(run.id, join(source, 'model.bin'), '../escape'), StoreInputError);
      await assert.rejects(store.logArtifact(run.id, join(source, 'missing.bin')), StoreInputError);
      await assert.rejects(store.deleteRun(run.id), StoreInputError); // still running
      await store.appendMetrics(run.id, [{ name: 'm', step: 0, value: 1 }]);
      await store.setRunStatus(run.id, 'completed');
      await store.deleteRun(run.id);
      await assert.rejects(store.getRun(run.id), NotFoundError);
      assert.equal(existsSync(store.runDir(run.id)), false);
      assert.deepEqual(await store.getMetricSummaries([run.id]), []);
    });

    it('propagates a stop request from a run to its trial', async () => {
      const sweep = await store.createSweep({ name: 'stop-sweep', experiment: 'stops', spec: { any: 'json' }, specDir: '/tmp', executor: 'local' });
      const trial = await store.createTrial(sweep.id, 0, { x: 1 });
      const claimed = (await store.claimTrial({ workerId: 'w', sweepId: sweep.id }))!;
      assert.equal(await store.requestRunStop(claimed.run.id, 'user clicked stop'), true);
      assert.equal((await store.getRun(claimed.run.id)).stopRequested, 'user clicked stop');
      assert.equal((await store.getTrial(trial.id)).stopRequested, 'user clicked stop');
      const queued = await store.createTrial(sweep.id, 1, { x: 2 });
      await store.requestTrialStop(queued.id, 'cancelled');
      const ended = await store.getTrial(queued.id);
      assert.equal(ended.status, 'terminated');
      assert.equal(ended.reason, 'cancelled');
    });

    it('round-trips sweeps and finds them by id or newest name', async () => {
      const spec = { name: 's', nested: { values: [1, 'two'] } };
      const first = await store.createSweep({ name: 'twice', experiment: 'sweeps', spec, specDir: '/work', executor: 'worker' });
      await new Promise((r) => setTimeout(r, 5));
      const second = await store.createSweep({ name: 'twice', experiment: 'sweeps', spec, specDir: '/work', executor: 'local' });
      assert.deepEqual((await store.getSweep(first.id)).spec, spec);
      assert.equal((await store.getSweep('twice')).id, second.id);
      assert.equal(first.status, 'running');
      await store.requestSweepStop(first.id, 'enough');
      await store.requestSweepStop(first.id, 'second reason is ignored');
      assert.equal((await store.getSweep(first.id)).stopRequested, 'enough');
      await store.finishSweep(first.id, 'stopped', 'enough');
      await store.finishSweep(first.id, 'completed', 'ignored: already ended');
      const ended = await store.getSweep(first.id);
      assert.equal(ended.status, 'stopped');
      assert.equal(ended.reason, 'enough');
      assert.ok((await store.listSweeps({ experiment: 'sweeps' })).length === 2);
    });

    it('claims each queued trial exactly once under concurrent claimers', async () => {
      const sweep = await store.createSweep({ name: 'claims', experiment: 'claims', spec: {}, specDir: '/tmp', executor: 'worker' });
      for (let n = 0; n < 12; n++) await store.createTrial(sweep.id, n, { n });
      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claimTrial({ workerId: `w${i}`, sweepId: sweep.id })));
      const got = claims.filter((c) => c !== null);
      assert.equal(got.length, 12);
      assert.equal(new Set(got.map((c) => c!.trial.id)).size, 12);
      for (const claim of got) {
        assert.equal(claim!.trial.status, 'running');
        assert.equal(claim!.run.trialId, claim!.trial.id);
        assert.equal(claim!.run.sweepId, sweep.id);
        assert.deepEqual(claim!.run.params, claim!.trial.params);
        assert.equal(claim!.trial.runId, claim!.run.id);
      }
      assert.equal(await store.claimTrial({ workerId: 'late', sweepId: sweep.id }), null);
    });

    it('claims in queue order, only from running sweeps of the asked executor', async () => {
      const local = await store.createSweep({ name: 'order-local', experiment: 'claims', spec: {}, specDir: '/tmp', executor: 'local' });
      const remote = await store.createSweep({ name: 'order-remote', experiment: 'claims', spec: {}, specDir: '/tmp', executor: 'worker' });
      await store.createTrial(local.id, 0, {});
      await store.createTrial(remote.id, 1, {});
      await new Promise((r) => setTimeout(r, 5));
      await store.createTrial(remote.id, 0, {});
      assert.equal((await store.claimTrial({ workerId: 'w', sweepId: remote.id }))!.trial.number, 1); // queued first
      await store.requestSweepStop(remote.id, 'stopping');
      assert.equal(await store.claimTrial({ workerId: 'w', sweepId: remote.id }), null);
      assert.equal(await store.claimTrial({ workerId: 'w', sweepId: local.id, executor: 'worker' }), null);
      assert.equal((await store.claimTrial({ workerId: 'w', sweepId: local.id, executor: 'local' }))!.trial.sweepId, local.id);
    });

    it('fences every trial write by the lease holder', async () => {
      const sweep = await store.createSweep({ name: 'lease', experiment: 'lease', spec: {}, specDir: '/tmp', executor: 'worker' });
      const trial = await store.createTrial(sweep.id, 0, { lr: 0.1 });
      const { run } = (await store.claimTrial({ workerId: 'holder', sweepId: sweep.id }))!;
      assert.equal(await store.heartbeat(trial.id, 'holder'), true);
      assert.equal(await store.heartbeat(trial.id, 'intruder'), false);
      assert.equal(await store.setTrialProcess(trial.id, 'intruder', { pid: 1, gpu: null, command: 'x' }), false);
      assert.equal(await store.setTrialProcess(trial.id, 'holder', { pid: 4242, gpu: '1', command: 'node t.js' }), true);
      assert.equal((await store.getRun(run.id)).command, 'node t.js');
      const output = { stdoutOffset: 10, stderrOffset: 3, logs: [{ stream: 'stdout' as const, text: 'hello\n' }], points: [{ name: 'loss', step: 1, value: 0.5 }], params: { seen: true } };
      assert.equal(await store.ingestTrialOutput(trial.id, 'intruder', output), false);
      assert.equal(await store.ingestTrialOutput(trial.id, 'holder', output), true);
      const after = await store.getTrial(trial.id);
      assert.deepEqual([after.stdoutOffset, after.stderrOffset, after.pid, after.gpu], [10, 3, 4242, '1']);
      assert.equal((await store.getMetrics(run.id))[0].points.length, 1);
      assert.deepEqual((await store.getRun(run.id)).params, { lr: 0.1, seen: true });
      assert.equal(await store.finishTrial(trial.id, 'intruder', 'completed'), false);
      assert.equal(await store.finishTrial(trial.id, 'holder', 'completed', { exitCode: 0 }), true);
      assert.equal(await store.finishTrial(trial.id, 'holder', 'failed'), false); // finished trials stay finished
      assert.equal((await store.getRun(run.id)).status, 'completed');
      assert.equal(await store.heartbeat(trial.id, 'holder'), false);
    });

    it('re-queues a silent worker\'s trial as a new attempt, then fails it after max retries', async () => {
      const sweep = await store.createSweep({ name: 'requeue', experiment: 'lease', spec: {}, specDir: '/tmp', executor: 'worker' });
      const trial = await store.createTrial(sweep.id, 0, {});
      const first = (await store.claimTrial({ workerId: 'dead-1', sweepId: sweep.id }))!;
      assert.deepEqual(await store.requeueStaleTrials(sweep.id, { graceMs: 60_000, maxRetries: 1 }), []); // fresh heartbeat
      const later = Date.now() + 61_000;
      const [action] = await store.requeueStaleTrials(sweep.id, { graceMs: 60_000, maxRetries: 1, now: later });
      assert.equal(action.action, 'requeued');
      assert.match(action.reason, /^worker dead-1 lost: no heartbeat for 6\d\.\d s \(grace 60 s\)$/);
      const lostRun = await store.getRun(first.run.id);
      assert.equal(lostRun.status, 'failed');
      assert.equal(lostRun.reason, action.reason);
      assert.equal(await store.ingestTrialOutput(trial.id, 'dead-1', { stdoutOffset: 1, stderrOffset: 0, logs: [], points: [] }), false);
      const second = (await store.claimTrial({ workerId: 'dead-2', sweepId: sweep.id }))!;
      assert.equal(second.trial.attempt, 2);
      assert.notEqual(second.run.id, first.run.id);
      assert.equal(second.trial.stdoutOffset, 0);
      const [final] = await store.requeueStaleTrials(sweep.id, { graceMs: 60_000, maxRetries: 1, now: later + 61_000 });
      assert.equal(final.action, 'failed');
      const failed = await store.getTrial(trial.id);
      assert.equal(failed.status, 'failed');
      assert.match(failed.reason!, /retries exhausted \(1\)$/);
      assert.deepEqual((await store.listRuns({ trialId: trial.id })).map((r) => r.status), ['failed', 'failed']);
    });

    it('hands a trial over between holders and back to the queue on request', async () => {
      const sweep = await store.createSweep({ name: 'handover', experiment: 'lease', spec: {}, specDir: '/tmp', executor: 'local' });
      const trial = await store.createTrial(sweep.id, 0, {});
      await store.claimTrial({ workerId: 'old', sweepId: sweep.id });
      assert.equal(await store.takeOverTrial(trial.id, 'someone-else', 'new'), false);
      assert.equal(await store.takeOverTrial(trial.id, 'old', 'new'), true);
      assert.equal(await store.heartbeat(trial.id, 'old'), false);
      assert.equal(await store.requeueTrial(trial.id, 'old', 'not mine', { maxRetries: 2 }), null);
      const action = await store.requeueTrial(trial.id, 'new', 'shutting down', { maxRetries: 2 });
      assert.deepEqual(action, { trialId: trial.id, action: 'requeued', reason: 'shutting down' });
      assert.equal((await store.getTrial(trial.id)).status, 'queued');
    });

    it('lets one controller hold a sweep at a time (compare-and-set)', async () => {
      const sweep = await store.createSweep({ name: 'controllers', experiment: 'lease', spec: {}, specDir: '/tmp', executor: 'local' });
      const results = await Promise.all(['c1', 'c2', 'c3'].map((c) => store.acquireSweepController(sweep.id, c, null)));
      assert.equal(results.filter(Boolean).length, 1);
      const holder = ['c1', 'c2', 'c3'][results.indexOf(true)];
      assert.equal(await store.controllerHeartbeat(sweep.id, holder), true);
      assert.equal(await store.acquireSweepController(sweep.id, 'c4', null), false);
      assert.equal(await store.acquireSweepController(sweep.id, 'c4', holder), true);
      assert.equal(await store.controllerHeartbeat(sweep.id, holder), false);
      await store.releaseSweepController(sweep.id, 'c4');
      assert.equal((await store.getSweep(sweep.id)).controllerId, null);
    });

    it('is shared by a second connection (another process sees the same data)', async () => {
      const run = await store.createRun({ experiment: 'shared' });
      const other = await openStore(url);
      try {
        await other.appendMetrics(run.id, [{ name: 'm', step: 0, value: 7 }]);
        assert.equal((await store.getMetrics(run.id))[0].points[0].value, 7);
      } finally {
        await other.close();
      }
    });

    it('numbers points per run in commit order: tailing by seq returns late and repeated steps exactly once', async () => {
      const run = await store.createRun({ experiment: 'tail' });
      const { lastSeq: start } = await store.tailMetrics(run.id);
      assert.equal(start, 0);
      await store.appendMetrics(run.id, [{ name: 'loss', step: 1, value: 1 }, { name: 'loss', step: 2, value: 0.5 }]);
      const first = await store.tailMetrics(run.id, { afterSeq: start });
      assert.deepEqual(first.points.map((p) => [p.seq, p.step]), [[1, 1], [2, 2]]);
      // A late step (below the last) and a repeated one (the final re-evaluation at the last step) are new points.
      await store.appendMetrics(run.id, [{ name: 'loss', step: 1, value: 0.9 }, { name: 'eval_loss', step: 2, value: 0.7 }, { name: 'eval_loss', step: 2, value: 0.6 }]);
      const second = await store.tailMetrics(run.id, { afterSeq: first.lastSeq });
      assert.deepEqual(second.points.map((p) => [p.seq, p.name, p.step, p.value]), [[3, 'loss', 1, 0.9], [4, 'eval_loss', 2, 0.7], [5, 'eval_loss', 2, 0.6]]);
      assert.equal(second.lastSeq, 5);
      assert.deepEqual((await store.tailMetrics(run.id, { afterSeq: 5 })).points, []);
      const limited = await store.tailMetrics(run.id, { afterSeq: 0, limit: 2 });
      assert.deepEqual([limited.points.length, limited.lastSeq], [2, 2]);
      const named = await store.tailMetrics(run.id, { afterSeq: 0, names: ['eval_loss'] });
      assert.deepEqual([named.points.map((p) => p.seq), named.lastSeq], [[4, 5], 5]);
      await assert.rejects(store.tailMetrics('no-such-run'), NotFoundError);
      await assert.rejects(store.tailMetrics(run.id, { afterSeq: -1 }), StoreInputError);
    });

    it('keeps a heartbeat: a running run unseen past the grace period is lost, can be stopped and deleted', async () => {
      const run = await store.createRun({ experiment: 'heartbeat' });
      assert.ok(Date.now() - run.lastSeenAt < 5000);
      assert.equal(displayStatus(run), 'running');
      assert.equal(displayStatus(run, run.lastSeenAt + RUN_LOST_AFTER_MS + 1), 'lost');
      await ageRun(url, run.id, RUN_LOST_AFTER_MS + 60_000);
      const silent = await store.getRun(run.id);
      assert.equal(displayStatus(silent), 'lost');
      assert.equal(await store.touchRun(run.id), true);
      assert.equal(displayStatus(await store.getRun(run.id)), 'running', 'a heartbeat brings it back');
      await ageRun(url, run.id, RUN_LOST_AFTER_MS + 60_000);
      await store.appendMetrics(run.id, [{ name: 'm', step: 0, value: 1 }]);
      assert.equal(displayStatus(await store.getRun(run.id)), 'running', 'a write is a sign of life');
      await assert.rejects(store.deleteRun(run.id), StoreInputError, 'a live running run refuses deletion');
      await ageRun(url, run.id, RUN_LOST_AFTER_MS + 60_000);
      assert.equal(await store.requestRunStop(run.id, 'user'), true);
      const stopped = await store.getRun(run.id);
      assert.equal(stopped.status, 'failed');
      assert.match(stopped.reason!, /^lost: /);
      const zombie = await store.createRun({ experiment: 'heartbeat' });
      await ageRun(url, zombie.id, RUN_LOST_AFTER_MS + 60_000);
      await store.deleteRun(zombie.id);
      await assert.rejects(store.getRun(zombie.id), NotFoundError);
      assert.equal(await store.touchRun(run.id), false, 'a finished run is not touched');
      await assert.rejects(store.touchRun('no-such-run'), NotFoundError);
    });

    it('resumes a run: the same run goes on running with its points, and later points append', async () => {
      const run = await store.createRun({ experiment: 'resume', params: { lr: 0.1 } });
      await store.appendMetrics(run.id, [{ name: 'loss', step: 10, value: 1 }]);
      await store.setRunStatus(run.id, 'failed', { exitCode: 137, reason: 'killed' });
      const resumed = await store.resumeRun(run.id);
      assert.deepEqual([resumed.id, resumed.status, resumed.endedAt, resumed.exitCode, resumed.reason], [run.id, 'running', null, null, null]);
      assert.deepEqual(resumed.params, { lr: 0.1 });
      await store.appendMetrics(run.id, [{ name: 'loss', step: 11, value: 0.5 }]);
      assert.deepEqual((await store.getMetrics(run.id))[0].points.map((p) => p.step), [10, 11]);
      const sweep = await store.createSweep({ name: 'resume-sweep', experiment: 'resume', spec: {}, specDir: '/tmp', executor: 'worker' });
      await store.createTrial(sweep.id, 0, {});
      const claimed = (await store.claimTrial({ workerId: 'w-resume', sweepId: sweep.id }))!;
      await assert.rejects(store.resumeRun(claimed.run.id), StoreInputError);
      await assert.rejects(store.resumeRun('no-such-run'), NotFoundError);
    });

    it('hard-links artifacts on the same filesystem (copy on request) and records the identity of what it placed', async () => {
      const run = await store.createRun({ experiment: 'links' });
      const source = join(store.home, 'link-src');
      mkdirSync(source, { recursive: true });
      writeFileSync(join(source, 'model.safetensors'), 'weights');
      const [linked] = await store.logArtifact(run.id, join(source, 'model.safetensors'));
      assert.equal(statSync(linked.path).ino, statSync(join(source, 'model.safetensors')).ino, 'no copy: the same file');
      assert.equal(linked.fileId, `${statSync(linked.path).dev}:${statSync(linked.path).ino}`);
      const [copied] = await store.logArtifact(run.id, join(source, 'model.safetensors'), 'copy.bin', { mode: 'copy' });
      assert.notEqual(statSync(copied.path).ino, statSync(join(source, 'model.safetensors')).ino);
      assert.equal(readFileSync(copied.path, 'utf8'), 'weights');
      // Replacing the source atomically (as the trainer writes) leaves the artifact as it was.
      writeFileSync(join(source, 'next'), 'new weights');
      renameSync(join(source, 'next'), join(source, 'model.safetensors'));
      assert.equal(readFileSync(linked.path, 'utf8'), 'weights');
      // A hard link someone else put into the folder is registered without an identity.
      linkSync(join(source, 'model.safetensors'), join(store.artifactsDir(run.id), 'foreign.bin'));
      writeFileSync(join(store.artifactsDir(run.id), 'own.txt'), 'mine');
      const registered = await store.registerArtifacts(run.id);
      assert.equal(registered.find((a) => a.name === 'foreign.bin')!.fileId, null);
      assert.notEqual(registered.find((a) => a.name === 'own.txt')!.fileId, null);
    });

    it('copies an artifact that lives on another filesystem (no hard link across devices)', { skip: otherFilesystem(store?.home) }, async () => {
      const run = await store.createRun({ experiment: 'links' });
      const source = mkdtempSync(join('/dev/shm', 'tunelab-artifact-'));
      try {
        writeFileSync(join(source, 'weights.bin'), 'far away');
        const [copied] = await store.logArtifact(run.id, join(source, 'weights.bin'));
        assert.notEqual(statSync(copied.path).dev, statSync(join(source, 'weights.bin')).dev);
        assert.equal(readFileSync(copied.path, 'utf8'), 'far away');
        assert.equal(copied.fileId, `${statSync(copied.path).dev}:${statSync(copied.path).ino}`);
      } finally {
        rmSync(source, { recursive: true, force: true });
      }
    });
  });
}

/** Why the cross-device case cannot run here (no /dev/shm on another filesystem than the temp folder), or undefined. */
function otherFilesystem(home: string | undefined): string | undefined {
  try {
    return statSync('/dev/shm').dev !== statSync(home ?? tmpdir()).dev ? undefined : '/dev/shm is on the same filesystem';
  } catch {
    return 'no /dev/shm';
  }
}


type Point = { step: number; value: number; wallTime: number };

/**
 * Thinning by brute force, as documented: at most B = ⌊(maxPoints − 2)/2⌋ aligned power-of-two step buckets
 * between the first and last step; per bucket the finite min and max (ties: earlier step, then earlier wall time);
 * plus first and last; each point once, in (step, wall time) order.
 */
function referenceThin(points: Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return points;
  const first = points[0];
  const last = points[points.length - 1];
  const budget = Math.floor((maxPoints - 2) / 2);
  const kept = [first, last];
  if (budget > 0) {
    let width = 1;
    while (Math.floor(last.step / width) - Math.floor(first.step / width) + 1 > budget) width *= 2;
    const order = (sign: number) => (a: Point, b: Point) => sign * (a.value - b.value) || a.step - b.step || a.wallTime - b.wallTime;
    for (let bucket = Math.floor(first.step / width); bucket <= Math.floor(last.step / width); bucket++) {
      const inside = points.filter((p) => !Number.isNaN(p.value) && Math.floor(p.step / width) === bucket);
      if (inside.length > 0) kept.push([...inside].sort(order(1))[0], [...inside].sort(order(-1))[0]);
    }
  }
  return [...new Set(kept)].sort((a, b) => a.step - b.step || a.wallTime - b.wallTime);
}
