// Data parallelism changes nothing but speed: 2 ranks × batch B end with the weights of 1 process × batch 2B
// (same seed, fp32 CPU, Gloo, dropout 0, AdamW) — through the launcher, with either gradient-sync mode, after a
// rank was killed and the job resumed, and with the ranks on two "machines" (network namespaces joined by a veth).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from 'tunelab/distributed/launcher';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const tsNode = [process.execPath, '--conditions=development', '--import', 'tsx'];
const trainScript = [...tsNode, join(fixtures, 'train-mlp.ts')];
const launcherScript = [...tsNode, join(fixtures, 'launch-main.ts')];
const EPOCHS = ['--epochs', '3'];

type Weights = Record<string, number[]>;

interface Exit { code: number | null; stderr: string }

function run(argv: string[], prefix: string[] = []): Promise<Exit> {
  const [command, ...args] = [...prefix, ...argv] as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function launched(nproc: number, trainArgs: string[], flags: string[] = []): Promise<Exit> {
  const port = String(await freePort());
  return run([...launcherScript, '--nproc-per-node', String(nproc), '--master-port', port, ...flags, '--', ...trainScript, ...trainArgs]);
}

function readWeights(path: string): Weights {
  return JSON.parse(readFileSync(path, 'utf8')) as Weights;
}

/** ‖a − b‖ / ‖b‖ per tensor, the worst one. */
function relativeError(a: Weights, b: Weights): number {
  let worst = 0;
  for (const name of Object.keys(b)) {
    const x = a[name]!;
    const y = b[name]!;
    assert.equal(x.length, y.length, name);
    const diff = Math.hypot(...x.map((v, i) => v - y[i]!));
    worst = Math.max(worst, diff / Math.hypot(...y));
  }
  return worst;
}

const dir = mkdtempSync(join(tmpdir(), 'tunelab-dp-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The single-process reference: 1 rank × batch 8 (and the initial weights, to prove training moved them). */
const reference = (async () => {
  const single = join(dir, 'single.json');
  const initial = join(dir, 'initial.json');
  for (const [out, epochs] of [[single, EPOCHS], [initial, ['--epochs', '0']]] as const) {
    const { code, stderr } = await run([...trainScript, '--batch', '8', ...epochs, '--out', out]);
    assert.equal(code, 0, stderr);
  }
  const weights = readWeights(single);
  assert.ok(relativeError(readWeights(initial), weights) > 0.05, 'training changes the weights');
  return weights;
})();
reference.catch(() => {}); // awaited (and reported) by each test

for (const mode of ['after-backward', 'overlap']) {
  test(`2 ranks × batch 4 = 1 rank × batch 8 (${mode}, 61 examples: the last global batch splits 7/6)`, async () => {
    const out = join(dir, `two-${mode}.json`);
    const { code, stderr } = await launched(2, ['--batch', '4', ...EPOCHS, '--out', out, '--mode', mode]);
    assert.equal(code, 0, stderr);
    const error = relativeError(readWeights(out), await reference);
    assert.ok(error <= 1e-5, `relative error ${error}`);
  });
}

test('a killed rank stops the job with its error; --resume completes it with the same weights', async () => {
  const checkpoint = join(dir, 'ckpt.safetensors');
  const out = join(dir, 'resumed.json');
  const common = ['--batch', '4', ...EPOCHS, '--out', out, '--checkpoint', checkpoint];
  const killed = await launched(2, [...common, '--kill-at', '1:2:3']);
  assert.equal(killed.code, 1);
  assert.match(killed.stderr, /launcher: rank 1 \(node 0, local rank 1\) was killed by SIGKILL/);
  const resumed = await launched(2, [...common, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const error = relativeError(readWeights(out), await reference);
  assert.ok(error <= 1e-5, `relative error ${error}`);
});

/** Runs ip(8); resolves to its exit status and stderr. */
function ip(...args: string[]): Promise<Exit> {
  return run(['ip', ...args]);
}

test('two machines: one rank in each of two network namespaces joined by a veth pair, over Gloo/TCP', async (t) => {
  const id = `${process.pid % 10000}`;
  const [nsA, nsB] = [`tl-dp-a${id}`, `tl-dp-b${id}`];
  const [addrA, addrB] = ['10.231.7.1', '10.231.7.2'];
  const probe = await ip('netns', 'add', nsA);
  if (probe.code !== 0) {
    const why = `ip netns is not permitted here: ${probe.stderr.trim()}`;
    if (process.env.CI === 'true') assert.fail(why);
    t.skip(why);
    return;
  }
  try {
    const setup: string[][] = [
      ['netns', 'add', nsB],
      ['link', 'add', `tlva${id}`, 'type', 'veth', 'peer', 'name', `tlvb${id}`],
      ['link', 'set', `tlva${id}`, 'netns', nsA],
      ['link', 'set', `tlvb${id}`, 'netns', nsB],
      ['-n', nsA, 'addr', 'add', `${addrA}/24`, 'dev', `tlva${id}`],
      ['-n', nsB, 'addr', 'add', `${addrB}/24`, 'dev', `tlvb${id}`],
      ['-n', nsA, 'link', 'set', `tlva${id}`, 'up'],
      ['-n', nsB, 'link', 'set', `tlvb${id}`, 'up'],
      ['-n', nsA, 'link', 'set', 'lo', 'up'],
      ['-n', nsB, 'link', 'set', 'lo', 'up'],
    ];
    for (const args of setup) {
      const { code, stderr } = await ip(...args);
      assert.equal(code, 0, `ip ${args.join(' ')}: ${stderr}`);
    }
    const out = join(dir, 'two-machines.json');
    const trainArgs = ['--batch', '4', ...EPOCHS, '--out', out];
    const node = (rank: number, ns: string) => run(
      [...launcherScript, '--nproc-per-node', '1', '--nnodes', '2', '--node-rank', String(rank), '--master-addr', addrA,
        '--master-port', '29517', '--', ...trainScript, ...trainArgs],
      ['ip', 'netns', 'exec', ns]);
    const [machineA, machineB] = await Promise.all([node(0, nsA), node(1, nsB)]);
    assert.equal(machineA.code, 0, machineA.stderr);
    assert.equal(machineB.code, 0, machineB.stderr);
    const error = relativeError(readWeights(out), await reference);
    assert.ok(error <= 1e-5, `relative error ${error}`);
  } finally {
    await ip('netns', 'del', nsA);
    await ip('netns', 'del', nsB);
  }
});
