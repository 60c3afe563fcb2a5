// Where a model's or data set's file is on this machine: a local folder, the Hugging Face cache, or the Hub (then it is
// downloaded into the cache, as Python's `hf_hub_download` would, so Python finds it there too).
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  datasetInfo,
  downloadFile,
  fileDownloadInfo,
  HubApiError,
  listFiles,
  modelInfo,
  type RepoDesignation,
} from '@huggingface/hub';
import {
  cachedCommit,
  hubCacheDir,
  isCommitHash,
  listSnapshot,
  lookupCachedFile,
  markAbsent,
  offlineFromEnv,
  repoCacheDir,
  snapshotExists,
  storeFile,
  writeRef,
  type RepoType,
} from './cache.js';
import { HubError, HubNetworkError, HubNotFoundError, HubOfflineError } from './errors.js';

export interface HubOptions {
  /** Branch, tag or commit. Default 'main'. */
  revision?: string;
  /** Default: HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub, as Python. */
  cacheDir?: string;
  /** Never use the network. Default: HF_HUB_OFFLINE. */
  offline?: boolean;
  /** Default: HF_ENDPOINT or https://huggingface.co. */
  hubUrl?: string;
  /** Default: HF_TOKEN. */
  accessToken?: string;
  /** A fetch to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
}

const REPO_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/;

/** Is `name` a Hub id ("bert-base-uncased", "google-bert/bert-base-uncased") rather than a path? */
export function isHubId(name: string): boolean {
  return REPO_ID.test(name) && !name.includes('--') && !name.includes('..') && !name.endsWith('.git') &&
    name.length <= 96;
}

/**
 * The local path of `filename` from a local folder or a Hub model repo; null when the folder or the repo's revision
 * has no such file. Cached files are returned without network.
 */
export async function resolveFile(pathOrHubId: string, filename: string, opts: HubOptions = {}): Promise<string | null> {
  const local = await localFolder(pathOrHubId);
  if (local !== null) {
    const file = `${local}/${filename}`;
    return (await isFile(file)) ? file : null;
  }
  return new HubRepo('model', pathOrHubId, opts).file(filename);
}

export interface DatasetFilesOptions extends HubOptions {
  /** The data set's configuration, e.g. 'mrpc' in nyu-mll/glue, 'plain_text' in rajpurkar/squad. */
  config?: string;
  /** 'train', 'validation', 'test', 'validation_matched', … */
  split: string;
}

/**
 * Local paths of the parquet files of one split of a Hub data set (read them with `readParquetRows`), in shard order.
 * A cached split whose shards are all there (`-00000-of-00002` names say how many) needs no network.
 */
export async function resolveDatasetFiles(repoId: string, opts: DatasetFilesOptions): Promise<string[]> {
  const repo = new HubRepo('dataset', repoId, opts);
  const matches = (files: string[]) => files.filter((file) => isSplitFile(file, opts.config, opts.split)).sort();
  const commit = await repo.cachedCommit();
  if (commit !== null) {
    const cached = matches(await listSnapshot(repo.dir, commit));
    if (shardsComplete(cached)) return cached.map((file) => `${repo.dir}/snapshots/${commit}/${file}`);
  }
  if (repo.offline) {
    throw new HubOfflineError(repoId, `${repoId}: split '${opts.split}'${opts.config ? ` of '${opts.config}'` : ''} ` +
      `is not in the cache ${repo.cacheDir} and the Hub is offline`);
  }
  const remote = matches(await repo.listRemoteFiles());
  if (remote.length === 0) {
    throw new HubNotFoundError(repoId, `${repoId}: no parquet files for split '${opts.split}'` +
      `${opts.config ? ` of config '${opts.config}'` : ''} (looked for <config>/<split>-*.parquet and data/<split>-*)`);
  }
  const paths: string[] = [];
  for (const file of remote) {
    const local = await repo.file(file);
    if (local === null) throw new HubNotFoundError(repoId, `${repoId}: ${file} was listed but cannot be downloaded`);
    paths.push(local);
  }
  return paths;
}

/** One repo at one revision, in the cache and on the Hub. */
class HubRepo {
  readonly cacheDir: string;
  readonly dir: string;
  readonly offline: boolean;
  private readonly revision: string;
  private readonly hubUrl: string;
  private readonly accessToken: string | undefined;
  private commit: string | null = null;

