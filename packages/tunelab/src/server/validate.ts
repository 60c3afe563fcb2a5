// Request validation at the edge: zod schemas (strict: unknown keys are named and refused) wrapped in
// hono validators, so handlers get typed input and the dashboard's `hc` client gets typed calls.
import { validator } from 'hono/validator';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where;
  const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new HTTPException(400, { message: `${path}: ${issue.message}${unknownKeys}` });
}

export function validQuery<S extends z.ZodType>(schema: S) {
  return validator('query', (value) => parse(schema, value, 'query'));
}

/** JSON bodies only: hono's json validator reads any other media type as `{}`, which we refuse instead. */
export function validJson<S extends z.ZodType>(schema: S) {
  return validator('json', (value, c) => {
    const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/json') {
      throw new HTTPException(415, { message: `body: Content-Type must be application/json, got ${JSON.stringify(mediaType || 'none')}` });
    }
    return parse(schema, value, 'body');
  });
}

export function validParams<S extends z.ZodType>(schema: S) {
  return validator('param', (value) => parse(schema, value, 'path'));
}

/** Ids are what the store hands out (12 base-36 chars); names are allowed for sweeps. Anything odd is a 400. */
export const idSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'not a valid id');

/** `?points=` for downsampled series: 2..5000. */
export const pointsSchema = z.coerce.number().int().min(2).max(5000);

/** A list given comma-separated (`?ids=a,b`), repeated (`?ids=a&ids=b`), or both. */
export const csvSchema = z.union([z.string().max(4096), z.array(z.string().max(4096)).max(50)])
  .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((s) => s.split(',')).map((x) => x.trim()).filter(Boolean));
