import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { toGlobalId } from '../../src/graphql/ids.js';
import { webhookTypeOf } from '../../src/webhooks/webhook.events.js';
import { compiledGateway } from '../support/build.js';
import { fuzzNote, fuzzSample } from '../support/fuzz.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';

/**
 * The matrix's stop points: a SIGTERM after this many answered requests, one start each
 * (BREAK3_22_RUNS of them, 6 by default; about 6 s each): 0, 7, 14, 21, 28, 35.
 */
const STOP_POINTS = Array.from({ length: Number(process.env.BREAK3_22_RUNS ?? 6) }, (_, run) => (run * 7) % 40);
/**
 * The starts this run: two of the stop points, drawn by TEST_FUZZ_SEED (every one with
 * TEST_FUZZ=full, test/support/fuzz.ts). The points are one fault at moving times; two, not one,
 * so each run also stops a gateway that started on a stopped one's database with a delivery cut
 * (the first start registers the endpoint and finds nothing to resume).
 */
const RUNS = fuzzSample('break3-22-stop-probe', STOP_POINTS, { kind: () => 'SIGTERM after ready, work in flight', perKind: 2 });
const ADJUST = `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code message } } }`;
const REGISTER = `mutation R($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code message } } }`;
const PURCHASE = `mutation P($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { userErrors { code message } } }`;

/**
 * break3-22: the compiled gateway (demo program, jobs on, a webhook endpoint whose receiver answers
 * each POST when the next arrives, so one is in flight at a signal), SIGTERMed at a point after "gateway ready" that moves from run to run (after the
 * n-th answered request of a stream of purchases and adjustments, sent 8 at a time and still in
 * flight at the signal). Every run must end with exit 0 and "stopped"; afterwards every account's
 * balance equals its ledger's sum, every purchase has its SPEND entry and its wallet item (none
 * half done), and no event is lost (each delivered) or sent under an id not its own.
 */
