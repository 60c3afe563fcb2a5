import { readFileSync } from 'node:fs';
import * as torch from '@tunelab/torch';
import { loadServingModel } from '../packages/tunelab/src/serving/model.js';
torch.setNumThreads(Number(process.argv[3] ?? 1));
const model = await loadServingModel({ modelDir: process.argv[2], device: 'cpu', precision: 'fp32' });
const lines = readFileSync('/work/shared/data/glue/MRPC/dev.tsv', 'utf8').trim().split('\n').slice(1, 257);
const feats = [];
for (const l of lines) { const c = l.split('\t'); feats.push(...(await model.head.prepare({ text: c[3], text_pair: c[4] }, {}, 'body')).features); }
const lens = feats.map((f) => f.input_ids.length);
console.log('lengths mean', lens.reduce((a, b) => a + b) / lens.length, 'min', Math.min(...lens), 'max', Math.max(...lens));
const time = (name, fn) => { fn(); const t = performance.now(); for (let r = 0; r < 3; r++) fn(); console.log(name, ((performance.now() - t) / 3 / feats.length).toFixed(3), 'ms/row'); };
for (let k = 0; k < 2; k++) {
time('b1', () => { for (const f of feats) model.run([f]); });
for (const b of [4, 8, 16, 32]) {
  time(`b${b} arrival`, () => { for (let i = 0; i < feats.length; i += b) model.run(feats.slice(i, i + b)); });
  time(`b${b} sorted-in-32`, () => { for (let i = 0; i < feats.length; i += 32) { const s = feats.slice(i, i + 32).sort((x, y) => x.input_ids.length - y.input_ids.length); for (let j = 0; j < s.length; j += b) model.run(s.slice(j, j + b)); } });
}
}
