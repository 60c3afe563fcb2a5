import { writeSyntheticParaphraseCorpus } from '../src/data/synthetic.js';
const [dir, vocab, size] = process.argv.slice(2);
await writeSyntheticParaphraseCorpus(dir, { seed: 42, trainSize: Number(size), vocabSize: Number(vocab) });
