// Each middleware alone on a two-route Hono app, the way hono tests its own middleware.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { tokenAuth } from '../../src/server/middleware/token-auth/index.js';
import { hostCheck, LOOPBACK_HOSTS } from '../../src/server/middleware/host-check/index.js';
import { onError } from '../../src/server/errors.js';

function appWith(middleware: Parameters<Hono['use']>[1]) {
  const app = new Hono();
  app.use(middleware);
  app.get('/read', (c) => c.text('read'));
  app.post('/write', (c) => c.text('written'));
  app.onError(onError);
  return app;
}

const TOKEN = 'abcdefghijklmnop-0123';

test('tokenAuth on loopback: reads open, writes need the exact bearer token', async () => {
  const app = appWith(tokenAuth({ token: TOKEN, readsNeedToken: false }));
  assert.equal((await app.request('/read')).status, 200);
  const missing = await app.request('/write', { method: 'POST' });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('WWW-Authenticate'), 'Bearer realm="tunelab"');
  assert.deepEqual(await missing.json(), { error: { status: 401, message: 'missing bearer token (Authorization: Bearer <token>)' } });
  assert.equal((await app.request('/write', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}x` } })).status, 401);
  assert.equal((await app.request('/write', { method: 'POST', headers: { Authorization: `bearer ${TOKEN}` } })).status, 401);
  assert.equal((await app.request('/write', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200);
});

test('tokenAuth beyond loopback: reads need the token too', async () => {
  const app = appWith(tokenAuth({ token: TOKEN, readsNeedToken: true }));
  assert.equal((await app.request('/read')).status, 401);
  assert.equal((await app.request('/read', { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200);
  assert.throws(() => tokenAuth({ token: 'short', readsNeedToken: true }), /at least 16/);
});

test('hostCheck: loopback names with any port pass, other names are refused, "any" passes all', async () => {
  const app = appWith(hostCheck({ allowedHosts: LOOPBACK_HOSTS }));
  for (const host of ['localhost:6006', '127.0.0.1:6006', '[::1]:6006', 'LOCALHOST']) {
    assert.equal((await app.request('/read', { headers: { Host: host } })).status, 200, host);
  }
  for (const host of ['evil.example', '127.0.0.1.evil.example:6006', 'localhost.evil.example']) {
    assert.equal((await app.request('/read', { headers: { Host: host } })).status, 403, host);
  }
  const open = appWith(hostCheck({ allowedHosts: 'any' }));
  assert.equal((await open.request('/read', { headers: { Host: 'tunelab.lan:6006' } })).status, 200);
});
