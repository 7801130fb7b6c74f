// The gateway's entry point (`npm start`: dist/src/main.js). It installs the gateway's SIGTERM and
// SIGINT handlers first, then loads the gateway (src/run-gateway.ts): loading its modules takes
// about a second, and a signal then met Node's default, the process killed with nothing logged
// (early-19). A signal received while loading is handed to run-gateway.ts, which stops at once.
import { installStopSignals } from './stop-signals.js';

installStopSignals();
await import('./run-gateway.js');
