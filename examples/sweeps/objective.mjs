#!/usr/bin/env node
// A synthetic "fine-tuning" objective for the sweep demo: no model, just a validation-loss curve that depends on
// the learning rate and batch size the way real ones tend to (too small learns slowly, too large plateaus high).
// It reports through the stdout protocol, its planned epochs (`total_steps`) once, then one line per epoch:
//   @tunelab {"step": 3, "metrics": {"val_loss": 0.41}}
// Usage: node objective.mjs --lr 3e-5 --bs 32 [--epochs 10] [--sleep-ms 150] [--out DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    lr: { type: 'string' },
    bs: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '10' },
    'sleep-ms': { type: 'string', default: '150' },
    out: { type: 'string' },
  },
});
const lr = Number(values.lr);
const batchSize = Number(values.bs);
const epochs = Number(values.epochs);
const sleepMs = Number(values['sleep-ms']);
if (!(lr > 0) || !(batchSize > 0) || !(epochs > 0)) {
  console.error(`objective.mjs: need --lr > 0, --bs > 0 and --epochs > 0 (got ${values.lr}, ${values.bs}, ${values.epochs})`);
  process.exit(2);
}

// Best learning rate 3e-5; loss grows with the squared distance in log space; batch size 16 is slightly noisier.
const distance = Math.log(lr) - Math.log(3e-5);
const floor = 0.30 + 0.025 * distance * distance + (batchSize === 16 ? 0.02 : 0);
const speed = Math.min(1.2, 0.15 * Math.exp(0.35 * (Math.log(lr) - Math.log(1e-6))));

// The planned length first (as tunelab train reports it): the sweep then judges no report at the last step, and the
// dashboard computes what a stop saved from it.
console.log(`@tunelab ${JSON.stringify({ step: 0, metrics: { total_steps: epochs } })}`);
let best = Infinity;
for (let epoch = 1; epoch <= epochs; epoch++) {
  await new Promise((resolve) => setTimeout(resolve, sleepMs));
  const wiggle = 0.01 * Math.sin(epoch * 1.7 + lr * 1e5 + batchSize);
  const valLoss = floor + (1.2 - floor) * Math.exp(-speed * epoch) + wiggle;
  best = Math.min(best, valLoss);
  console.log(`epoch ${epoch}: val_loss ${valLoss.toFixed(4)}`);
  console.log(`@tunelab ${JSON.stringify({ step: epoch, metrics: { val_loss: valLoss, train_loss: valLoss * 0.9 } })}`);
}
if (values.out) {
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'result.json'), JSON.stringify({ lr, batch_size: batchSize, best_val_loss: best }) + '\n');
}
