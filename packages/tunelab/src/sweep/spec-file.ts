// Reading a sweep spec file (YAML or JSON): parse with line numbers, validate (spec.ts), and check a `tunelab train`
// trial's flags against train's own option schema (train-trial.ts). Errors are one line naming file:line and key.
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { SpecError, validateSpec, type SweepSpec } from './spec.js';
import { checkTrainTrial } from './train-trial.js';

/** Reads and validates a spec file (YAML or JSON). */
export function loadSpec(file: string): { spec: SweepSpec; dir: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpecError(file, null, '', `cannot read spec: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const spec = parseSpec(text, file);
  const dir = resolve(dirname(resolve(file)), spec.trial.code ?? '.');
  return { spec, dir };
}

/** Validates spec text; `file` names it in errors and gives the default sweep name. */
export function parseSpec(text: string, file: string): SweepSpec {
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
  const defaultName = basename(file, extname(file));
  return validateSpec(doc.toJS(), file, lineOf, defaultName, checkTrainTrial);
}

