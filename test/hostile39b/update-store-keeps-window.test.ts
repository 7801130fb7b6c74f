import { decodeGlobalId } from '../../src/graphql/ids.js';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { EligibleRewardStoresDocument } from '../generated/graphql.js';
import { ok } from '../support/gateway.js';
import { createCurrency, createCustomer, createStore, uniqueCode } from '../support/program.js';

const UPDATE = `mutation($input: UpdateRewardStoreInput!) {
  updateRewardStore(input: $input) { rewardStore { name version startsAt endsAt } changed userErrors { code field message } } }`;
type Updated = { updateRewardStore: { rewardStore: { name: string; version: number; startsAt: string | null; endsAt: string | null } | null; changed: boolean | null; userErrors: unknown[] } };

/**
 * hostile39b: updateRewardStore's "Absent: unchanged" for startsAt. A store open from
 * 0001-01-01T00:00:00Z (the DateTime scalar's documented lower bound: "DateTime must be between
 * 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z") is renamed: the edit reads the stored window
 * as text and makes it a Date with `new Date(text)` (rulesOf), and V8's legacy parser reads
 * "0001-01-01 00:00:00+00" as the year 2001; the update then writes that back. A rename silently
 * moves the store's start by 2000 years (in the database, not only in the answer), and sending the
 * very start it has is "changed" and raises the version. Some such years are no date at all to that
 * parser ("0030-01-01 00:00:00+00": Invalid Date): then every edit of the store, a rename too, is
 * refused BAD_USER_INPUT "A date or time in the request is not valid." (PostgreSQL 22007), though
 * the request holds no date. (Years 1-99 parse as 19xx/20xx or not at all; from 100 on they hold.)
 */
describe('hostile39b: an edit that leaves the window out keeps it', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const update = async (input: Record<string, unknown>) => dataOf(await t.gql<Updated, object>(UPDATE, { input }, t.operatorToken)).updateRewardStore;

  it('a rename of a store open since 0001-01-01 keeps its start (in the row and in the answer)', async () => {
    const currency = uniqueCode('W');
    await createCurrency(t, currency);
    const store = await createStore(t, currency, { startsAt: '0001-01-01T00:00:00.000Z' } as never);
    const id = String(decodeGlobalId(store.id)!.id);
    const stored = async () => (await t.sql<{ s: string }>(`select starts_at::text as s from reward_store where id = $1`, [id]))[0].s;
    expect(await stored()).toBe('0001-01-01 00:00:00+00');

    const renamed = await update({ storeId: store.id, name: 'Renamed' });
    expect(renamed.userErrors).toEqual([]);
    // expected: the start kept (actual: 2001-01-01, written to the row)
    expect({ answered: renamed.rewardStore!.startsAt, stored: await stored() }).toEqual({ answered: '0001-01-01T00:00:00.000Z', stored: '0001-01-01 00:00:00+00' });
  });

  it('sending the start a store already has (0001-01-01) is not a change: the version stays', async () => {
    const currency = uniqueCode('W');
    await createCurrency(t, currency);
    const store = await createStore(t, currency, { startsAt: '0001-01-01T00:00:00.000Z' } as never);
    const same = await update({ storeId: store.id, startsAt: '0001-01-01T00:00:00.000Z', expectedVersion: 1 });
    expect(same.userErrors).toEqual([]);
    // expected: changed false, version 1 (actual: changed true, version 2, an audit entry whose before and after differ only by this misreading)
    expect({ changed: same.changed, version: same.rewardStore!.version }).toEqual({ changed: false, version: 1 });
  });

  it('a rename of a store open since the year 30 is saved and keeps its start: its members keep it', async () => {
    const currency = uniqueCode('W');
    await createCurrency(t, currency);
    const store = await createStore(t, currency, { startsAt: '0030-01-01T00:00:00.000Z' } as never);
    const member = await createCustomer(t, currency, 10);
    const visible = async () => ok(await t.gql(EligibleRewardStoresDocument, { first: 50 }, member.token)).me!.eligibleRewardStores.edges.map((e) => e.node.id);
    expect(await visible()).toContain(store.id);
    const res = await t.gql<Updated, object>(UPDATE, { input: { storeId: store.id, name: 'Renamed' } }, t.operatorToken);
    const [row] = await t.sql<{ name: string; s: string }>(`select name, starts_at::text as s from reward_store where id = $1`, [String(decodeGlobalId(store.id)!.id)]);
    // expected: renamed, its start kept, still open to the member (actual: refused BAD_USER_INPUT
    // "A date or time in the request is not valid." though the request has no date; nothing renamed)
    expect({ errors: res.errors?.map((e) => e.message) ?? [], row, visible: (await visible()).includes(store.id) }).toEqual({
      errors: [],
      row: { name: 'Renamed', s: '0030-01-01 00:00:00+00' },
      visible: true,
    });
  });
});
