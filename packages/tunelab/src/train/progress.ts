// What a person (or a program) sees while training: a cli-progress bar on a terminal, plain periodic lines when
// stdout is not a TTY, JSON lines with `--json`; and a final metrics table.
import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { formatDuration, formatNumber, metricsTable } from '../format.js';
import type { LogEntry } from './checkpoint.js';
import type { ProgressInfo } from './trainer.js';

export interface Reporter {
  progress(info: ProgressInfo): void;
  log(entry: LogEntry): void;
  /** A line of text for people (e.g. "saved checkpoint-40"); JSON mode turns it into {"type":"message"}. */
  message(text: string): void;
  /** Final result: metrics table for people, one {"type":"result"} line for programs. */
  result(result: RunSummary): void;
  close(): void;
}

/** What a finished job prints: its metrics, its output folder, and where it was tracked. */
export interface RunSummary {
  outputDir: string;
  metrics: Record<string, number>;
  trackedAs?: string | null;
}

/** `quiet`: ranks other than 0 of a data-parallel job, whose progress rank 0 already shows. */
export type ReporterMode = 'bar' | 'lines' | 'json' | 'quiet';

export function chooseReporterMode(json: boolean, stream: NodeJS.WriteStream = process.stdout): ReporterMode {
  if (json) return 'json';
  return stream.isTTY ? 'bar' : 'lines';
}

export function createReporter(mode: ReporterMode, stream: NodeJS.WritableStream = process.stdout): Reporter {
  if (mode === 'quiet') return QUIET_REPORTER;
  if (mode === 'json') return new JsonReporter(stream);
  if (mode === 'lines') return new LineReporter(stream);
  return new BarReporter(stream);
}

const QUIET_REPORTER: Reporter = { progress() {}, log() {}, message() {}, result() {}, close() {} };

/** Steps per second over a sliding window, and the time left at that pace. */
class Pace {
  private readonly samples: { step: number; time: number }[] = [];

  update(step: number): void {
    this.samples.push({ step, time: performance.now() });
    if (this.samples.length > 50) this.samples.shift();
  }

  stepsPerSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples.at(-1)!;
    return (last.step - first.step) / Math.max((last.time - first.time) / 1000, 1e-9);
  }

  etaSeconds(step: number, total: number): number {
    const rate = this.stepsPerSecond();
    return rate > 0 ? (total - step) / rate : Number.NaN;
  }
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics).map(([name, value]) => `${name} ${formatNumber(value)}`).join(' | ');
}

function resultText(result: RunSummary): string {
  const lines = [metricsTable(result.metrics), `output: ${result.outputDir}`];
  if (result.trackedAs) lines.push(`tracked: ${result.trackedAs}`);
  return `${lines.join('\n')}\n`;
}

class LineReporter implements Reporter {
  private readonly pace = new Pace();
  private lastPrinted = 0;
  constructor(private readonly out: NodeJS.WritableStream, private readonly everySeconds = 10) {}

  progress(info: ProgressInfo): void {
    this.pace.update(info.step);
    const now = performance.now();
    if (now - this.lastPrinted < this.everySeconds * 1000 && info.step !== info.totalSteps) return;
    this.lastPrinted = now;
    const loss = info.loss === null ? '-' : info.loss.toFixed(4);
    this.out.write(`epoch ${info.epoch.toFixed(2)} | step ${info.step}/${info.totalSteps} | loss ${loss} | `
      + `lr ${info.lr.toExponential(2)} | ${this.pace.stepsPerSecond().toFixed(2)} it/s | `
      + `ETA ${formatDuration(this.pace.etaSeconds(info.step, info.totalSteps))}\n`);
  }

  log(entry: LogEntry): void {
    if (!Object.keys(entry.metrics).some((name) => name.startsWith('eval_'))) return; // train lines come from progress
    this.out.write(`eval at step ${entry.step} (epoch ${entry.epoch.toFixed(2)}): ${formatMetrics(entry.metrics)}\n`);
  }

