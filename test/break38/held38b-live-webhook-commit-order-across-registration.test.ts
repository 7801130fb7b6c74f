import pg from 'pg';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { Receiver, settleWebhooks } from '../support/webhook-receiver.js';

/**
 * break38b (live), an attack that held: an endpoint is owed what commits after its registration,
 * judged by the registration's snapshot (`receives_from`) against each event's top-level xid.
 * A long transaction open across the registration, whose xid was taken (in a savepoint) before it
 * and whose events were written in subtransactions (one released, one rolled back), commits after
 * the registration, with a dozen other transactions in progress (the snapshot's xip list), while
 * the dispatcher runs before and after its commit, twice: its released event is sent once, the
 * rolled-back one never, and an event committed before the registration is not sent.
 */
describe('held38b-live: events around a registration, by commit', () => {
  let t: TestGateway;
  let receiver: Receiver;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await receiver.close();
    await t.close();
  });

  const client = async () => {
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    clients.push(c);
    return c;
  };

  it('sends the long transaction’s released event once, nothing else', async () => {
    const currency = (await createCurrency(t, uniqueCode('H38B'))).code;
    const member = await createCustomer(t, currency, 0);
    await adjust(t, member.externalId, currency, 1); // committed before the registration
    const [{ id: customerId }] = await t.sql<{ id: string }>(`select id from customer where external_id = $1`, [member.externalId]);
    const [{ id: template }] = await t.sql<{ id: string }>(`select max(id)::text as id from outbox_event where customer_id = $1`, [customerId]);

    // Busy database: a dozen transactions in progress, each with its xid.
    const busy = await Promise.all(Array.from({ length: 12 }, () => client()));
    for (const c of busy) {
      await c.query('begin');
      await c.query('select pg_current_xact_id()');
    }
    // The long transaction: xid taken in a savepoint, events written in subtransactions.
    const long = await client();
    await long.query('begin');
    await long.query('savepoint a');
    await long.query('select pg_current_xact_id()');
    await long.query('release savepoint a');
    const copy = `insert into outbox_event (topic, customer_id, payload, created_at) select topic, customer_id, payload, created_at from outbox_event where id = $1 returning id`;
    await long.query('savepoint b');
    const kept = (await long.query<{ id: string }>(copy, [template])).rows[0].id;
    await long.query('release savepoint b');
    await long.query('savepoint c');
    const undone = (await long.query<{ id: string }>(copy, [template])).rows[0].id;
    await long.query('rollback to savepoint c');

    t.clock.advance(1_000);
    const { registerWebhookEndpoint } = dataOf(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string }; userErrors: unknown[] } }, unknown>(
        `mutation R($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`,
        { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } },
        t.operatorToken,
      ),
    );
    expect(registerWebhookEndpoint.userErrors).toEqual([]);
    const [{ receivesFrom }] = await t.sql<{ receivesFrom: string }>(`select receives_from as "receivesFrom" from webhook_endpoint where url = $1`, [receiver.url]);
    expect(receivesFrom.split(':')[2].split(',').length).toBeGreaterThanOrEqual(13);

    await settleWebhooks(t); // before the long transaction commits
    expect(receiver.requests.length).toBe(0);
    await long.query('commit');
    for (const c of busy) await c.query('commit');
    await Promise.all([settleWebhooks(t), settleWebhooks(t)]);
    await settleWebhooks(t);

    const sent = receiver.requests.map((r) => r.headers['webhook-id']);
    expect({ sent, undoneSent: sent.includes(`evt_${undone}`) }).toEqual({ sent: [`evt_${kept}`], undoneSent: false });
  });
});
