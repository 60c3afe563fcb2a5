// Store URL → kysely instance on SQLite (better-sqlite3) or PostgreSQL (pg), migrated to the latest schema.
import { mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver,
  type DatabaseConnection, type Driver, type SqliteDialectConfig,
} from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';
import { StoreInputError, StoreUnreachableError } from './errors.js';
import { isConnectionLost } from './store/connection.js';

export type Dialect = 'sqlite' | 'postgres';

/** Where a store lives: the database plus `home`, the folder holding run folders (artifacts, captured logs). */
export interface StoreTarget {
  dialect: Dialect;
  /** Normalised URL: an absolute SQLite file path or the PostgreSQL URL. Safe to hand to child processes. */
  url: string;
  home: string;
}

export const DEFAULT_DB_FILE = 'tunelab.db';

/**
 * `text` with every credential in it masked: the password of any `scheme://user:password@host` URL
 * (`postgres://user:***@host/db`) and `password=` query parameters. What the store keeps (a run's command and
 * params), prints and serves goes through this; the real URL only travels to child processes in TUNELAB_STORE.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/]*@/gi, '$1:***@') // up to the last @ of the authority
    .replace(/([?&]password=)[^&\s]*/gi, '$1***');
}

/** A store URL fit to print: `postgres://user:***@host/db` (SQLite paths are returned as they are). */
export function redactUrl(url: string): string {
  return redactCredentials(url);
}

/**
 * Resolves a `--store` value. No value: `$TUNELAB_STORE`, else `$TUNELAB_HOME/tunelab.db`, else
 * `./tunelab-runs/tunelab.db`. `postgres://…`/`postgresql://…` selects PostgreSQL (run folders then live in
 * `$TUNELAB_HOME` or `./tunelab-runs`); `sqlite:<path>` or a plain path (a folder means `<folder>/tunelab.db`) selects SQLite.
 */
export function resolveStoreTarget(url?: string, env: NodeJS.ProcessEnv = process.env): StoreTarget {
  const given = url ?? env.TUNELAB_STORE;
  const homeFromEnv = resolve(env.TUNELAB_HOME ?? 'tunelab-runs');
  if (!given) {
    const file = join(homeFromEnv, DEFAULT_DB_FILE);
    return { dialect: 'sqlite', url: file, home: homeFromEnv };
  }
  if (/^postgres(ql)?:\/\//.test(given)) return { dialect: 'postgres', url: given, home: homeFromEnv };
  let path = given;
  if (given.startsWith('sqlite:')) path = given.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
    throw new StoreInputError(`--store ${redactUrl(given)}: unsupported scheme (use postgres://…, sqlite:<file> or a file path)`);
  }
  if (path === '') throw new StoreInputError(`--store ${given}: empty SQLite path`);
  let file = resolve(path);
  if (isDirectory(file)) file = join(file, DEFAULT_DB_FILE);
  return { dialect: 'sqlite', url: file, home: dirname(file) };
}

function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}

/** Opens the database and brings the schema to the latest migration (safe when many processes start at once). */
export async function connect(target: StoreTarget): Promise<Kysely<Database>> {
  const db = openDatabase(target);
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/** The database as it is, without migrating it (connect() is what the store uses; tests of migrations need this). */
export function openDatabase(target: StoreTarget): Kysely<Database> {
  return target.dialect === 'sqlite' ? openSqlite(target.url) : openPostgres(target.url);
}

async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    if (isConnectionLost(error)) throw new StoreUnreachableError(`cannot reach the store: ${(error as Error).message}`);
    if (isAuthenticationFailure(error)) {
      // pg's words for "no password at all" name its SCRAM internals; say what happened instead.
      const reason = /client password must be a string/.test(error.message) ? 'the server asks for a password and none was found' : error.message;
      throw new StoreInputError(`cannot log in to the store: ${reason} (the password goes in the URL, PGPASSWORD or a password file: PGPASSFILE, else ~/.pgpass)`);
    }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new StoreInputError(`store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A refused login: a wrong password or user (SQLSTATE class 28), or none to give a SCRAM server (pg's "SASL: …"). */
function isAuthenticationFailure(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && code.startsWith('28')) || error.message.startsWith('SASL: ');
}

function openSqlite(file: string): Kysely<Database> {
  mkdirSync(dirname(file), { recursive: true });
  const database = new BetterSqlite3(file);
  // WAL lets readers (dashboard, trial processes) proceed while one process writes; the busy timeout
  // makes concurrent writers from several processes wait instead of failing.
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${sqliteBusyTimeoutMs()}`);
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
}

