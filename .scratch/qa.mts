import { Tokenizer } from '../packages/tunelab/src/tokenizers/tokenizer.ts';
import { readSquadJson } from '../packages/tunelab/src/data/squad.ts';
import { qaTrainFeatures, qaEvalFeatures } from '../packages/tunelab/src/data/qa-features.ts';
const t = await Tokenizer.fromFile('/work/shared/data/models/bert-base-uncased/tokenizer.json');
const d = readSquadJson('/work/shared/data/squad/sample-v2.0.json');
for (const [m, s] of [[384, 128], [64, 16], [128, 32]]) {
  let t0 = performance.now();
  const f = await qaTrainFeatures(t, d, { maxLength: m, docStride: s });
  console.log(m, s, f.features.length, (performance.now() - t0).toFixed(0), 'ms');
}
let t0 = performance.now();
const raw = await (t as any).native.encodeBatch(d.examples.map((e: any) => e.context), { addSpecialTokens: false });
console.log('native only', (performance.now() - t0).toFixed(0));
t0 = performance.now();
for (const r of raw) { r.getIds(); r.getTokens(); r.getOffsets(); r.getWordIds(); }
console.log('extract', (performance.now() - t0).toFixed(0));
