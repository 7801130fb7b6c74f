import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { spawnGateway, stopReport } from '../support/processes.js';
import { startOwnRedis } from '../support/redis.js';

/**
 * break3-23 (hostile pass on lifecycle-23): EVENT_FANOUT=redis with the instance leading (it reads
 * the outbox and publishes on Redis), its redis-server killed; a SIGTERM at once, while ioredis
 * reconnects, and after a few failed reconnects. Held: exit 0 and "stopped" each time.
 */
describe('break3-23: Redis gone while the relay leads', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it.each([0, 1500, 4000])('SIGTERM %d ms after Redis was killed: exit 0, "stopped"', async (afterMs) => {
    const db = await createMigratedDatabase();
    const redis = await startOwnRedis();
    const gateway = spawnGateway(build, { DATABASE_URL: db.url, REDIS_URL: redis.url, EVENT_FANOUT: 'redis', RATE_LIMIT_STORE: 'postgres', RATE_LIMIT_KEY_PREFIX: unique('b3'), EVENT_POLL_MS: '10', JOBS_ENABLED: 'true' });
    try {
      await gateway.until(/this instance reads the outbox for Redis/, 60_000);
      await redis.kill();
      await new Promise((r) => setTimeout(r, afterMs));
      process.kill(gateway.child.pid!, 'SIGTERM');
      const code = await Promise.race([gateway.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      const report = stopReport(gateway, code as number);
      expect({ code: report.code, stopped: report.stopped }).toEqual({ code: 0, stopped: true });
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      await redis.kill();
      await db.drop();
    }
  }, 120_000);
});
