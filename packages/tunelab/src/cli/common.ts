// Running a store-backed verb's body (runs, sweep, worker, ui) with an open store, bad input mapped to one line and
// exit code 2. Their option helpers (--store help, integers) are in options.ts.
import { exitCodeOf } from '../errors.js';
import { openStore, type Store } from '../track/store.js';

const LONG_LIVED_RECONNECT_MS = 30 * 60_000;

/**
 * Runs a verb's body with an open store (closed afterwards). Input errors print `tunelab <verb>: <message>`
 * and exit 2; anything else exits 1 with the same one line (the stack with TUNELAB_DEBUG=1).
 */
export async function withStore(verb: string, storeUrl: string | undefined, body: (store: Store) => Promise<number | void>,
  options: { longLived?: boolean } = {}): Promise<void> {
  let store: Store | undefined;
  let code = 0;
  try {
    // A long-lived verb (worker, sweep controller, ui) rides out a lost database connection for minutes, saying so;
    // a short one retries for seconds, then exits with one line.
    store = await openStore(storeUrl, options.longLived
      ? { reconnectForMs: LONG_LIVED_RECONNECT_MS, log: (line) => console.error(`tunelab ${verb}: ${line}`) } : {});
    code = (await body(store)) ?? 0;
  } catch (error) {
    console.error(`tunelab ${verb}: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.TUNELAB_DEBUG && error instanceof Error) console.error(error.stack);
    code = exitCodeOf(error);
  } finally {
    await store?.close();
  }
  process.exitCode = code;
}
