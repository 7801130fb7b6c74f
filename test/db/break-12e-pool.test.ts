import { Writable } from 'node:stream';
import pino from 'pino';
import { AdjustPointsDocument } from '../generated/graphql.js';
import { ok, startTestGateway, TEST_SQL_APPLICATION, type GqlResult, type TestGateway } from '../support/gateway.js';
import { answered } from '../support/locks.js';
import { createCustomer, earningProgram, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const POOL = 3;

/**
 * Hostile pass 12e on hang-12's hand-back of a connection whose BEGIN fails
 * (`handBackOnFailedTransactionControl`, docs/decisions.md): every connection of the pool lent at
 * once and found dead at its BEGIN, with as many requests again queued for a connection. Each is
 * answered, none is handed back twice (pg-pool throws "Release called on client which has already
 * been released"), the pool refills to its size, and the gateway stops.
 */
describe('every pooled connection dead at its BEGIN at once (hostile pass 12e)', () => {
  let t: TestGateway;
  const logged: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    t = await startTestGateway({ DB_POOL_MAX: String(POOL) }, { jobs: 'manual', log: pino({ level: 'error' }, sink) });
  });
  afterAll(async () => {
    await answered(t.close());
  });

  it('answers every request, releases no connection twice, and serves with its whole pool after', async () => {
    const { currency } = await earningProgram(t, 'PB');
    const customer = await createCustomer(t, currency, 10);
    const adjust = () => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'goodwill', idempotencyKey: unique('adj') } }, t.operatorToken);
    let taken = 0;
    for (let round = 0; round < 3; round++) {
      // One hold per connection: each BEGIN waits, on its own connection, until every session is gone.
      const holds = Array.from({ length: POOL }, () => holdAnswers((text) => text === 'begin', 'statement'));
      const running = Array.from({ length: 2 * POOL }, () => adjust());
      await answered(Promise.all(holds.map((h) => h.reached)));
      await t.sql(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name <> $1`, [TEST_SQL_APPLICATION]);
      for (const h of [...holds].reverse()) h.release();
      const results: GqlResult<{ adjustPoints: unknown }>[] = await answered(Promise.all(running));
      for (const res of results) {
        // A BEGIN on a dead connection ran nothing: send it again shortly (begin-503; was INTERNAL_SERVER_ERROR).
        if (res.errors) expect([res.status, res.headers.get('retry-after'), res.errors.map((e) => e.extensions?.code)]).toEqual([503, '2', ['SERVICE_UNAVAILABLE']]);
        else taken++;
      }
      // The first POOL requests met dead connections.
      expect(results.filter((r) => r.errors).length).toBeGreaterThanOrEqual(POOL);
    }
    // The whole pool serves at once: POOL adjustments each holding a connection across a held BEGIN.
    const holds = Array.from({ length: POOL }, () => holdAnswers((text) => text === 'begin', 'statement'));
    const running = Array.from({ length: POOL }, () => adjust());
    await answered(Promise.all(holds.map((h) => h.reached)));
    for (const h of [...holds].reverse()) h.release();
    for (const res of await answered(Promise.all(running))) ok(res);
    const [{ available }] = await t.sql<{ available: number }>(
      `select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2`,
      [customer.externalId, currency],
    );
    expect(Number(available)).toBe(10 + taken + POOL);
    expect(logged.join('\n')).not.toMatch(/already been released/);
  });
});
