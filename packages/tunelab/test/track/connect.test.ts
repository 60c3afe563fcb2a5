// --store resolution: defaults, env, SQLite forms and PostgreSQL URLs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveStoreTarget, StoreInputError } from '../../src/track/store.js';

describe('resolveStoreTarget', () => {
  it('defaults to ./tunelab-runs/tunelab.db, or $TUNELAB_HOME, or $TUNELAB_STORE', () => {
    assert.deepEqual(resolveStoreTarget(undefined, {}), { dialect: 'sqlite', url: resolve('tunelab-runs/tunelab.db'), home: resolve('tunelab-runs') });
    assert.deepEqual(resolveStoreTarget(undefined, { TUNELAB_HOME: '/data/tl' }), { dialect: 'sqlite', url: '/data/tl/tunelab.db', home: '/data/tl' });
    assert.equal(resolveStoreTarget(undefined, { TUNELAB_STORE: '/x/y.db', TUNELAB_HOME: '/data' }).url, '/x/y.db');
  });

  it('reads sqlite: URLs, plain paths and folders', () => {
    assert.equal(resolveStoreTarget('sqlite:///abs/runs.db', {}).url, '/abs/runs.db');
    assert.equal(resolveStoreTarget('sqlite:rel/runs.db', {}).url, resolve('rel/runs.db'));
    assert.deepEqual(resolveStoreTarget('/abs/other.db', {}), { dialect: 'sqlite', url: '/abs/other.db', home: '/abs' });
    const folder = mkdtempSync(join(tmpdir(), 'tunelab-folder-'));
    assert.equal(resolveStoreTarget(folder, {}).url, join(folder, 'tunelab.db'));
  });

  it('keeps PostgreSQL URLs and puts run folders in $TUNELAB_HOME', () => {
    const url = 'postgres://u:p@db:5432/runs';
    assert.deepEqual(resolveStoreTarget(url, { TUNELAB_HOME: '/shared' }), { dialect: 'postgres', url, home: '/shared' });
    assert.equal(resolveStoreTarget('postgresql://db/x', {}).dialect, 'postgres');
  });

  it('rejects unknown schemes and empty paths', () => {
    assert.throws(() => resolveStoreTarget('mysql://db/x', {}), (e: Error) => e instanceof StoreInputError && /unsupported scheme/.test(e.message));
    assert.throws(() => resolveStoreTarget('sqlite:', {}), StoreInputError);
  });
});
