// The run client's local journal: where a run's writes go while the store is unreachable, as JSON lines in
// `<store home>/journal/<run id>.jsonl` (fsync'ed per append), replayed into the store in order when it is back, by
// the client itself or by `tunelab runs sync`. A sidecar `<run id>.done` counts the records already committed, so a
// replay that dies halfway resumes after the last committed record instead of writing points twice.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from './store.js';
import type { FinalRunStatus, MetricPoint, Params } from './store/types.js';

export type JournalRecord =
  | { type: 'params'; params: Params }
  | { type: 'points'; points: MetricPoint[] }
  | { type: 'log'; text: string }
  | { type: 'artifact'; path: string; name?: string }
  | { type: 'end'; status: FinalRunStatus; reason: string | null };

/** Stored form of a point: [name, step, value, wallTime]; a non-finite value as text ("NaN"), which JSON lacks. */
type StoredPoint = [string, number, number | string, number];

export const JOURNAL_FOLDER = 'journal';

/** The journal folder of a store: `<home>/journal`. */
export function journalDir(home: string): string {
  return join(home, JOURNAL_FOLDER);
}

export class RunJournal {
  readonly file: string;
  private readonly doneFile: string;

  constructor(dir: string, readonly runId: string) {
    this.file = join(dir, `${runId}.jsonl`);
    this.doneFile = join(dir, `${runId}.done`);
  }

  /** True while records wait to be replayed. */
  get pending(): boolean {
    return existsSync(this.file);
  }

  /** Appends records and fsyncs them: once this returns, they survive a crash of this process and of the machine. */
  append(records: JournalRecord[]): void {
    if (records.length === 0) return;
    mkdirSync(join(this.file, '..'), { recursive: true });
    const fd = openSync(this.file, 'a');
    try {
      writeSync(fd, records.map((record) => `${JSON.stringify(encode(record))}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Points waiting in the journal (for messages). */
  pendingPoints(): number {
    return this.unreplayed().reduce((sum, record) => sum + (record.type === 'points' ? record.points.length : 0), 0);
  }

  /**
   * Writes every record not yet committed into the store, in order; deletes the journal once all are in. A failure
   * (store still unreachable) leaves the rest for the next replay. Returns the number of points written.
   */
  async replay(store: Store): Promise<number> {
    if (!this.pending) return 0;
    const records = this.readRecords();
    let done = this.doneCount();
    let points = 0;
    for (; done < records.length; done++) {
      points += await applyRecord(store, this.runId, records[done]);
      writeAtomic(this.doneFile, String(done + 1));
    }
    rmSync(this.file, { force: true });
    rmSync(this.doneFile, { force: true });
    return points;
  }

  private unreplayed(): JournalRecord[] {
    return this.pending ? this.readRecords().slice(this.doneCount()) : [];
  }

  private readRecords(): JournalRecord[] {
    // A line cut short by a crash mid-append is the only one that can be incomplete: it is the last, and skipped.
    return readFileSync(this.file, 'utf8').split('\n').filter((line) => line !== '').flatMap((line) => {
      try {
        return [decode(JSON.parse(line) as EncodedRecord)];
      } catch {
        return [];
      }
    });
  }

  private doneCount(): number {
    if (!existsSync(this.doneFile)) return 0;
    const count = Number(readFileSync(this.doneFile, 'utf8'));
    return Number.isSafeInteger(count) && count >= 0 ? count : 0;
  }
}

/** Run ids that have a journal in `dir`. */
export function journaledRuns(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.endsWith('.jsonl')).map((name) => name.slice(0, -'.jsonl'.length)).sort();
}

export interface SyncResult {
  runId: string;
  points: number;
  error: string | null;
}

/** Replays every journal of the store's home (`tunelab runs sync`): one result per run, failures named, not thrown. */
export async function syncJournals(store: Store, dir = journalDir(store.home)): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  for (const runId of journaledRuns(dir)) {
    try {
      results.push({ runId, points: await new RunJournal(dir, runId).replay(store), error: null });
    } catch (error) {
      results.push({ runId, points: 0, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

async function applyRecord(store: Store, runId: string, record: JournalRecord): Promise<number> {
  switch (record.type) {
    case 'params': await store.logParams(runId, record.params); return 0;
    case 'points': await store.appendMetrics(runId, record.points); return record.points.length;
    case 'log': await store.appendLog(runId, 'log', record.text); return 0;
    case 'artifact': await store.logArtifact(runId, record.path, record.name); return 0;
    case 'end': await store.setRunStatus(runId, record.status, { reason: record.reason }); return 0;
  }
}

type EncodedRecord = Exclude<JournalRecord, { type: 'points' }> | { type: 'points'; points: StoredPoint[] };

function encode(record: JournalRecord): EncodedRecord {
  if (record.type !== 'points') return record;
  return {
    type: 'points',
    points: record.points.map((p): StoredPoint => [p.name, p.step, Number.isFinite(p.value) ? p.value : String(p.value), p.wallTime ?? Date.now()]),
  };
}

function decode(record: EncodedRecord): JournalRecord {
  if (record.type !== 'points') return record;
  return { type: 'points', points: record.points.map(([name, step, value, wallTime]) => ({ name, step, value: Number(value), wallTime })) };
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
