// Runs every package's tests in one node:test run, so the closing "# pass / # fail" lines cover everything.
// Usage: npm test [-- <path filter>...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = ['packages/torch/test', 'packages/tunelab/test', 'packages/dashboard/test']
  .filter((dir) => { try { return statSync(dir).isDirectory(); } catch { return false; } })
  .flatMap(findTests)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// node:test has no timeout by default: a hung test would hold CI until its own limit. Ten minutes is more than the
// whole suite takes on 2 cores, so this only ever turns a hang into a failure that names the test.
const result = spawnSync(process.execPath,
  ['--conditions=development', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...files],
  { stdio: 'inherit' });
process.exit(result.status ?? 1);
