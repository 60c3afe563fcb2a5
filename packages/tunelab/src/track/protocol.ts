// The stdout metric protocol: any program, in any language, is tracked by printing lines like
//   @tunelab {"step": 3, "metrics": {"val_loss": 0.41}}
// Optional "params": {"name": scalar} merges into the run's params. NaN, Infinity and -Infinity are accepted
// as bare tokens (Python's json.dumps writes them). Every other line is ordinary output.
import { z } from 'zod';
import type { Params } from './store.js';

export const PROTOCOL_PREFIX = '@tunelab';

export interface ProtocolReport {
  step: number;
  metrics: Record<string, number>;
  params?: Params;
}

export type ParsedLine =
  | { kind: 'text' }
  | { kind: 'report'; report: ProtocolReport }
  | { kind: 'invalid'; error: string };

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const SENTINEL = '\u0000tunelab:';

const metricValue = z.union([z.number(), z.string().startsWith(SENTINEL)]).transform((v) =>
  typeof v === 'number' ? v : NON_FINITE[v.slice(SENTINEL.length)]);

const reportSchema = z.strictObject({
  step: z.number().int().nonnegative(),
  metrics: z.record(z.string().min(1), metricValue),
  params: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

/** Classifies one output line (without its newline). */
export function parseProtocolLine(line: string): ParsedLine {
  const trimmed = line.replace(/\r$/, '');
  if (!trimmed.startsWith(PROTOCOL_PREFIX)) return { kind: 'text' };
  const rest = trimmed.slice(PROTOCOL_PREFIX.length);
  if (rest !== '' && !/^\s/.test(rest)) return { kind: 'text' }; // '@tunelabs …' is someone else's word
  let json: unknown;
  try {
    json = JSON.parse(quoteNonFiniteTokens(rest.trim()));
  } catch (error) {
    return { kind: 'invalid', error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : 'report';
    return { kind: 'invalid', error: `${where}: ${issue.message}` };
  }
  return { kind: 'report', report: parsed.data };
}

/** The line a program prints to report `metrics` at `step` (what RunClient-less TypeScript code can use). */
export function formatProtocolLine(step: number, metrics: Record<string, number>): string {
  // String(NaN) = 'NaN', String(-Infinity) = '-Infinity': the bare tokens the parser accepts.
  const entries = Object.entries(metrics).map(([name, value]) => `${JSON.stringify(name)}: ${Number.isFinite(value) ? JSON.stringify(value) : String(value)}`);
  return `${PROTOCOL_PREFIX} {"step": ${step}, "metrics": {${entries.join(', ')}}}`;
}

/** Wraps bare NaN / Infinity / -Infinity tokens outside strings in sentinel strings so JSON.parse accepts them. */
function quoteNonFiniteTokens(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') { inString = true; out += char; continue; }
    const token = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9))?.[0];
    if (token) {
      out += JSON.stringify(SENTINEL + token);
      i += token.length - 1;
      continue;
    }
    out += char;
  }
  return out;
}

/**
 * Splits a growing byte stream into complete lines. Feed chunks; complete lines come back, the partial tail
 * waits for the next chunk. `consumed` counts the bytes of complete lines (what is safe to mark as read).
 */
export class LineSplitter {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): { lines: string[]; consumed: number } {
    this.pending = Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let start = 0;
    let newline = this.pending.indexOf(0x0a, start);
    while (newline >= 0) {
      lines.push(this.pending.subarray(start, newline).toString('utf8'));
      start = newline + 1;
      newline = this.pending.indexOf(0x0a, start);
    }
    this.pending = this.pending.subarray(start);
    return { lines, consumed: start };
  }

  /** The unterminated tail (a last line without newline, once the stream ended). */
  flush(): { lines: string[]; consumed: number } {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest.length === 0 ? { lines: [], consumed: 0 } : { lines: [rest.toString('utf8')], consumed: rest.length };
  }
}
