// The reliability audit of T11 item 1, at full length: a run client logs 10,000 points/s into SQLite for --seconds
// while another process holds BEGIN IMMEDIATE for --lock-seconds (default 20, longer than the default 15 s
// busy_timeout), then counts what reached the store. Default client settings; prints the client's notices and
// { logged, stored, unique, missing, status }.
//   node --conditions=development --import tsx bench/track-durability.ts [--seconds 30] [--lock-seconds 20]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRun } from '../packages/tunelab/src/track/client.js';
import { openStore } from '../packages/tunelab/src/track/store.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, 'lock-seconds': { type: 'string', default: '20' } } });
const durationMs = Number(values.seconds) * 1000;
const lockMs = Number(values['lock-seconds']) * 1000;
const lockAtMs = 5000;
const POINTS_PER_SECOND = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'tunelab-durability-'));
const file = join(dir, 'tunelab.db');
const client = await startRun({ experiment: 'audit', store: file, notify: (line) => console.log(`${new Date().toISOString()} ${line}`) });
const start = Date.now();
let step = 0;
let lock: { released: Promise<void> } | null = null;
for (;;) {
  const elapsed = Date.now() - start;
  if (lock === null && elapsed >= lockAtMs) lock = await holdWriteLock(file, lockMs);
  // Points are due by wall time: after the event loop was blocked (a SQLite writer waits busy_timeout), it catches up.
  const due = Math.floor(Math.min(elapsed, durationMs) * POINTS_PER_SECOND / 1000);
  for (; step < due; step++) client.logMetrics(step, { loss: 1 / (step + 1) });
  if (elapsed >= durationMs) break;
  await new Promise((r) => setTimeout(r, 5));
}
await lock?.released;
await client.endRun();

const store = await openStore(file);
const steps = (await store.getMetrics(client.id, ['loss']))[0]?.points.map((p) => p.step) ?? [];
const unique = new Set(steps);
let missing = 0;
for (let i = 0; i < step; i++) if (!unique.has(i)) missing++;
console.log(JSON.stringify({ logged: step, stored: steps.length, unique: unique.size, missing, status: (await store.getRun(client.id)).status }));
await store.close();
rmSync(dir, { recursive: true, force: true });

/** Another process takes the write lock and keeps it for `ms`; resolves once it holds it, with its release. */
async function holdWriteLock(db: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n'); setTimeout(() => db.exec('COMMIT'), Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, db, String(ms)], { cwd: resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  console.log(`${new Date().toISOString()} another process holds BEGIN IMMEDIATE for ${ms / 1000} s`);
  return { released: new Promise((r) => child.on('exit', () => r())) };
}
