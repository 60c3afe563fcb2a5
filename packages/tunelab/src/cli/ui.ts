// `tunelab ui`: serves the dashboard and its API over a store until interrupted.
import { InvalidArgumentError, type Command } from 'commander';
import { openStore, type Store } from '../track/store.js';
import { startServer } from '../server/serve.js';

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected an integer 0..65535');
  return port;
}

export function register(program: Command): void {
  program
    .command('ui')
    .description('Serve the web dashboard and HTTP API for a store (runs, sweeps, live curves)')
    .option('--store <url>', 'store: SQLite file/folder or postgres://… (default: $TUNELAB_STORE or ./tunelab-runs)')
    .option('--port <port>', 'port to listen on', portNumber, 6006)
    .option('--host <host>', 'address to bind; anything but loopback requires the token on every API call', '127.0.0.1')
    .option('--token <token>', 'API token (default: generated and printed once; $TUNELAB_UI_TOKEN also works)')
    .action(async (options: { store?: string; port: number; host: string; token?: string }) => {
      let store: Store | undefined;
      try {
        store = await openStore(options.store);
        const server = await startServer({
          store, host: options.host, port: options.port, token: options.token ?? process.env.TUNELAB_UI_TOKEN,
        });
        console.log(`tunelab ui: store ${store.url}`);
        if (!server.dashboardBuilt) console.log('tunelab ui: dashboard not built — API only (run `npm run build`)');
        console.log(`tunelab ui: open ${server.url}/#token=${server.token}`);
        console.log(server.readsNeedToken
          ? 'tunelab ui: listening beyond loopback — every API call needs the token (Authorization: Bearer …)'
          : 'tunelab ui: reads are open on loopback; stop, tag and delete need the token');
        const stop = async () => {
          await server.close();
          await store?.close();
          process.exit(0);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        await store?.close();
        console.error(`tunelab ui: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(2);
      }
    });
}
