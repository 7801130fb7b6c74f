import pino from 'pino';
import { pruneEvents } from '../../src/events/retention.job.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { PurchaseOfferDocument, RedeemOfferDocument } from '../generated/graphql.js';
import { adjust, createCurrency, createCustomer, createPartner, simpleShop, unique } from '../support/program.js';

const HOUR = 3_600_000;

/**
 * A customer's dates under parallel writes and a clock stepped back (NTP), attacked (docs/decisions.md,
 * "Hostile pass 12d"): every write still succeeds, the customer's events (in their stream's order)
 * and their account's entries (in id order) never go back in date.
 */
describe("one customer's dates with parallel writes and a clock stepped back (hostile pass 12d)", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, 'BACK12D', null);
  });
  afterAll(() => t.close());

  it('twenty parallel adjustments, half before and half after the clock steps back an hour, are all taken and stay in date order', async () => {
    const customer = await createCustomer(t, 'BACK12D', 100);
    const early = Array.from({ length: 10 }, () => adjust(t, customer.externalId, 'BACK12D', 1));
    await Promise.all(early.slice(0, 3));
    t.clock.advance(-HOUR);
    const late = Array.from({ length: 10 }, (_, i) => adjust(t, customer.externalId, 'BACK12D', i % 2 ? 1 : -1));
    await Promise.all([...early, ...late]);
    t.clock.reset();
    const events = await t.sql<{ seq: number; at: Date; id: number }>(
      `select e.customer_seq::int as seq, e.created_at as at, e.id::int as id from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1 order by e.customer_seq`,
      [customer.externalId],
    );
    expect(events.length).toBeGreaterThanOrEqual(21);
    const backInDate = events.filter((e, i) => i > 0 && e.at.getTime() < events[i - 1].at.getTime());
    expect(backInDate).toEqual([]);
    const entries = await t.sql<{ id: number; at: Date }>(
      `select l.id::int as id, l.created_at as at from ledger_entry l join point_account a on a.id = l.account_id join customer c on c.id = a.customer_id where c.external_id = $1 order by l.id`,
      [customer.externalId],
    );
    expect(entries).toHaveLength(21);
    expect(entries.filter((e, i) => i > 0 && e.at.getTime() < entries[i - 1].at.getTime())).toEqual([]);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('prunes in parallel on a clock jumped a retention ahead, before any snapshot is that old: every run succeeds and no event is pruned', async () => {
    const customer = await createCustomer(t, 'BACK12D', 5);
    await adjust(t, customer.externalId, 'BACK12D', 1);
    await t.sql(
      `insert into webhook_cursor (name, cursor) values ('webhooks', json_build_object('from', pg_current_snapshot()::text)::text)
       on conflict (name) do update set cursor = excluded.cursor`,
    );
    const events = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from outbox_event`))[0].n;
    const before = await events();
    const jumped = { now: () => new Date(Date.now() + (t.config.events.retentionHours + 24) * HOUR) };
    const prune = () => t.orm.em.fork().transactional((em) => pruneEvents({ em, clock: jumped, config: t.config, log: pino({ level: 'silent' }) }));
    const runs = await Promise.all([prune(), prune(), prune()]);
    expect(runs.map((r) => r.events)).toEqual([0, 0, 0]);
    expect(await events()).toBe(before);
    // stepped back to the present: still nothing is known to have committed a retention ago
    expect((await t.orm.em.fork().transactional((em) => pruneEvents({ em, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }))).events).toBe(0);
    expect(await events()).toBe(before);
  });

  it('purchases and till redemptions in parallel, some sent after the clock stepped back an hour: all taken, each purchase dated as its entry, events in date order', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1 });
    const customer = await createCustomer(t, shop.currency, 50);
    const till = await createPartner(t, ['offers:redeem']);
    const buy = () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token).then((r) => ok(r).purchaseOffer.purchase!.issuedOffer.code);
    const first = await Promise.all(Array.from({ length: 4 }, buy));
    t.clock.advance(-HOUR);
    const later = await Promise.all([
      ...Array.from({ length: 4 }, buy),
      ...first.map((code) => t.gql(RedeemOfferDocument, { code }, till.credential).then((r) => ok(r) && code)),
      adjust(t, customer.externalId, shop.currency, 3).then(() => 'adjusted'),
    ]);
    t.clock.reset();
    expect(later).toHaveLength(9);
    const events = await t.sql<{ at: Date }>(
      `select e.created_at as at from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1 order by e.customer_seq`,
      [customer.externalId],
    );
    expect(events.filter((e, i) => i > 0 && e.at.getTime() < events[i - 1].at.getTime())).toEqual([]);
    // each purchase row, its issued offer and its SPEND entry carry one date
    const undated = await t.sql(
      `select p.id from offer_purchase p join issued_offer io on io.id = p.issued_offer_id join ledger_entry l on l.id = p.ledger_entry_id
        join customer c on c.id = p.customer_id where c.external_id = $1 and (p.created_at <> l.created_at or io.created_at <> l.created_at)`,
      [customer.externalId],
    );
    expect(undated).toEqual([]);
    // an offer is not redeemed before it was issued
    const redeemedEarly = await t.sql<{ code: string; created_at: Date; redeemed_at: Date }>(
      `select io.code, io.created_at, io.redeemed_at from issued_offer io where io.code = any($1) and io.redeemed_at < io.created_at`,
      [first],
    );
    expect(redeemedEarly).toEqual([]);
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
