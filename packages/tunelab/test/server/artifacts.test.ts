// Artifact path confinement on a real folder: lexical checks, then the real path after symlinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeArtifactPath, resolveArtifactPath } from '../../src/server/artifacts.js';

const none = new Set<string>();

test('files inside resolve; escapes, dangling links and folders are refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tunelab-art-'));
  try {
    const folder = join(root, 'run', 'artifacts');
    mkdirSync(join(folder, 'model'), { recursive: true });
    writeFileSync(join(folder, 'model', 'weights.bin'), 'w');
    writeFileSync(join(root, 'outside.txt'), 'secret');
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere', 'x.txt'), 'secret');
    symlinkSync(join(root, 'outside.txt'), join(folder, 'link-out.txt'));
    symlinkSync(join(root, 'elsewhere'), join(folder, 'dir-out'));
    symlinkSync(join(folder, 'model', 'weights.bin'), join(folder, 'link-in.bin'));
    symlinkSync(join(root, 'missing'), join(folder, 'dangling'));

    assert.match(await resolveArtifactPath(folder, 'model/weights.bin', none), /model\/weights\.bin$/);
    assert.match(await resolveArtifactPath(folder, 'link-in.bin', none), /model\/weights\.bin$/, 'a link that stays inside is fine');
    await assert.rejects(resolveArtifactPath(folder, 'link-out.txt', none), /symlink leads outside/);
    await assert.rejects(resolveArtifactPath(folder, 'dir-out/x.txt', none), /symlink leads outside/);
    await assert.rejects(resolveArtifactPath(folder, 'dangling', none), (e: Error & { status?: number }) => e.status === 404);
    await assert.rejects(resolveArtifactPath(folder, 'model', none), /is not a file/);
    await assert.rejects(resolveArtifactPath(folder, '../outside.txt', none), /segment ".." not allowed/);
    await assert.rejects(resolveArtifactPath(folder, join(root, 'outside.txt'), none), /absolute path/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the URL tail is decoded exactly once; what stays encoded is refused', () => {
  assert.equal(decodeArtifactPath('model%2Fweights%20v2.bin'), 'model/weights v2.bin');
  assert.throws(() => decodeArtifactPath('%252e%252e%252fx'), /percent-encoding after decoding/);
  assert.throws(() => decodeArtifactPath('%E0%A4%A'), /malformed percent-encoding/);
  assert.throws(() => decodeArtifactPath('a%5Cb'), /backslash/);
  assert.throws(() => decodeArtifactPath('a%00b'), /NUL/);
  assert.throws(() => decodeArtifactPath('a//b'), /segment "" not allowed/);
});
