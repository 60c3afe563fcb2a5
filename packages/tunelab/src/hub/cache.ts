// The Hugging Face cache, laid out exactly as Python's huggingface_hub lays it out, so that each side reads what the
// other downloaded:
//   <cache>/models--org--name/blobs/<etag>                    file contents, named by git/LFS hash
//   <cache>/models--org--name/snapshots/<commit>/<filename>   relative symlink to ../../blobs/<etag>
//   <cache>/models--org--name/refs/<revision>                 the commit a branch or tag pointed to
//   <cache>/models--org--name/.no_exist/<commit>/<filename>   empty marker: the file is not in that commit
import { access, mkdir, readFile, readdir, rename, rm, stat, symlink, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type RepoType = 'model' | 'dataset';

const COMMIT_HASH = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** The hub cache folder: HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/…. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return expandHome(env.HF_HUB_CACHE);
  const home = env.HF_HOME
    ? expandHome(env.HF_HOME)
    : path.join(env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

/** HF_HUB_OFFLINE as huggingface_hub reads it (1, ON, YES, TRUE in any case). */
export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env.HF_HUB_OFFLINE ?? '').toUpperCase());
}

export function repoCacheDir(cacheDir: string, type: RepoType, repoId: string): string {
  return path.join(cacheDir, [`${type}s`, ...repoId.split('/')].join('--'));
}

/** The commit a revision resolves to in the cache: a commit hash is itself; a branch or tag reads refs/. */
export async function cachedCommit(repoDir: string, revision: string): Promise<string | null> {
  try {
    return (await readFile(path.join(repoDir, 'refs', revision), 'utf8')).trim();
  } catch {
    return isCommitHash(revision) ? revision : null;
  }
}

export type CacheLookup = { state: 'file'; path: string } | { state: 'absent' } | { state: 'unknown' };

/**
 * What the cache knows about one file of one commit: its path, that it is absent from the commit (a .no_exist
 * marker, or a snapshot folder that lacks it when `snapshotIsComplete`), or nothing.
 */
export async function lookupCachedFile(repoDir: string, commit: string, filename: string): Promise<CacheLookup> {
  const file = path.join(repoDir, 'snapshots', commit, filename);
  if (await isFile(file)) return { state: 'file', path: file };
  if (await isFile(path.join(repoDir, '.no_exist', commit, filename))) return { state: 'absent' };
  return { state: 'unknown' };
}

export async function snapshotExists(repoDir: string, commit: string): Promise<boolean> {
  return isDirectory(path.join(repoDir, 'snapshots', commit));
}

/** Files (relative paths, '/'-separated) of a cached snapshot. */
export async function listSnapshot(repoDir: string, commit: string): Promise<string[]> {
  const root = path.join(repoDir, 'snapshots', commit);
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    if (await isFile(full)) files.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return files.sort();
}

export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const file = path.join(repoDir, 'refs', revision);
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomically(file, commit);
}

export async function markAbsent(repoDir: string, commit: string, filename: string): Promise<void> {
  const marker = path.join(repoDir, '.no_exist', commit, filename);
  await mkdir(path.dirname(marker), { recursive: true });
  await writeFile(marker, '');
}

export function blobPath(repoDir: string, etag: string): string {
  return path.join(repoDir, 'blobs', etag);
}

/**
 * Stores a downloaded file: `write` fills a temporary file that becomes blobs/<etag> (skipped when the blob is already
 * there, e.g. the same file in another commit), then snapshots/<commit>/<filename> links to it.
 */
export async function storeFile(repoDir: string, commit: string, filename: string, etag: string,
  write: (tempFile: string) => Promise<void>): Promise<string> {
  const blob = blobPath(repoDir, etag);
  await mkdir(path.dirname(blob), { recursive: true });
  if (!(await isFile(blob))) {
    const incomplete = `${blob}.${process.pid}.incomplete`; // per process: two downloads of one blob do not clash
    try {
      await write(incomplete);
      await rename(incomplete, blob);
    } finally {
      await rm(incomplete, { force: true });
    }
  }
  const pointer = path.join(repoDir, 'snapshots', commit, filename);
  await mkdir(path.dirname(pointer), { recursive: true });
  await rm(pointer, { force: true });
  try {
    await symlink(path.relative(path.dirname(pointer), blob), pointer);
  } catch {
    await copyFile(blob, pointer); // file systems without symlinks: Python copies too
  }
  return pointer;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, file);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    await access(dir);
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}
