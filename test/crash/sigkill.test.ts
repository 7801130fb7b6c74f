import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'graphql';
import { Webhook } from 'standardwebhooks';
import { manifestFromDocument } from '../../src/persisted/manifest.js';
import { PurchaseOfferDocument, RecordActivityDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { compiledGateway, gatewayMain } from '../support/build.js';
import { HIGH_RATE_LIMITS, ledgerViolations, ok, startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, earningProgram, eventually, unique } from '../support/program.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The run's build of the gateway (`tsc -p tsconfig.build.json`, test/support/build.ts), set by beforeAll. */
let build: string;

/** A gateway as a process of its own (the run's build of src/main.ts, bundled, as `npm start` runs dist/bundle/main.js) on the test's database. */
async function startProcess(databaseUrl: string): Promise<{ child: ChildProcess; url: string; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [gatewayMain(build)], {
    cwd: root,
    env: {
      ...process.env,
      ...HIGH_RATE_LIMITS,
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      SEED_DEMO: 'false',
      JOB_CONCURRENCY: '4',
      JOB_POLL_MS: '100',
      JOB_LEASE_MS: '2000',
      WEBHOOK_DISPATCH_MS: '200',
      WEBHOOK_BACKOFF_MS: '200',
      SCHEDULER_TICK_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = await eventually(async () => /"url":"(http:[^"]+)".*"msg":"gateway ready"/.exec(output)?.[1], 60_000).catch(() => {
    throw new Error(`the gateway did not start:\n${output}`);
  });
  return { child, url, exited };
}

/**
 * Crash safety (issue 10): a gateway killed with SIGKILL in the middle of a load of purchases, sales
 * and activities loses nothing it answered with success; after a restart every operation retried
 * with its idempotency key has one effect, every sale is processed (the dead process's jobs are
 * taken over when their lease ends) and delivered to the webhook receiver, and the ledger holds.
 */
