// `tunelab ui`: serves the dashboard and its API over a store until interrupted (Ctrl-C).
import type { Command } from 'commander';
import { startServer } from '../server/serve.js';
import { redactUrl } from '../track/connect.js';
import { withStore } from './common.js';
import { accessToken, portNumber, storeHelp } from './options.js';

export function register(program: Command): void {
  program
    .command('ui')
    .description('Serve the web dashboard and HTTP API for a store: runs, sweeps, live curves')
    .option('--store <url>', storeHelp())
    .option('--port <port>', 'port to listen on', portNumber, 6006)
    .option('--host <host>', 'address to bind; anything but loopback makes every API call need the token', '127.0.0.1')
    .option('--token <token>', 'API token (default: $TUNELAB_UI_TOKEN, else generated and printed once)', accessToken)
    .action((options: { store?: string; port: number; host: string; token?: string }) =>
      withStore('ui', options.store, async (store) => {
        const given = options.token ?? process.env.TUNELAB_UI_TOKEN;
        const server = await startServer({ store, host: options.host, port: options.port, token: given === undefined ? undefined : accessToken(given) });
        console.log(`tunelab ui: store ${redactUrl(store.url)}`);
        if (!server.dashboardBuilt) console.log('tunelab ui: the dashboard is not built, serving the API only (run `npm run build`)');
        console.log(`tunelab ui: open ${server.url}/#token=${server.token}`);
        console.log(server.readsNeedToken
          ? 'tunelab ui: bound beyond loopback: every API call needs the token (Authorization: Bearer <token>)'
          : 'tunelab ui: reads are open on loopback; stop, tag and delete need the token');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      }, { longLived: true }));
}
