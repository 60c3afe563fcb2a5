import { Tokenizer as N } from 'tokenizers';
import { readGlueTsv } from '../packages/tunelab/src/data/glue.ts';
const n = N.fromFile('/work/shared/data/models/bert-base-uncased/tokenizer.json');
const d = readGlueTsv('sst2', '/work/shared/data/glue/SST-2/train.tsv');
const texts = d.examples.slice(0, 8192).map((e) => e.text);
for (const chunk of [1024, 8192]) {
  let t0 = performance.now(); let enc: any[] = [];
  for (let i = 0; i < texts.length; i += chunk) enc.push(...await n.encodeBatch(texts.slice(i, i + chunk), { addSpecialTokens: false }));
  const t1 = performance.now();
  for (const e of enc) { e.getIds(); }
  const t2 = performance.now();
  for (const e of enc) { e.getTokens(); }
  const t3 = performance.now();
  for (const e of enc) { e.getOffsets(); }
  const t4 = performance.now();
  for (const e of enc) { e.getWordIds(); }
  const t5 = performance.now();
  console.log(chunk, 'encode', (t1-t0).toFixed(0), 'ids', (t2-t1).toFixed(0), 'tokens', (t3-t2).toFixed(0), 'offsets', (t4-t3).toFixed(0), 'words', (t5-t4).toFixed(0));
}
let t0 = performance.now();
for (const t of texts.slice(0, 2000)) await n.encode(t, null, { addSpecialTokens: false });
console.log('single encode x2000', (performance.now() - t0).toFixed(0));