describe('a gateway killed mid-load', () => {
  let t: TestGateway;
  let receiver: Server;
  const received: { id: string; body: string; headers: Record<string, string> }[] = [];

  beforeAll(async () => {
    build = await compiledGateway();
    // The test's own gateway only sets up and checks: its job worker is not running.
    t = await startTestGateway({}, { jobs: 'manual' });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ id: String(req.headers['webhook-id']), body, headers: req.headers as Record<string, string> });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  }, 600_000); // tsc, here or in the other worker, on a shared two-core machine
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await t.close();
  });

  it('keeps every acknowledged operation, gives retries no second effect, and delivers every sale after a restart', async () => {
    const { money, currency } = await earningProgram(t, 'K');
    const partner = await createPartner(t, ['transactions:write', 'activities:write']);
    ok(await t.gql(`mutation { setActivityRule(input: { currency: "${currency}", kind: SURVEY, points: 7 }) { userErrors { code } } }`, {}, t.operatorToken));
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10 });
    const customers = await Promise.all(Array.from({ length: 6 }, () => createCustomer(t, currency, 100_000)));
    const hook = ok(
      await t.gql<{ registerWebhookEndpoint: { secret: string } }, unknown>(
        `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { secret userErrors { code } } }`,
        { input: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, eventTypes: ['SALE_PROCESSED', 'OFFER_ISSUED'] } },
        t.operatorToken,
      ),
    ).registerWebhookEndpoint;
    // Partners send registered operations by id: register them once, through the test's gateway.
    await t.register({ apiKey: partner.apiKey }, SubmitTransactionDocument.toString(), RecordActivityDocument.toString());
    const hashOf = (doc: { toString(): string }) => manifestFromDocument(parse(doc.toString())).operations[0].id;

    type Op = { kind: 'sale' | 'purchase' | 'activity'; key: string; customer: (typeof customers)[number]; at: string };
    const send = async (url: string, op: Op): Promise<boolean> => {
      const byPartner = (doc: { toString(): string }, variables: unknown) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': partner.apiKey },
          body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(doc) } }, variables }),
        });
      const res =
        op.kind === 'sale'
          ? await byPartner(SubmitTransactionDocument, {
              input: { externalId: op.key, customerExternalId: op.customer.externalId, occurredAt: op.at, currency: money, lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.50' }] },
            })
          : op.kind === 'activity'
            ? await byPartner(RecordActivityDocument, { customerExternalId: op.customer.externalId, kind: 'SURVEY', reference: op.key })
            : await fetch(url, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${op.customer.token}` },
                body: JSON.stringify({ query: PurchaseOfferDocument.toString(), variables: { listingId: listing.id, idempotencyKey: op.key } }),
              });
      const body = (await res.json()) as { data?: Record<string, { userErrors?: unknown[] } | null>; errors?: unknown[] };
      const payload = body.data && Object.values(body.data)[0];
      const success = res.ok && !body.errors?.length && !!payload && (payload.userErrors ?? []).length === 0;
      if (!success) refusals.push(`${op.kind} ${op.key}: ${res.status} ${JSON.stringify(body)}`);
      return success;
    };
    const refusals: string[] = [];

    const first = await startProcess(t.databaseUrl);
    const ops: Op[] = [];
    const acknowledged = new Set<Op>();
    let stop = false;
    const kinds = ['sale', 'purchase', 'activity'] as const;
    // 12 clients, each sending one operation after another until the process dies under them.
    const clients = Array.from({ length: 12 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const op: Op = { kind: kinds[(c + i) % 3], key: unique(`k${c}`), customer: customers[(c + i) % customers.length], at: new Date().toISOString() };
        ops.push(op);
        try {
          if (await send(first.url, op)) acknowledged.add(op);
        } catch {
          return; // connection refused or reset: the process is gone
        }
      }
    });
    await eventually(async () => acknowledged.size >= 150, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(clients);

    // Everything answered with success is there before any restart.
    const count = async (q: string, params: unknown[]) => Number((await t.sql<{ n: string }>(q, params))[0].n);
    const ackd = (kind: Op['kind']) => [...acknowledged].filter((o) => o.kind === kind).map((o) => o.key);
    expect(await count(`select count(*) as n from sales_transaction where external_id = any($1)`, [ackd('sale')])).toBe(ackd('sale').length);
    expect(await count(`select count(*) as n from idempotency_record where key = any($1)`, [ackd('purchase')])).toBe(ackd('purchase').length);
    expect(await count(`select count(*) as n from activity where reference = any($1)`, [ackd('activity')])).toBe(ackd('activity').length);

    // A restarted gateway; every operation is sent again with its key (the acknowledged ones too).
    const second = await startProcess(t.databaseUrl);
    try {
      refusals.length = 0;
      await Promise.all(ops.map((op) => send(second.url, op)));
      expect(refusals).toEqual([]);
      // One effect each.
      expect(await count(`select count(*) as n from sales_transaction where partner_id = (select id from partner where key_prefix = $1)`, [partner.apiKey.slice(0, 9)])).toBe(
        ops.filter((o) => o.kind === 'sale').length,
      );
      expect(await count(`select count(*) as n from offer_purchase where listing_id = (select id from listing order by id desc limit 1)`, [])).toBe(ops.filter((o) => o.kind === 'purchase').length);
      expect(await count(`select count(*) as n from activity where reference = any($1)`, [ops.filter((o) => o.kind === 'activity').map((o) => o.key)])).toBe(
        ops.filter((o) => o.kind === 'activity').length,
      );

      // Every sale processed (the dead process's claimed jobs taken over after their lease) and every
      // sale and issued offer delivered to the webhook receiver, signed.
      await eventually(async () => (await count(`select count(*) as n from sales_transaction where status <> 'PROCESSED'`, [])) === 0, 90_000);
      // Sales processed last are dispatched on a later run: wait until every such event has been
      // received (each once), not merely until the deliveries made so far have gone out.
      const deliverable = () =>
        count(`select count(*) as n from outbox_event where topic = 'TRANSACTION_PROCESSED' or (topic = 'WALLET_CHANGED' and payload->>'change' = 'ISSUED')`, []);
      await eventually(
        async () =>
          (await count(`select count(*) as n from webhook_delivery where status <> 'DELIVERED'`, [])) === 0 &&
          new Set(received.map((r) => r.id)).size >= (await deliverable()),
        60_000,
      );
      const expected = await deliverable();
      const ids = new Set(received.map((r) => r.id));
      expect(ids.size).toBe(expected);
      const wh = new Webhook(hook.secret);
      const deliveredSales = new Set(
        received.map((r) => wh.verify(r.body, r.headers) as { type: string; data: { sale?: { externalId: string } } }).filter((m) => m.type === 'sale.processed').map((m) => m.data.sale!.externalId),
      );
      expect(ops.filter((o) => o.kind === 'sale').every((o) => deliveredSales.has(o.key))).toBe(true);
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 300_000);
});
