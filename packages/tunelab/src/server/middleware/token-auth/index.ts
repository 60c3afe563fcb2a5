// Bearer-token check for the API. Mutating calls (anything but GET/HEAD) always need the token; reads need
// it only when the server listens beyond loopback. SSE is a GET, so it follows the read rule — the
// dashboard streams with fetch(), which sends the same Authorization header, so the token never sits in a URL.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';

export interface TokenAuthOptions {
  token: string;
  /** True when bound to a non-loopback address: every API call then needs the token. */
  readsNeedToken: boolean;
  headerName?: string;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

export function tokenAuth({ token, readsNeedToken, headerName = 'Authorization' }: TokenAuthOptions): MiddlewareHandler {
  if (token.length < 16) throw new RangeError('the API token must be at least 16 characters');
  const expected = digest(token);
  return async (c, next) => {
    const needed = readsNeedToken || !READ_METHODS.has(c.req.method);
    if (!needed) return next();
    const header = c.req.header(headerName);
    if (!header) throw unauthorized('missing bearer token (Authorization: Bearer <token>)');
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!match) throw unauthorized('malformed Authorization header (expected "Bearer <token>")');
    // Compare fixed-size digests so neither length nor content leaks through timing.
    if (!timingSafeEqual(digest(match[1]), expected)) throw unauthorized('wrong token');
    return next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function unauthorized(message: string): HTTPException {
  const res = new Response(null, { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="tunelab"' } });
  return new HTTPException(401, { message, res });
}
