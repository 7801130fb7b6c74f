import pg from 'pg';
import type { Config } from '../../src/config.js';
import { signToken } from '../../src/http/auth.js';
import { compiledGateway } from '../support/build.js';
import { resumeAll } from '../support/freeze.js';
import { freezeSessions, startCompiledGateway, terminate, untilStartJobsDone, type CompiledGateway } from '../support/frozen-gateway.js';
import { createMigratedDatabase, TEST_JWT_SECRET } from '../support/gateway.js';
import { eventually } from '../support/program.js';
import { enqueueDelivery, holdingReceiver } from '../support/webhook-receiver.js';

/** The application_name of this test's own sessions, which are never stopped. */
const TEST_APPLICATION = 'break2-18 test';

/**
 * break2-18: stop-18's leftover, shown. main.ts stopped the HTTP side (up to SHUTDOWN_GRACE_MS,
 * 10 s) and only then the jobs, whose patience (3 s for a webhook POST, 3 s more for a hand-back
 * a frozen server leaves unanswered, then the LISTEN connection's 1 s) counted from there: a
 * request held on a frozen database beside a receiver that does not answer took the stop past
 * main.ts's 15 s limit ("shutdown took too long", exit 1). The compiled gateway, as `npm start`
 * runs it; the request is held by a lock of the test's on the table it reads, then every session
 * of the gateway's is stopped (a frozen server).
 */
describe('the gateway process stopped with a request held on a frozen database and a webhook receiver that does not answer', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  afterAll(() => resumeAll());

  it('exits 0 within its shutdown limit: the jobs stop beside the HTTP side, not after it', async () => {
    const db = await createMigratedDatabase();
    const admin = new pg.Client({ connectionString: db.url, application_name: TEST_APPLICATION });
    const locker = new pg.Client({ connectionString: db.url, application_name: TEST_APPLICATION });
    const hook = await holdingReceiver(true);
    let gateway: CompiledGateway | undefined;
    try {
      gateway = await startCompiledGateway(build, db.url, { WEBHOOK_TIMEOUT_MS: '30000', JWT_SECRET: TEST_JWT_SECRET });
      await admin.connect();
      await locker.connect();
      await untilStartJobsDone(admin);
      const base = /"url":"(http:\/\/[^"]+\/graphql)"/.exec(gateway.output())![1];
      // a delivery whose POST the receiver holds
      const { deliveryId } = await enqueueDelivery(admin, hook.url, 1819, 'break2-18');
      await eventually(async () => hook.ids.length === 1, 15_000);

      // a staff request whose read of `customer` waits on the test's lock, then the server frozen
      await locker.query('begin');
      await locker.query('lock table customer in access exclusive mode');
      const operator = await signToken({ jwtSecret: TEST_JWT_SECRET } as Config, { sub: 'staff-op', role: 'operator' });
      const held = fetch(base, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
        body: JSON.stringify({ query: '{ customer(externalId: "nobody") { id } }' }),
      }).then((r) => r.status, (e: Error) => e.message);
      await eventually(
        async () =>
          (
            await admin.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and application_name <> $1`,
              [TEST_APPLICATION],
            )
          ).rows[0].n === 1,
        15_000,
      );
      expect(await freezeSessions(admin, TEST_APPLICATION)).toBeGreaterThan(1);

      expect(await terminate(gateway)).toEqual({ code: 0, tooLong: false });
      expect(gateway.output()).toContain('"msg":"stopped"');
      // the held request was cut at the HTTP side's deadline: no answer, as before
      expect(await held).not.toBe(200);
      // nothing of the cut POST was recorded as delivered
      resumeAll();
      await locker.query('rollback');
      const {
        rows: [delivery],
      } = await admin.query<{ status: string }>(`select status from webhook_delivery where id = $1`, [deliveryId]);
      expect(delivery.status).toBe('PENDING');
    } finally {
      if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      resumeAll();
      await hook.close();
      await locker.end().catch(() => undefined);
      await admin.end().catch(() => undefined);
      await db.drop();
    }
  }, 300_000);
});
