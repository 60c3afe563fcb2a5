import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, symlink, writeFile, lstat, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { hubCacheDir, offlineFromEnv } from '../../src/hub/cache.js';
import { HubNetworkError, HubNotFoundError, HubOfflineError } from '../../src/hub/errors.js';
import { resolveDatasetFiles, resolveFile } from '../../src/hub/resolve.js';
import { loadGlue } from '../../src/data/glue.js';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';
import { BERT_DIR } from '../data/shared.js';

const COMMIT = 'a'.repeat(40);
const NEWER = 'b'.repeat(40);

/** Git's blob id, which the Hub sends as ETag for non-LFS files and Python names blobs by. */
function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Writes one file into a cache exactly as Python's huggingface_hub lays it out. */
async function putInCache(repoDir: string, commit: string, filename: string, content: Buffer, ref = 'main'): Promise<void> {
  const etag = gitBlobId(content);
  await mkdir(path.join(repoDir, 'blobs'), { recursive: true });
  await writeFile(path.join(repoDir, 'blobs', etag), content);
  const pointer = path.join(repoDir, 'snapshots', commit, filename);
  await mkdir(path.dirname(pointer), { recursive: true });
  await symlink(path.relative(path.dirname(pointer), path.join(repoDir, 'blobs', etag)), pointer);
  await mkdir(path.join(repoDir, 'refs'), { recursive: true });
  await writeFile(path.join(repoDir, 'refs', ref), commit);
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'tunelab-hub-'));
}

describe('cache location and offline switch follow huggingface_hub', () => {
  it('reads HF_HUB_CACHE, then HF_HOME, then XDG_CACHE_HOME, then ~/.cache', () => {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/c/hub', HF_HOME: '/h' }), '/c/hub');
    assert.equal(hubCacheDir({ HF_HOME: '/h' }), '/h/hub');
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
    assert.equal(hubCacheDir({}), path.join(os.homedir(), '.cache/huggingface/hub'));
  });

  it('treats HF_HUB_OFFLINE=1/true/yes/on as offline', () => {
    for (const value of ['1', 'true', 'YES', 'On']) assert.equal(offlineFromEnv({ HF_HUB_OFFLINE: value }), true);
    for (const value of ['0', '', 'false']) assert.equal(offlineFromEnv({ HF_HUB_OFFLINE: value }), false);
  });
});

describe('resolveFile on a local folder', () => {
  it('returns the file path, or null when the folder lacks it', async () => {
    assert.equal(await resolveFile(BERT_DIR, 'vocab.txt'), `${BERT_DIR}/vocab.txt`);
    assert.equal(await resolveFile(BERT_DIR, 'model.safetensors'), null);
  });

  it('rejects a path that is neither a folder nor a Hub id', async () => {
    await assert.rejects(resolveFile('./no/such/folder', 'config.json'), {
      name: 'HubNotFoundError', message: "'./no/such/folder' is neither a local folder nor a Hub id (org/name)",
    });
  });
});

