// Experiments: named groups of runs and sweeps, created on first use.
import { sql } from 'kysely';
import { DuplicateError, NotFoundError } from '../errors.js';
import { checkName, newId, type SqlContext } from './context.js';
import type { Experiment } from './types.js';

export async function createExperiment(ctx: SqlContext, name: string): Promise<Experiment> {
  checkName('experiment name', name);
  const row = { id: newId(), name, created_at: Date.now() };
  try {
    await ctx.db.insertInto('experiments').values(row).execute();
  } catch (error) {
    if (await findExperiment(ctx, name)) throw new DuplicateError('experiment', name);
    throw error;
  }
  return { id: row.id, name, createdAt: row.created_at };
}

export async function getOrCreateExperiment(ctx: SqlContext, name: string): Promise<Experiment> {
  const existing = await findExperiment(ctx, name);
  if (existing) return existing;
  try {
    return await createExperiment(ctx, name);
  } catch (error) {
    if (error instanceof DuplicateError) return getExperiment(ctx, name);
    throw error;
  }
}

export async function getExperiment(ctx: SqlContext, idOrName: string): Promise<Experiment> {
  const found = await findExperiment(ctx, idOrName);
  if (!found) throw new NotFoundError('experiment', idOrName);
  return found;
}

export async function listExperiments(ctx: SqlContext): Promise<Experiment[]> {
  const rows = await ctx.db.selectFrom('experiments').selectAll().orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}

/** By id, else by name (an id wins when a name happens to equal another experiment's id). */
export async function findExperiment(ctx: SqlContext, idOrName: string): Promise<Experiment | undefined> {
  const row = await ctx.db.selectFrom('experiments').selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`)
    .executeTakeFirst();
  return row && { id: row.id, name: row.name, createdAt: row.created_at };
}
