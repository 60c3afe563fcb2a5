// The built dashboard (packages/dashboard/dist), read into memory once: only files that exist at startup are
// ever served, so no request path reaches the filesystem. Unknown non-API paths get index.html (client routing).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';

/** packages/dashboard/dist, found from this file (src/server or dist/server), never from the cwd. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** Vite's hashed files under assets/ never change under the same name. */
  immutable: boolean;
}

export class DashboardAssets {
  private constructor(readonly dir: string, private readonly files: Map<string, Asset>) {}

  /** Loads every file under `dir`; an absent or unbuilt folder yields assets that explain how to build. */
  static load(dir: string = DEFAULT_DASHBOARD_DIR): DashboardAssets {
    const files = new Map<string, Asset>();
    for (const file of listFiles(dir)) {
      const urlPath = '/' + relative(dir, file).split(sep).join('/');
      const buffer = readFileSync(file);
      const body = new Uint8Array(buffer.byteLength);
      body.set(buffer);
      files.set(urlPath, {
        body,
        type: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        immutable: urlPath.startsWith('/assets/'),
      });
    }
    return new DashboardAssets(dir, files);
  }

  get built(): boolean {
    return this.files.has('/index.html');
  }

  serve(c: Context): Response {
    if (!this.built) {
      return c.text(`tunelab dashboard is not built (no index.html in ${this.dir}): run \`npm run build -w @tunelab/dashboard\``, 503);
    }
    const asset = this.files.get(c.req.path);
    // A missing hashed asset is a real 404; any other path is a client-side route.
    if (!asset && (c.req.path.startsWith('/assets/') || extname(c.req.path) !== '')) return c.text('not found', 404);
    const chosen = asset ?? this.files.get('/index.html')!;
    c.header('Content-Type', chosen.type);
    c.header('Cache-Control', chosen.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return c.body(chosen.body);
  }
}

function listFiles(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return [];
  } catch {
    return [];
  }
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