  constructor(private readonly type: RepoType, readonly id: string, private readonly opts: HubOptions) {
    if (!isHubId(id)) {
      throw new HubNotFoundError(id, `'${id}' is neither a local folder nor a Hub id (org/name)`);
    }
    this.cacheDir = opts.cacheDir ?? hubCacheDir();
    this.dir = repoCacheDir(this.cacheDir, type, id);
    this.offline = opts.offline ?? offlineFromEnv();
    this.revision = opts.revision ?? 'main';
    this.hubUrl = (opts.hubUrl ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
    this.accessToken = opts.accessToken ?? (process.env.HF_TOKEN || undefined);
  }

  async cachedCommit(): Promise<string | null> {
    return cachedCommit(this.dir, this.revision);
  }

  async file(filename: string): Promise<string | null> {
    const cachedAt = await this.cachedCommit();
    if (cachedAt !== null) {
      const hit = await lookupCachedFile(this.dir, cachedAt, filename);
      if (hit.state === 'file') return hit.path;
      if (hit.state === 'absent') return null;
      // Offline, a snapshot we have lacks the file: answer "not there" so callers try their fallbacks
      // (tokenizer.json → vocab.txt), as transformers does with a partial cache.
      if (this.offline && (await snapshotExists(this.dir, cachedAt))) return null;
    }
    if (this.offline) {
      throw new HubOfflineError(this.id, `${this.id}: ${filename} (revision ${this.revision}) is not in the cache ` +
        `${this.cacheDir} and the Hub is offline (HF_HUB_OFFLINE or offline: true)`);
    }
    return this.download(filename);
  }

  async listRemoteFiles(): Promise<string[]> {
    const commit = await this.remoteCommit();
    const files: string[] = [];
    await this.call(async () => {
      for await (const entry of listFiles({ ...this.common(), revision: commit, recursive: true })) {
        if (entry.type === 'file') files.push(entry.path);
      }
    });
    return files;
  }

  private async download(filename: string): Promise<string | null> {
    const commit = await this.remoteCommit();
    const hit = await lookupCachedFile(this.dir, commit, filename);
    if (hit.state !== 'unknown') {
      await writeRef(this.dir, this.revision, commit);
      return hit.state === 'file' ? hit.path : null;
    }
    const info = await this.call(() => fileDownloadInfo({ ...this.common(), path: filename, revision: commit }));
    if (info === null) {
      await markAbsent(this.dir, commit, filename);
      await writeRef(this.dir, this.revision, commit);
      return null;
    }
    const etag = info.etag.replace(/^W\//, '').replace(/"/g, '');
    const stored = await storeFile(this.dir, commit, filename, etag, async (tempFile) => {
      const blob = await this.call(() => downloadFile({ ...this.common(), path: filename, revision: commit, downloadInfo: info }));
      if (blob === null) throw new HubNetworkError(this.id, `${this.id}: ${filename} vanished during download`);
      await this.call(() => pipeline(Readable.fromWeb(blob.stream()), createWriteStream(tempFile)));
    });
    await writeRef(this.dir, this.revision, commit);
    return stored;
  }

  /** The commit the revision points to now (one Hub call, remembered). */
  private async remoteCommit(): Promise<string> {
    if (isCommitHash(this.revision)) return this.revision;
    if (this.commit !== null) return this.commit;
    const params = { name: this.id, revision: this.revision, additionalFields: ['sha' as const], ...this.credentials() };
    const info = await this.call(() => (this.type === 'model' ? modelInfo(params) : datasetInfo(params)));
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== 'string' || !isCommitHash(sha)) {
      throw new HubNetworkError(this.id, `${this.id}: the Hub did not say which commit '${this.revision}' is`);
    }
    this.commit = sha;
    return sha;
  }

  private common(): { repo: RepoDesignation; hubUrl: string; fetch?: typeof fetch; accessToken?: string } {
    return { repo: { type: this.type, name: this.id }, ...this.credentials() };
  }

  private credentials(): { hubUrl: string; fetch?: typeof fetch; accessToken?: string } {
    return {
      hubUrl: this.hubUrl,
      ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}),
      ...(this.accessToken ? { accessToken: this.accessToken } : {}),
    };
  }

  /** Runs a Hub call, turning its failures into HubNotFoundError / HubNetworkError that name the repo. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof HubError) throw err;
      const where = `${this.id} (revision ${this.revision}) on ${this.hubUrl}`;
      if (err instanceof HubApiError) {
        if ([401, 403, 404].includes(err.statusCode)) {
          throw new HubNotFoundError(this.id, `${where}: not found, or private/gated (HTTP ${err.statusCode}; set HF_TOKEN for private repos)`);
        }
        throw new HubNetworkError(this.id, `${where}: HTTP ${err.statusCode}: ${firstLine(err.message)}`);
      }
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new HubNetworkError(this.id, `${where}: ${firstLine(err instanceof Error ? err.message : String(err))}${cause}`);
    }
  }
}

/** `config/split-00000-of-00001.parquet`, `config/split/….parquet`, `data/split-….parquet`, `split-….parquet`. */
function isSplitFile(file: string, config: string | undefined, split: string): boolean {
  if (!file.endsWith('.parquet')) return false;
  const parts = file.split('/');
  const name = parts[parts.length - 1];
  const folders = parts.slice(0, -1);
  const nameIsSplit = name === `${split}.parquet` || name.startsWith(`${split}-`);
  if (config !== undefined) {
    if (folders[0] !== config) return false;
    const rest = folders.slice(1);
    return (rest.length === 0 && nameIsSplit) || (rest.length === 1 && rest[0] === split);
  }
  return (folders.length === 0 || (folders.length === 1 && folders[0] === 'data')) && nameIsSplit;
}

/** True when the files are a non-empty set of shards with every `-XXXXX-of-N` index present (or unnumbered). */
function shardsComplete(files: string[]): boolean {
  if (files.length === 0) return false;
  const numbered = files.map((file) => /-(\d{5})-of-(\d{5})\.parquet$/.exec(file));
  if (numbered.some((m) => m === null)) return numbered.every((m) => m === null);
  const total = Number(numbered[0]![2]);
  const indices = new Set(numbered.map((m) => Number(m![1])));
  return indices.size === total && numbered.every((m) => Number(m![2]) === total);
}

async function localFolder(name: string): Promise<string | null> {
  try {
    const info = await stat(name);
    if (info.isDirectory()) return name.replace(/\/+$/, '');
    throw new HubNotFoundError(name, `${name} is a file; expected a model folder or a Hub id`);
  } catch (err) {
    if (err instanceof HubError) throw err;
    return null;
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
