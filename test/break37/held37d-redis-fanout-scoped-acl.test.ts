import { Redis } from 'ioredis';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * held37d (ops): EVENT_FANOUT=redis with RATE_LIMIT_STORE=postgres, for a Redis user allowed only
 * its prefix's keys and channels. The fan-out's start-up connect selects REDIS_URL's database but
 * sets no probe key (only the rate limits' does), so this deployment starts; its channel is under
 * the prefix. Held on main (contrast break37d-redis-probe-key-prefix: the same ACL with the rate
 * limits in Redis is refused).
 */
describe('held37d ops: the event fan-out alone in a prefix-scoped Redis ACL', () => {
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
    await admin.call('ACL', 'SETUSER', 'loyalty', 'on', '>loyalty-redis-pw-0003', 'resetkeys', '~held37d:*', 'resetchannels', '&held37d:*', '+@all');
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

  it('starts, fan-out on its prefixed channel', async () => {
    const port = new URL(redis.url).port;
    gateway = spawnGateway(build, {
      DATABASE_URL: database.url,
      REDIS_URL: `redis://loyalty:loyalty-redis-pw-0003@127.0.0.1:${port}/0`,
      RATE_LIMIT_STORE: 'postgres',
      EVENT_FANOUT: 'redis',
      RATE_LIMIT_KEY_PREFIX: 'held37d',
      JOBS_ENABLED: 'false',
    });
    await gateway.until(/"msg":"gateway ready"/);
    const started = gateway.output().includes('"msg":"gateway ready"');
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    const channels = (await admin.call('PUBSUB', 'CHANNELS')) as string[];
    admin.disconnect();
    expect({ started, channels }).toEqual({ started: true, channels: [expect.stringMatching(/^held37d:[0-9a-f]{16}:events$/)] });
  }, 180_000);
});
