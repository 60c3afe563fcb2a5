// /api/stream: one multiplexed Server-Sent-Events stream per browser tab. The tab names what it shows
// (?runs=…&logs=…&sweeps=…); events are `metrics`, `logs`, `run`, `sweep`, plus `hello` first and a
// comment line every 15 s so proxies keep the connection open. A tab that changes page opens a new stream.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { csvSchema, idSchema, validQuery } from '../validate.js';
import { LiveSession } from '../live/session.js';

const ids = (max: number) => csvSchema.pipe(z.array(idSchema).max(max));
const streamQuery = z.strictObject({
  runs: ids(20).optional(),
  logs: ids(5).optional(),
  sweeps: ids(5).optional(),
});

const KEEPALIVE_MS = 15_000;

export function streamRoutes(deps: Deps) {
  return new Hono().get('/', validQuery(streamQuery), async (c) => {
    const q = c.req.valid('query');
    // Opening checks every id, so an unknown one is a plain 404 before the stream starts.
    const session = await LiveSession.open(deps.store, { runs: q.runs ?? [], logs: q.logs ?? [], sweeps: q.sweeps ?? [] });
    return streamSSE(c, async (stream) => {
      const stop = () => stream.abort();
      deps.shutdown.addEventListener('abort', stop);
      stream.onAbort(() => deps.shutdown.removeEventListener('abort', stop));
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ pollMs: deps.pollMs }) });
      let quietSince = Date.now();
      while (!stream.aborted && !stream.closed) {
        await stream.sleep(deps.pollMs);
        if (stream.aborted) break;
        const events = await session.poll();
        for (const event of events) await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
        if (events.length > 0) quietSince = Date.now();
        else if (Date.now() - quietSince > KEEPALIVE_MS) {
          await stream.write(': keep-alive\n\n');
          quietSince = Date.now();
        }
      }
    }, async () => {
      // Giving hono an error handler makes it send the failure to the tab as an `error` event, then close.
    });
  });
}
