// GpuPool: trials of N processes hold N GPUs ("0,1"), given back whole; a sweep needing more than exist is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GpuPool, GpuShortageError } from '../../src/sweep/gpus.js';

describe('GpuPool', () => {
  it('hands out n GPUs at once, or none when fewer are free', () => {
    const pool = new GpuPool(['0', '1', '2']);
    assert.equal(pool.take(2), '0,1');
    assert.equal(pool.available, 1);
    assert.equal(pool.take(2), null, 'one free GPU is not enough for a trial of two');
    assert.equal(pool.available, 1, 'a refused take takes nothing');
    assert.equal(pool.take(), '2');
    assert.equal(pool.take(), null);
    assert.throws(() => pool.take(0), RangeError);
  });

  it('releases and claims comma-joined lists, ignoring foreign or already-free ids', () => {
    const pool = new GpuPool(['4', '5', '6', '7']);
    const first = pool.take(2)!;
    const second = pool.take(2)!;
    pool.release(first);
    assert.equal(pool.available, 2);
    pool.release(first); // twice: no duplicate
    pool.release('9,4');
    pool.release(null);
    assert.equal(pool.available, 2);
    assert.equal(pool.take(2), '4,5');
    pool.release(second);
    pool.claim('7, 6'); // a re-attached trial already holds them
    assert.equal(pool.available, 0);
    pool.release('4,5,6,7');
    assert.deepEqual([pool.take(4)!.split(',').sort()], [['4', '5', '6', '7']]);
  });

  it('refuses trials that need more GPUs than exist, in one line', () => {
    const pool = new GpuPool(['0', '1']);
    pool.checkFits(2, 'mrpc.yml');
    new GpuPool([]).checkFits(8, 'mrpc.yml'); // no GPUs: processes run on the CPU
    assert.throws(() => pool.checkFits(3, 'mrpc.yml'), (e: unknown) => e instanceof GpuShortageError &&
      e.message === 'mrpc.yml: trial.distribution.process_count_per_instance is 3 but only 2 GPUs (0,1) can be handed out; each process needs its own (give more with --gpus, or lower it)');
  });
});
