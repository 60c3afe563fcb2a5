// The /demo/ page of `tunelab serve`: Debian's chromium, cut off from everything but the local server, loads the
// page, transformers.js runs the exported model in wasm, and the label and scores it shows for a typed pair equal
// the server's POST /v1/predict answer. Also: only the page's fixed files are served (no path reaches the
// filesystem), and on a server with a token the page needs it like /v1/*.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { AutoModelForSequenceClassification, AutoModelForTokenClassification } from '../../src/models/auto.js';
import { createServingApp } from '../../src/serving/app.js';
import { loadServingModel } from '../../src/serving/model.js';
import { startServing, type RunningServing } from '../../src/serving/serve.js';
import { pageRoute } from '../../src/export/page-route.js';
import { tinyModelWithTokenizer } from './helpers.js';

const CHROMIUM = process.env.TUNELAB_CHROMIUM ?? '/usr/bin/chromium';
const LABELS = { 0: 'negative', 1: 'neutral', 2: 'positive' };

interface Answer { label: string; label_id: number; score: number; logits: number[] }

let modelDir: string;
let server: RunningServing;
let tokenServer: RunningServing | undefined;
let context: BrowserContext;
let page: Page;
let profile: string;
const offsite: string[] = [];
const pageErrors: string[] = [];

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install chromium, or set TUNELAB_CHROMIUM)`);
  modelDir = tinyModelWithTokenizer(AutoModelForSequenceClassification, {
    num_labels: 3, id2label: LABELS, label2id: Object.fromEntries(Object.entries(LABELS).map(([id, label]) => [label, Number(id)])),
  });
  server = await startServing({ modelDir, port: 0, device: 'cpu', maxWaitMs: 1 });
  profile = mkdtempSync(join(tmpdir(), 'tunelab-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Offline: any request that is not for a local server fails (and is recorded).
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') pageErrors.push(message.text()); });
});

after(async () => {
  await context?.close();
  await server?.close();
  await tokenServer?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function predict(body: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(response.status, 200);
  return await response.json() as Answer;
}

async function classifyInPage(text: string, pair: string): Promise<Answer> {
  const previous = await page.locator('#scores').getAttribute('data-result');
  await page.fill('#text', text);
  await page.fill('#text-pair', pair);
  await page.click('#classify');
  // A string predicate: it runs in the page (this file is compiled without the DOM's types).
  await page.waitForFunction(`document.querySelector('#scores').dataset.result !== ${JSON.stringify(previous ?? undefined)}`);
  return JSON.parse((await page.locator('#scores').getAttribute('data-result'))!) as Answer;
}

function assertSameAnswer(inPage: Answer, fromServer: Answer): void {
  assert.equal(inPage.label, fromServer.label);
  assert.equal(inPage.label_id, fromServer.label_id);
  assert.ok(Math.abs(inPage.score - fromServer.score) <= 1e-4, `score ${inPage.score} vs ${fromServer.score}`);
  assert.equal(inPage.logits.length, 3);
  inPage.logits.forEach((logit, i) => assert.ok(Math.abs(logit - fromServer.logits[i]!) <= 1e-4, `logit ${i}: ${logit} vs ${fromServer.logits[i]}`));
}

test('chromium runs the exported model in the page: a typed pair gets the label and scores of /v1/predict', async () => {
  await page.goto(`${server.url}/demo/`);
  await page.waitForSelector('#classify:not([disabled])', { timeout: 120_000 });

  const pairs: [string, string][] = [
    ['The cat sat on the mat.', 'A cat was sitting on a rug.'],
    ['Stocks fell sharply on Monday.', 'Markets rallied to a record high.'],
  ];
  for (const [text, pair] of pairs) {
    assertSameAnswer(await classifyInPage(text, pair), await predict({ text, text_pair: pair }));
  }
  // The table shows every label's probability, the predicted one first in weight.
  assert.equal(await page.locator('#scores tbody tr').count(), 3);
  assert.deepEqual(offsite, [], 'the page fetched nothing from outside the local server');
  assert.deepEqual(pageErrors, []);
});

test('a server with another pipeline (token classification) gets a message, not a broken page', async () => {
  // Closed in after(), once chromium is gone: the server waits for the browser's open connections.
  tokenServer = await startServing({
    modelDir: tinyModelWithTokenizer(AutoModelForTokenClassification, { num_labels: 3 }), port: 0, device: 'cpu',
  });
  const other = await context.newPage();
  await other.goto(`${tokenServer.url}/demo/`);
  await other.waitForSelector('#status.error');
  assert.match(await other.locator('#status').innerText(), /classifies text; the served model is a token-classification model/);
  assert.equal(await other.locator('#classify').isDisabled(), true);
  await other.close();
});

describe('the page\'s files', () => {
  test('only the fixed files are served; traversal attempts get 404 and nothing from the filesystem', async () => {
    for (const path of ['/demo/', '/demo/app.js', '/demo/transformers.min.js', '/demo/settings.json', '/demo/model/config.json']) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 200, path);
    }
    const html = await fetch(`${server.url}/demo/`);
    assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:/);
    await html.text();
    const wasm = await fetch(`${server.url}/demo/ort/ort-wasm-simd-threaded.asyncify.wasm`);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    await wasm.arrayBuffer();
    for (const path of [
      '/demo/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/demo/..%2f..%2f..%2fetc%2fpasswd', '/demo/model/%2e%2e%2fconfig.json',
      '/demo/model/model.safetensors', '/demo/page-route.ts', '/demo/ort/ort.min.js', '/demo/index.html',
    ]) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get('content-type'), 'application/json', path);
      assert.equal((await response.json() as { error: { status: number } }).error.status, 404, path);
    }
  });

  test('with a token (a non-loopback bind) the page needs it, as /v1/* does', async () => {
    const model = await loadServingModel({ modelDir, device: 'cpu' });
    try {
      const token = 'a-long-enough-test-token';
      const { app } = createServingApp({ model, token, allowedHosts: 'any', routes: [pageRoute] });
      const get = (path: string, headers: Record<string, string> = {}) =>
        app.request(path, { headers: { Host: 'models.example:8080', ...headers } });
      assert.equal((await get('/demo/')).status, 401);
      assert.equal((await get('/demo/model/onnx/model.onnx')).status, 401);
      assert.equal((await get('/demo/', { Authorization: 'Bearer not-the-right-token-at-all' })).status, 401);
      const authorized = await get('/demo/settings.json', { Authorization: `Bearer ${token}` });
      assert.equal(authorized.status, 200);
      assert.deepEqual(await authorized.json(), { pipeline: 'text-classification', labels: Object.values(LABELS), max_seq_length: 128 });
    } finally {
      model.dispose();
    }
  });
});
