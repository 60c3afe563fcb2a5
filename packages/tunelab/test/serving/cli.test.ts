// `tunelab serve` refuses bad flags and model folders with one line and exit code 2, before binding anything.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { before, test } from 'node:test';
import { tunelab } from '../cli/harness.js';
import { tinyHeadModel } from './helpers.js';

let model: string;
before(async () => { model = await tinyHeadModel('classification'); });

const CASES: [name: string, args: () => string[], mentions: RegExp][] = [
  ['no --model', () => [], /--model/],
  ['a folder that does not exist', () => ['--model', '/nonexistent/tunelab-model'], /nonexistent/],
  ['a port out of range', () => ['--model', model, '--port', '70000'], /--port/],
  ['a batch size of 0', () => ['--model', model, '--max-batch-size', '0'], /--max-batch-size/],
  ['a negative wait', () => ['--model', model, '--max-wait-ms', '-1'], /--max-wait-ms/],
  ['an unknown precision', () => ['--model', model, '--precision', 'fp8'], /--precision/],
  ['an unknown device', () => ['--model', model, '--device', 'tpu'], /--device/],
  ['a short token', () => ['--model', model, '--token', 'short'], /--token/],
  ['an unknown task', () => ['--model', model, '--task', 'translation'], /--task translation/],
  ['a task the head cannot do', () => ['--model', model, '--task', 'squad'], /question-answering head/],
  ['a GLUE task of another label count', () => ['--model', model, '--task', 'glue/mrpc'], /3 outputs, --task glue\/mrpc needs 2/],
];

for (const [name, args, mentions] of CASES) {
  test(`serve refuses ${name}`, async () => {
    const given = args();
    const result = await tunelab(['serve', ...given, ...(given.includes('--port') ? [] : ['--port', '0'])]);
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, mentions);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });
}

test('serve refuses a port already in use, naming it', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const result = await tunelab(['serve', '--model', model, '--port', String(port), '--device', 'cpu']);
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    blocker.close();
  }
});
