import pg from 'pg';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * break38 (live): README "Webhooks" promises "Only events committed after the registration are
 * sent". The dispatcher decides it by the event's `created_at` (the `now` its writer read when it
 * began, before it waited for locks) against the endpoint's `created_at`
 * (`dispatchWebhooks`: `e.created_at <= event.createdAt`), not by commit order.
 *
 * What the program's integration sees: it registers an endpoint for BALANCE_CHANGED; a staff
 * adjustment that had begun just before (and waited on the customer's event-stream lock, as any
 * write of that customer does behind another) commits after the registration, and its
 * balance.changed is never sent to the new endpoint, nor ever will be (the dispatcher's cursor has
 * moved past it). What it should see: the balance.changed of a change that committed after its
 * endpoint existed (one delivery).
 */
describe('break38-live: an event committed after an endpoint was registered', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let holder: pg.Client;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    receiver = await new Receiver().start();
    holder = new pg.Client({ connectionString: t.databaseUrl });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end().catch(() => undefined);
    await receiver.close();
    await t.close();
  });

  it('is delivered to that endpoint', async () => {
    const currency = (await createCurrency(t, uniqueCode('B38'))).code;
    const member = await createCustomer(t, currency, 10);
    const [{ id: customerId }] = await t.sql<{ id: string }>(`select id from customer where external_id = $1`, [member.externalId]);

    // Another writer of this customer holds its event stream (as a sale's processing does while it commits).
    const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
    await holder.query('begin');
    await holder.query('select last_seq from event_stream where customer_id = $1 for update', [customerId]);

    // A staff adjustment begins now (T0) and waits for that lock.
    const adjusting = adjust(t, member.externalId, currency, 5);
    for (;;) {
      const waiting = await t.sql<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> $1`,
        [holderPid],
      );
      if (waiting[0].n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // One second later the endpoint is registered, and commits.
    t.clock.advance(1_000);
    const registered = dataOf(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } | null; userErrors: unknown[] } }, unknown>(
        `mutation R($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code message } } }`,
        { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } },
        t.operatorToken,
      ),
    ).registerWebhookEndpoint;
    expect(registered.userErrors).toEqual([]);

    // Only now does the adjustment commit: after the registration.
    await holder.query('commit');
    await adjusting;
    const [{ committedAfter }] = await t.sql<{ committedAfter: boolean }>(
      `select count(*) = 1 as "committedAfter" from ledger_entry l join point_account a on a.id = l.account_id where a.customer_id = $1 and l.amount = 5`,
      [customerId],
    );
    expect(committedAfter).toBe(true);

    await settleWebhooks(t);
    const endpointId = (await t.sql<{ id: string }>(`select id from webhook_endpoint where url = $1`, [receiver.url]))[0].id;
    const delivered = async () => (await t.sql<{ type: string }>(`select event_type as type from webhook_delivery where endpoint_id = $1 order by id`, [endpointId])).map((d) => d.type);
    // Expected one delivery (the +5 committed after the registration); received none.
    expect({ deliveries: await delivered(), posts: receiver.requests.length }).toEqual({ deliveries: ['balance.changed'], posts: 1 });
  });

  it('(control) a change begun after the registration is delivered', async () => {
    const currency = (await createCurrency(t, uniqueCode('B38C'))).code;
    const member = await createCustomer(t, currency, 0);
    const before = receiver.requests.length;
    await adjust(t, member.externalId, currency, 7);
    await settleWebhooks(t);
    expect(receiver.requests.length - before).toBe(1);
    expect(JSON.parse(receiver.requests.at(-1)!.body)).toMatchObject({ type: 'balance.changed', data: { change: { amount: 7 } } });
  });
});
