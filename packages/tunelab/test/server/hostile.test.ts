// Crafted hostile requests: path traversal in every encoding, missing and wrong tokens, oversized and
// malformed bodies, bad ids and queries, a rebinding Host header. Each must be refused with the expected
// status, leak nothing (the secret file's content never appears), and change nothing in the store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { appFor, auth, jsonPost, TOKEN } from './helpers.js';
import { startServer } from '../../src/server/serve.js';
import { seedStore, type Seeded } from './seed.js';

let seeded: Seeded;
let app: ReturnType<typeof appFor>;
let remote: ReturnType<typeof appFor>;

before(async () => {
  seeded = await seedStore();
  app = appFor(seeded);
  remote = appFor(seeded, { loopback: false });
});
after(async () => { await seeded?.cleanup(); });

interface Hostile {
  name: string;
  request: () => Response | Promise<Response>;
  /** Acceptable refusal statuses. */
  status: number[];
}

const artifacts = () => `/api/runs/${seeded.runs.completed}/artifacts/`;
const raw = (tail: string) => () => app.request(`http://localhost${artifacts()}${tail}`);

const traversal: Hostile[] = [
  { name: 'plain ../ (normalised by the URL parser, then unroutable or refused)', request: raw('../../../../secret.txt'), status: [400, 404] },
  { name: 'percent-encoded dots %2e%2e/', request: raw('%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt'), status: [400, 404] },
  { name: 'encoded slashes ..%2f', request: raw('..%2f..%2f..%2f..%2fsecret.txt'), status: [400] },
  { name: 'double-encoded %252e%252e%252f', request: raw('%252e%252e%252f%252e%252e%252fsecret.txt'), status: [400] },
  { name: 'encoded backslashes ..%5c', request: raw('..%5c..%5c..%5csecret.txt'), status: [400] },
  { name: 'raw backslashes ..\\', request: raw('..\\..\\..\\..\\secret.txt'), status: [400, 404] },
  { name: 'absolute path, encoded', request: raw('%2Fetc%2Fpasswd'), status: [400] },
  { name: 'absolute path after the prefix (empty segment)', request: raw('/etc/passwd'), status: [400] },
  { name: 'symlink inside the run folder pointing outside', request: raw('escape.txt'), status: [400] },
  { name: 'hard link inside the run folder to a file outside it', request: raw('hardlink.txt'), status: [403] },
  { name: 'climb out of a real subfolder', request: raw('checkpoint%2F..%2F..%2F..%2F..%2Fsecret.txt'), status: [400] },
  { name: 'NUL byte', request: raw('checkpoint/config.json%00.png'), status: [400] },
  { name: 'overlong UTF-8 dots %c0%ae', request: raw('%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt'), status: [400] },
  { name: 'Windows drive path', request: raw('C:%5cWindows%5cwin.ini'), status: [400] },
  { name: '2,000-character path', request: raw('a/'.repeat(1000) + 'x'), status: [400] },
  { name: 'upper-case encoded ..%2F after a real folder', request: raw('checkpoint/%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt'), status: [400] },
];

const tokens: Hostile[] = [
  { name: 'stop without a token on loopback', request: () => app.request(`/api/runs/${seeded.runs.running}/stop`, jsonPost({}, {})), status: [401] },
  { name: 'stop with a wrong token', request: () => app.request(`/api/runs/${seeded.runs.running}/stop`, jsonPost({}, { Authorization: 'Bearer wrong-token-0123456789' })), status: [401] },
  { name: 'stop with the token one character short', request: () => app.request(`/api/runs/${seeded.runs.running}/stop`, jsonPost({}, { Authorization: `Bearer ${TOKEN.slice(0, -1)}` })), status: [401] },
  { name: 'token under the Basic scheme', request: () => app.request(`/api/runs/${seeded.runs.running}/stop`, jsonPost({}, { Authorization: `Basic ${TOKEN}` })), status: [401] },
  { name: 'token in the query string', request: () => app.request(`/api/runs/${seeded.runs.running}/stop?token=${TOKEN}`, jsonPost({}, {})), status: [401] },
  { name: 'delete without a token', request: () => app.request(`/api/runs/${seeded.runs.completed}`, { method: 'DELETE' }), status: [401] },
  { name: 'tag without a token', request: () => app.request(`/api/runs/${seeded.runs.completed}/tags`, jsonPost({ add: ['pwned'] }, {})), status: [401] },
  { name: 'sweep stop without a token', request: () => app.request(`/api/sweeps/${seeded.sweepId}/stop`, jsonPost({}, {})), status: [401] },
  { name: 'remote bind: read without a token', request: () => remote.request('/api/runs'), status: [401] },
  { name: 'remote bind: read with a wrong token', request: () => remote.request('/api/runs', { headers: { Authorization: 'Bearer not-the-token-at-all' } }), status: [401] },
  { name: 'remote bind: SSE without a token', request: () => remote.request(`/api/stream?runs=${seeded.runs.running}`), status: [401] },
  { name: 'remote bind: artifact download without a token', request: () => remote.request(`${artifacts()}predictions.csv`), status: [401] },
];

