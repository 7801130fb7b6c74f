/**
 * Benchmark server process (a): the gateway as `npm start` runs it (startGateway on the ORM), on
 * the benchmark's database, on a free loopback port. Configured by the environment bench/run.ts
 * passes (DATABASE_URL, JWT_SECRET, NODE_ENV, DB_POOL_MAX).
 */
import { createLogger } from '../src/logging.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { openOrm } from '../src/db/orm.js';
import { startGateway } from '../src/http/server.js';
import { serveChild } from './child.js';

serveChild(async () => {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel);
  const orm = await openOrm({ url: config.databaseUrl!, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts });
  const gateway = await startGateway({ config, orm, databaseUrl: config.databaseUrl!, clock: systemClock, log }, 0, '127.0.0.1');
  return {
    url: gateway.url,
    close: async () => {
      await gateway.close();
      await orm.close(true);
    },
  };
});
