// `tunelab serve`: a fine-tuned model folder behind HTTP (POST /v1/predict with dynamic batching, GET /health,
// GET /metrics) until SIGTERM/SIGINT, which drains the requests in flight first. One model per process.
import { availableParallelism } from 'node:os';
import * as torch from '@tunelab/torch';
import { InvalidArgumentError, type Command } from 'commander';
import { TASK_NAMES } from '../tasks/index.js';
import { startServing } from '../serving/serve.js';
import { DEVICES, PRECISIONS, type DeviceFlag, type PrecisionFlag } from '../train/precision.js';
import { UNPAD_MODES, type UnpadMode } from '../train/unpad.js';
import { UNPAD_HELP, accessToken, portNumber, positiveInt, runVerb } from './options.js';

interface ServeFlags {
  model: string;
  task?: string;
  host: string;
  port: number;
  device: string;
  precision: string;
  maxBatchSize: number;
  maxWaitMs: number;
  maxQueue: number;
  token?: string;
  maxSeqLength?: number;
  docStride?: number;
  threads?: number;
  unpad: string;
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 60_000) throw new InvalidArgumentError('expected an integer 0..60000');
  return Number(value);
}

function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${values.join(', ')}`);
    return value as T;
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve a fine-tuned model over HTTP: POST /v1/predict (batched), GET /health, GET /metrics')
    .requiredOption('--model <folder>', 'fine-tuned model folder (config.json, weights, tokenizer)')
    .option('--task <task>', `as predict --task (default: the model's own; fill-mask for a masked LM): fill-mask, ${TASK_NAMES.join(', ')}`)
    .option('--host <host>', 'address to bind; anything but loopback needs the token', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', portNumber, 8080)
    .option('--device <device>', 'cpu | cuda | auto', oneOf(DEVICES), 'auto')
    .option('--precision <precision>', 'fp32 | bf16 | fp16 | auto (default fp32, as transformers)', oneOf(PRECISIONS), 'fp32')
    .option('--max-batch-size <n>', 'rows per forward pass (1: no dynamic batching)', positiveInt, 32)
    .option('--max-wait-ms <ms>', 'how long a batch waits for requests still being read (with none on the way it runs at once)', nonNegativeInt, 5)
    .option('--max-queue <n>', 'rows allowed to wait; beyond it requests get 503 with Retry-After', positiveInt, 1024)
    .option('--token <token>', 'bearer token for /v1/* and /metrics (default beyond loopback: $TUNELAB_SERVE_TOKEN, else generated and printed once)', accessToken)
    .option('--max-seq-length <n>', 'longest input in tokens; longer texts are truncated (default 128; 384 for QA)', positiveInt)
    .option('--doc-stride <n>', 'QA: context tokens shared by consecutive windows (default 128)', positiveInt)
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)', positiveInt)
    .option('--unpad <mode>', UNPAD_HELP, oneOf(UNPAD_MODES), 'auto')
    .action((flags: ServeFlags) => runVerb(() => serve(flags)));
}

async function serve(flags: ServeFlags): Promise<void> {
  const given = flags.token ?? process.env.TUNELAB_SERVE_TOKEN;
  torch.setNumThreads(flags.threads ?? availableParallelism());
  const running = await startServing({
    modelDir: flags.model, ...(flags.task !== undefined ? { task: flags.task } : {}),
    host: flags.host, port: flags.port,
    device: flags.device as DeviceFlag, precision: flags.precision as PrecisionFlag, unpad: flags.unpad as UnpadMode,
    maxBatchSize: flags.maxBatchSize, maxWaitMs: flags.maxWaitMs, maxQueuedRows: Math.max(flags.maxQueue, flags.maxBatchSize),
    ...(given !== undefined ? { token: accessToken(given) } : {}),
    ...(flags.maxSeqLength !== undefined ? { maxSeqLength: flags.maxSeqLength } : {}),
    ...(flags.docStride !== undefined ? { docStride: flags.docStride } : {}),
  });
  const { info } = running.model;
  console.log(`tunelab serve: ${info.modelDir} (${info.architecture}, ${info.pipeline}, task ${info.task})`);
  console.log(`tunelab serve: device ${info.device}, precision ${info.precision}, batches of up to ${flags.maxBatchSize} rows, wait ${flags.maxWaitMs} ms`);
  console.log(`tunelab serve: listening on ${running.url} (POST /v1/predict, GET /health, GET /metrics)`);
  if (running.tokenGenerated) console.log(`tunelab serve: token (shown once): ${running.token}`);
  if (running.token !== null) console.log('tunelab serve: /v1/* and /metrics need Authorization: Bearer <token>');
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  console.log(`tunelab serve: ${signal}: answering the ${running.serving.inFlight} requests in flight, then stopping`);
  await running.close();
  console.log('tunelab serve: stopped');
}
