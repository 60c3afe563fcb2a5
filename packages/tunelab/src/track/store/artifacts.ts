// Artifacts: files under `<home>/runs/<run id>/artifacts/`, put there by hard link (or a copy across filesystems)
// and recorded with the identity (device:inode) of the file the store placed, so the server can tell a file the
// store wrote from a hard link someone slipped into the folder.
import { copyFileSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { RunFinishedError, StoreInputError } from '../errors.js';
import type { SqlContext } from './context.js';
import { getRun } from './runs.js';
import type { Artifact, ArtifactMode } from './types.js';

/** The identity of a file (`<device>:<inode>`): what artifacts.file_id records. */
export function fileIdOf(stats: Pick<Stats, 'dev' | 'ino'>): string {
  return `${stats.dev}:${stats.ino}`;
}

/** The filesystem half of the store: run folders under `home`. */
export class ArtifactFiles {
  constructor(readonly home: string) {}

  runDir(runId: string): string {
    return join(this.home, 'runs', runId);
  }

  artifactsDir(runId: string): string {
    return join(this.runDir(runId), 'artifacts');
  }

  /**
   * Puts a file, or every file under a folder, at `<artifacts>/<name>/…` (temp + rename: never half-written):
   * a hard link when `mode` is 'link' and the source is on the same filesystem, else a copy. Returns the
   * placed files' names and identities.
   */
  place(runId: string, sourcePath: string, name: string, mode: ArtifactMode): { name: string; fileId: string }[] {
    const root = this.artifactsDir(runId);
    return listFilesUnder(sourcePath).map((file) => {
      const target = join(root, name, file.relative);
      mkdirSync(dirname(target), { recursive: true });
      const temp = `${target}.tmp-${process.pid}`;
      rmSync(temp, { force: true });
      if (mode === 'copy' || !tryLink(file.absolute, temp)) copyFileSync(file.absolute, temp);
      renameSync(temp, target);
      return { name: posixJoin(name, file.relative), fileId: fileIdOf(statSync(target)) };
    });
  }

  /** Files written straight into the folder (a trial's output_dir); identities only for singly linked files. */
  scan(runId: string): { name: string; fileId: string | null }[] {
    return listFilesUnder(this.artifactsDir(runId), true).map((f) => {
      const stats = statSync(f.absolute);
      return { name: f.relative.split(sep).join('/'), fileId: stats.nlink === 1 ? fileIdOf(stats) : null };
    });
  }

  removeRun(runId: string): void {
    rmSync(this.runDir(runId), { recursive: true, force: true });
  }
}

export async function logArtifact(ctx: SqlContext, files: ArtifactFiles, runId: string, sourcePath: string,
  name?: string, options: { mode?: ArtifactMode } = {}): Promise<Artifact[]> {
  const run = await getRun(ctx, runId);
  if (run.status !== 'running') throw new RunFinishedError(runId, run.status);
  const artifactName = checkArtifactName(name ?? sourcePath.split(/[\\/]/).filter(Boolean).pop() ?? '');
  return recordArtifacts(ctx, files, runId, files.place(runId, sourcePath, artifactName, options.mode ?? 'link'));
}

export async function registerArtifacts(ctx: SqlContext, files: ArtifactFiles, runId: string): Promise<Artifact[]> {
  await getRun(ctx, runId);
  return recordArtifacts(ctx, files, runId, files.scan(runId));
}

async function recordArtifacts(ctx: SqlContext, files: ArtifactFiles, runId: string, placed: { name: string; fileId: string | null }[]): Promise<Artifact[]> {
  const root = files.artifactsDir(runId);
  const now = Date.now();
  for (const { name, fileId } of placed) {
    const size = statSync(join(root, name)).size;
    await ctx.db.insertInto('artifacts').values({ run_id: runId, name, size, created_at: now, file_id: fileId })
      .onConflict((oc) => oc.columns(['run_id', 'name']).doUpdateSet({ size, created_at: now, file_id: fileId })).execute();
  }
  const names = new Set(placed.map((p) => p.name));
  return (await listArtifacts(ctx, files, runId)).filter((a) => names.has(a.name));
}

export async function listArtifacts(ctx: SqlContext, files: ArtifactFiles, runId: string): Promise<Artifact[]> {
  await getRun(ctx, runId);
  const rows = await ctx.db.selectFrom('artifacts').selectAll().where('run_id', '=', runId).orderBy('name').execute();
  const root = files.artifactsDir(runId);
  return rows.map((r) => ({ runId, name: r.name, size: r.size, createdAt: r.created_at, path: join(root, r.name), fileId: r.file_id }));
}

/** A hard link; false when the filesystem cannot (another device, no link support, permissions). */
function tryLink(source: string, target: string): boolean {
  try {
    linkSync(source, target);
    return true;
  } catch {
    try { unlinkSync(target); } catch { /* nothing was created */ }
    return false;
  }
}

function checkArtifactName(name: string): string {
  const normal = normalize(name).split(sep).join('/');
  if (name === '' || isAbsolute(name) || normal.startsWith('../') || normal === '..' || normal === '.') {
    throw new StoreInputError(`artifact name must be a relative path inside the run folder, got ${JSON.stringify(name)}`);
  }
  return normal;
}

function listFilesUnder(path: string, allowMissing = false): { absolute: string; relative: string }[] {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    if (allowMissing) return [];
    throw new StoreInputError(`artifact source not found: ${path}`);
  }
  if (!stats.isDirectory()) return [{ absolute: path, relative: '' }];
  const entries = readdirSync(path, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && !/\.tmp-\d+$/.test(e.name))
    .map((e) => {
      const absolute = join(e.parentPath, e.name);
      return { absolute, relative: relative(path, absolute) };
    })
    .sort((a, b) => a.relative.localeCompare(b.relative));
}

function posixJoin(base: string, rest: string): string {
  return rest === '' ? base : `${base}/${rest.split(sep).join('/')}`;
}
