import { Redis } from 'ioredis';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';

/**
 * break37d (ops): a Redis whose user may not SELECT (an ACL `-select`, how a shared Redis pins a
 * tenant to database 0, since ACLs do not scope databases; proxies such as twemproxy or Envoy's
 * Redis proxy refuse SELECT too), with REDIS_URL written as .env.example shows it, with the
 * database: `redis://…:6379/0`. ioredis never sends SELECT for database 0 (it is where a connection
 * is), so before f297c22 this deployment ran, counting in database 0 as its URL says. f297c22's
 * start SELECTs the path's number whatever it is: "NOPERM this user has no permissions to run the
 * 'select' command", and the start stops telling the operator to point REDIS_URL "at a primary
 * (not a read-only replica), with a database number the server has": 0 is one it has, and the one
 * the connection is on. A correct gateway does not refuse the database it is already in.
 */
describe('break37d ops: REDIS_URL …/0 for a user that may not SELECT', () => {
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
    await admin.call('ACL', 'SETUSER', 'loyalty', 'on', '>loyalty-redis-pw-0002', '~*', '&*', '+@all', '-select');
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

  it('starts and counts its rate limits (database 0 is the one it is on)', async () => {
    const port = new URL(redis.url).port;
    gateway = spawnGateway(build, {
      DATABASE_URL: database.url,
      REDIS_URL: `redis://loyalty:loyalty-redis-pw-0002@127.0.0.1:${port}/0`,
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
