import { writeSyntheticParaphraseCorpus } from '../src/data/synthetic.js';
const [dir, vocab, size, reword] = process.argv.slice(2);
await writeSyntheticParaphraseCorpus(dir, { seed: 42, trainSize: Number(size), vocabSize: Number(vocab), rewordRate: Number(reword ?? 1) });
