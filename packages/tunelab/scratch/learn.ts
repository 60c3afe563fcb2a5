import * as torch from '@tunelab/torch';
import { train } from '../src/train/trainer.js';
import { evalBatches } from '../src/data/collate.js';
import { runInference } from '../src/train/inference.js';
import { argmax } from '../src/metrics/classification.js';
import { baseOptions, epochBatches, randomFeatures, tempDir, tinyClassifier } from '../test/train/helpers.js';
torch.setNumThreads(1);
const model = tinyClassifier(1, 0.1);
const data = randomFeatures(512);
const evalData = randomFeatures(128, 3);
const acc = () => {
  const r = runInference(model, evalBatches(evalData, { batchSize: 64, padId: 0 }), { device: 'cpu', precision: 'fp32' });
  let c = 0;
  for (const { batch, outputs } of r.batches) argmax(outputs.logits.data, outputs.logits.shape).forEach((p, i) => { if (p === evalData.features[batch.feature_index[i]].label) c++; });
  return { eval_accuracy: c / 128, eval_loss: r.loss! };
};
const t = performance.now();
await train({ model, trainBatches: epochBatches(data, 32), saveModel: (d) => model.savePretrained(d), evaluate: acc,
  options: baseOptions(tempDir(), { epochs: 10, lr: Number(process.argv[2] ?? 1e-3), logEvery: 50, saveEvery: 100000, precision: (process.argv[3] ?? 'fp32') as 'fp32' }),
  onLog: (e) => { if ('eval_accuracy' in e.metrics) console.log(e.step, JSON.stringify(e.metrics)); } });
console.log('s', (performance.now() - t) / 1000);
