// Hostile and malformed requests: each is refused with its status and a one-line JSON error (or, for huge texts,
// answered as documented: truncated), and the server keeps answering afterwards.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as torch from '@tunelab/torch';
import { createServingApp } from '../../src/serving/app.js';
import { MAX_INPUTS_PER_REQUEST } from '../../src/serving/request.js';
import { predictRecord, testServing, tinyHeadModel, type TestServing } from './helpers.js';

torch.setNumThreads(1);

let dir: string;
let serving: TestServing;
let qa: TestServing;
let mlm: TestServing;
let ner: TestServing;
before(async () => {
  dir = await tinyHeadModel('classification');
  serving = await testServing(dir, { maxBodyBytes: 64 * 1024 });
  qa = await testServing(await tinyHeadModel('qa'), { maxSeqLength: 32, docStride: 8 });
  mlm = await testServing(await tinyHeadModel('mlm'));
  ner = await testServing(await tinyHeadModel('ner'));
});
after(() => { for (const s of [serving, qa, mlm, ner]) s.close(); });

/** The refusal: status, a JSON body `{ error: { status, message } }` whose message is one line and names `mentions`. */
async function refused(response: Response, status: number, mentions: RegExp): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  const body = JSON.parse(text) as { error: { status: number; message: string } };
  assert.equal(body.error.status, status);
  assert.doesNotMatch(body.error.message, /\n/);
  assert.match(body.error.message, mentions);
}

const BAD_BODIES: [name: string, body: string, status: number, mentions: RegExp][] = [
  ['not JSON', '{"text": "a"', 400, /not JSON/],
  ['empty body', '', 400, /not JSON/],
  ['JSON null', 'null', 400, /body/],
  ['a number', '42', 400, /body/],
  ['text of the wrong type', '{"text": 5}', 400, /body\.text/],
  ['text missing', '{"text_pair": "b"}', 400, /body\.text/],
  ['an unknown field', '{"text": "a", "label": "x"}', 400, /label/],
  ['text_pair of the wrong type', '{"text": "a", "text_pair": ["b"]}', 400, /text_pair/],
  ['an empty list', '[]', 400, /empty list/],
  ['too many inputs', JSON.stringify(Array.from({ length: MAX_INPUTS_PER_REQUEST + 1 }, () => 'a')), 400, /at most 256/],
  ['one bad input in a list', JSON.stringify(['a', 'b', { text: null }]), 400, /body\[2\]\.text/],
  ['an unknown parameter', '{"inputs": "a", "parameters": {"top_k": 2}}', 400, /parameters.*top_k/],
  ['parameters not an object', '{"inputs": "a", "parameters": [1]}', 400, /parameters/],
  ['an unknown top-level key beside inputs', '{"inputs": "a", "extra": 1}', 400, /extra/],
  ['inputs null', '{"inputs": null}', 400, /inputs/],
  ['__proto__ smuggling', '{"text": "a", "__proto__": {"admin": true}}', 400, /__proto__/],
  ['deeply nested arrays', `${'['.repeat(5000)}${']'.repeat(5000)}`, 400, /body\[0\]/],
];

for (const [name, body, status, mentions] of BAD_BODIES) {
  test(`refused: ${name}`, async () => refused(await serving.post(body, { raw: true }), status, mentions));
}

test('refused: a body over the size limit (413), by header and by stream', async () => {
  const big = JSON.stringify({ text: 'a'.repeat(70 * 1024) });
  await refused(await serving.post(big, { raw: true }), 413, /larger than 65536 bytes/);
  const stream = new ReadableStream({ start(controller) { controller.enqueue(new TextEncoder().encode(big)); controller.close(); } });
  const response = await serving.app.request('http://127.0.0.1/v1/predict', {
    method: 'POST', body: stream, headers: { Host: 'localhost', 'Content-Type': 'application/json' }, duplex: 'half',
  } as RequestInit);
  await refused(response, 413, /larger than/);
});

test('a huge text is truncated to max_seq_length (as predict), not refused', async () => {
  const text = 'word '.repeat(10_000);
  const answer = await (await serving.post({ text })).json();
  assert.deepEqual(answer, await predictRecord(dir, { text }));
});