describe(`SIGTERM at moving points after ready, with purchases and adjustments in flight (break3-22) [${fuzzNote()}]`, () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it(`ends every one of ${RUNS.length} runs (SIGTERM after ${RUNS.join(', ')} answered requests) with "stopped", exit 0, and leaves no half-done write`, async () => {
    const db = await createMigratedDatabase();
    const check = new pg.Client({ connectionString: db.url });
    await check.connect();
    // The receiver answers each POST 200 only when the next one comes (so one is in flight at
    // every signal that finds a delivery under way), and each at once in the last start (`prompt`).
    const received: string[] = [];
    let unanswered: ServerResponse | undefined;
    let prompt = false;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['webhook-id']));
        if (unanswered && !unanswered.headersSent) unanswered.writeHead(200).end();
        unanswered = undefined;
        if (prompt) res.writeHead(200).end();
        else unanswered = res;
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    let firstEvent = 0;
    const outcomes: { run: number; after: number; code: number | null; stopped: boolean; errors: string[] }[] = [];
    try {
      for (let run = 0; run < RUNS.length; run++) {
        const gateway = spawnGateway(build, { DATABASE_URL: db.url, SEED_DEMO: 'true', JWT_SECRET: 'break3-22-'.padEnd(40, 'x') });
        try {
          if (!(await gateway.until(/"msg":"gateway ready"/))) throw new Error(gateway.output().slice(-3000));
          // the demo tokens are printed just after "gateway ready"
          await gateway.printed(/customer \(cust-alice\): \S+\n/);
          const out = gateway.output();
          const found = (pattern: RegExp) => {
            const m = pattern.exec(out);
            if (!m) throw new Error(`no ${pattern} in:\n${out.slice(-3000)}`);
            return m[1];
          };
          const url = found(/(http:\/\/127\.0\.0\.1:\d+\/graphql)/);
          const operator = found(/operator \(staff-olivia\): (\S+)/);
          const customer = found(/customer \(cust-alice\): (\S+)/);
          const listings = (await check.query<{ id: string }>(`select id from listing where removed_at is null order by price_in_points limit 2`)).rows.map((r) => toGlobalId('Listing', Number(r.id)));
          const send = (query: string, variables: unknown, token: string) =>
            fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) })
              .then((r) => r.status)
              .catch(() => 0);
          if (run === 0) {
            firstEvent = Number((await check.query(`select coalesce(max(id), 0) as id from outbox_event`)).rows[0].id);
            const registered = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
              body: JSON.stringify({ query: REGISTER, variables: { input: { url: hook, eventTypes: ['BALANCE_CHANGED', 'OFFER_ISSUED'] } } }),
            });
            expect(((await registered.json()) as { data: { registerWebhookEndpoint: { userErrors: unknown[] } } }).data.registerWebhookEndpoint.userErrors).toEqual([]);
          }
          const stopAfter = RUNS[run]; // answered requests before the signal (no timing)
          let answered = 0;
          let signalled = false;
          const stream = async (k: number) => {
            for (let i = 0; !signalled || i < 2; i++) {
              const key = `r${run}-s${k}-${i}`;
              const status =
                k % 2 === 0
                  ? await send(ADJUST, { input: { customerExternalId: 'cust-alice', currency: 'BEANS', amount: 25, reason: 'probe', idempotencyKey: key } }, operator)
                  : await send(PURCHASE, { input: { listingId: listings[k % listings.length], idempotencyKey: key } }, customer);
              answered++;
              if (status === 0 || i > 60) return;
              if (!signalled && answered >= stopAfter) {
                signalled = true;
                process.kill(gateway.child.pid!, 'SIGTERM');
              }
            }
          };
          await Promise.all(Array.from({ length: 8 }, (_, k) => stream(k)));
          const code = await gateway.exited;
          const lines = gateway.output().split('\n');
          outcomes.push({
            run,
            after: stopAfter,
            code,
            stopped: lines.some((line) => line.includes('"msg":"stopped"')),
            errors: lines.filter((line) => /"level":[56]0/.test(line)).map((l) => l.slice(0, 300)),
          });
        } finally {
          if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
        }
      }
      // A last start delivers what is left (a POST cut by a stop is handed back, due at once), then stops.
      prompt = true;
      if (unanswered && !unanswered.headersSent) unanswered.writeHead(200).end();
      unanswered = undefined;
      const last = spawnGateway(build, { DATABASE_URL: db.url, JWT_SECRET: 'break3-22-'.padEnd(40, 'x') });
      try {
        expect(await last.until(/"msg":"gateway ready"/)).toBe(true);
        const events = (await check.query<{ id: string; topic: string; payload: Record<string, unknown> }>(`select id, topic, payload from outbox_event where id > $1 and customer_id is not null`, [firstEvent])).rows
          .filter((e) => ['balance.changed', 'offer.issued'].includes(webhookTypeOf(e.topic, e.payload) ?? ''))
          .map((e) => `evt_${e.id}`);
        const settled = async () =>
          (await check.query(`select 1 from webhook_delivery where status <> 'DELIVERED'`)).rowCount === 0 &&
          Number((await check.query(`select count(*) as n from webhook_delivery`)).rows[0].n) >= events.length;
        while (!(await settled())) await new Promise((r) => setTimeout(r, 50));
        const delivered = (await check.query<{ id: string }>(`select 'evt_' || event_id as id from webhook_delivery`)).rows.map((r) => r.id);
        process.kill(last.child.pid!, 'SIGTERM');
        expect(await last.exited).toBe(0);
        // every event has its delivery, delivered; every POST carried the id of an event (one id per event, however often sent)
        expect({ missing: events.filter((e) => !delivered.includes(e)), strange: received.filter((id) => !events.includes(id)), unsent: events.filter((e) => !received.includes(e)) }).toEqual({
          missing: [],
          strange: [],
          unsent: [],
        });
        process.stderr.write(`break3-22 probe: ${events.length} events, ${received.length} POSTs (${received.length - new Set(received).size} repeats under the same id)\n`);
      } finally {
        if (last.child.exitCode === null && last.child.signalCode === null) last.child.kill('SIGKILL');
        receiver.closeAllConnections();
        receiver.close();
      }
      const unbalanced = await check.query(
        `select a.id, a.available, (select coalesce(sum(amount), 0) from ledger_entry le where le.account_id = a.id) as ledger
           from point_account a where a.available <> (select coalesce(sum(amount), 0) from ledger_entry le where le.account_id = a.id)`,
      );
      const halfPurchases = await check.query(
        `select p.id from offer_purchase p left join ledger_entry le on le.id = p.ledger_entry_id left join issued_offer io on io.id = p.issued_offer_id
          where le.id is null or io.id is null`,
      );
      const spendsWithoutPurchase = await check.query(
        `select le.id from ledger_entry le where le.kind = 'SPEND' and le.source_type = 'PURCHASE' and not exists (select 1 from offer_purchase p where p.ledger_entry_id = le.id)`,
      );
      const purchases = (await check.query(`select count(*)::int as n from offer_purchase`)).rows[0].n;
      process.stderr.write(`break3-22 probe: ${JSON.stringify(outcomes.map((o) => [o.after, o.code, o.stopped, o.errors.length]))} purchases ${purchases}\n`);
      expect({
        bad: outcomes.filter((o) => o.code !== 0 || !o.stopped || o.errors.length),
        unbalanced: unbalanced.rows,
        halfPurchases: halfPurchases.rows,
        spendsWithoutPurchase: spendsWithoutPurchase.rows,
      }).toEqual({ bad: [], unbalanced: [], halfPurchases: [], spendsWithoutPurchase: [] });
    } finally {
      await check.end();
      await db.drop();
    }
  }, 900_000);
});
