import { createHash } from 'node:crypto';
import { ProfileDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, startTestGateway, type GqlResult, type TestGateway } from '../support/gateway.js';
import { onADeadConnection } from '../support/dead-connection.js';
import { answered } from '../support/locks.js';
import { adjust, createCustomer, eventually, simpleShop, unique } from '../support/program.js';
import { recordStatements } from '../support/statements.js';
import { collect, openSocket } from '../support/ws.js';
import { plainRead } from '../../src/db/reads.js';

/** The statement that reads the caller's row (authentication, before any operation runs). */
const callersRow = (text: string) => text.startsWith('select c.id, c.external_id as "externalId"');
/** The statement of `me { balances }` that reads the customer's accounts (the operation's own read). */
const balancesRead = (text: string) => text.startsWith('select a.id as "accountId"');
/** A subscription's resume point (read while the socket's subscribe message is handled). */
const resumePoint = (text: string) => text.trim().startsWith('select (select last_seq from event_stream');
/** The purchase's one statement, outside a transaction (it writes). */
const purchaseStatement = (text: string) => /insert into offer_purchase/.test(text);

const codes = (res: GqlResult<unknown>) => res.errors?.map((e) => e.extensions?.code);

/**
 * pool-12: a GraphQL query whose read met a pooled connection PostgreSQL had ended answered
 * INTERNAL_SERVER_ERROR (begin-503 left reads outside a transaction so, since a statement cannot
 * tell a read from a write). A query writes nothing, so its read is now sent again once, on another
 * connection, and the query answers as if nothing had happened; a mutation's statement never is.
 */
describe('a pooled connection PostgreSQL ended, met by', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await answered(t.close());
  });

  it.each([
    ['the caller’s row, read before the operation', callersRow],
    ['the operation’s own read', balancesRead],
  ])('a query over HTTP POST at %s: answered with its data (was INTERNAL_SERVER_ERROR)', async (_, matches) => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const res = await onADeadConnection(t, matches, () => t.gql(ProfileDocument, {}, customer.token));
    expect({ status: res.status, codes: codes(res) }).toEqual({ status: 200, codes: undefined });
    expect(dataOf(res).me!.balances[0].available).toBe(1000);
  });

  it('a persisted query (APQ) sent by GET with its hash only: answered with its data', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const query = `query Balances { me { balances { available } } }`;
    const hash = createHash('sha256').update(query).digest('hex');
    const headers = { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json' };
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    // The APQ protocol: the hash with its text once, then the hash alone.
    const registered = await t.fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, extensions }) });
    expect(registered.status).toBe(200);
    const url = `/graphql?extensions=${encodeURIComponent(JSON.stringify(extensions))}`;
    const res = await onADeadConnection(t, balancesRead, () => t.fetch(url, { headers }));
    const body = (await res.json()) as { data?: { me: { balances: { available: number }[] } }; errors?: unknown[] };
    expect({ status: res.status, errors: body.errors, data: body.data }).toEqual({ status: 200, errors: undefined, data: { me: { balances: [{ available: 1000 }] } } });
  });

  it('a query over WebSocket: answered with its data', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const socket = openSocket(t.url, customer.token);
    try {
      const query = await onADeadConnection(t, balancesRead, async () => collect(socket.client, `{ me { balances { available } } }`).until(1));
      expect(query).toEqual([{ data: { me: { balances: [{ available: 10 }] } } }]);
    } finally {
      await socket.dispose();
    }
  });

  it('a subscription whose resume point is read on it: starts, and hears the next change', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const socket = openSocket(t.url, customer.token);
    try {
      const listening = t.gateway.events.listenerCount();
      const sub = collect<{ balanceChanged: { available: number } }>(socket.client, `subscription { balanceChanged(currency: "${shop.currency}") { available } }`);
      await onADeadConnection(t, resumePoint, () => eventually(async () => sub.done || t.gateway.events.listenerCount() > listening));
      // Before pool-12 the subscription ended with INTERNAL_SERVER_ERROR at its start.
      expect({ done: sub.done, failure: sub.failure, results: sub.results }).toEqual({ done: false, failure: undefined, results: [] });
      await adjust(t, customer.externalId, shop.currency, 5);
      expect(await sub.until(1)).toEqual([{ data: { balanceChanged: { available: 15 } } }]);
      sub.stop();
    } finally {
      await socket.dispose();
    }
  });

  it('a mutation’s statement: not sent again (INTERNAL_SERVER_ERROR as before, nothing written); the same key then buys once', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const key = unique('buy');
    const buy = () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token);
    const sent = recordStatements();
    let res: GqlResult<unknown>;
    try {
      res = await onADeadConnection(t, purchaseStatement, buy);
    } finally {
      sent.stop();
    }
    expect(codes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    // The one statement that buys was sent once, on the dead connection: never on another.
    expect(sent.take().filter((s) => purchaseStatement(s.text))).toHaveLength(1);
    expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(1000);
    expect(dataOf(await buy()).purchaseOffer.balance!.available).toBe(900);
    expect(dataOf(await buy()).purchaseOffer.balance!.available).toBe(900);
    expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(900);
  });
});

describe('which statements a retry may send again (plainRead, checked once a statement failed)', () => {
  it('takes selects that name nothing that writes, locks or notifies, and nothing else', () => {
    for (const read of [
      'select c.id, c.external_id as "externalId", c.updated_at as "updatedAt" from customer c where c.external_id = $1',
      '\n    with due as (select p.account_id from ledger_entry p) select * from due',
      '(select 1) union all (select 2)',
    ]) expect([read, plainRead(read)]).toEqual([read, true]);
    for (const write of [
      '\n    with h as materialized (select 1) insert into offer_purchase (listing_id) select 1 from h',
      'select customer_status_locked($1)',
      'select id from point_account where id = $1 for update',
      'select id from listing for no key update skip locked',
      'select pg_advisory_xact_lock(1)',
      // break-12h: functions with effects the list missed (an underscore before `advisory` and `lock`)
      'select pg_try_advisory_lock(1)',
      'select pg_try_advisory_xact_lock(hashtext($1))',
      'select pg_try_advisory_lock_shared(1)',
      'select lo_unlink($1)',
      'select lo_from_bytea(0, $1)',
      'select pg_terminate_backend($1)',
      'select pg_cancel_backend($1)',
      'select pg_logical_emit_message(true, $1, $2)',
      'select dblink_exec($1, $2)',
      'select 1 as x into new_table',
      'select set_config($1, $2, false)',
      'select nextval($1)',
      'update customer set name = $1',
      'delete from job',
      'begin',
    ]) expect([write, plainRead(write)]).toEqual([write, false]);
  });
});