describe('resolveFile from a cache that Python wrote (offline)', () => {
  it('finds refs/main → snapshot → blob, honours .no_exist, and loads a tokenizer from it', async () => {
    const cacheDir = await tempDir();
    const repo = path.join(cacheDir, 'models--org--tiny-bert');
    for (const name of ['vocab.txt', 'tokenizer_config.json']) {
      await putInCache(repo, COMMIT, name, await readFile(path.join(BERT_DIR, name)));
    }
    await mkdir(path.join(repo, '.no_exist', COMMIT), { recursive: true });
    await writeFile(path.join(repo, '.no_exist', COMMIT, 'tokenizer.json'), '');
    const options = { cacheDir, offline: true };
    const config = await resolveFile('org/tiny-bert', 'tokenizer_config.json', options);
    assert.equal(config, path.join(repo, 'snapshots', COMMIT, 'tokenizer_config.json'));
    assert.equal(await readFile(config!, 'utf8'), await readFile(path.join(BERT_DIR, 'tokenizer_config.json'), 'utf8'));
    assert.equal(await resolveFile('org/tiny-bert', 'tokenizer.json', options), null); // .no_exist marker
    assert.equal(await resolveFile('org/tiny-bert', 'special_tokens_map.json', options), null); // not in the snapshot
    assert.equal(await resolveFile('org/tiny-bert', 'vocab.txt', { ...options, revision: COMMIT }), path.join(repo, 'snapshots', COMMIT, 'vocab.txt'));
    const tokenizer = await AutoTokenizer.fromPretrained('org/tiny-bert', options);
    assert.deepEqual((await tokenizer.encode('Hello there')).input_ids, [101, 7592, 2045, 102]);
  });

  it('fails offline, naming the repo and cache, when the revision is not cached', async () => {
    const cacheDir = await tempDir();
    await assert.rejects(resolveFile('org/absent', 'config.json', { cacheDir, offline: true }), (err: unknown) => {
      assert.ok(err instanceof HubOfflineError);
      assert.equal(err.message, `org/absent: config.json (revision main) is not in the cache ${cacheDir} and the Hub is offline (HF_HUB_OFFLINE or offline: true)`);
      return true;
    });
  });

  it('reads Hub data set splits (datasets--org--name) from the cache with hyparquet', async () => {
    const cacheDir = await tempDir();
    const repo = path.join(cacheDir, 'datasets--nyu-mll--glue');
    const parquet = Buffer.from(parquetWriteBuffer({ columnData: [
      { name: 'sentence1', data: ['the cat sat .', 'a dog ran .', 'it rained .'], type: 'STRING' },
      { name: 'sentence2', data: ['a cat sat .', 'the dog slept .', 'rain fell .'], type: 'STRING' },
      { name: 'label', data: [1n, 0n, 1n], type: 'INT64' },
      { name: 'idx', data: [0, 1, 2], type: 'INT32' },
    ] }));
    await putInCache(repo, COMMIT, 'mrpc/validation-00000-of-00001.parquet', parquet);
    await putInCache(repo, COMMIT, 'mrpc/train-00000-of-00002.parquet', parquet);
    const options = { cacheDir, offline: true };
    assert.deepEqual(await resolveDatasetFiles('nyu-mll/glue', { ...options, config: 'mrpc', split: 'validation' }),
      [path.join(repo, 'snapshots', COMMIT, 'mrpc/validation-00000-of-00001.parquet')]);
    const dataset = await loadGlue('mrpc', 'validation', { hub: options });
    assert.equal(dataset.kind, 'classification');
    assert.deepEqual(dataset.labels, ['not_equivalent', 'equivalent']);
    assert.deepEqual(dataset.examples.map((e) => [e.text, e.textPair, e.label]),
      [['the cat sat .', 'a cat sat .', 1], ['a dog ran .', 'the dog slept .', 0], ['it rained .', 'rain fell .', 1]]);
    // one shard of two is cached: offline, that is not the whole split
    await assert.rejects(resolveDatasetFiles('nyu-mll/glue', { ...options, config: 'mrpc', split: 'train' }), {
      name: 'HubOfflineError', message: `nyu-mll/glue: split 'train' of 'mrpc' is not in the cache ${cacheDir} and the Hub is offline`,
    });
  });
});

