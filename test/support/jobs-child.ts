/**
 * break35-instances: a gateway instance with its job workers on (as src/run-gateway.ts starts them
 * with JOBS_ENABLED), in a process of its own, so a test can kill it with SIGKILL mid-job. Sends
 * `{ type: 'ready', url, workerId }` (the runner's `locked_by` in the job table) over IPC.
 */
import pino from 'pino';
import { ClockGuard } from '../../src/clock-guard.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { startGateway } from '../../src/http/server.js';
import { PurgeCounts } from '../../src/jobs/purged.js';
import { startJobs } from '../../src/jobs/registry.js';

const config = loadConfig(process.env);
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const orm = await openOrm({ url: config.databaseUrl!, poolMax: config.dbPoolMax, poolIdleMs: config.dbPoolIdleMs, timeouts: config.dbTimeouts });
const clockGuard = new ClockGuard(systemClock, config.clockSkewMaxMs, log);
const purges = new PurgeCounts();
const gateway = await startGateway({ config, orm, databaseUrl: config.databaseUrl!, clock: systemClock, log, clockGuard, purges }, 0, '127.0.0.1');
const jobs = await startJobs(
  { orm, clock: systemClock, config, log, databaseUrl: config.databaseUrl!, clockGuard, purges },
  { pollMs: config.jobPollMs, concurrency: config.jobConcurrency, leaseMs: config.jobLeaseMs, schedulerTickMs: config.schedulerTickMs },
);
process.on('SIGTERM', () => {
  void (async () => {
    await jobs.stop();
    await gateway.close();
    await orm.close(true);
    process.exit(0);
  })();
});
process.send!({ type: 'ready', url: gateway.url, workerId: jobs.runner.workerId });
