import { Tokenizer } from '../packages/tunelab/src/tokenizers/tokenizer.ts';
import { writeFileSync } from 'node:fs';
writeFileSync('/tmp/bad-tok.json', '{"version": "1.0", "model": {"type": "Nope"}}');
for (const run of [() => Tokenizer.fromFile('/tmp/bad-tok.json'), () => Tokenizer.fromFile('/tmp/none.json'), () => Tokenizer.fromWordPieceVocab({ file: '/tmp/none.txt' }), () => Tokenizer.fromWordPieceVocab(['a', 'b'])]) {
  try { await run(); console.log('ok?'); } catch (e) { console.log((e as Error).name, (e as Error).message); }
}
