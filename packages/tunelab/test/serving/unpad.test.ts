// tunelab serve reads only the outputs its head needs, so a batch of requests of different lengths may run on its real
// tokens only (--unpad auto on the CPU): the same answers as the padded pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Feature } from '../../src/data/features.js';
import { UnpaddedTokens } from '../../src/models/unpad.js';
import { loadServingModel } from '../../src/serving/model.js';
import { tinyHeadModel, type HeadName } from './helpers.js';

const SHORT = 'the cat';
const LONG = 'the cat sat on the mat while the dog slept by the warm fire in the old house near the river';

/** How many forward passes took the unpadded path while `fn` ran. */
async function countUnpadded<T>(fn: () => Promise<T>): Promise<{ result: T; unpadded: number }> {
  const of = UnpaddedTokens.of.bind(UnpaddedTokens);
  let unpadded = 0;
  UnpaddedTokens.of = (mask) => {
    const tokens = of(mask);
    if (tokens) unpadded += 1;
    return tokens;
  };
  try {
    return { result: await fn(), unpadded };
  } finally {
    UnpaddedTokens.of = of;
  }
}

for (const head of ['classification', 'ner'] as HeadName[]) {
  test(`serve (${head}): a short and a long request in one batch run unpadded and answer as padded (1e-5)`, async () => {
    const dir = await tinyHeadModel(head);
    const rowsFor = async (unpad: 'auto' | 'off') => {
      const model = await loadServingModel({ modelDir: dir, device: 'cpu', precision: 'fp32', unpad });
      const features: Feature[] = [];
      for (const text of [SHORT, LONG]) features.push(...(await model.head.prepare(text, {}, 'inputs')).features);
      const run = await countUnpadded(async () => model.run(features));
      model.dispose();
      return { ...run, lengths: features.map((feature) => feature.input_ids.length) };
    };
    const padded = await rowsFor('off');
    const unpadded = await rowsFor('auto');
    assert.equal(padded.unpadded, 0);
    assert.equal(unpadded.unpadded, 1);
    unpadded.result.forEach((row, r) => {
      assert.deepEqual(Object.keys(row), ['logits'], 'only the logits the head reads come to the host');
      const [a, b] = [row.logits.data, padded.result[r].logits.data];
      // NER rows are [T, labels] and padding positions carry no answer: the row's real tokens are compared.
      const compared = head === 'ner' ? unpadded.lengths[r] * row.logits.shape[1]! : a.length;
      assert.ok(compared > 0 && compared <= a.length);
      for (let i = 0; i < compared; i++) {
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-5, `${head} row ${r} value ${i}: ${a[i]} unpadded vs ${b[i]} padded`);
      }
    });
  });
}
