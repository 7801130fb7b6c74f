import { Redis } from 'ioredis';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * break37 (ops): the Redis password in REDIS_URL goes to the log. ioredis' ReplyError carries the
 * command it answered, arguments included, and the gateway logs the clients' 'error' events with
 * pino's error serializer, which keeps them: a refused authentication is logged at warn as
 * `"command":{"name":"hello","args":["3","AUTH","default","<the password>"]}` by "rate limit store
 * (Redis) error" and "event fan-out (Redis) publisher/subscriber error". At start with a password
 * Redis refuses (the start-up line itself withholds it: operator-17, "no password"), and, worse,
 * while running: Redis' password rotated (CONFIG SET requirepass, the old connections closed), every
 * reconnect of every client logs the password the gateway holds, at warn, to the collected logs.
 * logging.ts withholds database row values (`withheldDetail`); the secret the operator put in
 * REDIS_URL must not be written either.
 */
describe('break37 ops: the REDIS_URL password never reaches the log', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let redis: OwnRedis;
  let admin: Redis;
  const port = () => new URL(redis.url).port;
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
    redis = await startOwnRedis();
    admin = new Redis(Number(port()), '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.config('SET', 'requirepass', 'held-by-redis-0001');
    await admin.auth('held-by-redis-0001');
  }, 600_000);
  afterAll(async () => {
    admin.disconnect();
    await redis.kill();
    await database.drop();
  });

  const start = (password: string) =>
    spawnGateway(build, {
      DATABASE_URL: database.url,
      REDIS_URL: `redis://:${password}@127.0.0.1:${port()}`,
      RATE_LIMIT_KEY_PREFIX: 'break37-ops',
      JOBS_ENABLED: 'false',
    });
  const stop = async (gateway: SpawnedGateway) => {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
  };

  it('a password Redis refuses at start: the failed start logs it nowhere', async () => {
    const gateway = start('operator-typed-secret-42');
    try {
      const code = await gateway.exited;
      expect({ code, logsThePassword: gateway.output().includes('operator-typed-secret-42') }).toEqual({ code: 1, logsThePassword: false });
    } finally {
      await stop(gateway);
    }
  }, 120_000);

  it("the password rotated on Redis while running: the reconnects' errors do not log the password the gateway holds", async () => {
    await admin.config('SET', 'requirepass', 'the-real-redis-password-7f3a');
    await admin.auth('the-real-redis-password-7f3a');
    const gateway = start('the-real-redis-password-7f3a');
    try {
      expect(await gateway.until(/"msg":"gateway ready"/)).toBe(true);
      await admin.config('SET', 'requirepass', 'rotated-new-password-9c1e');
      await admin.auth('rotated-new-password-9c1e');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // the gateway's connections, as a failover or restart closes them
      await gateway.printed(/"level":40[^\n]*Redis\) error/, 30_000); // a reconnect refused
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // a few more
      const lines = gateway.output().split('\n').filter((l) => l.includes('the-real-redis-password-7f3a'));
      expect({ linesWithThePassword: lines.length, first: /"command":{[^}]*}/.exec(lines[0] ?? '')?.[0] }).toEqual({ linesWithThePassword: 0, first: undefined });
    } finally {
      await stop(gateway);
    }
  }, 120_000);
});
