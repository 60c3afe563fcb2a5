// `tunelab serve` on a real port: concurrent requests batched together yet answered individually (each equal to
// predict's answer), the token beyond loopback, and SIGTERM draining the requests in flight.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { startServing } from '../../src/serving/serve.js';
import { finished, startCli } from '../e2e/helpers.js';
import { until } from '../sweep/cli-process.js';
import { assertClose, predictRecord, tinyHeadModel } from './helpers.js';

torch.setNumThreads(1);

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A POST whose body is half sent now (the server has the request in flight) and the rest on `finish()`. */
function slowPost(url: string, body: string): { finish(): void; answer: Promise<{ status: number; body: string }> } {
  const request = httpRequest(url, { method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body) } });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    request.on('error', reject);
  });
  request.write(body.slice(0, 5));
  return { finish: () => request.end(body.slice(5)), answer };
}

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
    // All 16 in flight at once (bodies half sent), then completed together: batches wait for announced requests.
    const posts = texts.map((text) => slowPost(`${server.url}/v1/predict`, JSON.stringify({ text })));
    await until(async () => metric(await (await fetch(`${server.url}/metrics`)).text(), 'tunelab_serve_requests_in_flight') >= 17, '17 requests in flight');
    for (const post of posts) post.finish();
    const answers = await Promise.all(posts.map(async ({ answer }) => {
      const { status, body } = await answer;
      assert.equal(status, 200);
      return JSON.parse(body) as unknown;
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

test('close() does not wait for a kept-alive connection that started another request (a browser preconnect)', async () => {
  const dir = await tinyHeadModel('classification');
  const server = await startServing({ modelDir: dir, port: 0, device: 'cpu' });
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  // One whole request on a kept-alive connection, then the head of a second one that never ends.
  socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  await new Promise((resolve) => socket.once('data', resolve));
  socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}:${port}\r\n`);
  await pause();
  const started = performance.now();
  await server.close();
  assert.ok(performance.now() - started < 5000, `close() took ${Math.round(performance.now() - started)} ms`);
  socket.destroy();
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

test('SIGTERM: the requests in flight (one queued, one still sending its body) are answered, then the process exits 0', async () => {
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
  const gauge = async (name: string) => metric(await (await fetch(`${url}/metrics`)).text(), name);
  // A request whose body is half sent: the server has it in flight, and batches wait for its rows.
  const slow = slowPost(`${url}/v1/predict`, JSON.stringify({ text: 'still sending' }));
  await until(async () => await gauge('tunelab_serve_requests_in_flight') >= 2, '2 requests in flight');
  // So this one sits in the batch queue (up to --max-wait-ms 2 s) waiting for it; then the server is asked to stop.
  const pending = fetch(`${url}/v1/predict`, { method: 'POST', body: JSON.stringify({ text: 'answer me before you go' }) });
  await until(async () => await gauge('tunelab_serve_queue_depth') > 0, 'a queued request');
  child.kill('SIGTERM');
  const response = await pending;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), await predictRecord(dir, { text: 'answer me before you go' }));
  slow.finish();
  const { status, body } = await slow.answer;
  assert.equal(status, 200);
  assert.deepEqual(JSON.parse(body), await predictRecord(dir, { text: 'still sending' }));
  const exit = await result;
  assert.equal(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /SIGTERM: answering the 2 requests in flight[\s\S]*stopped/);
  await assert.rejects(fetch(`${url}/health`));
});