/** How long a SQLite writer waits for another process's write lock: TUNELAB_SQLITE_BUSY_TIMEOUT_MS, default 15 s. */
function sqliteBusyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.TUNELAB_SQLITE_BUSY_TIMEOUT_MS ?? 15_000);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreInputError(`TUNELAB_SQLITE_BUSY_TIMEOUT_MS=${env.TUNELAB_SQLITE_BUSY_TIMEOUT_MS}: expected milliseconds, an integer ≥ 0`);
  }
  return value;
}

/**
 * The password, as libpq finds it: in the URL, else PGPASSWORD (pg reads it itself), else the password file
 * (PGPASSFILE or ~/.pgpass, `host:port:database:user:password` lines, which must not be group/world readable).
 * The file is read with the pgpass module pg depends on, called here rather than through pg's deprecated fallback.
 */
function connectionOptions(url: string): pg.PoolConfig {
  const { password, ...fields } = parseConnectionString(url);
  if (password || process.env.PGPASSWORD) return { connectionString: url };
  // pg calls it with the connection parameters (host, port, database, user), which pgpass matches against the file;
  // no matching line resolves undefined, which pg takes as "no password" (pg's typings leave both out). The URL's
  // fields are passed parsed: with connectionString, its empty password would override this function.
  const lookup = (params: unknown) => new Promise<string | undefined>((resolve) => pgpass(params, resolve));
  return { ...(fields as pg.PoolConfig), password: lookup as unknown as () => Promise<string> };
}

// pg's own dependencies, resolved from pg's folder: the password-file reader and the URL parser pg itself uses.
const requireFromPg = createRequire(createRequire(import.meta.url).resolve('pg'));
const pgpass = requireFromPg('pgpass') as (params: unknown, callback: (password: string | undefined) => void) => void;
const parseConnectionString = (requireFromPg('pg-connection-string') as { parse(url: string): Record<string, unknown> }).parse;

/**
 * pg leaves the socket open when a connection fails on the client's side during authentication (no password for
 * a SCRAM server): the server then keeps that session for its authentication_timeout (60 s by default), holding a
 * connection slot and blocking DROP DATABASE … WITH (FORCE). A failed connect closes its socket here.
 */
class ClientClosedOnFailure extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error | null) => void): void;
  override connect(callback?: (err: Error | null) => void): Promise<pg.Client> | void {
    const closeOnFailure = (err: Error | null) => { if (err) this.connection.stream.destroy(); };
    if (!callback) return super.connect().catch((err: Error) => { closeOnFailure(err); throw err; });
    super.connect((err: Error | null) => { closeOnFailure(err); callback(err); });
  }
}

function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({
    ...connectionOptions(url),
    Client: ClientClosedOnFailure,
    max: 4,
    // int8 (bigint) columns hold epoch milliseconds, steps and counts: all well inside 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // A connection that dies (server restart, pg_terminate_backend, network) emits 'error' on its client, and on the
  // pool while idle; unheard, that event kills the process. The pool drops the dead client; the query in flight,
  // if any, rejects on its own, and the store retries it on a new connection (store/sql-store.ts).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * SQLite transactions that start with BEGIN IMMEDIATE: they take the write lock up front, so a transaction
 * that reads then writes never fails with SQLITE_BUSY when another process committed in between.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
