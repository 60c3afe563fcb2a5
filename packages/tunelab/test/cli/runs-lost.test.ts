// T11 item 2: `tunelab runs list` and `runs show` show a running run whose process stopped showing signs of life
// as `lost`, with how long it has been silent; a run still seen stays `running`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, RUN_LOST_AFTER_MS } from '../../src/track/store.js';
import { ageRun } from '../contracts/backends.js';
import { runCli } from '../sweep/cli-process.js';

test('runs list and runs show mark a silent running run as lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-lost-'));
  try {
    const url = join(dir, 'tunelab.db');
    const store = await openStore(url);
    const alive = await store.createRun({ experiment: 'e', name: 'alive' });
    const zombie = await store.createRun({ experiment: 'e', name: 'zombie' });
    await store.close();
    await ageRun(url, zombie.id, RUN_LOST_AFTER_MS + 300_000);

    const list = await runCli(['runs', 'list', '--store', url]);
    assert.equal(list.code, 0, list.output);
    assert.match(list.output, new RegExp(`${zombie.id}\\s+zombie\\s+lost\\b`));
    assert.match(list.output, new RegExp(`${alive.id}\\s+alive\\s+running\\b`));
    const show = await runCli(['runs', 'show', zombie.id, '--store', url]);
    assert.equal(show.code, 0, show.output);
    assert.match(show.output, new RegExp(`^run ${zombie.id} \\(zombie\\): lost \\(running, but not seen for 4[0-9]{2} s\\)`, 'm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
