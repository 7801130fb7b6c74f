/**
 * Gateway process for bench/events.ts: `startGateway` on the database in DATABASE_URL, on a free
 * loopback port, jobs off. IPC: announces `{ type: 'ready', url }`; answers `{ type: 'heap' }` with
 * the heap used after a full GC (run with --expose-gc) and the process RSS; exits on `stop` or when
 * the parent goes away.
 */
import { createLogger } from '../src/logging.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { openOrm } from '../src/db/orm.js';
import { startGateway } from '../src/http/server.js';

export type ToEventsServer = { type: 'heap' } | { type: 'stop' };
export type FromEventsServer = { type: 'ready'; url: string } | { type: 'heap'; heapUsed: number; rss: number; subscribers: number } | { type: 'failed'; message: string };

const send = (message: FromEventsServer) => process.send?.(message);

const config = loadConfig(process.env);
const orm = await openOrm({ url: config.databaseUrl!, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts });
let gateway: Awaited<ReturnType<typeof startGateway>>;
try {
  gateway = await startGateway({ config, orm, databaseUrl: config.databaseUrl!, clock: systemClock, log: createLogger(config.logLevel) }, 0, '127.0.0.1');
} catch (error) {
  send({ type: 'failed', message: String((error as Error)?.stack ?? error) });
  process.exit(1);
}
const stop = async () => {
  setTimeout(() => process.exit(0), 5_000).unref();
  await gateway.close().catch(() => undefined);
  await orm.close(true).catch(() => undefined);
  process.exit(0);
};
process.on('message', (message: ToEventsServer) => {
  if (message.type === 'stop') void stop();
  if (message.type === 'heap') {
    for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    send({ type: 'heap', heapUsed: m.heapUsed, rss: m.rss, subscribers: gateway.events.listenerCount() });
  }
});
process.on('disconnect', () => void stop());
send({ type: 'ready', url: gateway.url });
