// What training and evaluation show: JSON lines carry their time; evaluation draws a progress bar of its batches on
// a terminal and stays silent on a pipe.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createEvalProgress, createReporter } from '../../src/train/progress.js';

function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  stream.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  Object.assign(stream, { isTTY, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream, text: () => text };
}

test('every JSON line carries an ISO 8601 timestamp', () => {
  const { stream, text } = capture(false);
  const before = Date.now();
  const reporter = createReporter('json', stream);
  reporter.log({ step: 2, epoch: 0.5, metrics: { train_loss: 0.7 } });
  reporter.message('saved checkpoint-2');
  reporter.result({ outputDir: '/out', metrics: { eval_accuracy: 1 } });
  const lines = text().trim().split('\n').map((line) => JSON.parse(line) as { type: string; time: string });
  assert.deepEqual(lines.map((l) => l.type), ['log', 'message', 'result']);
  for (const { time } of lines) {
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(time) >= before - 1 && Date.parse(time) <= Date.now());
  }
});

test('evaluation shows a bar of batches on a terminal, nothing on a pipe', async () => {
  const terminal = capture(true);
  const bar = createEvalProgress(terminal.stream);
  for (let done = 1; done <= 4; done++) bar.update(done, 4);
  bar.stop();
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(terminal.text(), /evaluating \|.*\| 4\/4 batches/);
  const pipe = capture(false);
  const silent = createEvalProgress(pipe.stream);
  silent.update(1, 4);
  silent.stop();
  assert.equal(pipe.text(), '');
});