test('refused: wrong method (405), unknown paths and path traversal (404, JSON)', async () => {
  const get = await serving.get('/v1/predict');
  assert.equal(get.headers.get('Allow'), 'POST');
  await refused(get, 405, /GET \/v1\/predict: use POST/);
  await refused(await serving.post({ text: 'a' }, { path: '/v1/predict/../../etc/passwd' }), 404, /no such endpoint/);
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/v1/predict%2f..%2f..%2fetc%2fpasswd', '/static/../../../../etc/shadow']) {
    const response = await serving.get(path);
    assert.equal(response.status, 404, path);
    assert.doesNotMatch(await response.text(), /root:/);
  }
});

test('refused: a Host that is not a loopback name on a loopback bind (DNS rebinding)', async () => {
  await refused(await serving.post({ text: 'a' }, { headers: { Host: 'evil.example' } }), 403, /evil\.example/);
  await refused(await serving.get('/health', { Host: 'evil.example:8080' }), 403, /not allowed/);
  const bare = await serving.app.request('http://127.0.0.1/v1/predict', { method: 'POST', body: '"a"' });
  await refused(bare, 400, /Host header is required/);
});

test('refused: question answering without context, of the wrong type, or with too many windows', async () => {
  await refused(await qa.post({ question: 'who?' }), 400, /body\.context/);
  await refused(await qa.post({ inputs: { question: 1, context: 'x' } }), 400, /inputs\.question/);
  await refused(await qa.post({ question: 'who?', context: 'the cat sat. '.repeat(2000) }), 400, /windows.*at most 64/);
  assert.equal((await qa.post({ question: 'who?', context: 'the cat sat.' })).status, 200);
});

test('refused: fill-mask without a mask, or with a bad top_k', async () => {
  await refused(await mlm.post('no mask here'), 400, /no \[MASK\] token/);
  await refused(await mlm.post({ inputs: 'a [MASK]', parameters: { top_k: 0 } }), 400, /parameters\.top_k/);
  await refused(await mlm.post({ inputs: 'a [MASK]', parameters: { top_k: 'five' } }), 400, /parameters\.top_k/);
});

test('refused: an unknown aggregation strategy for token classification', async () => {
  await refused(await ner.post({ inputs: 'alice in paris', parameters: { aggregation_strategy: 'max' } }), 400, /aggregation_strategy/);
});

test('odd but valid text (lone surrogates, control characters, emoji) is answered', async () => {
  const response = await serving.post('{"text": "\\ud800 \\u0000 \\u001b[31m 🐈 \\uffff"}', { raw: true });
  assert.equal(response.status, 200, await response.clone().text());
});

test('a full queue answers 503 with Retry-After, and nothing is queued', async () => {
  const model = serving.model;
  const tiny = createServingApp({ model, token: null, allowedHosts: 'any', maxQueuedRows: 2, maxBatchSize: 2 });
  const response = await tiny.app.request('http://127.0.0.1/v1/predict', { method: 'POST', body: JSON.stringify(['a', 'b', 'c']), headers: { Host: 'serving.example' } });
  await refused(response, 503, /overloaded/);
  assert.equal(response.headers.get('Retry-After'), '1');
  assert.equal(tiny.batcher.queueDepth, 0);
});

test('after all of that the server still answers, and /metrics counted the errors', async () => {
  assert.equal((await serving.get('/health')).status, 200);
  assert.equal((await serving.post({ text: 'still here' })).status, 200);
  const metrics = await (await serving.get('/metrics')).text();
  const errors = Number(/^tunelab_serve_request_errors_total (\d+)$/m.exec(metrics)![1]);
  assert.ok(errors >= BAD_BODIES.length + 5, `${errors} errors counted`);
  assert.match(metrics, /tunelab_serve_requests_total\{route="\/v1\/predict",status="400"\} \d+/);
  assert.match(metrics, /tunelab_serve_requests_total\{route="other",status="404"\} \d+/);
});
