// Reading a sweep spec file (YAML or JSON): parse with line numbers, validate (spec.ts), and check a `tunelab train`
// trial's flags against train's own option schema (train-trial.ts). Errors are one line naming file:line and key.
// Async because train-trial.ts is imported only for specs that use it: it loads the trainer (and libtorch), which
// a sweep of any other program never needs.
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { SpecError, validateSpec, type SweepSpec } from './spec.js';

/** Reads and validates a spec file (YAML or JSON). */
export async function loadSpec(file: string): Promise<{ spec: SweepSpec; dir: string }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpecError(file, null, '', `cannot read spec: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const spec = await parseSpec(text, file);
  const dir = resolve(dirname(resolve(file)), spec.trial.code ?? '.');
  return { spec, dir };
}

/** Validates spec text; `file` names it in errors and gives the default sweep name. */
export async function parseSpec(text: string, file: string): Promise<SweepSpec> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new SpecError(file, lineCounter.linePos(error.pos[0]).line, '', error.message.split('\n')[0]);
  }
  const lineOf = (path: PropertyKey[]): number | null => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as (string | number)[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return null;
  };
  const json: unknown = doc.toJS();
  if (!hasTrainTrial(json)) return validateSpec(json, file, lineOf, basename(file, extname(file)));
  const { checkTrainTrial, withStoredParamNames } = await import('./train-trial.js');
  return withStoredParamNames(validateSpec(json, file, lineOf, basename(file, extname(file)), checkTrainTrial));
}

function hasTrainTrial(json: unknown): boolean {
  const trial = (json as { trial?: unknown } | null)?.trial;
  return typeof trial === 'object' && trial !== null && 'train' in trial;
}

