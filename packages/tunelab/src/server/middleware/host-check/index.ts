// DNS-rebinding guard: a loopback-bound server answers only requests addressed to a loopback name, so a
// web page on evil.example that re-points its DNS at 127.0.0.1 cannot read the API from the victim's browser.
// Every request must carry a Host header (HTTP/1.1 requires one; an HTTP/1.0 request without it is refused,
// instead of being taken for the bind address).
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';

export interface HostCheckOptions {
  /** Host names (no port) accepted in the Host header; 'any' turns the check off (non-loopback binds use the token). */
  allowedHosts: readonly string[] | 'any';
}

export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

export function hostCheck({ allowedHosts }: HostCheckOptions): MiddlewareHandler {
  const allowed = allowedHosts === 'any' ? null : new Set(allowedHosts.map((h) => h.toLowerCase()));
  return async (c, next) => {
    const header = c.req.header('Host');
    if (header === undefined || header.trim() === '') throw new HTTPException(400, { message: 'a Host header is required' });
    if (allowed === null) return next();
    const host = hostName(header);
    if (!allowed.has(host)) throw new HTTPException(403, { message: `host ${JSON.stringify(host)} not allowed (the dashboard answers on ${[...allowed].join(', ')})` });
    return next();
  };
}

/** `[::1]:6006` → `[::1]`, `Localhost:80` → `localhost`. */
function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
