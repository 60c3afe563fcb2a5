// The store backends every contract test runs on: a SQLite file in a temp folder, and a fresh PostgreSQL database
// (created on the server named by TUNELAB_TEST_POSTGRES, dropped afterwards). Without that variable the PostgreSQL
// cases are skipped locally, and fail under CI=true (CI must exercise both).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, resolveStoreTarget } from '../../src/track/connect.js';
import { openStore, type Store } from '../../src/track/store.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Why the backend cannot run here (the test is skipped); undefined when it can. */
  unavailable?: string;
  /** A store URL on a fresh, empty database, plus a home folder; `dispose` removes both. */
  create(): Promise<{ url: string; home: string; dispose(): Promise<void> }>;
}

export const POSTGRES_URL = process.env.TUNELAB_TEST_POSTGRES;

export function postgresUnavailable(): string | undefined {
  if (POSTGRES_URL) return undefined;
  if (process.env.CI === 'true') throw new Error('TUNELAB_TEST_POSTGRES must be set in CI (PostgreSQL store tests)');
  return 'TUNELAB_TEST_POSTGRES not set';
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  async create() {
    const home = mkdtempSync(join(tmpdir(), 'tunelab-store-'));
    return { url: join(home, 'tunelab.db'), home, dispose: async () => rmSync(home, { recursive: true, force: true }) };
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  unavailable: postgresUnavailable(),
  async create() {
    const home = mkdtempSync(join(tmpdir(), 'tunelab-store-'));
    const database = `tunelab_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin(`CREATE DATABASE ${database}`);
    const url = new URL(POSTGRES_URL!);
    url.pathname = `/${database}`;
    return {
      url: url.toString(),
      home,
      dispose: async () => {
        await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        rmSync(home, { recursive: true, force: true });
      },
    };
  },
};

export const backends: Backend[] = [sqliteBackend, postgresBackend];

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Opens a store on a fresh database of `backend` with TUNELAB_HOME pointing at its temp folder. */
export async function freshStore(backend: Backend): Promise<{ store: Store; url: string; home: string; dispose(): Promise<void> }> {
  const target = await backend.create();
  const previousHome = process.env.TUNELAB_HOME;
  process.env.TUNELAB_HOME = target.home;
  const store = await openStore(target.url);
  if (previousHome === undefined) delete process.env.TUNELAB_HOME;
  else process.env.TUNELAB_HOME = previousHome;
  return {
    store, url: target.url, home: target.home,
    dispose: async () => {
      await store.close();
      await target.dispose();
    },
  };
}

/** Makes a run's process look silent for `ms` (as if it died that long ago): ages last_seen in the database. */
export async function ageRun(url: string, runId: string, ms: number): Promise<void> {
  const db = openDatabase(resolveStoreTarget(url));
  try {
    await db.updateTable('runs').set({ last_seen: Date.now() - ms }).where('id', '=', runId).execute();
  } finally {
    await db.destroy();
  }
}
