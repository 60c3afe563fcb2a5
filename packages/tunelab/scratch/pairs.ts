import * as torch from '@tunelab/torch';
import { train } from '../src/train/trainer.js';
import { evalBatches, trainBatches } from '../src/data/collate.js';
import { Rng } from '../src/data/rng.js';
import { runInference } from '../src/train/inference.js';
import { argmax } from '../src/metrics/classification.js';
import { AutoConfig, AutoModelForSequenceClassification } from '../src/models/auto.js';
import { tempDir } from '../test/train/helpers.js';
torch.setNumThreads(1);
function pairs(n: number, seed: number) {
  const rng = new Rng(seed, 1);
  return { labelKind: 'class' as const, features: Array.from({ length: n }, () => {
    const a = Array.from({ length: 6 }, () => 5 + rng.below(100));
    const b = rng.shuffle([...a]);
    const label = rng.below(2);
    if (label === 0) b[rng.below(6)] = 5 + rng.below(100);
    const ids = [2, ...a, 3, ...b, 3];
    const types = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
    return { input_ids: Int32Array.from(ids), token_type_ids: Int32Array.from(types), label };
  }) };
}
torch.manualSeed(1);
const config = AutoConfig.forModel('bert', { vocab_size: 110, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 256, max_position_embeddings: 64 });
const model = AutoModelForSequenceClassification.fromConfig(config, { numLabels: 2 });
const data = pairs(3000, 1), dev = pairs(400, 2);
const acc = () => {
  const r = runInference(model, evalBatches(dev, { batchSize: 100, padId: 0 }), { device: 'cpu', precision: 'bf16' });
  let c = 0;
  for (const { batch, outputs } of r.batches) argmax(outputs.logits.data, outputs.logits.shape).forEach((p, i) => { if (p === dev.features[batch.feature_index[i]].label) c++; });
  return { eval_accuracy: c / 400 };
};
await train({ model, trainBatches: (e) => trainBatches(data, { batchSize: 32, seed: 1, epoch: e, padId: 0 }), saveModel: (d) => model.savePretrained(d), evaluate: acc,
  options: { outputDir: tempDir(), epochs: 6, lr: Number(process.argv[2] ?? 1e-3), weightDecay: 0.01, scheduler: 'linear', warmupRatio: 0.1, gradAccum: 1, maxGradNorm: 1, device: 'cpu', precision: 'bf16', evalEvery: 'epoch', saveEvery: 1e9, logEvery: 1e9, metricForBest: { name: 'eval_accuracy', greaterIsBetter: true }, resumeKey: {} },
  onLog: (e) => console.log(e.step, JSON.stringify(e.metrics)) });
