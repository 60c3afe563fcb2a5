// The server on a real port (startServer) and the `tunelab ui` command around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, isLoopback } from '../../src/server/serve.js';
import { seedStore } from './seed.js';

const CLI = fileURLToPath(new URL('../../bin/tunelab.js', import.meta.url));

test('loopback detection', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopback(host), true, host);
  for (const host of ['0.0.0.0', '192.168.1.10', '::', 'example.com']) assert.equal(isLoopback(host), false, host);
});

test('serves over HTTP with a generated token; close() ends open live streams', async () => {
  const seeded = await seedStore();
  try {
    const server = await startServer({ store: seeded.store, port: 0, pollMs: 20 });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(server.readsNeedToken, false);
    const info = await fetch(`${server.url}/api/info`);
    assert.deepEqual(await info.json(), { name: 'tunelab', readsNeedToken: false, pollMs: 20, store: 'sqlite' });
    const stop = await fetch(`${server.url}/api/runs/${seeded.runs.running}/stop`, {
      method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, body: '{}',
    });
    assert.equal(stop.status, 200);

    const stream = await fetch(`${server.url}/api/stream?runs=${seeded.runs.running}`);
    const reader = stream.body!.getReader();
    await reader.read(); // hello
    const started = Date.now();
    await server.close();
    // The stream ends (or errors) promptly instead of holding the server open.
    await reader.read().then(() => undefined, () => undefined);
    assert.ok(Date.now() - started < 10_000, `close took ${Date.now() - started} ms: a live stream held the server open`);
  } finally {
    await seeded.cleanup();
  }
});

test('`tunelab ui`: bad flags exit 2 with one line; a good start prints the URL with the token and stops on SIGTERM', async () => {
  const bad = spawnSync(process.execPath, [CLI, 'ui', '--port', '70000'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--port <port>' argument '70000' is invalid/);

  const seeded = await seedStore();
  try {
    const child = spawn(process.execPath, [CLI, 'ui', '--store', seeded.store.url, '--port', '0', '--token', 'given-token-0123456789'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const match = /open (http:\/\/127\.0\.0\.1:\d+)\/#token=given-token-0123456789/.exec(out);
        if (match) { clearTimeout(timer); resolve(match[1]); }
      });
    });
    const runs = await fetch(`${url}/api/runs?limit=1`);
    assert.equal(runs.status, 200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
  } finally {
    await seeded.cleanup();
  }
});
