// Every API error leaves as `{ "error": { "status", "message" } }`; mapped once, in onError.
// Handlers throw HTTPException (or let a store error through); nothing else formats errors.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { NotFoundError, RunFinishedError, StoreInputError } from '../track/errors.js';

export interface ApiErrorBody {
  error: { status: number; message: string };
}

export function errorBody(status: number, message: string): ApiErrorBody {
  return { error: { status, message } };
}

/** Store errors carry the right status; anything unexpected is a 500 whose details stay in the server log. */
export function toHttpError(error: unknown): { status: ContentfulStatusCode; message: string; headers?: Headers } {
  if (error instanceof HTTPException) {
    return { status: error.status as ContentfulStatusCode, message: error.message || 'request refused', headers: error.res?.headers };
  }
  if (error instanceof NotFoundError) return { status: 404, message: error.message };
  if (error instanceof RunFinishedError) return { status: 409, message: error.message };
  if (error instanceof StoreInputError) return { status: 400, message: error.message };
  return { status: 500, message: 'internal error (see the server log)' };
}

export function onError(error: unknown, c: Context): Response {
  const { status, message, headers } = toHttpError(error);
  if (status === 500) console.error('tunelab ui:', error);
  const response = c.json(errorBody(status, message), status);
  const challenge = headers?.get('WWW-Authenticate');
  if (challenge) response.headers.set('WWW-Authenticate', challenge);
  return response;
}

export function notFound(c: Context): Response {
  return c.json(errorBody(404, `no such endpoint: ${c.req.method} ${c.req.path}`), 404);
}
