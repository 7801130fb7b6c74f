import { RELAY_APPLICATION } from '../../src/events/relay.js';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { sessionProxy } from '../support/pg-wire.js';
import { unique } from '../support/program.js';
import { spawnGateway, stopReport } from '../support/processes.js';
import { startOwnRedis } from '../support/redis.js';

/**
 * break3-23: a second instance in EVENT_FANOUT=redis mode, a follower (another instance holds the
 * leader lock), stopped while its attempt to lead (every second, lifecycle-23's `trying`) connects
 * to a server that does not answer (a proxy holds its relay sessions after its first). Held: exit 0
 * and "stopped".
 */
describe('break3-23: a Redis follower stopped while it tries to lead', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('SIGTERM while its attempt to lead connects: exit 0, "stopped"', async () => {
    const db = await createMigratedDatabase();
    const redis = await startOwnRedis();
    const proxy = await sessionProxy(db.url, (name, nth) => name === RELAY_APPLICATION && nth > 0);
    const prefix = unique('b3f');
    const env = { REDIS_URL: redis.url, EVENT_FANOUT: 'redis', RATE_LIMIT_STORE: 'postgres', RATE_LIMIT_KEY_PREFIX: prefix, JOBS_ENABLED: 'false', DB_ACQUIRE_TIMEOUT_MS: '120000' };
    const leader = spawnGateway(build, { ...env, DATABASE_URL: db.url });
    let follower = leader;
    try {
      await leader.until(/"msg":"gateway ready"/, 60_000);
      follower = spawnGateway(build, { ...env, DATABASE_URL: proxy.url });
      await follower.until(/"msg":"gateway ready"/, 60_000);
      const t0 = Date.now();
      while (proxy.held() === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      expect({ leader: /reads the outbox for Redis/.test(leader.output()), held: proxy.held() > 0 }).toEqual({ leader: true, held: true });
      process.kill(follower.child.pid!, 'SIGTERM');
      const code = await Promise.race([follower.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      const report = stopReport(follower, code as number);
      expect(report).toEqual({ code: 0, stoppedAt: undefined, stopped: true, errors: [] });
    } finally {
      for (const g of [leader, follower]) if (g.child.exitCode === null) g.child.kill('SIGKILL');
      await proxy.close();
      await redis.kill();
      await db.drop();
    }
  }, 120_000);
});
