// Placeholder substitution, shell quoting and the trial environment.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { paramEnvName, shellQuote, trialCommand, trialEnv, type TrialContext } from '../../src/sweep/command.js';

const ctx: TrialContext = {
  params: { learning_rate: 0.0003, batch_size: 32, name: "it's a test", flag: true },
  outputDir: '/runs/r1/artifacts', trialId: 't1', trialNumber: 4, runId: 'r1', sweepId: 's1', sweepName: 'demo', processCount: 2,
  storeUrl: '/home/x/tunelab.db', storeHome: '/home/x',
};

describe('trial command and environment', () => {
  it('substitutes search_space and trial placeholders', () => {
    assert.equal(
      trialCommand('train --lr ${{search_space.learning_rate}} --bs ${{ search_space.batch_size }} --out ${{trial.output_dir}} #${{trial.number}} ${{sweep.name}}', ctx),
      'train --lr 0.0003 --bs 32 --out /runs/r1/artifacts #4 demo');
  });

  it('substitutes ${{trial.process_count}}, for commands that start their own ranks', () => {
    assert.equal(trialCommand('torchrun --nproc-per-node ${{trial.process_count}} train.py --out ${{trial.output_dir}}', ctx),
      'torchrun --nproc-per-node 2 train.py --out /runs/r1/artifacts');
    assert.equal(trialCommand('n=${{ trial.process_count }}', { ...ctx, processCount: 1 }), 'n=1');
  });

  it('quotes values a shell would interpret, so they arrive intact', () => {
    const command = trialCommand('printf "%s|" ${{search_space.name}} ${{search_space.flag}}', ctx);
    assert.equal(command, `printf "%s|" 'it'\\''s a test' true`);
    assert.equal(execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' }), "it's a test|true|");
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote('1e-7'), '1e-7');
  });

  it('passes params and run identity in the environment', () => {
    const env = trialEnv(ctx, { EXTRA: 'yes' }, { PATH: '/bin', TUNELAB_RUN_ID: 'stale' });
    assert.equal(env.PATH, '/bin');
    assert.equal(env.EXTRA, 'yes');
    assert.equal(env.TUNELAB_RUN_ID, 'r1');
    assert.equal(env.TUNELAB_STORE, '/home/x/tunelab.db');
    assert.equal(env.TUNELAB_HOME, '/home/x');
    assert.equal(env.TUNELAB_PARAM_LEARNING_RATE, '0.0003');
    assert.equal(env.TUNELAB_PARAM_BATCH_SIZE, '32');
    assert.deepEqual(JSON.parse(env.TUNELAB_PARAMS), ctx.params);
    assert.equal(paramEnvName('lr2_x'), 'TUNELAB_PARAM_LR2_X');
  });

  it('refuses a placeholder it cannot fill', () => {
    assert.throws(() => trialCommand('x ${{search_space.missing}}', ctx), RangeError);
  });
});
