/**
 * Benchmark server process for bench/till.ts and bench/mixed.ts: one gateway instance as `npm start`
 * runs it in production — `startGateway` plus its job workers and schedulers (`startJobs`, with
 * JOB_CONCURRENCY, JOB_POLL_MS, JOB_LEASE_MS from the environment) — on the database in
 * DATABASE_URL, on a free loopback port. Several of these on one database are the "instances".
 * IPC as bench/child.ts (`ready`, `stats`, `profile-*`, `stop`).
 */
import { createLogger } from '../src/logging.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { openOrm } from '../src/db/orm.js';
import { startGateway } from '../src/http/server.js';
import { startJobs } from '../src/jobs/registry.js';
import { serveChild } from './child.js';

serveChild(async () => {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel);
  const orm = await openOrm({ url: config.databaseUrl!, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts });
  const deps = { config, orm, databaseUrl: config.databaseUrl!, clock: systemClock, log };
  const gateway = await startGateway(deps, 0, '127.0.0.1');
  const jobs = await startJobs(deps, { pollMs: config.jobPollMs, concurrency: config.jobConcurrency, leaseMs: config.jobLeaseMs, schedulerTickMs: config.schedulerTickMs });
  return {
    url: gateway.url,
    close: async () => {
      await gateway.close();
      await jobs.stop();
      await orm.close(true);
    },
  };
});