  message(text: string): void {
    this.out.write(`${text}\n`);
  }

  result(result: RunSummary): void {
    this.out.write(resultText(result));
  }

  close(): void {}
}

class BarReporter implements Reporter {
  private readonly pace = new Pace();
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly out: NodeJS.WritableStream) {
    this.bars = new cliProgress.MultiBar({
      stream: out,
      format: 'epoch {epochs} |{bar}| {value}/{total} | loss {loss} | lr {lr} | {speed} it/s | ETA {remaining}',
      hideCursor: true,
      clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
  }

  progress(info: ProgressInfo): void {
    this.pace.update(info.step);
    const payload = {
      epochs: info.epoch.toFixed(2),
      loss: info.loss === null ? '-' : info.loss.toFixed(4),
      lr: info.lr.toExponential(2),
      speed: this.pace.stepsPerSecond().toFixed(2),
      remaining: formatDuration(this.pace.etaSeconds(info.step, info.totalSteps)),
    };
    this.bar ??= this.bars.create(info.totalSteps, info.step, payload);
    this.bar.update(info.step, payload);
  }

  log(entry: LogEntry): void {
    if (!Object.keys(entry.metrics).some((name) => name.startsWith('eval_'))) return;
    this.bars.log(`eval at step ${entry.step} (epoch ${entry.epoch.toFixed(2)}): ${formatMetrics(entry.metrics)}\n`);
  }

  message(text: string): void {
    if (this.bar) this.bars.log(`${text}\n`);
    else this.out.write(`${text}\n`);
  }

  result(result: RunSummary): void {
    this.close();
    this.out.write(resultText(result));
  }

  close(): void {
    this.bars.stop();
  }
}

class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Every line carries its time (ISO 8601, UTC), as log lines do. */
  private emit(record: Record<string, unknown>): void {
    this.out.write(`${JSON.stringify({ ...record, time: new Date().toISOString() })}\n`);
  }

  progress(): void {}

  log(entry: LogEntry): void {
    this.emit({ type: 'log', ...entry });
  }

  message(text: string): void {
    this.emit({ type: 'message', text });
  }

  result(result: RunSummary): void {
    this.emit({ type: 'result', ...result });
  }

  close(): void {}
}

/** Progress of evaluation batches: `update(done, total)`; `stop()` when finished. */
export interface EvalProgress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar of evaluation batches on `stream` when it is a terminal (stderr, so stdout stays the result);
 * nothing when it is not or is null (--json, pipes, logs).
 */
export function createEvalProgress(stream: NodeJS.WriteStream | null): EvalProgress {
  if (!stream?.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    stream, format: 'evaluating |{bar}| {value}/{total} batches | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) { bar.start(total, done); started = true; } else { bar.setTotal(total); bar.update(done); }
    },
    stop() { if (started) bar.stop(); },
  };
}

/** One reporter showing everything on several (the terminal, and the run's own log). */
export function teeReporter(...reporters: Reporter[]): Reporter {
  return {
    progress: (info) => reporters.forEach((r) => r.progress(info)),
    log: (entry) => reporters.forEach((r) => r.log(entry)),
    message: (text) => reporters.forEach((r) => r.message(text)),
    result: (result) => reporters.forEach((r) => r.result(result)),
    close: () => reporters.forEach((r) => r.close()),
  };
}

/** Text written before `attach(write)` is held, then handed over; afterwards it goes straight through. */
export class PendingLog {
  private held: string[] = [];
  private write: ((text: string) => void) | null = null;
  readonly stream: NodeJS.WritableStream = new Writable({
    write: (chunk: Buffer | string, _encoding, done) => {
      const text = chunk.toString();
      if (this.write) this.write(text);
      else this.held.push(text);
      done();
    },
  });

  attach(write: (text: string) => void): void {
    this.write = write;
    for (const text of this.held.splice(0)) write(text);
  }
}
