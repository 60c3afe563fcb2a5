import * as torch from '@tunelab/torch';
import { AutoModelForSequenceClassification } from '../src/models/auto.js';
import { createOptimizer } from '../src/train/trainer.js';
torch.setNumThreads(2);
const prec = process.argv[2] ?? 'fp32';
const hidden = Number(process.argv[3] ?? 32);
const model = await AutoModelForSequenceClassification.fromPretrained('/tmp/tiny', { fromScratch: true });
model.train();
const opt = createOptimizer(model, 1e-3, 0.01);
const B = 16, T = 60;
const ids = torch.randint(0, 30000, [B, T]);
const mask = torch.ones([B, T], { dtype: 'int64' });
const labels = torch.randint(0, 2, [B]);
const time = (label: string, fn: () => void) => { const t = performance.now(); fn(); return performance.now() - t; };
const acc: Record<string, number> = {};
for (let i = 0; i < 12; i++) {
  torch.scope(() => {
    let loss: torch.Tensor;
    const tf = time('fwd', () => {
      const run = () => model.forward({ input_ids: ids, attention_mask: mask, labels }).loss!;
      loss = prec === 'bf16' ? torch.autocast({ device: 'cpu', dtype: 'bfloat16' }, run) : run();
    });
    const tb = time('bwd', () => loss.backward());
    const params = opt.paramGroups.flatMap((g) => g.params);
    const tc = time('clip', () => torch.nn.utils.clipGradNorm(params, 1));
    const ts = time('step', () => { opt.step(); opt.zeroGrad(); });
    if (i >= 2) for (const [k, v] of [['fwd', tf], ['bwd', tb], ['clip', tc], ['step', ts]] as const) acc[k] = (acc[k] ?? 0) + v / 10;
  });
}
console.log(prec, Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v.toFixed(1) + 'ms'])));
