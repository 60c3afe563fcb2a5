// Helpers shared by the store-backed verbs (runs, sweep, worker, ui): the --store option, integer options, and
// running a verb's body with an open store, bad input mapped to one line and exit code 2.
import { InvalidArgumentError } from 'commander';
import { openStore, StoreError, type Store } from '../track/store.js';
import { SpecError } from '../sweep/spec.js';
import { ControllerBusyError } from '../sweep/controller.js';
import { GpuShortageError } from '../sweep/gpus.js';

export const STORE_HELP = 'store: SQLite file/folder or postgres://… (default: $TUNELAB_STORE, else $TUNELAB_HOME or ./tunelab-runs)';

/** Errors that mean "your input is wrong": one line, exit code 2. */
function isInputError(error: unknown): boolean {
  return error instanceof StoreError || error instanceof SpecError || error instanceof ControllerBusyError || error instanceof GpuShortageError
    || error instanceof InvalidArgumentError;
}

/**
 * Runs a verb's body with an open store (closed afterwards). Input errors print `tunelab <verb>: <message>`
 * and exit 2; anything else exits 1 with the same one line (the stack with TUNELAB_DEBUG=1).
 */
export async function withStore(verb: string, storeUrl: string | undefined, body: (store: Store) => Promise<number | void>): Promise<void> {
  let store: Store | undefined;
  let code = 0;
  try {
    store = await openStore(storeUrl);
    code = (await body(store)) ?? 0;
  } catch (error) {
    console.error(`tunelab ${verb}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.TUNELAB_DEBUG && error instanceof Error) console.error(error.stack);
    code = isInputError(error) ? 2 : 1;
  } finally {
    await store?.close();
  }
  process.exitCode = code;
}

/** commander parser for options that take an integer ≥ 1. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected an integer ≥ 1');
  return Number(value);
}
