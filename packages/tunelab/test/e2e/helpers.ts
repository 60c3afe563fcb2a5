// End-to-end helpers: tiny from-scratch model folders (bert-base-uncased's tokenizer, a 2-layer config), the CLI as
// a child process, and the shared data sets (read from ../shared, never copied).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '../../../..');
export const SHARED = resolve(REPO, '../shared');
export const GLUE = join(SHARED, 'data/glue');
export const SQUAD = join(SHARED, 'data/squad');
const BERT_BASE = join(SHARED, 'data/models/bert-base-uncased');
const MAIN = join(REPO, 'packages/tunelab/src/cli/main.ts');

export function tempDir(prefix = 'tunelab-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A model folder with config.json (hidden 32, 2 layers) and bert-base-uncased's tokenizer files, no weights. */
export function tinyModelFolder(overrides: Record<string, unknown> = {}): string {
  const dir = tempDir('tunelab-tiny-model-');
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) copyFileSync(join(BERT_BASE, file), join(dir, file));
  const config = JSON.parse(readFileSync(join(BERT_BASE, 'config.json'), 'utf8')) as Record<string, unknown>;
  Object.assign(config, {
    hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 256,
  }, overrides);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `tunelab <args>` (sources through tsx) with one libtorch thread, so runs are reproducible and quiet. */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--conditions=development', '--import', 'tsx', MAIN, ...args], {
    cwd: REPO, env: { ...process.env, TUNELAB_HOME: tempDir('tunelab-home-'), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** Starts `tunelab <args>` (with --json) and SIGKILLs it as soon as it has logged step `killAt`. */
export async function killAfterStep(args: string[], killAt: number): Promise<void> {
  const child = startCli(args);
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const steps = buffered.split('\n').filter((l) => l.startsWith('{"type":"log"')).map((l) => (JSON.parse(l) as { step: number }).step);
    if (steps.some((s) => s >= killAt)) child.kill('SIGKILL');
  });
  const result = await finished(child);
  assert.equal(result.signal, 'SIGKILL', `the run ended before step ${killAt}: ${result.stderr}`);
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return finished(startCli(args, env));
}

export function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

export function readJsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function writeText(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Flags every tiny training run shares: from scratch, fp32, one thread, no tracking store. */
export const TINY = ['--from-scratch', '--threads', '1', '--no-track', '--precision', 'fp32'];
