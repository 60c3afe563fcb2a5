// `tunelab sweep run <spec> | resume <sweep> | status <sweep> [--json] | stop <sweep> | list`.
// The controller runs in this process; Ctrl-C stops the controller only (trials keep running; `resume` re-attaches).
import { InvalidArgumentError, type Command } from 'commander';
import type { Store, SweepExecutor } from '../track/store.js';
import { redactUrl } from '../track/connect.js';
import { loadSpec } from '../sweep/spec-file.js';
import { createSweep, isIdentityDead, runSweep, type ControllerOptions } from '../sweep/controller.js';
import { formatSweepStatus, sweepStatus } from '../sweep/status.js';
import { table } from '../format.js';
import { detectGpus, GpuPool } from '../sweep/gpus.js';
import { processesPerTrial } from '../sweep/spec.js';
import { withStore } from './common.js';
import { positiveInt, storeHelp } from './options.js';

interface ControllerFlags {
  store?: string;
  gpus?: string;
  poll: number;
  killGrace: number;
  quiet?: boolean;
}

function executorKind(value: string): SweepExecutor {
  if (value !== 'local' && value !== 'worker') throw new InvalidArgumentError('expected local or worker');
  return value;
}

function withControllerOptions(command: Command): Command {
  return command
    .option('--store <url>', storeHelp())
    .option('--gpus <ids>', 'GPU ids for local trials, one per trial process (default: $CUDA_VISIBLE_DEVICES or nvidia-smi)')
    .option('--poll <ms>', 'controller period in milliseconds', positiveInt, 250)
    .option('--kill-grace <ms>', 'SIGTERM → SIGKILL grace for terminated trials, milliseconds', positiveInt, 10_000)
    .option('--quiet', 'print only the final status');
}

export function register(program: Command): void {
  const sweep = program.command('sweep').description('Hyperparameter sweeps from Azure ML-style YAML/JSON specs');

  withControllerOptions(sweep.command('run <spec>'))
    .description('Create a sweep from a spec file and run it to the end')
    .option('--executor <kind>', 'local: trials run here as child processes; worker: `tunelab worker` processes run them', executorKind, 'local')
    .action((specFile: string, flags: ControllerFlags & { executor: SweepExecutor }) =>
      withStore('sweep run', flags.store, async (store) => {
        const { spec, dir } = await loadSpec(specFile);
        const gpus = detectGpus(flags.gpus);
        // Before the sweep is recorded: a sweep whose trials can never get their GPUs is refused, not left behind.
        if (flags.executor === 'local') new GpuPool(gpus).checkFits(processesPerTrial(spec), specFile);
        const created = await createSweep(store, spec, dir, flags.executor);
        const sampler = spec.sampling_algorithm.type === 'random' && spec.sampling_algorithm.rule === 'sobol' ? 'random/sobol' : spec.sampling_algorithm.type;
        console.log(`sweep ${created.id} (${created.name}): ${spec.limits.max_total_trials} trials, ${spec.limits.max_concurrent_trials} at a time, ` +
          `${sampler} sampling, ${spec.early_termination?.type ?? 'no'} early termination, ${flags.executor} executor; store ${redactUrl(store.url)}`);
        return control(store, created.id, flags, gpus);
      }, { longLived: true }));

  withControllerOptions(sweep.command('resume <sweep>'))
    .description('Continue a sweep whose controller stopped or was killed (re-attaches to running trials)')
    .action((sweepId: string, flags: ControllerFlags) =>
      withStore('sweep resume', flags.store, async (store) => {
        const found = await store.getSweep(sweepId);
        console.log(`sweep ${found.id} (${found.name}): resuming`);
        return control(store, found.id, flags);
      }, { longLived: true }));

  sweep.command('status <sweep>')
    .description('A sweep and its trials (id, params, status, best, reason)')
    .option('--store <url>', storeHelp())
    .option('--json', 'print JSON')
    .action((sweepId: string, flags: { store?: string; json?: boolean }) =>
      withStore('sweep status', flags.store, async (store) => {
        const report = await sweepStatus(store, sweepId);
        console.log(flags.json ? JSON.stringify(report, null, 2) : formatSweepStatus(report));
      }));

  withControllerOptions(sweep.command('stop <sweep>'))
    .description('Stop a sweep: terminate its running trials and cancel the queued ones')
    .option('--reason <text>', 'recorded as the stop reason', 'stopped by user')
    .action((sweepId: string, flags: ControllerFlags & { reason: string }) =>
      withStore('sweep stop', flags.store, async (store) => {
        const found = await store.getSweep(sweepId);
        if (found.status !== 'running') {
          console.log(`sweep ${found.id} already ${found.status}`);
          return 0;
        }
        await store.requestSweepStop(found.id, flags.reason);
        const holder = found.controllerId;
        const fresh = found.controllerHeartbeatAt !== null && Date.now() - found.controllerHeartbeatAt < Math.max(10 * flags.poll, 5000);
        if (holder !== null && !isIdentityDead(holder) && fresh) {
          console.log(`sweep ${found.id}: stop requested; controller ${holder} is stopping its trials`);
          return 0;
        }
        console.log(`sweep ${found.id}: stop requested; no live controller, stopping its trials here`);
        return control(store, found.id, flags);
      }, { longLived: true }));

  sweep.command('list')
    .description('Sweeps, newest first')
    .option('--store <url>', storeHelp())
    .action((flags: { store?: string }) =>
      withStore('sweep list', flags.store, async (store) => {
        const sweeps = await store.listSweeps();
        const rows = await Promise.all(sweeps.map(async (s) => {
          const trials = await store.listTrials(s.id);
          const done = trials.filter((t) => t.status !== 'queued' && t.status !== 'running').length;
          return [s.id, s.name, s.status, `${done}/${trials.length}`, s.executor, s.reason ?? ''];
        }));
        console.log(table(['id', 'name', 'status', 'trials done', 'executor', 'reason'], rows).join('\n'));
      }));
}

/** Runs the controller until the sweep ends (exit 0; 1 if it failed) or Ctrl-C/SIGTERM (exit 130). */
async function control(store: Store, sweepId: string, flags: ControllerFlags, gpus = detectGpus(flags.gpus)): Promise<number> {
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130); // a second Ctrl-C: leave at once
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const options: ControllerOptions = {
    pollMs: flags.poll,
    killGraceMs: flags.killGrace,
    gpus,
    signal: abort.signal,
    log: flags.quiet ? undefined : (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  };
  try {
    const outcome = await runSweep(store, sweepId, options);
    if (!outcome.finished) {
      const running = outcome.trials.filter((t) => t.status === 'running').length;
      console.log(`controller stopped; ${running} trial(s) keep running. Continue with: tunelab sweep resume ${sweepId}` +
        ` (or stop them: tunelab sweep stop ${sweepId})`);
      await store.close();
      process.exit(130); // trial supervisors of this process would otherwise keep it alive
    }
    console.log(formatSweepStatus(await sweepStatus(store, sweepId)));
    return outcome.sweep.status === 'failed' ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
