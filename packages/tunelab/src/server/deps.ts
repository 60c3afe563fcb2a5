// What every route module needs, built once per app.
import type { Store } from '../track/store.js';

export interface Deps {
  store: Store;
  /** How often live streams poll the store for new points, logs and status changes. */
  pollMs: number;
  /** True when reads need the token too (non-loopback bind); the dashboard adapts its downloads. */
  readsNeedToken: boolean;
  /** Aborted when the server closes: live streams end instead of holding the process open. */
  shutdown: AbortSignal;
}
