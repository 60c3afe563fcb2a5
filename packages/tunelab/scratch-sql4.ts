import BetterSqlite3 from 'better-sqlite3';
const db = new BetterSqlite3('/tmp/scale/cov.db', { readonly: true });
const t = (label: string, f: () => unknown) => { const s = performance.now(); const r = f(); console.log(label, (performance.now() - s).toFixed(0), 'ms', r); };
const ids = (db.prepare('select id from runs').pluck().all() as string[]);
const nogroup = db.prepare(`select min(value), max(value) from metrics where run_id = ? and name = 'val_loss'`).raw();
t('per-run no group', () => { let n = 0; for (const id of ids) n += nogroup.all(id).length; return n; });
const range = db.prepare(`select min(value), step, wall_time from metrics where run_id = ? and name = 'val_loss' and step >= ? and step < ?`).raw();
const rangeMax = db.prepare(`select max(value), step, wall_time from metrics where run_id = ? and name = 'val_loss' and step >= ? and step < ?`).raw();
t('per-bucket range min+max (100 runs)', () => { let n = 0; for (const id of ids.slice(0, 100)) for (let b = 0; b < 99; b++) { const lo = 1 + Math.floor(b * 10000 / 99), hi = 1 + Math.floor((b + 1) * 10000 / 99); n += range.all(id, lo, hi).length + rangeMax.all(id, lo, hi).length; } return n; });
class Acc { min = Infinity; minStep = 0; minWall = 0; max = -Infinity; maxStep = 0; maxWall = 0; }
const buckets = new Map<number, Acc>();
db.aggregate('ext', { start: () => 0, step: (n: number, b: number, step: number, value: number | null, wall: number) => { if (value === null) return n; let a = buckets.get(b); if (!a) buckets.set(b, a = new Acc()); if (value < a.min) { a.min = value; a.minStep = step; a.minWall = wall; } if (value > a.max) { a.max = value; a.maxStep = step; a.maxWall = wall; } return n + 1; }, result: (n: number) => n });
const jsagg = db.prepare(`select ext((step - 1) * 99 / 10000, step, value, wall_time) from metrics where run_id = ? and name = 'val_loss'`).pluck();
t('per-run JS aggregate (100 runs)', () => { let n = 0; for (const id of ids.slice(0, 100)) { buckets.clear(); n += jsagg.get(id) as number; } return n; });
