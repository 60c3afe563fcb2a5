// The extension point of `tunelab serve`: extra routes (the browser demo page of export/) mounted on every serving
// app after the built-in ones. A new route module = one file exporting a ServingRoute + one line in EXTRA_ROUTES.
import type { Hono, MiddlewareHandler } from 'hono';
import type { ServingModelInfo } from './model.js';
import { pageRoute } from '../export/page-route.js';

export interface ServingContext {
  info: ServingModelInfo;
  /** Demands `Authorization: Bearer <token>` when the server has a token (non-loopback binds); else passes. */
  requireToken: MiddlewareHandler;
}

export type ServingRoute = (app: Hono, context: ServingContext) => void;

/** Routes every `tunelab serve` mounts, after /health, /metrics and /v1/*. */
export const EXTRA_ROUTES: ServingRoute[] = [
  pageRoute,
];
