import { Writable } from 'node:stream';
import pg from 'pg';
import { createLogger } from '../../src/logging.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * What the gateway's log says when PostgreSQL drops a pooled connection (a restart, a failover, or
 * Ctrl-C in a terminal, which stops the embedded PostgreSQL before the gateway): one readable line
 * with the database's code, not the `pg.Client` that pg-pool hangs on the error.
 */
describe('the log line of a dropped database connection', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('carries the code and message, and not the pooled client', async () => {
    const lines: string[] = [];
    const log = createLogger('warn', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const pool = new pg.Pool({ connectionString: t.databaseUrl, max: 1, application_name: 'logging-test' });
    const logged = new Promise<void>((resolve) =>
      pool.on('error', (error) => {
        log.warn({ err: error }, 'pool connection error');
        resolve();
      }),
    );
    try {
      const client = await pool.connect();
      client.release(); // idle in the pool, as the rate limiter's connections are between requests
      await t.sql(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'logging-test'`);
      await logged;
    } finally {
      await pool.end();
    }
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as { msg: string; err: Record<string, unknown> };
    expect(line.msg).toBe('pool connection error');
    expect(line.err).toMatchObject({ code: '57P01', message: 'terminating connection due to administrator command' });
    expect(line.err).not.toHaveProperty('client');
    expect(lines[0].length).toBeLessThan(2_000);
  });

  it("an internal error's database error is logged without the row values its detail quotes (operator-17)", async () => {
    const lines: string[] = [];
    const log = createLogger('error', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    // a check violation (as a bug letting a bad status through would meet) and a unique violation, through MikroORM
    const connection = t.orm.em.fork().getConnection();
    const email = 'dana.private@example.com';
    for (const statement of [
      `insert into customer (external_id, email, name, status) values ('op17-check', '${email}', 'Dana Private', 'BOGUS')`,
      `insert into customer (external_id, email, name) values ('op17-dup', '${email}', 'Dana'), ('op17-dup', '${email}', 'Dana')`,
    ]) {
      const error = await connection.execute(statement).then(() => undefined, (e: unknown) => e);
      log.error({ err: error }, 'internal error');
    }
    expect(lines).toHaveLength(2);
    const [check, unique] = lines.map((l) => (JSON.parse(l) as { err: Record<string, unknown> }).err);
    expect(check).toMatchObject({ code: '23514', constraint: 'customer_status_check', table: 'customer', detail: 'Failing row contains (values withheld from the log)' });
    expect(unique).toMatchObject({ code: '23505', table: 'customer' });
    expect(unique.detail).toMatch(/^Key \(external_id\)=\(withheld\) already exists\.$/);
    // before: "Failing row contains (…, op17-check, dana.private@example.com, Dana Private, …)" and "Key (external_id)=(op17-dup)"
    expect(lines.join('\n')).not.toMatch(/dana\.private|Dana Private|op17-dup\)/);
  });

  it('errors nested in another (an AggregateError of connects, a cause) are logged as the outer one is: no row values, no Redis arguments, no pooled client (break37d)', async () => {
    const lines: string[] = [];
    const log = createLogger('error', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const connection = t.orm.em.fork().getConnection();
    const email = 'erin.nested@example.com';
    const database = await connection.execute(`insert into customer (external_id, email, name, status) values ('op37-nested', '${email}', 'Erin Nested', 'BOGUS')`).then(() => undefined, (e: unknown) => e);
    // as ioredis' ReplyError carries the failed command, here HELLO with the password
    const redis = Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name: 'hello', args: ['3', 'AUTH', 'default', 'nested-redis-password-9c1'] } });
    const pooled = Object.assign(new Error('Connection terminated'), { client: { password: 'pool-client-password-4d2' } });
    log.error({ err: new AggregateError([database, redis, Object.assign(new Error('wrapper'), { cause: pooled })], 'every connect failed') }, 'start-up failed');
    const err = (JSON.parse(lines[0]) as { err: { aggregateErrors: Record<string, unknown>[] } }).err;
    expect(err.aggregateErrors.map((e) => e.detail ?? e.command ?? null)).toEqual([
      'Failing row contains (values withheld from the log)',
      { name: 'hello', args: '(withheld from the log)' },
      null,
    ]);
    expect(lines.join('\n')).not.toMatch(/erin\.nested|Erin Nested|nested-redis-password|pool-client-password/);
  });
});
