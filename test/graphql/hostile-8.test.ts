import pg from 'pg';
import { BIRTHDAY_JOB } from '../../src/activities/birthday.job.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import {
  AdjustPointsDocument,
  ProfileDocument,
  RecordActivityDocument,
  ReverseTransactionDocument,
  SetActivityRuleDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpsertCustomerDocument,
} from '../generated/graphql.js';
import { expectRefusedAtTheEdge, type GqlResult, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createPartner, earningProgram, eventually, processedSale, simpleShop, unique } from '../support/program.js';

const DAY = 86_400_000;

/**
 * Hostile pass 8 on what main gained with edges-input, birthday-batches and pending-liability:
 * through the HTTP API, as a client sees it (codes, messages, balances, nothing stored).
 */
describe('hostile pass 8', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;

  beforeAll(async () => {
    t = await startTestGateway();
    shop = await simpleShop(t);
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  /** An operator's mutation with `input`, read by shape. */
  const staff = (query: string, input: Record<string, unknown>) => t.gql<any, unknown>(query, { input }, t.operatorToken);

  /** `field`: the path inside `input` (`conditions.skus.1`). */
  const refusedAtTheEdge = (request: () => Promise<GqlResult<unknown>>, field: string, message: RegExp) => expectRefusedAtTheEdge(t, request, `input.${field}`, message);

  describe('text that shows nothing, by characters edges-input did not count as invisible', () => {
    const BLANK: [string, string][] = [
      ['the Braille pattern blank U+2800 (a symbol drawn as an empty cell)', '\u2800\u2800'],
      ['C0 control characters', '\u0001\u001b'],
      ['DEL and C1 control characters', '\u007f\u0080\u009b'],
      ['the musical null notehead U+1D159 (drawn as nothing)', '\u{1D159}'],
      ['a mix with white space and format characters', ' \u2800\u200b\u0007 '],
    ];
    it.each(BLANK)('an offer name of %s is BAD_USER_INPUT "name must not be blank", nothing written', async (_what, name) => {
      await refusedAtTheEdge(
        () => staff(`mutation($input: CreateOfferInput!) { createOffer(input: $input) { userErrors { code } } }`, { name, benefit: { kind: 'FREE_ITEM', freeSku: 'M' } }),
        'name',
        /^name must not be blank/,
      );
    });

    it.each(BLANK)("a campaign's SKU list with an entry of %s is BAD_USER_INPUT naming the list, nothing written", async (_what, sku) => {
      await refusedAtTheEdge(
        () =>
          staff(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { userErrors { code } } }`, {
            name: 'campaign',
            currency: shop.currency,
            startsAt: '2026-01-01T00:00:00Z',
            endsAt: '2027-01-01T00:00:00Z',
            outcome: { bonusPoints: 1 },
            conditions: { skus: ['LATTE', sku] },
          }),
        'conditions.skus.1',
        /^conditions\.skus must not have a blank entry/,
      );
    });

    it('visible text next to them is still taken as sent (a Braille word, a control character inside a name)', async () => {
      for (const name of ['\u2803\u2817\u2800\u2801', 'Caf\u00e9\u0007']) {
        const res = await staff(`mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { name } userErrors { code } } }`, { name, benefit: { kind: 'FREE_ITEM', freeSku: 'M' } });
        expect(ok(res)).toEqual({ createOffer: { offer: { name }, userErrors: [] } });
      }
    });
  });

  describe('SKUs, categories and channels that differ only by what no one can see', () => {
    it.each([
      ['createCampaign', 'CreateCampaignInput', 'conditions.skus', { conditions: { skus: ['LATTE', 'LAT\u200bTE'] } }],
      ['createCampaign', 'CreateCampaignInput', 'conditions.channels', { conditions: { channels: ['APP', 'ap\u200dp'] } }],
      ['createOffer', 'CreateOfferInput', 'benefit.categories', { benefit: { kind: 'PERCENT_OFF', percentOff: 10, categories: ['COFFEE', 'COF\u00adFEE'] } }],
      ['setEconomyRule', 'SetEconomyRuleInput', 'excludedSkus', { excludedSkus: ['GIFTCARD', 'GIFT\u2060CARD\u0007'] }],
    ])('%s listing one as twice (%s %s) is a repeat: BAD_USER_INPUT, nothing written', async (mutation, type, field, extra) => {
      const base: Record<string, Record<string, unknown>> = {
        createCampaign: { name: 'campaign', currency: shop.currency, startsAt: '2026-01-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z', outcome: { bonusPoints: 1 } },
        createOffer: { name: 'offer' },
        setEconomyRule: { currency: shop.currency, pointsPerUnit: '1' },
      };
      await refusedAtTheEdge(
        () => staff(`mutation($input: ${type}!) { ${mutation}(input: $input) { userErrors { code } } }`, { ...base[mutation], ...extra }),
        `${field}.1`,
        new RegExp(`^${field.replaceAll('.', '\\.')} names .* twice \\(items 0 and 1\\)`),
      );
    });

    it.each([
      ['the capital sharp s and its lower case', ['STRAẞE', 'straße']],
      ['the capital sharp s and SS', ['STRASSE', 'STRAẞE']],
      ['a dotted capital I and its lower case (i + U+0307)', ['İZMIR', 'i\u0307zmir']],
    ])('a category list naming one category in two cases (%s) is a repeat: BAD_USER_INPUT, nothing written', async (_what, categories) => {
      await refusedAtTheEdge(
        () => staff(`mutation($input: CreateOfferInput!) { createOffer(input: $input) { userErrors { code } } }`, { name: 'offer', benefit: { kind: 'PERCENT_OFF', percentOff: 10, categories } }),
        'benefit.categories.1',
        /^benefit\.categories names .* twice \(items 0 and 1\)/,
      );
    });

    it("a till's SKU carrying an invisible character is the SKU the rule names: an excluded SKU earns nothing however the till spells it", async () => {
      const { money, currency } = await earningProgram(t, 'H8S');
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '10', rounding: 'FLOOR', excludedSkus: ['GIFTCARD'] } as never }, t.operatorToken));
      const till = await createPartner(t, ['transactions:write', 'transactions:read']);
      const externalId = unique('h8s');
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId } }, t.operatorToken));
      const sale = unique('sale');
      const lines = [
        { sku: 'GIFT\u200bCARD', quantity: 1, unitPrice: '50.00' }, // excluded: a zero-width space from the POS catalogue
        { sku: 'BEANS', quantity: 1, unitPrice: '5.00' },
      ];
      ok(await t.gql(SubmitTransactionDocument, { input: { externalId: sale, customerExternalId: externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines } }, till.credential));
      const done = await eventually(async () => {
        const tx = (await t.gql(TransactionStatusDocument, { externalId: sale }, till.credential)).data?.transaction;
        return tx?.status === 'PROCESSED' && tx;
      });
      expect(done.pointsAwarded).toBe(50);
    });
  });

  describe('held: money currencies that look like ISO codes, cursors we never gave out', () => {
    it.each([
      ['a zero-width space inside', 'EU\u200bR'],
      ['a Cyrillic look-alike', '\u0415UR'],
      ['padding', ' EUR'],
      ['fullwidth letters (NFKC would make them EUR)', '\uff25\uff35\uff32'],
      ['lower case', 'eur'],
      ['the "no currency" code', 'XXX'],
    ])('a sale in %s is BAD_USER_INPUT naming currency, nothing stored', async (_what, currency) => {
      const till = await createPartner(t, ['transactions:write']);
      const input = (c: string) => ({ externalId: unique('sale'), customerExternalId: 'nobody', occurredAt: t.clock.now().toISOString(), currency: c, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] });
      await t.gql(SubmitTransactionDocument, { input: input('ABC') }, till.credential); // the document's registration is no write of the request under test
      await refusedAtTheEdge(() => t.gql(SubmitTransactionDocument, { input: input(currency) }, till.credential), 'currency', /^currency must be an ISO 4217 currency code in capitals/);
    });

    it('every after that is not a cursor this list gave out is BAD_USER_INPUT "after is not a cursor of this list": tampered, padded, re-spelled, of another shape, huge', async () => {
      const offers = (after: string) => t.gql<any, unknown>(`query($after: String) { offers(first: 1, after: $after) { pageInfo { endCursor } } }`, { after }, t.operatorToken);
      const valid = ok(await offers(null as never)).offers.pageInfo.endCursor as string;
      expect(ok(await offers(valid)).offers).toBeDefined();
      const listing = ok(
        await t.gql<any, unknown>(`query($id: ID!) { node(id: $id) { ... on RewardStore { listings(first: 1) { pageInfo { endCursor } } } } }`, { id: shop.store.id }, t.operatorToken),
      ).node.listings.pageInfo.endCursor as string;
      const b64 = (text: string) => Buffer.from(text).toString('base64url');
      const forged = [
        listing, // another list's cursor, of another shape ([sortOrder, id])
        `${valid}=`,
        ` ${valid}`,
        `${valid}!`,
        `${valid.slice(0, -1)}${valid.at(-1) === 'A' ? 'B' : 'A'}`, // its last character changed
        b64('{"0":1}'),
        b64('[[1]]'),
        b64('["1"]'),
        b64('[1.5]'),
        b64('[1.0]'),
        b64('[0]'),
        b64('[-0]'),
        b64('[9007199254740992]'),
        b64('[1] '),
        b64('null'),
        'A'.repeat(10_000),
        '',
      ];
      for (const after of forged) {
        const res = await offers(after);
        expect({ after: after.slice(0, 40), errors: res.errors?.map((e) => [e.extensions?.code, e.extensions?.field, e.message]) }).toEqual({
          after: after.slice(0, 40),
          errors: [['BAD_USER_INPUT', ['after'], 'after is not a cursor of this list']],
        });
      }
    });
  });

  describe('pending liability of a member who owes points', () => {
    it('pendingPoints/pendingLiability are what the release day moves into outstanding: the part that repays a debt first is not owed', async () => {
      t.clock.freeze();
      try {
        const { money, currency } = await earningProgram(t, 'H8D', { expiryDays: 365, pendingDays: 14 });
        const till = await createPartner(t, ['transactions:write', 'transactions:read']);
        const externalId = unique('debtor');
        ok(await t.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { input: { externalId } }, t.operatorToken));
        const liability = async () => {
          const now = t.clock.now().getTime();
          const res = ok(
            await t.gql<any, unknown>(
              `query($currency: String!, $from: DateTime!, $to: DateTime!) {
                programStats(currency: $currency, from: $from, to: $to) { outstandingPoints outstandingLiability pendingPoints pendingLiability }
              }`,
              { currency, from: new Date(now - 60 * DAY).toISOString(), to: new Date(now + DAY).toISOString() },
              t.analystToken,
            ),
          );
          return res.programStats;
        };
        const balance = async () => {
          const me = ok(await t.gql(ProfileDocument, {}, await t.customerToken(externalId))).me!;
          return me.balances.find((b) => b.currency.code === currency);
        };

        // 100 points earned, released after 14 days, spent; then the sale is returned: the member owes 100.
        const first = await processedSale(t, till, externalId, money, 10);
        t.clock.advance(14 * DAY);
        ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: externalId, currency, amount: -100, reason: 'spent', idempotencyKey: unique('k') } }, t.operatorToken));
        expect(ok(await t.gql(ReverseTransactionDocument, { externalId: first, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
        expect(await liability()).toEqual({ outstandingPoints: 0, outstandingLiability: '0.00', pendingPoints: 0, pendingLiability: '0.00' });

        // 150 more pending: on their day, 100 repay the debt and 50 become spendable.
        await processedSale(t, till, externalId, money, 15);
        expect(await balance()).toMatchObject({ available: 0, pending: 150 });
        expect(await liability()).toEqual({ outstandingPoints: 0, outstandingLiability: '0.00', pendingPoints: 50, pendingLiability: '0.50' });
        t.clock.advance(14 * DAY);
        expect(await balance()).toMatchObject({ available: 50, pending: 0 });
        expect(await liability()).toEqual({ outstandingPoints: 50, outstandingLiability: '0.50', pendingPoints: 0, pendingLiability: '0.00' });
        await t.runScheduled();
        expect(await liability()).toEqual({ outstandingPoints: 50, outstandingLiability: '0.50', pendingPoints: 0, pendingLiability: '0.00' });
      } finally {
        t.clock.reset();
      }
    });
  });
});

describe('hostile pass 8: the birthday job in batches', () => {
  /**
   * A BIRTHDAY rule of 10 points in `currency` and one customer per status in `statuses`, in id
   * order, all born on today's UTC day; `points()` reads their available points as staff see them
   * (closed and suspended members cannot sign in).
   */
  async function birthdayDay(t: TestGateway, currency: string, statuses: string[]) {
    t.clock.freeze();
    await createCurrency(t, currency, null);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'BIRTHDAY', points: 10 } }, t.operatorToken));
    const now = t.clock.now();
    const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const birthDate = `1990-${new Date(day).toISOString().slice(5, 10)}`;
    const born: string[] = [];
    for (const status of statuses) {
      const externalId = unique('h8b');
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate, status: status as never } }, t.operatorToken));
      born.push(externalId);
    }
    const points = async () =>
      Promise.all(
        born.map(async (id) => {
          const res = ok(await t.gql<any, unknown>(`query($e: String!) { customer(externalId: $e) { balances { available currency { code } } } }`, { e: id }, t.operatorToken));
          return (res.customer.balances as { available: number; currency: { code: string } }[]).find((b) => b.currency.code === currency)?.available ?? 0;
        }),
      );
    const startDay = () => t.orm.em.fork().transactional((em) => enqueueJob(em, BIRTHDAY_JOB, { slot: Math.floor(day / DAY) }, { runAt: t.clock.now(), maxAttempts: 3 }));
    return { day, born, points, startDay };
  }

  /** Makes every award of an activity to customer `externalId` fail with `message` (a trigger), until the answer is called. */
  async function failingAwards(t: TestGateway, externalId: string, message: string): Promise<() => Promise<void>> {
    await t.sql(`create function h8_fail() returns trigger language plpgsql as $$
                 begin
                   if exists (select 1 from customer c where c.id = new.customer_id and c.external_id = '${externalId}') then raise exception '${message}'; end if;
                   return new;
                 end $$`);
    await t.sql(`create trigger h8_fail before insert on activity for each row execute function h8_fail()`);
    return async () => {
      await t.sql(`drop trigger h8_fail on activity`);
      await t.sql(`drop function h8_fail()`);
    };
  }

  it('a batch that crashes is retried whole, after a day boundary: no customer twice, none lost; a partner report or a close between batches is respected, a reactivation is served', async () => {
    const t = await startTestGateway({ LEDGER_JOB_BATCH: '2' }, { jobs: 'manual' });
    try {
      // c0..c6 in id order; c6 suspended when the day starts
      const { day, born, points, startDay } = await birthdayDay(t, 'BDAY_H8', ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'SUSPENDED']);
      const partner = await createPartner(t, ['activities:write']);
      await startDay();
      expect(await t.jobs.runner.runOne()).toBe(true); // c0, c1
      expect(await points()).toEqual([10, 10, 0, 0, 0, 0, 0]);

      // Between batches: c2 is closed, a partner reports c3's birthday, c6 is reactivated; and c5's award will crash once.
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId: born[2], status: 'CLOSED' } }, t.operatorToken));
      expect(ok(await t.gql(RecordActivityDocument, { customerExternalId: born[3], kind: 'BIRTHDAY', reference: 'pos-birthday' }, partner.credential)).recordActivity).toMatchObject({ pointsAwarded: 10 });
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId: born[6], status: 'ACTIVE' } }, t.operatorToken));
      const mend = await failingAwards(t, born[5], 'h8: the server died mid-batch');
      try {
        t.clock.advance(DAY); // the rest runs after midnight: still the slot's day
        expect(await t.jobs.runner.runOne()).toBe(true); // c4, c5: c5 crashes, c4's award is undone with it
        expect(await points()).toEqual([10, 10, 0, 10, 0, 0, 0]);
        const [failed] = await t.sql<{ status: string; last_error: string }>(`select status, last_error from job where kind = $1 and last_error is not null`, [BIRTHDAY_JOB]);
        expect(failed).toEqual({ status: 'PENDING', last_error: expect.stringContaining('mid-batch') });
      } finally {
        await mend();
      }
      t.clock.advance(60_000); // past the retry's backoff
      await t.jobs.runner.runUntilIdle();
      expect(await points()).toEqual([10, 10, 0, 10, 10, 10, 10]);
      const awards = await t.sql<{ external_id: string; n: number; occurrence: string }>(
        `select c.external_id, count(*)::int as n, min(a.occurrence) as occurrence from activity a join customer c on c.id = a.customer_id where a.kind = 'BIRTHDAY' group by c.external_id`,
      );
      expect(awards.map((a) => [born.indexOf(a.external_id), a.n, a.occurrence]).sort()).toEqual(
        [0, 1, 3, 4, 5, 6].map((i) => [i, 1, String(new Date(day).getUTCFullYear())]),
      );
      const jobs = await t.sql<{ status: string; n: number }>(`select status, count(*)::int as n from job where kind = $1 group by status`, [BIRTHDAY_JOB]);
      expect(jobs).toEqual([{ status: 'DONE', n: expect.any(Number) }]);
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      t.clock.reset();
      await t.close();
    }
  });

  it('a customer whose award fails on every attempt costs only their own birthday points: the customers after them are still awarded', async () => {
    const t = await startTestGateway({ LEDGER_JOB_BATCH: '2' }, { jobs: 'manual' });
    try {
      const { born, points, startDay } = await birthdayDay(t, 'BDAY_H8P', ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE']);
      // c2's award fails every time (a poison row: here a trigger, in life a constraint or data fault)
      const mend = await failingAwards(t, born[2], 'h8: this customer cannot be written');
      try {
        await startDay();
        for (let i = 0; i < 20; i++) {
          await t.jobs.runner.runUntilIdle();
          t.clock.advance(10 * 60_000); // past every retry's backoff
        }
      } finally {
        await mend();
      }
      expect(await points()).toEqual([10, 10, 0, 10, 10]);
      const failed = await t.sql<{ last_error: string }>(`select last_error from job where kind = $1 and status = 'FAILED'`, [BIRTHDAY_JOB]);
      expect(failed.map((f) => f.last_error)).toEqual(expect.arrayContaining([expect.stringContaining('cannot be written')]));
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      t.clock.reset();
      await t.close();
    }
  });

  it('a customer closed while the batch waits for them earns nothing: the award reads the status the close left, not the one the batch selected', async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    try {
      const { born, points, startDay } = await birthdayDay(t, 'BDAY_H8C', ['ACTIVE']);
      const [{ id }] = await t.sql<{ id: number }>(`select id from customer where external_id = $1`, [born[0]]);
      // Another report of the customer's birthday is in flight: the job's award waits for it, having selected the customer as ACTIVE.
      await holder.connect();
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(hashtextextended($1, 0))`, [`activity:${id}:BIRTHDAY`]);
      await startDay();
      const running = t.jobs.runner.runOne();
      await eventually(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`))[0].n > 0);
      // Staff close the account meanwhile (nothing of the award holds them up); then the report in flight ends.
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId: born[0], status: 'CLOSED' } }, t.operatorToken));
      await holder.query('commit');
      await running;
      expect(await points()).toEqual([0]);
      expect(await t.sql(`select 1 from activity where customer_id = $1`, [id])).toEqual([]);
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      await holder.end().catch(() => undefined);
      t.clock.reset();
      await t.close();
    }
  });
});
