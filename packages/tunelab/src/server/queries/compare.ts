// The compare page's param table: every param key across the runs, flagged when the runs disagree.
import type { ParamValue, Run } from '../../track/store.js';

export interface ParamDiffRow {
  key: string;
  /** One value per run, in the order the runs were given; null where a run lacks the param. */
  values: (ParamValue | null)[];
  differs: boolean;
}

/** Differing params first (alphabetical), then the shared ones. */
export function paramDiff(runs: readonly Run[]): ParamDiffRow[] {
  const keys = new Set<string>();
  for (const run of runs) Object.keys(run.params).forEach((k) => keys.add(k));
  const rows = [...keys].sort().map((key) => {
    const values = runs.map((run) => (key in run.params ? run.params[key] : null));
    const first = JSON.stringify(values[0]);
    return { key, values, differs: values.some((v) => JSON.stringify(v) !== first) };
  });
  return [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)];
}
