// Artifact downloads: a requested path is resolved inside the run's artifact folder or refused.
// Checked three times: lexically (no `..`, no absolute paths, no backslashes, no leftover percent-encoding, no
// NUL), physically (the real path, after following symlinks, must still lie inside the real folder), and by
// identity: only a regular file with one link, or the very file the store wrote or linked (its recorded
// device:inode), is served. A hard link is the same file as its target wherever that lies, so a hard link
// someone made to a file outside the folder passes the path checks; the identity check refuses it.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { HTTPException } from 'hono/http-exception';
import { fileIdOf } from '../track/store/artifacts.js';

/** Why an artifact path was refused; the message names the offending path. */
export class ArtifactPathError extends HTTPException {
  constructor(requested: string, why: string) {
    super(400, { message: `artifact path ${JSON.stringify(requested)} refused: ${why}` });
  }
}

/** Decodes the raw (still percent-encoded) URL tail once; anything still encoded afterwards is refused. */
export function decodeArtifactPath(rawTail: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawTail);
  } catch {
    throw new ArtifactPathError(rawTail, 'malformed percent-encoding');
  }
  checkLexically(decoded);
  return decoded;
}

function checkLexically(path: string): void {
  if (path.length === 0) throw new ArtifactPathError(path, 'empty path');
  if (path.length > 1024) throw new ArtifactPathError(path.slice(0, 40) + '…', 'longer than 1024 characters');
  if (path.includes('\0')) throw new ArtifactPathError(path, 'contains a NUL byte');
  if (path.includes('\\')) throw new ArtifactPathError(path, 'contains a backslash');
  // A `%` left after one decoding means double encoding (`%252e` → `%2e`): never a name we wrote.
  if (path.includes('%')) throw new ArtifactPathError(path, 'contains percent-encoding after decoding');
  if (path.startsWith('/') || isAbsolute(path) || /^[a-zA-Z]:/.test(path)) throw new ArtifactPathError(path, 'absolute path');
  for (const segment of path.split('/')) {
    if (segment === '..' || segment === '.' || segment === '') throw new ArtifactPathError(path, `segment ${JSON.stringify(segment)} not allowed`);
  }
}

function isInside(folder: string, candidate: string): boolean {
  const rel = relative(folder, candidate);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/**
 * Absolute real path of artifact `requested` (already decoded) inside `runFolder`; `storeWrote` holds the
 * identities (Artifact.fileId) of the files the store placed there. Throws ArtifactPathError (400) for paths that
 * leave the folder, 403 for a foreign hard link, HTTPException 404 when no such file.
 */
export async function resolveArtifactPath(runFolder: string, requested: string, storeWrote: ReadonlySet<string | null>): Promise<string> {
  checkLexically(requested);
  const lexical = resolve(runFolder, requested);
  if (!isInside(resolve(runFolder), lexical)) throw new ArtifactPathError(requested, 'resolves outside the run folder');

  let real: string;
  let realFolder: string;
  try {
    realFolder = await realpath(runFolder);
    real = await realpath(lexical);
  } catch {
    // A dangling symlink lands here too: refused as missing, never followed.
    throw new HTTPException(404, { message: `artifact ${JSON.stringify(requested)} not found` });
  }
  if (!isInside(realFolder, real)) throw new ArtifactPathError(requested, 'a symlink leads outside the run folder');
  const info = await stat(real);
  if (!info.isFile()) throw new HTTPException(404, { message: `artifact ${JSON.stringify(requested)} is not a file` });
  if (info.nlink > 1 && !storeWrote.has(fileIdOf(info))) {
    throw new HTTPException(403, { message: `artifact ${JSON.stringify(requested)} refused: a hard link to a file the store did not write` });
  }
  return real;
}
