import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * break37 (ops): REDIS_URL's path picks the Redis database (`redis://host:6379/2`). One the server
 * does not have (`/99` on a server with the default 16 databases) or that is no number (`/abc`,
 * `/rg`: a prefix written where the database goes) passes config.ts (only the scheme is checked).
 * `/99`: ioredis' SELECT is refused ("ERR DB index is out of range", logged at warn by each of the
 * three clients) and the clients go on in database 0: "gateway ready", /readyz 200,
 * `gateway_redis_up` 1, rate limits counted and events fanned out in database 0, beside whatever
 * else uses it; the database the operator named is silently ignored. `/abc`: SELECT NaN is refused
 * "ERR value is not an integer or out of range" and the process dies of it uncaught (ioredis'
 * ReplyError stack on stderr, exit 1), naming neither REDIS_URL nor Redis. A REDIS_URL nobody
 * answers is refused at start with one line naming REDIS_URL (operator-17, "Cannot reach Redis at
 * …"); one naming a database Redis refuses should be too (or config.ts should refuse a path that is
 * not a database number).
 */
describe('break37 ops: a REDIS_URL naming a Redis database the server refuses', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let redis: OwnRedis;
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
    redis = await startOwnRedis(); // 16 databases, 0 to 15
  }, 600_000);
  afterAll(async () => {
    await redis.kill();
    await database.drop();
  });

  it.each([['99'], ['abc']])('REDIS_URL …/%s stops the start with one line naming REDIS_URL, never "gateway ready"', async (db) => {
    const url = new URL(redis.url);
    url.pathname = `/${db}`;
    const gateway = spawnGateway(build, { DATABASE_URL: database.url, REDIS_URL: url.toString(), RATE_LIMIT_KEY_PREFIX: 'break37-ops', JOBS_ENABLED: 'false' });
    try {
      await gateway.until(/"msg":"gateway ready"/);
      const ready = gateway.output().includes('"msg":"gateway ready"');
      const code = ready ? 'still running' : await gateway.exited;
      const line = gateway.output().split('\n').find((l) => l && !l.startsWith('{')) ?? '';
      // /abc is not a database number: a configuration error (exit 2, as every bad setting); /99 is one the server lacks: refused at start (exit 1).
      expect({ ready, code, line }).toEqual({ ready: false, code: db === 'abc' ? 2 : 1, line: expect.stringMatching(/REDIS_URL/) });
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
        gateway.child.kill('SIGTERM');
        await gateway.exited;
      }
    }
  }, 120_000);
});
