// The entry wrapper of a rank: reports its error to the launcher (like torchelastic's error file) and exits non-zero.
import { renameSync, writeFileSync } from 'node:fs';

/** The launcher sets this to a per-rank path; a failing rank writes `{ message, stack }` there. */
export const ERROR_FILE_ENV = 'TUNELAB_ERROR_FILE';

/**
 * Runs a rank's main function. On error, records the message for the launcher (which reports it as the job's
 * error) and exits 1, so a failing rank never lingers half-alive in a collective.
 */
export async function runRank(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (err) {
    recordRankError(err);
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  }
}

/** Writes the error file named by TUNELAB_ERROR_FILE (atomically), when running under the launcher. */
export function recordRankError(err: unknown, env: Record<string, string | undefined> = process.env): void {
  const file = env[ERROR_FILE_ENV];
  if (!file) return;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const stack = err instanceof Error ? err.stack : undefined;
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify({ message, stack }));
    renameSync(`${file}.tmp`, file);
  } catch {
    // The launcher falls back to the rank's stderr.
  }
}
