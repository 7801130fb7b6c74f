import { Redis } from 'ioredis';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * break37d (ops): one Redis shared by several deployments, each given a Redis user of its own whose
 * ACL allows only its own keys and channels (`~<prefix>:* &<prefix>:*`), the prefix being its
 * RATE_LIMIT_KEY_PREFIX. .env.example: "Prefix of every Redis key and channel (rate-limit counters,
 * the event fan-out's channel)"; README: what the gateway keeps there carries the prefix and the
 * deployment's id. Before f297c22 such a deployment ran, its counters and channel inside its ACL.
 * f297c22's start-up probe sets `reward-gateway:start-probe:<uuid>`, a key under no prefix of the
 * operator's: Redis answers NOPERM and the start stops with "Redis at … refused the gateway
 * (REDIS_URL, for rate limits: NOPERM …): point REDIS_URL at a primary (not a read-only replica),
 * with a database number …", a remedy that sends the operator after a replica they do not have.
 * A correct gateway writes its probe under its own prefix, and starts (rate limits counted).
 */
describe('break37d ops: a Redis user allowed only the gateway-prefixed keys and channels', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let redis: OwnRedis;
  let gateway: SpawnedGateway | undefined;
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
    redis = await startOwnRedis();
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    // the deployment's own user: every command, but only keys and channels under its prefix
    await admin.call('ACL', 'SETUSER', 'loyalty', 'on', '>loyalty-redis-pw-0001', 'resetkeys', '~break37d:*', 'resetchannels', '&break37d:*', '+@all');
    admin.disconnect();
  }, 600_000);
  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    await redis.kill();
    await database.drop();
  });

  it('starts and counts its rate limits in its own keys', async () => {
    const port = new URL(redis.url).port;
    gateway = spawnGateway(build, {
      DATABASE_URL: database.url,
      REDIS_URL: `redis://loyalty:loyalty-redis-pw-0001@127.0.0.1:${port}/0`,
      RATE_LIMIT_KEY_PREFIX: 'break37d',
      RATE_LIMIT_ANONYMOUS: '3',
      JOBS_ENABLED: 'false',
    });
    await gateway.until(/"msg":"gateway ready"/);
    const ready = /"url":"(http:[^"]+)"[^\n]*"msg":"gateway ready"/.exec(gateway.output());
    let verdict: string;
    if (ready) {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(ready[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      verdict = statuses.includes(429) ? 'started, limit held' : `started, statuses ${statuses.join(' ')}`;
    } else {
      await gateway.exited;
      verdict = gateway.output().split('\n').find((l) => l && !l.startsWith('{')) ?? '(nothing)';
    }
    expect(verdict).toBe('started, limit held');
  }, 180_000);
});
