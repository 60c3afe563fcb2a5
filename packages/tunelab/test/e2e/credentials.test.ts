// No credential in anything stored, printed or served (T11 item 3): a training run tracked in PostgreSQL with the
// password in its --store URL, then the whole database, the dashboard API's answers and the console lines of `train`
// and `ui` are searched for it. And the password may come from PGPASSWORD or a password file instead, as libpq's.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createApp } from '../../src/server/app.js';
import { LOOPBACK_HOSTS } from '../../src/server/middleware/host-check/index.js';
import { redactCredentials } from '../../src/track/connect.js';
import { openStore } from '../../src/track/store.js';
import { postgresBackend } from '../contracts/backends.js';
import { fakeDashboard } from '../server/helpers.js';
import { until } from '../sweep/cli-process.js';
import { GLUE, finished, runCli, startCli, tempDir, tinyModelFolder } from './helpers.js';

test('redactCredentials masks URL passwords and password= parameters, nothing else', () => {
  const cases: [string, string][] = [
    ['--store postgres://ann:s3cr%2Ft@db.example:5432/runs --x 1', '--store postgres://ann:***@db.example:5432/runs --x 1'],
    ['postgresql://ann:pw@h/db postgres://bob:pw2@h2/db', 'postgresql://ann:***@h/db postgres://bob:***@h2/db'],
    ['postgres://h:5432/db?user=ann&password=pw&sslmode=require', 'postgres://h:5432/db?user=ann&password=***&sslmode=require'],
    ['postgres://ann:p@ss@h/db', 'postgres://ann:***@h/db'],
    ['postgres://ann@h/db', 'postgres://ann@h/db'],
    ['postgres://h:5432/db', 'postgres://h:5432/db'],
    ['/tmp/tunelab-runs/tunelab.db', '/tmp/tunelab-runs/tunelab.db'],
  ];
  for (const [text, redacted] of cases) assert.equal(redactCredentials(text), redacted, text);
});

describe('a run tracked in PostgreSQL', { skip: postgresBackend.unavailable }, () => {
  let url: string;
  let dispose: () => Promise<void>;
  let password: string;
  before(async () => {
    ({ url, dispose } = await postgresBackend.create());
    password = decodeURIComponent(new URL(url).password);
    assert.ok(password.length > 0, 'TUNELAB_TEST_POSTGRES carries a password');
  });
  after(async () => dispose());
  /** How the password would show if leaked: in its URL form (the bare word is also the test role's name). */
  const leaks = (text: string) => text.includes(`:${password}@`) || text.includes(`password=${password}`);

  test('the store, the API and the console of train and ui hold no password', async () => {
    const dir = tempDir();
    const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'glue/mrpc', '--from-scratch', '--threads', '1',
      '--precision', 'fp32', '--train-file', join(GLUE, 'MRPC/dev.tsv'), '--max-train-samples', '16', '--max-steps', '2',
      '--batch-size', '8', '--output-dir', join(dir, 'out'), '--store', url]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!leaks(result.stdout + result.stderr), 'console of train');
    assert.match(result.stdout, new RegExp(`tracked: run \\S+ \\(experiment glue/mrpc\\) in postgres://[^:]+:\\*\\*\\*@`));

    const dump = await dumpDatabase(url);
    assert.ok(dump.includes(':***@'), 'the run\'s command and params.store are kept, redacted');
    assert.ok(!leaks(dump), 'every table of the store');

    const store = await openStore(url);
    try {
      const [run] = await store.listRuns();
      assert.match(run.command ?? '', /--store postgres:\/\/[^:]+:\*\*\*@/);
      const app = createApp({ store, token: 'test-token-0123456789abcdef', readsNeedToken: false, allowedHosts: LOOPBACK_HOSTS, dashboard: fakeDashboard() });
      for (const path of ['/api/info', '/api/experiments', '/api/runs', `/api/runs/${run.id}`, `/api/runs/${run.id}/logs`,
        `/api/runs/${run.id}/artifacts`, `/api/compare?runs=${run.id}`]) {
        const response = await app.request(path, { headers: { Host: 'localhost' } });
        const body = await response.text();
        assert.ok(response.status < 500, `${path}: ${response.status}`);
        assert.ok(!leaks(body), `GET ${path}`);
      }
    } finally {
      await store.close();
    }

    const ui = startCli(['ui', '--store', url, '--port', '0']);
    let printed = '';
    await new Promise<void>((resolve) => ui.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      if (printed.includes('open http')) resolve();
    }));
    ui.kill('SIGTERM');
    const exited = await finished(ui);
    printed += exited.stdout + exited.stderr;
    assert.match(printed, /tunelab ui: store postgres:\/\/[^:]+:\*\*\*@/);
    assert.ok(!leaks(printed), 'console of ui');
  });

  test('the password may come from PGPASSWORD or a password file (PGPASSFILE, else ~/.pgpass) instead of the URL', async () => {
    const bare = new URL(url);
    bare.password = '';
    const withoutPassword = bare.toString();
    const saved = { PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };
    const dir = tempDir();
    const passFile = join(dir, 'pgpass');
    const emptyFile = join(dir, 'empty');
    writeFileSync(passFile, `# host:port:database:user:password\n${bare.hostname}:${bare.port || 5432}:*:${decodeURIComponent(bare.username)}:${password}\n`);
    writeFileSync(emptyFile, '');
    chmodSync(passFile, 0o600); // libpq (and pgpass) ignore a file others can read
    chmodSync(emptyFile, 0o600);
    try {
      delete process.env.PGPASSWORD;
      process.env.PGPASSFILE = emptyFile;
      const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
      const openBefore = sockets();
      await assert.rejects(openStore(withoutPassword), /^StoreInputError: cannot log in to the store: the server asks for a password and none was found \(the password goes in the URL, PGPASSWORD or a password file/,
        'control: without a password the server refuses');
      // pg alone leaves that socket open, and the server keeps the session for its 60 s authentication timeout.
      await until(async () => sockets() === openBefore, 'the refused connection to close', 5000);
      const wrong = new URL(url);
      wrong.password = 'not-the-password';
      await assert.rejects(openStore(wrong.toString()), /cannot log in to the store: password authentication failed for user/);
      process.env.PGPASSFILE = passFile;
      await (await openStore(withoutPassword)).close();
      process.env.PGPASSFILE = emptyFile;
      process.env.PGPASSWORD = password;
      await (await openStore(withoutPassword)).close();
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

/** Every row of every table of the database, as JSON text. */
async function dumpDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = 'public'`);
    const rows: string[] = [];
    for (const { tablename } of tables.rows) {
      const result = await client.query<{ row: string }>(`select row_to_json(t)::text as row from "${tablename}" t`);
      rows.push(...result.rows.map((r) => r.row));
    }
    assert.ok(tables.rows.some((t) => t.tablename === 'runs'));
    return rows.join('\n');
  } finally {
    await client.end();
  }
}
