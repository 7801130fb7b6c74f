import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase, TEST_JWT_SECRET } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { spawnGateway, stopReport } from '../support/processes.js';
import { startOwnRedis } from '../support/redis.js';

/**
 * break3-23: a SIGTERM (and SIGTERM then SIGINT, SIGINT then SIGTERM) at many points of the start-up
 * of a gateway with Redis fan-out and rate limits, jobs on and the demo seed: by delay from the spawn,
 * and right after each step's line. Held: exit 0, "stopped", no error line, every time.
 */
describe('break3-23: a signal at many points of the start-up', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('exit 0 and "stopped" at every point (Redis fan-out, jobs, demo seed, fresh database)', async () => {
    const redis = await startOwnRedis();
    const failures: string[] = [];
    try {
      for (const [signals, delays] of [[['SIGTERM'], [300, 700, 1100, 1500]], [['SIGTERM', 'SIGINT'], [700]], [['SIGINT', 'SIGTERM'], [1000]]] as const) {
        for (const delay of delays) {
          const db = await createMigratedDatabase();
          const gateway = spawnGateway(build, { DATABASE_URL: db.url, REDIS_URL: redis.url, EVENT_FANOUT: 'redis', RATE_LIMIT_STORE: 'redis', RATE_LIMIT_KEY_PREFIX: unique('b3s'), JOBS_ENABLED: 'true', SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET });
          try {
            await new Promise((r) => setTimeout(r, delay));
            for (const s of signals) {
              if (gateway.child.exitCode === null) process.kill(gateway.child.pid!, s);
              await new Promise((r) => setTimeout(r, 30));
            }
            const code = await Promise.race([gateway.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
            const report = stopReport(gateway, code as number);
            const said = /"msg":"stopping: SIG[A-Z]+ during start-up \(([^)]+)\)"/.exec(gateway.output())?.[1];
            const stage = said ?? (/gateway ready/.test(gateway.output()) ? 'ready' : 'before any stage');
            if (code !== 0 || !report.stopped || report.errors.length) failures.push(`${signals.join('+')}@${delay} ${stage}: code ${code} stopped ${report.stopped}\n${gateway.output().slice(-3000)}`);
          } finally {
            if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
            await gateway.exited;
            await db.drop();
          }
        }
      }
    } finally {
      await redis.kill();
    }
    expect(failures).toEqual([]);
  }, 600_000);

  it('exit 0 and "stopped" at a signal right after each step begins', async () => {
    const redis = await startOwnRedis();
    const failures: string[] = [];
    try {
      for (const step of ['seeding the demo program', 'starting the HTTP server', 'starting the jobs', 'gateway ready']) {
        for (const after of [0, 3, 10, 25]) {
          const db = await createMigratedDatabase();
          const gateway = spawnGateway(build, { DATABASE_URL: db.url, REDIS_URL: redis.url, EVENT_FANOUT: 'redis', RATE_LIMIT_STORE: 'redis', RATE_LIMIT_KEY_PREFIX: unique('b3s'), JOBS_ENABLED: 'true', SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'debug' });
          try {
            const t0 = Date.now();
            while (!gateway.output().includes(`"msg":"${step}"`) && gateway.child.exitCode === null && Date.now() - t0 < 60_000) await new Promise((r) => setImmediate(r));
            if (after) await new Promise((r) => setTimeout(r, after));
            process.kill(gateway.child.pid!, 'SIGTERM');
            const code = await Promise.race([gateway.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
            const report = stopReport(gateway, code as number);
            const stage = report.stoppedAt ?? (/gateway ready/.test(gateway.output()) ? 'ready' : 'before any stage');
            if (code !== 0 || !report.stopped || report.errors.length) failures.push(`${step}+${after} ${stage}: code ${code} stopped ${report.stopped}\n${gateway.output().slice(-3000)}`);
          } finally {
            if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
            await gateway.exited;
            await db.drop();
          }
        }
      }
    } finally {
      await redis.kill();
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
