// Which GPU a rank of a multi-process job sees: its own entry of the GPUs the job was given (a sweep trial holding
// "2,3"), its local rank when none were given, and a single id as chosen by whoever set it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankVisibleDevices } from 'tunelab/distributed/train-ranks';
import { TrainConfigError } from 'tunelab/train/errors';

test('unset: the local rank', () => {
  assert.equal(rankVisibleDevices(undefined, 0), '0');
  assert.equal(rankVisibleDevices(undefined, 3), '3');
});

test('a list: the entry at the local rank (ids or UUIDs, spaces ignored)', () => {
  assert.equal(rankVisibleDevices('2,3', 0), '2');
  assert.equal(rankVisibleDevices('2,3', 1), '3');
  assert.equal(rankVisibleDevices('5, 7 ,1', 2), '1');
  assert.equal(rankVisibleDevices('GPU-aa11,GPU-bb22', 1), 'GPU-bb22');
});

test('a single id, or none, stays', () => {
  assert.equal(rankVisibleDevices('6', 0), '6');
  assert.equal(rankVisibleDevices('6', 1), '6', 'the launcher chose: ranks share it');
  assert.equal(rankVisibleDevices('', 1), '', 'no GPUs visible stays so');
});

test('a list shorter than the ranks on this machine is a one-line error', () => {
  assert.throws(() => rankVisibleDevices('0,1', 2), (e: unknown) => e instanceof TrainConfigError &&
    e.message === 'CUDA_VISIBLE_DEVICES=0,1 lists 2 GPUs but this is local rank 2: give every rank on this machine its own GPU (as many ids as --nproc-per-node)');
});
