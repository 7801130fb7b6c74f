/**
 * A gateway in a process of its own, for tests that need two real processes or a heap measured
 * apart from the test's own (test/support/processes.ts starts it). Configured by the environment
 * (the test's config as variables); talks over IPC:
 * - sends `{ type: 'ready', url }` once listening;
 * - on `{ type: 'stats' }` sends `{ type: 'stats', subscribers, sockets }`;
 * - on `{ type: 'heap' }` runs a full GC (the process has --expose-gc) and sends
 *   `{ type: 'heap', heapUsed, subscribers, sockets }`;
 * - on SIGTERM does what `main.ts` does: `gateway.close()` (in-flight work ends, sockets get 1001), then exits 0.
 */
import pino from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { startGateway } from '../../src/http/server.js';

const config = loadConfig(process.env);
const orm = await openOrm({ url: config.databaseUrl!, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts });
const gateway = await startGateway({ config, orm, databaseUrl: config.databaseUrl!, clock: systemClock, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) }, 0, '127.0.0.1');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 15_000).unref();
  await gateway.close();
  await orm.close(true);
  process.exit(0);
};
process.removeAllListeners('SIGTERM');
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') process.send!({ type: 'stats', subscribers: gateway.events.listenerCount(), sockets: gateway.sockets.sessionCount() });
  if (message.type === 'heap') {
    const gc = (globalThis as { gc?: () => void }).gc!;
    for (let i = 0; i < 4; i++) gc();
    process.send!({ type: 'heap', heapUsed: process.memoryUsage().heapUsed, subscribers: gateway.events.listenerCount(), sockets: gateway.sockets.sessionCount() });
  }
});
process.send!({ type: 'ready', url: gateway.url });
