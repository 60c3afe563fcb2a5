// `tunelab worker --store postgres://…`: claims queued trials of worker-executor sweeps and runs them here.
// Start any number, on any machines that reach the store. SIGTERM/Ctrl-C hands running trials back to the queue.
import type { Command } from 'commander';
import { runWorker } from '../sweep/worker.js';
import { detectGpus } from '../sweep/gpus.js';
import { withStore } from './common.js';
import { positiveInt, storeHelp } from './options.js';

export function register(program: Command): void {
  program.command('worker')
    .description('Run trials of sweeps started with `tunelab sweep run --executor worker`')
    .option('--store <url>', storeHelp())
    .option('--sweep <sweep>', 'only this sweep (id or name); exit when it ends')
    .option('--slots <n>', 'trials at a time (default: one per GPU, else 1)', positiveInt)
    .option('--gpus <ids>', 'GPU ids, one per trial process (default: $CUDA_VISIBLE_DEVICES or nvidia-smi)')
    .option('--poll <ms>', 'queue polling period in milliseconds', positiveInt, 1000)
    .option('--kill-grace <ms>', 'SIGTERM → SIGKILL grace for terminated trials, milliseconds', positiveInt, 10_000)
    .action((flags: { store?: string; sweep?: string; slots?: number; gpus?: string; poll: number; killGrace: number }) =>
      withStore('worker', flags.store, async (store) => {
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        // An id or a name (the newest sweep so named); unknown: exit 2 now rather than idle forever.
        const sweepId = flags.sweep === undefined ? undefined : (await store.getSweep(flags.sweep)).id;
        const summary = await runWorker(store, {
          sweepId, slots: flags.slots, gpus: detectGpus(flags.gpus), pollMs: flags.poll,
          killGraceMs: flags.killGrace, signal: abort.signal,
          log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
        });
        console.log(`worker ${summary.workerId}: ran ${summary.trials.length} trial(s)`);
        return abort.signal.aborted ? 130 : 0;
      }, { longLived: true }));
}
