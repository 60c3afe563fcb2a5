// Data and model folder for mrpc-synthetic.yml: the demo's synthetic paraphrase corpus (MRPC-format TSVs and the
// WordPiece tokenizer trained on it, `tunelab demo`'s generator) and, beside the tokenizer, the config.json of a
// BERT small enough that one `tunelab train --from-scratch` trial takes a few seconds on a CPU.
//   node --conditions=development --import tsx examples/sweeps/mrpc-synthetic-data.ts [folder]
// writes examples/sweeps/mrpc-synthetic/ (or the folder given); running it again rewrites the same files.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticParaphraseCorpus } from 'tunelab/data/synthetic';
import { AutoTokenizer } from 'tunelab/tokenizers/auto';

/** BERT's architecture at two layers of width 64: a trial of a few epochs over 800 pairs takes seconds on one CPU thread. */
const TINY_BERT = {
  model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 64, num_hidden_layers: 2,
  num_attention_heads: 4, intermediate_size: 128, max_position_embeddings: 64, type_vocab_size: 2,
  hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12,
  initializer_range: 0.02, pad_token_id: 0,
};

/** Writes `<dir>/train.tsv`, `<dir>/dev.tsv` and `<dir>/tokenizer/`: the tokenizer files plus config.json, a model folder. */
export async function writeMrpcSynthetic(dir: string): Promise<void> {
  const corpus = await writeSyntheticParaphraseCorpus(dir, { seed: 42, trainSize: 800, devSize: 200 });
  const vocabSize = (await AutoTokenizer.fromPretrained(corpus.tokenizer)).vocabSize;
  writeFileSync(join(corpus.tokenizer, 'config.json'), `${JSON.stringify({ ...TINY_BERT, vocab_size: vocabSize }, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'mrpc-synthetic'));
  await writeMrpcSynthetic(dir);
  console.log(`wrote ${dir}: train.tsv, dev.tsv, tokenizer/ (tokenizer + config.json of a tiny BERT)`);
}
