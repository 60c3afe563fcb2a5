// The models' logger: load reports (missing / unexpected weights) go to stderr as warnings, like transformers'
// logging. `logging.setVerbosity('error')` silences them (transformers.logging.set_verbosity_error()).

export type Verbosity = 'error' | 'warning' | 'info';
const RANK: Record<Verbosity, number> = { error: 0, warning: 1, info: 2 };

let verbosity: Verbosity = 'warning';
let sink: (line: string) => void = (line) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);

export const logging = {
  setVerbosity(level: Verbosity): void { verbosity = level; },
  getVerbosity(): Verbosity { return verbosity; },
  /** Where messages go (stderr by default); returns the previous sink so a caller can restore it. */
  setSink(next: (line: string) => void): (line: string) => void {
    const previous = sink;
    sink = next;
    return previous;
  },
  warn(message: string): void { if (RANK[verbosity] >= RANK.warning) sink(message); },
  info(message: string): void { if (RANK[verbosity] >= RANK.info) sink(message); },
};
