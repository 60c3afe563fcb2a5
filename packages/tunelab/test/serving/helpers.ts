// Serving tests: tiny model folders with random weights for every head (bert-base-uncased's tokenizer, a 2-layer
// config), `tunelab predict`'s answer for the same input (the reference), and requests to an app in process.
import * as torch from '@tunelab/torch';
import { AutoConfig, AutoModelForMaskedLM, AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForTokenClassification } from '../../src/models/auto.js';
import { LOOPBACK_HOSTS } from '../../src/server/middleware/host-check/index.js';
import { createServingApp, type ServingApp, type ServingAppOptions } from '../../src/serving/app.js';
import { loadServingModel, type ServingModel } from '../../src/serving/model.js';
import { predictionTask } from '../../src/tasks/index.js';
import { PredictArgsSchema, parseArgs } from '../../src/train/args.js';
import { predictWithSavedModel } from '../../src/train/evaluate.js';
import { tinyModelFolder } from '../e2e/helpers.js';

export type HeadName = 'classification' | 'regression' | 'qa' | 'ner' | 'mlm';

export const NER_LABELS = ['B-LOC', 'B-PER', 'I-PER', 'O'];
const labelMaps = (names: string[]) => ({
  id2label: Object.fromEntries(names.map((name, id) => [id, name])),
  label2id: Object.fromEntries(names.map((name, id) => [name, id])),
});

/** A saved model folder of `head` with random weights (seeded), ready for `tunelab predict` and `tunelab serve`. */
export async function tinyHeadModel(head: HeadName, seed = 7): Promise<string> {
  const dir = tinyModelFolder();
  const config = await AutoConfig.fromPretrained(dir);
  torch.manualSeed(seed);
  const model = head === 'classification' ? AutoModelForSequenceClassification.fromConfig(config, labelMaps(['negative', 'neutral', 'positive']))
    : head === 'regression' ? AutoModelForSequenceClassification.fromConfig(config, { numLabels: 1, problemType: 'regression' })
      : head === 'qa' ? AutoModelForQuestionAnswering.fromConfig(config)
        : head === 'ner' ? AutoModelForTokenClassification.fromConfig(config, labelMaps(NER_LABELS))
          : AutoModelForMaskedLM.fromConfig(config);
  model.savePretrained(dir);
  model.dispose();
  return dir;
}

/** `tunelab predict --model DIR … --json` on inline input (fp32, CPU): its records (fill-mask: its candidates). */
export async function predictRecords(dir: string, input: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const task = await predictionTask(input.task as string | undefined, dir);
  const args = parseArgs(PredictArgsSchema, { model: dir, device: 'cpu', precision: 'fp32', threads: 1, json: true, ...input, task });
  return (await predictWithSavedModel(args)).records;
}

/** predict's one record for one inline input. */
export async function predictRecord(dir: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await predictRecords(dir, input))[0];
}

export interface TestServing extends ServingApp {
  model: ServingModel;
  /** POSTs `body` as JSON (`raw`: as given). */
  post(body: unknown, init?: { headers?: Record<string, string>; path?: string; raw?: boolean }): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): void;
}

/** A serving app over `dir` in process (app.request, no port). */
export async function testServing(dir: string, options: Partial<Omit<ServingAppOptions, 'model'>> & { maxSeqLength?: number; docStride?: number } = {}): Promise<TestServing> {
  const { maxSeqLength, docStride, ...appOptions } = options;
  const model = await loadServingModel({ modelDir: dir, device: 'cpu', precision: 'fp32',
    ...(maxSeqLength !== undefined ? { maxSeqLength } : {}), ...(docStride !== undefined ? { docStride } : {}) });
  const serving = createServingApp({ model, token: null, allowedHosts: LOOPBACK_HOSTS, maxWaitMs: 0, ...appOptions });
  return {
    ...serving,
    get inFlight() { return serving.inFlight; },
    model,
    post: async (body, init = {}) => serving.app.request(`http://127.0.0.1${init.path ?? '/v1/predict'}`, {
      method: 'POST', body: init.raw ? body as string : JSON.stringify(body),
      headers: { Host: '127.0.0.1:8080', 'Content-Type': 'application/json', ...init.headers },
    }),
    get: async (path, headers = {}) => serving.app.request(`http://127.0.0.1${path}`, { headers: { Host: '127.0.0.1:8080', ...headers } }),
    close: () => model.dispose(),
  };
}

/** Equal records, numbers within `tolerance` (batched rows are padded, which moves the last float bits). */
export function assertClose(actual: unknown, expected: unknown, tolerance: number, where = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Math.abs(actual - expected) > tolerance) throw new Error(`${where}: ${actual} differs from ${expected} by more than ${tolerance}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) throw new Error(`${where}: ${JSON.stringify(actual)} is not like ${JSON.stringify(expected)}`);
    expected.forEach((item, i) => assertClose(actual[i], item, tolerance, `${where}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') throw new Error(`${where}: ${JSON.stringify(actual)} is not an object`);
    const keys = Object.keys(expected).sort();
    if (JSON.stringify(Object.keys(actual).sort()) !== JSON.stringify(keys)) {
      throw new Error(`${where}: keys ${Object.keys(actual).join(',')} differ from ${keys.join(',')}`);
    }
    for (const key of keys) assertClose((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], tolerance, `${where}.${key}`);
    return;
  }
  if (actual !== expected) throw new Error(`${where}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
}
