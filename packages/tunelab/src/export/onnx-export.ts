// `tunelab export --format onnx`: a model folder → the folder transformers.js loads (Xenova's / Optimum's layout):
//   onnx/model.onnx             the float32 graph (opset 17, dynamic batch_size and sequence_length axes)
//   onnx/model_quantized.onnx   with --quantize int8: MatMul weights in 8 bits (transformers.js dtype 'q8')
//   config.json                 the model's, unchanged (model_type, architectures, id2label)
//   tokenizer.json, tokenizer_config.json, special_tokens_map.json (+ vocab.txt)   when the folder has a tokenizer
// Everything is checked before anything is written; the files go to a temporary folder beside OUT that is renamed
// into place at the end, so OUT is either complete or absent.
import {
  existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  AutoModel, AutoModelForMaskedLM, AutoModelForPreTraining, AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification, AutoModelForTokenClassification, type AutoModelClass,
} from '../models/auto.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import { AutoTokenizer } from '../tokenizers/auto.js';
import { ExportError } from './errors.js';
import { encodeModel } from './onnx/graph.js';
import { buildGraph } from './onnx/heads.js';
import { quantizeDynamic } from './onnx/quantize.js';

export const EXPORT_FORMATS = ['onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const QUANTIZATIONS = ['int8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** LayerNormalization is an operator from opset 17 on; onnxruntime-web runs it. */
export const OPSET = 17;

export interface ExportOptions {
  /** A model folder (config.json + weights, and its tokenizer files). */
  model: string;
  /** The folder to create; it must not exist, or be empty. */
  output: string;
  format?: ExportFormat;
  quantize?: Quantization;
}

export interface ExportResult {
  output: string;
  architecture: string;
  /** Paths relative to `output`, with their sizes in bytes. */
  files: { path: string; bytes: number }[];
  /** Whether the model folder had a tokenizer (transformers.js needs one; onnxruntime alone does not). */
  tokenizer: boolean;
}

/** The Auto class of each head, by the suffix of config.json's architecture (`XLMRobertaForMaskedLM` → ForMaskedLM). */
const AUTO_BY_HEAD: Record<string, AutoModelClass<PreTrainedModel>> = {
  Model: AutoModel,
  ForSequenceClassification: AutoModelForSequenceClassification,
  ForQuestionAnswering: AutoModelForQuestionAnswering,
  ForTokenClassification: AutoModelForTokenClassification,
  ForMaskedLM: AutoModelForMaskedLM,
  ForPreTraining: AutoModelForPreTraining,
};

const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt'];

export async function exportModel(options: ExportOptions): Promise<ExportResult> {
  const { modelDir, output, architecture } = checkOptions(options);
  // The tokenizer is loaded (checked) before anything is written; a folder without one exports without.
  const hasTokenizer = TOKENIZER_FILES.some((file) => existsSync(join(modelDir, file)));
  const tokenizer = hasTokenizer ? await AutoTokenizer.fromPretrained(modelDir) : null;
  const model = await AUTO_BY_HEAD[headOf(architecture, modelDir)]!.fromPretrained(modelDir, { device: 'cpu', dtype: 'float32' });
  const temporary = `${output}.tmp-${process.pid}-${Date.now()}`;
  // The first folder above OUT that had to be created: removed again if the export fails.
  let createdParent: string | undefined;
  try {
    createdParent = mkdirSync(dirname(output), { recursive: true });
    const files = new Map<string, Uint8Array | string>();
    const graph = buildGraph(model);
    const metadata = { opset: OPSET, producerVersion: producerVersion(), docString: `${model.architecture}, exported by tunelab` };
    files.set('onnx/model.onnx', encodeModel(graph, metadata));
    if (options.quantize === 'int8') files.set('onnx/model_quantized.onnx', encodeModel(quantizeDynamic(graph), metadata));
    files.set('config.json', readFileSync(join(modelDir, 'config.json')));
    for (const [path, data] of files) {
      mkdirSync(dirname(join(temporary, path)), { recursive: true });
      writeFileSync(join(temporary, path), data);
    }
    await tokenizer?.savePretrained(temporary);
    if (existsSync(output)) rmdirSync(output); // checked empty above
    renameSync(temporary, output);
    return { output, architecture: model.architecture, files: listFiles(output), tokenizer: hasTokenizer };
  } catch (error) {
    rmSync(createdParent ?? temporary, { recursive: true, force: true });
    throw error;
  } finally {
    model.dispose();
  }
}

/** Every input check, before anything is loaded or written. */
function checkOptions(options: ExportOptions): { modelDir: string; output: string; architecture: string } {
  const format: string = options.format ?? 'onnx';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ExportError(`--format ${format}: unknown export format (supported: ${EXPORT_FORMATS.join(', ')})`);
  }
  if (options.quantize !== undefined && !(QUANTIZATIONS as readonly string[]).includes(options.quantize)) {
    throw new ExportError(`--quantize ${options.quantize}: unknown quantization (supported: ${QUANTIZATIONS.join(', ')})`);
  }
  const modelDir = resolve(options.model);
  if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) {
    throw new ExportError(`--model ${options.model}: no such folder`);
  }
  const configPath = join(modelDir, 'config.json');
  if (!existsSync(configPath)) throw new ExportError(`--model ${options.model}: no config.json in ${modelDir}`);
  const output = resolve(options.output);
  if (existsSync(output) && (!statSync(output).isDirectory() || readdirSync(output).length > 0)) {
    throw new ExportError(`--output ${options.output}: already exists and is not an empty folder`);
  }
  return { modelDir, output, architecture: architectureOf(configPath) };
}

/** config.json's first architecture ('BertModel' when it names none, as transformers falls back to the base). */
function architectureOf(configPath: string): string {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new ExportError(`${configPath}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const architectures = (config as { architectures?: unknown }).architectures;
  if (architectures === undefined || architectures === null) return 'Model';
  if (!Array.isArray(architectures) || typeof architectures[0] !== 'string') {
    throw new ExportError(`${configPath}: architectures must be a list of class names`);
  }
  return architectures[0];
}

function headOf(architecture: string, modelDir: string): string {
  const head = /(For[A-Za-z]+|Model)$/.exec(architecture)?.[1];
  if (!head || !(head in AUTO_BY_HEAD)) {
    throw new ExportError(`${join(modelDir, 'config.json')}: architecture ${architecture} has no ONNX export ` +
      `(heads: ${Object.keys(AUTO_BY_HEAD).join(', ')})`);
  }
  return head;
}

function listFiles(root: string, prefix = ''): { path: string; bytes: number }[] {
  return readdirSync(join(root, prefix), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      return entry.isDirectory() ? listFiles(root, path) : [{ path, bytes: statSync(join(root, path)).size }];
    });
}

function producerVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}
