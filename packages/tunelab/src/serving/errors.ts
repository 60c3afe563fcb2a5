// Request errors of the serving API: a 400 with one line naming the field (`inputs[2].context: expected a string`),
// and the zod checks that produce them. Errors leave as server/errors.ts formats them: { error: { status, message } }.
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';

export function badRequest(message: string): HTTPException {
  return new HTTPException(400, { message });
}

/** `schema.parse(value)`, or a 400 naming `where` and the first problem. */
export function parseField<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badRequest(describeIssue(result.error.issues[0], where));
}

type Issue = z.core.$ZodIssue;

/** One line: the path and zod's message; of a union, the branch that got furthest into the value. */
function describeIssue(issue: Issue, where: string): string {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deepest = issue.errors.map((branch) => branch[0]).filter((first): first is Issue => first !== undefined)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest && deepest.path.length > 0) return describeIssue({ ...deepest, path: [...issue.path, ...deepest.path] }, where);
  }
  const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  return `${where}${path}: ${issue.message}${unknownKeys}`;
}
