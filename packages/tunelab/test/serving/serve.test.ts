// `tunelab serve` on a real port: concurrent requests batched together yet answered individually (each equal to
// predict's answer), the token beyond loopback, and SIGTERM draining the request in flight.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { startServing } from '../../src/serving/serve.js';
import { finished, startCli } from '../e2e/helpers.js';
import { assertClose, predictRecord, tinyHeadModel } from './helpers.js';

torch.setNumThreads(1);

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name.replace(/[{}"+]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  assert.ok(match, `${name} missing from /metrics`);
  return Number(match[1]);
}

test('concurrent requests share batches and each gets its own answer (= predict)', async () => {
  const dir = await tinyHeadModel('classification');
  const server = await startServing({ modelDir: dir, port: 0, device: 'cpu', maxBatchSize: 8, maxWaitMs: 100 });
  try {
    const texts = Array.from({ length: 16 }, (_, i) => `sentence number ${i} ${'is longer '.repeat(i % 5)}than the last`);
    const answers = await Promise.all(texts.map(async (text) => {
      const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: JSON.stringify({ text }) });
      assert.equal(response.status, 200);
      return response.json();
    }));
    for (const [i, text] of texts.entries()) assertClose(answers[i], await predictRecord(dir, { text }), 1e-5, text);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const batches = metric(metrics, 'tunelab_serve_batch_size_count');
    assert.equal(metric(metrics, 'tunelab_serve_batch_size_sum'), 16);
    assert.ok(batches <= 4, `16 rows ran in ${batches} batches`);
    assert.ok(metric(metrics, 'tunelab_serve_batch_size_bucket{le="1"}') < batches, 'some batch had more than one row');
    assert.equal(metric(metrics, 'tunelab_serve_requests_total{route="/v1/predict",status="200"}'), 16);
  } finally {
    await server.close();
  }
});

test('beyond loopback a token is generated and /v1/* and /metrics need it; /health does not', async () => {
  const server = await startServing({ modelDir: await tinyHeadModel('regression'), host: '0.0.0.0', port: 0, device: 'cpu' });
  try {
    assert.ok(server.tokenGenerated && server.token !== null && server.token.length >= 16);
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    const predict = (headers: Record<string, string>) => fetch(`${url}/v1/predict`, { method: 'POST', body: '"a b"', headers });
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong-token-0123456789' }, { Authorization: server.token! }, { Authorization: `Basic ${server.token}` }]) {
      const response = await predict(headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.headers.get('WWW-Authenticate'), 'Bearer realm="tunelab"');
    }
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    // Beyond loopback the Host header is not checked: the token guards instead.
    assert.equal((await predict({ Authorization: `Bearer ${server.token}`, Host: 'serving.example' })).status, 200);
  } finally {
    await server.close();
  }
});

test('SIGTERM: the request in flight is answered, then the process exits 0', async () => {
  const dir = await tinyHeadModel('classification');
  const child = startCli(['serve', '--model', dir, '--port', '0', '--device', 'cpu', '--threads', '1', '--max-wait-ms', '2000']);
  const result = finished(child);
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`serve exited early: ${stdout}`)));
  });
  assert.match(stdout, /device cpu, precision fp32/);
  const pending = fetch(`${url}/v1/predict`, { method: 'POST', body: JSON.stringify({ text: 'answer me before you go' }) });
  // Wait until the request sits in the batch queue (it waits up to 2 s for company), then ask the server to stop.
  while (metric(await (await fetch(`${url}/metrics`)).text(), 'tunelab_serve_queue_depth') === 0) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGTERM');
  const response = await pending;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), await predictRecord(dir, { text: 'answer me before you go' }));
  const exit = await result;
  assert.equal(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /SIGTERM: answering the 1 requests in flight[\s\S]*stopped/);
  await assert.rejects(fetch(`${url}/health`));
});
