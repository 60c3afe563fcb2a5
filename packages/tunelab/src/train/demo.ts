// `tunelab demo` (`npm run demo`): a real fine-tuning job with no network. It writes a synthetic paraphrase corpus
// (MRPC format) and the WordPiece vocabulary trained on it, a small BERT config beside that tokenizer, and runs
// `tunelab train --task glue/mrpc --from-scratch` on it — the same code path as a real run, tracked like one.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeSyntheticParaphraseCorpus } from '../data/synthetic.js';
import { AutoTokenizer } from '../tokenizers/auto.js';
import { TrainArgsSchema, type TrainArgs } from './args.js';
import { fineTune, type FineTuneResult } from './finetune.js';
import type { Reporter } from './progress.js';

export interface DemoOptions {
  /** Folder of the demo's data, model config and output (default: a new folder under $TUNELAB_HOME or ./tunelab-runs). */
  dir?: string;
  /** Training epochs over the synthetic corpus (default 6: about a minute and a half on 2 CPU cores). */
  epochs?: number;
  trainSize?: number;
  store?: string;
  track?: boolean;
  json?: boolean;
}

/**
 * Paraphrases keep 70% of their source's wording: with everything reworded (rate 1) a from-scratch model must learn
 * the whole synonym table from the labels and stays at chance for minutes; at 0.3 it reaches ≈ 72% dev accuracy
 * (majority class ≈ 58%) in six epochs.
 */
const DEMO_REWORD_RATE = 0.3;

/** The demo model: BERT's architecture at a size that learns the synthetic task in about a minute on a CPU. */
const DEMO_CONFIG = {
  model_type: 'bert', architectures: ['BertForMaskedLM'], hidden_size: 128, num_hidden_layers: 2,
  num_attention_heads: 4, intermediate_size: 512, max_position_embeddings: 64, type_vocab_size: 2,
  hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12,
  initializer_range: 0.02, pad_token_id: 0,
};

export async function runDemo(options: DemoOptions, reporter: Reporter): Promise<FineTuneResult> {
  const dir = resolve(options.dir ?? join(process.env.TUNELAB_HOME ?? 'tunelab-runs', `demo-${timestamp()}`));
  reporter.message(`demo: writing a synthetic paraphrase corpus and its WordPiece vocabulary to ${join(dir, 'data')}`);
  const corpus = await writeSyntheticParaphraseCorpus(join(dir, 'data'), { seed: 42, trainSize: options.trainSize ?? 3000, rewordRate: DEMO_REWORD_RATE });
  const modelDir = writeModelFolder(join(dir, 'model-config'), corpus.tokenizer,
    (await AutoTokenizer.fromPretrained(corpus.tokenizer)).vocabSize);
  reporter.message(`demo: fine-tuning a ${DEMO_CONFIG.num_hidden_layers}-layer BERT (hidden ${DEMO_CONFIG.hidden_size}) ` +
    'from scratch on glue/mrpc-format data');
  const args: TrainArgs = TrainArgsSchema.parse({
    model: modelDir, task: 'glue/mrpc', fromScratch: true, trainFile: corpus.train, validationFile: corpus.dev,
    outputDir: join(dir, 'output'), epochs: options.epochs ?? 6, batchSize: 32, lr: 1e-3, warmupRatio: 0.1,
    maxSeqLength: 64, logEvery: 20, experiment: 'demo', runName: `demo-${timestamp()}`,
    store: options.store, track: options.track ?? true, json: options.json ?? false,
  });
  return fineTune(args, reporter);
}

/** config.json of the demo model next to a copy of the trained tokenizer: a folder `--from-scratch` builds from. */
function writeModelFolder(dir: string, tokenizerDir: string, vocabSize: number): string {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(tokenizerDir)) copyFileSync(join(tokenizerDir, file), join(dir, file));
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify({ ...DEMO_CONFIG, vocab_size: vocabSize }, null, 2)}\n`);
  return dir;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
