// How numbers, durations, tables and the compute setup read in text output (train, eval, predict, runs, sweeps):
// one place, so every verb prints them alike.

/** 4 decimals, or exponent form for very small/large values; integers as they are. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(3) : value.toFixed(4);
}

/** 42s, 3m07s, 2h05m; `?` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `2026-12-04 14:03:59` (UTC) for a time in ms since the epoch. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** Left-aligned text columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

/** A two-column table of final metrics. */
export function metricsTable(metrics: Record<string, number>): string {
  const width = Math.max(6, ...Object.keys(metrics).map((k) => k.length));
  const rows = Object.entries(metrics).map(([name, value]) => `  ${name.padEnd(width)}  ${formatNumber(value)}`);
  return [`  ${'metric'.padEnd(width)}  value`, `  ${'-'.repeat(width)}  ${'-'.repeat(10)}`, ...rows].join('\n');
}

/** `device: cpu, precision: fp32` — what every eval/predict output says it ran with. */
export function formatSetup(setup: { device: string; precision: string }): string {
  return `device: ${setup.device}, precision: ${setup.precision}`;
}

/**
 * One prediction record for people: `equivalent (0.87)`, `score 3.2500`, `John/B-PER lives/O …`,
 * `"Paris" (0.93)`; other records as JSON.
 */
export function formatPrediction(record: Record<string, unknown>): string {
  if (typeof record.label === 'string' && typeof record.score === 'number') return `${record.label} (${record.score.toFixed(2)})`;
  if (typeof record.sequence === 'string' && typeof record.score === 'number') return `${record.sequence} (${record.score.toFixed(2)})`;
  const tags = record.predicted_tags;
  if (Array.isArray(record.tokens) && Array.isArray(tags)) {
    return record.tokens.map((token, i) => `${String(token)}/${String(tags[i])}`).join(' ');
  }
  if (typeof record.prediction_text === 'string') {
    const answer = record.prediction_text === '' ? 'no answer' : JSON.stringify(record.prediction_text);
    return typeof record.score === 'number' ? `${answer} (${record.score.toFixed(2)})` : answer;
  }
  if (typeof record.score === 'number') return `score ${formatNumber(record.score)}`;
  return JSON.stringify(record);
}
