// Public surface of the dashboard server: start it on a port, or mount the app yourself.
export { startServer, isLoopback, ServeError, type ServeOptions, type RunningServer } from './serve.js';
export { createApp, MAX_BODY_BYTES, type AppOptions, type AppType } from './app.js';
