// `tunelab serve`'s /demo/ page: the served model, exported to ONNX (onnx-export.ts) on the first request for it, run
// in the browser by transformers.js over onnxruntime-web's wasm build. Every URL is a key of a fixed table (page
// files, the library, the wasm runtime, the export): no request path reaches the filesystem. Like /v1/*, the page
// needs the server's token on non-loopback binds — it hands out the model's weights.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ServingRoute } from '../serving/routes.js';
import type { ServingModelInfo } from '../serving/model.js';
import { exportModel } from './onnx-export.js';

export const PAGE_PREFIX = '/demo';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page's own files, found from this module (src/export or dist/export) in the source tree. */
const PAGE_DIR = fileURLToPath(new URL('../../src/export/page/', import.meta.url));
const require = createRequire(import.meta.url);
/**
 * dist/ of each package: transformers.min.js bundles onnxruntime-web's JavaScript, which loads the wasm files.
 * Resolved on first use, so a server whose install leaves the browser packages out still starts.
 */
const distOf = (pkg: '@huggingface/transformers' | 'onnxruntime-web') => dirname(require.resolve(pkg));
/** The runtime transformers.js picks for browsers with or without WebGPU (its default, from its own CDN otherwise). */
const ORT_RUNTIME = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

type Bytes = Uint8Array<ArrayBuffer>;
type Source = () => Promise<Bytes>;

export const pageRoute: ServingRoute = (app, { info, requireToken }) => {
  const files = pageFiles(info);
  app.use(PAGE_PREFIX, requireToken);
  app.use(`${PAGE_PREFIX}/*`, requireToken);
  app.get(PAGE_PREFIX, (c) => c.redirect(`${PAGE_PREFIX}/`));
  app.get(`${PAGE_PREFIX}/*`, async (c) => {
    const source = files.get(c.req.path);
    if (!source) throw new HTTPException(404, { message: `${c.req.path}: no such file` });
    return send(c, c.req.path, await source());
  });
};

/** URL path → contents, read (or exported) once on first use. */
function pageFiles(info: ServingModelInfo): Map<string, Source> {
  const files = new Map<string, Source>([
    [`${PAGE_PREFIX}/`, once(() => read(join(PAGE_DIR, 'index.html')))],
    [`${PAGE_PREFIX}/app.js`, once(() => read(join(PAGE_DIR, 'app.js')))],
    [`${PAGE_PREFIX}/transformers.min.js`, once(() => read(join(distOf('@huggingface/transformers'), 'transformers.min.js')))],
    [`${PAGE_PREFIX}/settings.json`, once(() => new TextEncoder().encode(JSON.stringify({
      pipeline: info.pipeline, labels: info.labels, max_seq_length: info.maxSeqLength,
    })))],
  ]);
  for (const name of ORT_RUNTIME) files.set(`${PAGE_PREFIX}/ort/${name}`, once(() => read(join(distOf('onnxruntime-web'), name))));
  const exported = once(() => exportToMemory(info.modelDir));
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model.onnx']) {
    files.set(`${PAGE_PREFIX}/model/${name}`, async () => {
      const file = (await exported()).get(name);
      if (!file) throw new HTTPException(404, { message: `the export of ${info.modelDir} has no ${name}` });
      return file;
    });
  }
  return files;
}

/** `tunelab export` of the served folder into a temporary folder, read back into memory, the folder removed. */
async function exportToMemory(modelDir: string): Promise<Map<string, Bytes>> {
  const scratch = mkdtempSync(join(tmpdir(), 'tunelab-page-'));
  try {
    const result = await exportModel({ model: modelDir, output: join(scratch, 'model') });
    return new Map(result.files.map((file) => [file.path, read(join(result.output, file.path))]));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A source computed on first use; a failure is not cached, so the next request tries again. */
function once<T>(load: () => T | Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= Promise.resolve().then(load).catch((error: unknown): never => {
      pending = null;
      throw error;
    });
    return pending;
  };
}

/** A file's bytes in a buffer of their own (what a Response body takes). */
function read(path: string): Bytes {
  const buffer = readFileSync(path);
  const bytes = new Uint8Array(buffer.byteLength);
  bytes.set(buffer);
  return bytes;
}

/**
 * The page may load code and data from this server only: its scripts, the wasm runtime (compiled: wasm-unsafe-eval;
 * transformers.js imports the runtime's loader from a blob: URL) and the model.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:; " +
  "connect-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'";

function send(c: Context, path: string, body: Bytes): Response {
  const type = path.endsWith('/') ? CONTENT_TYPES['.html']! : CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  c.header('Content-Type', type);
  c.header('Cache-Control', 'no-cache');
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  return c.body(body);
}
