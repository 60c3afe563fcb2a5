// How a trial's params reach its process: `${{search_space.x}}` (and `${{trial.output_dir}}`, `${{trial.id}}`,
// `${{trial.number}}`, `${{trial.run_id}}`, `${{sweep.id}}`, `${{sweep.name}}`) substituted into the command,
// shell-quoted where needed, plus environment variables TUNELAB_PARAM_<NAME> and TUNELAB_PARAMS (JSON).
// `${{trial.process_count}}` is the spec's trial.distribution.process_count_per_instance (1 without it), for a
// command that starts its own ranks: `torchrun --nproc-per-node ${{trial.process_count}} train.py`.
import type { ParamValue, Params } from '../track/store.js';
import { ENV_RUN_ID, ENV_STORE } from '../track/client.js';

export interface TrialContext {
  params: Params;
  outputDir: string;
  trialId: string;
  trialNumber: number;
  runId: string;
  sweepId: string;
  sweepName: string;
  /** Processes the trial runs (trial.distribution.process_count_per_instance, else 1). */
  processCount: number;
  storeUrl: string;
  /** The store's home (run folders); passed on so a PostgreSQL-backed child writes artifacts to the same place. */
  storeHome: string;
}

const PLACEHOLDER = /\$\{\{\s*([^}]*?)\s*\}\}/g;

/** The command with every placeholder replaced (spec.ts has already rejected unknown ones). */
export function trialCommand(template: string, ctx: TrialContext): string {
  const fixed: Record<string, string> = {
    'trial.output_dir': ctx.outputDir,
    'trial.id': ctx.trialId,
    'trial.number': String(ctx.trialNumber),
    'trial.run_id': ctx.runId,
    'trial.process_count': String(ctx.processCount),
    'sweep.id': ctx.sweepId,
    'sweep.name': ctx.sweepName,
  };
  return template.replace(PLACEHOLDER, (whole, key: string) => {
    if (key in fixed) return shellQuote(fixed[key]);
    const param = /^search_space\.(.+)$/.exec(key)?.[1];
    if (param !== undefined && param in ctx.params) return shellQuote(formatValue(ctx.params[param]));
    throw new RangeError(`unknown placeholder ${whole}`);
  });
}

/** Environment of the trial process: the parent's, the spec's trial.env, then tunelab's own variables. */
export function trialEnv(ctx: TrialContext, extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  Object.assign(env, extra, {
    [ENV_RUN_ID]: ctx.runId,
    [ENV_STORE]: ctx.storeUrl,
    TUNELAB_HOME: ctx.storeHome,
    TUNELAB_TRIAL_ID: ctx.trialId,
    TUNELAB_TRIAL_NUMBER: String(ctx.trialNumber),
    TUNELAB_SWEEP_ID: ctx.sweepId,
    TUNELAB_OUTPUT_DIR: ctx.outputDir,
    TUNELAB_PARAMS: JSON.stringify(ctx.params),
    PYTHONUNBUFFERED: '1', // Python trials: report lines reach us as they are printed
  });
  for (const [name, value] of Object.entries(ctx.params)) env[paramEnvName(name)] = formatValue(value);
  return env;
}

/** learning_rate → TUNELAB_PARAM_LEARNING_RATE */
export function paramEnvName(name: string): string {
  return `TUNELAB_PARAM_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

function formatValue(value: ParamValue): string {
  return value === null ? '' : String(value);
}

/** Leaves plain words alone and single-quotes anything a shell would interpret. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_.,:+=@%/-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
