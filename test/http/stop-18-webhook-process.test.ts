import pg from 'pg';
import { compiledGateway } from '../support/build.js';
import { resumeAll } from '../support/freeze.js';
import { freezeSessions, startCompiledGateway, terminate, untilStartJobsDone, type CompiledGateway } from '../support/frozen-gateway.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';
import { enqueueDelivery, holdingReceiver } from '../support/webhook-receiver.js';

/** The application_name of this test's own sessions, which are never stopped. */
const TEST_APPLICATION = 'stop-18 test';
/** The outbox event the test's delivery carries (its `webhook-id` is `evt_<id>`). */
const EVENT_ID = 1818;

/**
 * stop-18: the compiled gateway given SIGTERM while a webhook delivery's POST waits on a receiver
 * that does not answer. WEBHOOK_TIMEOUT_MS is 30 s (allowed up to 120 s), so a stop that waits for
 * the POST passes main.ts's 15 s shutdown limit ("shutdown took too long", exit 1); with every
 * session of the gateway's on its database stopped as well (a frozen server), the POST's record
 * could not be written either. The delivery must be sent again later with the same `webhook-id`,
 * and never be marked DELIVERED on the unanswered POST.
 */
describe('the gateway process stopped while a webhook receiver does not answer (stop-18)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  afterAll(() => resumeAll());

  it.each(['answering', 'frozen'] as const)(
    'with its database %s: exits 0 on SIGTERM within its shutdown limit, records nothing of the cut POST, and sends it again later under the same webhook-id',
    async (database) => {
      const db = await createMigratedDatabase();
      const admin = new pg.Client({ connectionString: db.url, application_name: TEST_APPLICATION });
      const hook = await holdingReceiver(true);
      const gateways: CompiledGateway[] = [];
      const start = async () => {
        const gateway = await startCompiledGateway(build, db.url, { WEBHOOK_TIMEOUT_MS: '30000' });
        gateways.push(gateway);
        return gateway;
      };
      try {
        const first = await start();
        await admin.connect();
        await untilStartJobsDone(admin);
        // an endpoint, a delivery to it and the delivery's job, as the dispatcher writes them
        const { deliveryId, jobId } = await enqueueDelivery(admin, hook.url, EVENT_ID, 'stop-18');
        // the POST is in flight, unanswered
        await eventually(async () => hook.ids.length === 1, 15_000);
        if (database === 'frozen') expect(await freezeSessions(admin, TEST_APPLICATION)).toBeGreaterThan(1);

        expect(await terminate(first)).toEqual({ code: 0, tooLong: false });
        expect(first.output()).toContain('"msg":"stopped"');
        resumeAll();
        // every session of the first gateway's gone (a frozen one's statement ends once it goes on)
        await eventually(
          async () =>
            (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name <> $1`, [TEST_APPLICATION]))
              .rows[0].n === 0,
          15_000,
        );

        // nothing recorded of the cut POST: no attempt, the delivery PENDING
        const delivery = async () =>
          (
            await admin.query<{ status: string; attempts: number; recorded: number }>(
              `select status, attempts, (select count(*)::int from webhook_attempt where delivery_id = d.id) as recorded from webhook_delivery d where id = $1`,
              [deliveryId],
            )
          ).rows[0];
        expect(await delivery()).toEqual({ status: 'PENDING', attempts: 0, recorded: 0 });
        const job = (await admin.query<{ status: string; attempts: number; due: boolean }>(`select status, attempts, run_at <= now() as due from job where id = $1`, [jobId])).rows[0];
        if (database === 'answering' || job.status === 'PENDING') {
          // handed back: due at once, the cut claim not counted (with the sessions frozen, only if
          // the hand-back got a new connection from the pool rather than an idle, frozen one)
          expect(job).toEqual({ status: 'PENDING', attempts: 0, due: true });
        } else {
          // the hand-back met the frozen server and was cut: left to its lease, as a killed worker's
          expect(first.output()).toContain('job left to its lease');
          expect(job).toEqual({ status: 'RUNNING', attempts: 1, due: true });
          // the lease's end (JOB_LEASE_MS + WEBHOOK_TIMEOUT_MS after the claim), without waiting for it
          await admin.query(`update job set locked_until = now() where id = $1`, [jobId]);
        }

        // the receiver answers now; the next start sends the delivery again, under the same webhook-id
        hook.stopHanging();
        const second = await start();
        await eventually(async () => (await delivery()).status === 'DELIVERED', 30_000);
        expect(await delivery()).toEqual({ status: 'DELIVERED', attempts: 1, recorded: 1 });
        expect(hook.ids).toEqual([`evt_${EVENT_ID}`, `evt_${EVENT_ID}`]);
        expect(await terminate(second)).toEqual({ code: 0, tooLong: false });
      } finally {
        for (const gateway of gateways) if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
        resumeAll();
        await hook.close();
        await admin.end().catch(() => undefined);
        await db.drop();
      }
    },
    300_000,
  );
});