const bodies: Hostile[] = [
  { name: '100 KiB body', request: () => app.request(`/api/runs/${seeded.runs.completed}/tags`, jsonPost({ add: ['x'.repeat(100 * 1024)] })), status: [413] },
  { name: 'streamed body without Content-Length', request: () => app.request(`/api/runs/${seeded.runs.completed}/tags`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...auth }, duplex: 'half',
    body: new ReadableStream({ start(c) { for (let i = 0; i < 40; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1024))); c.close(); } }),
  } as RequestInit), status: [413] },
  { name: 'malformed JSON', request: () => app.request(`/api/runs/${seeded.runs.completed}/tags`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth }, body: '{"add": [' }), status: [400] },
  { name: 'text/plain body (form-style CSRF shape)', request: () => app.request(`/api/runs/${seeded.runs.running}/stop`, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...auth }, body: '{}' }), status: [415] },
  { name: 'unknown key in the body', request: () => app.request(`/api/runs/${seeded.runs.running}/stop`, jsonPost({ reason: 'x', admin: true })), status: [400] },
  { name: '51 tags at once', request: () => app.request(`/api/runs/${seeded.runs.completed}/tags`, jsonPost({ add: Array.from({ length: 51 }, (_, i) => `t${i}`) })), status: [400] },
  { name: 'tag of 300 characters', request: () => app.request(`/api/runs/${seeded.runs.completed}/tags`, jsonPost({ add: ['y'.repeat(300)] })), status: [400] },
  { name: 'tags body that is an array', request: () => app.request(`/api/runs/${seeded.runs.completed}/tags`, jsonPost(['a'])), status: [400] },
];

const ids: Hostile[] = [
  { name: 'SQL in the run id', request: () => app.request(`/api/runs/${encodeURIComponent("x' OR '1'='1")}`), status: [400] },
  { name: 'markup in the run id', request: () => app.request(`/api/runs/${encodeURIComponent('<script>alert(1)</script>')}`), status: [400] },
  { name: '200-character run id', request: () => app.request(`/api/runs/${'a'.repeat(200)}`), status: [400] },
  { name: 'unknown run id', request: () => app.request('/api/runs/zzzzzzzzzzzz'), status: [404] },
  { name: 'unknown sweep id for curves', request: () => app.request('/api/sweeps/zzzzzzzzzzzz/curves'), status: [404] },
  { name: 'compare with one run', request: () => app.request(`/api/compare?ids=${seeded.runs.completed}`), status: [400] },
  { name: 'compare with eleven runs', request: () => app.request(`/api/compare?ids=${Array.from({ length: 11 }, (_, i) => `r${i}`).join(',')}`), status: [400] },
  { name: 'limit beyond the cap', request: () => app.request('/api/runs?limit=100000'), status: [400] },
  { name: 'points beyond the cap', request: () => app.request(`/api/runs/${seeded.runs.completed}/metrics?points=1000000000`), status: [400] },
  { name: 'sort by __proto__', request: () => app.request('/api/runs?sort=__proto__'), status: [400] },
  { name: 'range filter with a non-number', request: () => app.request(`/api/runs?where=${encodeURIComponent('param.lr<abc')}`), status: [400] },
  { name: 'unknown query key', request: () => app.request('/api/runs?admin=1'), status: [400] },
  { name: 'DNS-rebinding Host header', request: () => app.request('/api/runs', { headers: { Host: 'evil.example:6006' } }), status: [403] },
  { name: 'PUT on a run', request: () => app.request(`/api/runs/${seeded.runs.completed}`, { method: 'PUT', headers: { 'Content-Type': 'application/json', ...auth }, body: '{}' }), status: [404] },
];

describe('hostile requests are refused', () => {
  const all = [...traversal, ...tokens, ...bodies, ...ids];
  test(`at least 30 crafted requests (${all.length})`, () => assert.ok(all.length >= 30));
  for (const hostile of all) {
    test(hostile.name, async () => {
      const response = await hostile.request();
      const text = await response.text();
      assert.ok(hostile.status.includes(response.status), `${hostile.name}: expected ${hostile.status.join('|')}, got ${response.status}: ${text.slice(0, 200)}`);
      assert.ok(!text.includes('TOP-SECRET'), 'the secret file never leaks');
      if (response.status !== 404 || text.startsWith('{')) {
        const body = JSON.parse(text) as { error?: { message?: string } };
        assert.equal(typeof body.error?.message, 'string', 'refusals are one JSON error line');
      }
    });
  }

  test('nothing changed: no stop requested, no tag added, nothing deleted', async () => {
    assert.equal((await seeded.store.getRun(seeded.runs.running)).stopRequested, null);
    assert.deepEqual((await seeded.store.getRun(seeded.runs.completed)).tags, ['baseline']);
    assert.equal((await seeded.store.getSweep(seeded.sweepId)).stopRequested, null);
  });

  test('a cross-origin preflight gets no CORS grant', async () => {
    const response = await app.request(`/api/runs/${seeded.runs.running}/stop`, {
      method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    assert.equal(response.headers.get('Access-Control-Allow-Origin'), null);
  });

  test('the right token on the remote bind reads fine (the refusals above are about the token)', async () => {
    assert.equal((await remote.request('/api/runs', { headers: auth })).status, 200);
  });
});

/** Sends raw bytes to the server and returns its status line (what a hand-written HTTP/1.0 client would see). */
function rawStatusLine(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let reply = '';
    socket.on('data', (chunk) => { reply += chunk.toString(); });
    socket.on('end', () => resolve(reply.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

test('an HTTP/1.0 request without a Host header is refused over a real socket (with one, it is served)', async () => {
  const server = await startServer({ store: seeded.store, port: 0, token: TOKEN });
  try {
    const port = Number(new URL(server.url).port);
    assert.equal(await rawStatusLine(port, 'GET /api/runs HTTP/1.0\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
    assert.equal(await rawStatusLine(port, 'GET /api/runs HTTP/1.0\r\nHost: evil.example\r\n\r\n'), 'HTTP/1.1 403 Forbidden');
    assert.equal(await rawStatusLine(port, 'GET /api/runs HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'), 'HTTP/1.1 200 OK');
  } finally {
    await server.close();
  }
});