/** A fake Hub on 127.0.0.1 serving one model repo and one data set repo, counting the requests it gets. */
class FakeHub {
  requests: string[] = [];
  failWith: number | null = null;
  private server!: Server;
  readonly files = new Map<string, Buffer>([
    ['models/org/tiny/config.json', Buffer.from('{"model_type": "bert"}\n')],
    ['models/org/tiny/sub/dir/notes.txt', Buffer.from('nested file\n')],
    ['datasets/org/pairs/cfg/train-00000-of-00001.parquet', Buffer.from(parquetWriteBuffer({ columnData: [
      { name: 'sentence1', data: ['x y'], type: 'STRING' }, { name: 'sentence2', data: ['y x'], type: 'STRING' },
      { name: 'label', data: [1n], type: 'INT64' }] }))],
  ]);

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      this.requests.push(`${req.method} ${url.pathname}`);
      if (this.failWith) return void res.writeHead(this.failWith).end('server trouble');
      const revision = /^\/api\/(models|datasets)\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
      if (revision) {
        const [, type, name] = revision;
        const known = [...this.files.keys()].some((key) => key.startsWith(`${type}/${name}/`));
        if (!known) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"Repository not found"}');
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ _id: 'x', id: name, sha: COMMIT, lastModified: '2024-01-01T00:00:00.000Z' }));
      }
      const tree = /^\/api\/datasets\/(.+)\/tree\/([0-9a-f]{40})$/.exec(url.pathname);
      if (tree) {
        const prefix = `datasets/${tree[1]}/`;
        const entries = [...this.files].filter(([key]) => key.startsWith(prefix))
          .map(([key, content]) => ({ type: 'file', path: key.slice(prefix.length), size: content.length, oid: gitBlobId(content) }));
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(entries));
      }
      const resolve = /^\/(datasets\/)?(.+)\/resolve\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
      if (resolve) {
        const content = this.files.get(`${resolve[1] ? 'datasets' : 'models'}/${resolve[2]}/${decodeURIComponent(resolve[4])}`);
        if (!content) return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end('Entry not found');
        const headers = { ETag: `"${gitBlobId(content)}"`, 'X-Repo-Commit': resolve[3], 'Accept-Ranges': 'bytes' };
        const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
        if (!range) return void res.writeHead(200, headers).end(content);
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
        return void res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${content.length}` })
          .end(content.subarray(start, end + 1));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('resolveFile downloading from a Hub (fake, on 127.0.0.1)', () => {
  const hub = new FakeHub();
  before(() => hub.start());
  after(() => hub.stop());

  it('writes blob, relative snapshot symlink and refs/main as Python does, then serves offline', async () => {
    const cacheDir = await tempDir();
    const options = { cacheDir, hubUrl: hub.url, offline: false };
    const file = await resolveFile('org/tiny', 'config.json', options);
    const repo = path.join(cacheDir, 'models--org--tiny');
    const content = hub.files.get('models/org/tiny/config.json')!;
    assert.equal(file, path.join(repo, 'snapshots', COMMIT, 'config.json'));
    assert.equal(await readFile(path.join(repo, 'refs', 'main'), 'utf8'), COMMIT);
    assert.ok((await lstat(file!)).isSymbolicLink());
    assert.equal(await readlink(file!), `../../blobs/${gitBlobId(content)}`);
    assert.deepEqual(await readFile(file!), content);
    assert.deepEqual(await readdir(path.join(repo, 'blobs')), [gitBlobId(content)]); // no .incomplete left behind

    const nested = await resolveFile('org/tiny', 'sub/dir/notes.txt', options);
    assert.equal(await readlink(nested!), `../../../../blobs/${gitBlobId(hub.files.get('models/org/tiny/sub/dir/notes.txt')!)}`);

    hub.requests = [];
    assert.equal(await resolveFile('org/tiny', 'config.json', options), file); // cached: no request
    assert.equal(await resolveFile('org/tiny', 'config.json', { cacheDir, offline: true }), file);
    assert.deepEqual(hub.requests, []);
  });

  it('returns null for a file the repo lacks, and remembers it in .no_exist', async () => {
    const cacheDir = await tempDir();
    const options = { cacheDir, hubUrl: hub.url, offline: false };
    assert.equal(await resolveFile('org/tiny', 'model.safetensors', options), null);
    await lstat(path.join(cacheDir, 'models--org--tiny', '.no_exist', COMMIT, 'model.safetensors'));
    hub.requests = [];
    assert.equal(await resolveFile('org/tiny', 'model.safetensors', options), null);
    assert.deepEqual(hub.requests, []);
  });

  it('reports a missing repo, a server error and an unreachable Hub as typed errors', async () => {
    const cacheDir = await tempDir();
    await assert.rejects(resolveFile('org/missing', 'config.json', { cacheDir, hubUrl: hub.url, offline: false }), (err: unknown) => {
      assert.ok(err instanceof HubNotFoundError);
      assert.equal(err.message, `org/missing (revision main) on ${hub.url}: not found, or private/gated (HTTP 404; set HF_TOKEN for private repos)`);
      return true;
    });
    hub.failWith = 503;
    try {
      await assert.rejects(resolveFile('org/tiny', 'config.json', { cacheDir, hubUrl: hub.url, offline: false }), HubNetworkError);
    } finally {
      hub.failWith = null;
    }
    await assert.rejects(resolveFile('org/tiny', 'config.json', { cacheDir, hubUrl: 'http://127.0.0.1:1', offline: false }),
      (err: unknown) => err instanceof HubNetworkError && err.message.startsWith('org/tiny (revision main) on http://127.0.0.1:1: fetch failed'));
  });

  it('lists and downloads the parquet shards of a data set split', async () => {
    const cacheDir = await tempDir();
    const files = await resolveDatasetFiles('org/pairs', { cacheDir, hubUrl: hub.url, offline: false, config: 'cfg', split: 'train' });
    assert.deepEqual(files, [path.join(cacheDir, 'datasets--org--pairs', 'snapshots', COMMIT, 'cfg/train-00000-of-00001.parquet')]);
    hub.requests = [];
    assert.deepEqual(await resolveDatasetFiles('org/pairs', { cacheDir, offline: true, config: 'cfg', split: 'train' }), files);
    assert.deepEqual(hub.requests, []);
    await assert.rejects(resolveDatasetFiles('org/pairs', { cacheDir, hubUrl: hub.url, offline: false, config: 'cfg', split: 'test' }), {
      name: 'HubNotFoundError',
      message: "org/pairs: no parquet files for split 'test' of config 'cfg' (looked for <config>/<split>-*.parquet and data/<split>-*)",
    });
  });

  it('pins refs/<revision> to the commit the Hub names', async () => {
    const cacheDir = await tempDir();
    const repo = path.join(cacheDir, 'models--org--tiny');
    await putInCache(repo, NEWER, 'other.txt', Buffer.from('x'), 'v1'); // another revision already cached
    await resolveFile('org/tiny', 'config.json', { cacheDir, hubUrl: hub.url, offline: false, revision: 'main' });
    assert.equal(await readFile(path.join(repo, 'refs', 'main'), 'utf8'), COMMIT);
    assert.equal(await readFile(path.join(repo, 'refs', 'v1'), 'utf8'), NEWER);
  });
});
