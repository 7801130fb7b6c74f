import { CreateCampaignDocument, CreateOfferDocument, LockOfferDocument, ReleaseOfferDocument } from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok } from '../support/gateway.js';
import { boughtOffer as buyShopOffer, createCustomer, earningProgram, unique } from '../support/program.js';
import { SALE_WITH_NOTICE, tillAtItsClock, type SaleWithNotice } from '../support/till.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const STAFF_SALE = `query StaffSale($externalId: String!) {
  transaction(externalId: $externalId) {
    status
    awards { kind rule points }
    offersNotAwarded { reason message }
  }
}`;
type StaffSale = {
  transaction: { status: string; awards: { kind: string; rule: string; points: number }[]; offersNotAwarded: { reason: string; message: string }[] } | null;
};
const REPLACE = `mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { issuedOffer { code } userErrors { code field message } } }`;
type Replaced = { issueReplacementOffer: { issuedOffer: { code: string } | null; userErrors: { code: string; field: string[]; message: string }[] } };

/**
 * The till's late sales (till-24), through HTTP with partner keys on the embedded database, the
 * clock moved: a campaign's offer for a sale made in the campaign and processed after it, a late
 * sale's redemption against a staff replacement of the offer, and what a late sale is told of its
 * basket's lock.
 */
describe("the till's late sales (till-24)", () => {
  const at = tillAtItsClock();
  const moveTo = (when: number) => at.t.clock.advance(when - at.t.clock.now().getTime());
  const endOf = (offer: { expiresAt?: string | null }) => new Date(offer.expiresAt!).getTime();

  const saleInput = (customerExternalId: string, occurredAt: number, money: string, offerCodes: string[] = [], extra: { lockId?: string; externalId?: string } = {}) => ({
    externalId: extra.externalId ?? unique('sale'),
    customerExternalId,
    occurredAt: new Date(occurredAt).toISOString(),
    currency: money,
    lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.80' }, { sku: 'MUFFIN', quantity: 1, unitPrice: '2.50' }],
    ...(offerCodes.length ? { offerCodes } : {}),
    ...(extra.lockId ? { lockId: extra.lockId } : {}),
  });
  const sale = async (input: ReturnType<typeof saleInput>) => {
    const res = await at.t.gql<SaleWithNotice, Record<string, unknown>>(SALE_WITH_NOTICE, { input }, { apiKey: at.till.apiKey });
    expect(res.errors).toBeUndefined();
    return res.data!.submitTransaction;
  };
  const staffSale = async (externalId: string) => ok(await at.t.gql<StaffSale, unknown>(STAFF_SALE, { externalId }, at.t.operatorToken)).transaction!;
  const walletOf = (customerExternalId: string) =>
    at.t.sql<{ status: string; expires_at: Date; source: string }>(
      `select issued_offer_status_at(io.status, io.lock_expires_at, io.expires_at, $2) as status, io.expires_at, io.source
         from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1 order by io.id`,
      [customerExternalId, at.t.clock.now()],
    );

  describe("a campaign's offer for a sale made in the campaign and processed after it", () => {
    /** A program with a campaign open from an hour ago to an hour from now, awarding `offer`. */
    const campaignOf = async (prefix: string, offer: { validDays?: number; validUntil?: string }) => {
      const program = await earningProgram(at.t, prefix);
      const now = at.t.clock.now().getTime();
      const muffin = ok(
        await at.t.gql(CreateOfferDocument, { input: { name: unique('Festival muffin'), benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['COFFEE'] }, ...offer } }, at.t.operatorToken),
      ).createOffer.offer!;
      const window = { startsAt: new Date(now - HOUR).toISOString(), endsAt: new Date(now + HOUR).toISOString() };
      ok(await at.t.gql(CreateCampaignDocument, { input: { name: unique('festival'), currency: program.currency, ...window, conditions: {}, outcome: { offerId: muffin.id } } as never }, at.t.operatorToken));
      return { ...program, end: now + HOUR };
    };

    it('is issued, valid its days from when the sale reached the gateway, whether the queue was late or the till offline (break35b: from its receipt, not from its job)', async () => {
      const { money, currency, end } = await campaignOf('F24', { validDays: 30 });
      const queued = await createCustomer(at.t, currency);
      const offline = await createCustomer(at.t, currency);
      const madeAt = at.t.clock.now().getTime();
      // Sent at once, processed after the campaign's end (a backlog).
      const first = saleInput(queued.externalId, madeAt, money);
      expect((await sale(first)).userErrors).toEqual([]);
      moveTo(end + 2 * HOUR);
      // Made in the campaign, sent after its end (the till was offline).
      const second = saleInput(offline.externalId, madeAt, money);
      expect((await sale(second)).userErrors).toEqual([]);
      await at.t.jobs.runner.runUntilIdle();
      const processedAt = at.t.clock.now().getTime();
      // the queued sale arrived at madeAt: its days run from then, as for a sale processed at once;
      // the offline till's arrived at processedAt (the clock is frozen), and keeps all its days
      for (const [input, customer, receivedAt] of [[first, queued, madeAt], [second, offline, processedAt]] as const) {
        const staff = await staffSale(input.externalId);
        expect({ status: staff.status, offers: staff.awards.filter((a) => a.kind === 'OFFER').length, notAwarded: staff.offersNotAwarded }).toEqual({ status: 'PROCESSED', offers: 1, notAwarded: [] });
        expect(await walletOf(customer.externalId)).toEqual([{ status: 'ISSUED', expires_at: new Date(receivedAt + 30 * DAY), source: 'CAMPAIGN' }]);
      }
    });

    it('whose fixed end passed before processing is not issued, and the sale says why; its points are awarded', async () => {
      const { money, currency, end } = await campaignOf('G24', { validUntil: new Date(at.t.clock.now().getTime() + HOUR).toISOString() });
      const customer = await createCustomer(at.t, currency);
      const input = saleInput(customer.externalId, at.t.clock.now().getTime(), money);
      expect((await sale(input)).userErrors).toEqual([]);
      moveTo(end + 2 * HOUR);
      await at.t.jobs.runner.runUntilIdle();
      const staff = await staffSale(input.externalId);
      expect(staff.status).toBe('PROCESSED');
      expect(staff.awards.filter((a) => a.kind === 'POINTS').length).toBeGreaterThan(0);
      expect(staff.offersNotAwarded).toEqual([
        { reason: 'OFFER_ENDED', message: `This offer ended at ${new Date(end).toISOString()}. It was not issued; the campaign's points were awarded.` },
      ]);
      expect(await walletOf(customer.externalId)).toEqual([]);
    });
  });

  describe("a late sale's basket lock", () => {
    const boughtOffer = () => buyShopOffer(at.t, at.shop);
    const lock = async (code: string, lockId: string, ttlSeconds: number) =>
      ok(await at.t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey: at.till.apiKey })).lockOffer.issuedOffer!;

    it('that held at the sale\'s moment and ran out before the sale arrived is not told as run out, before and after the sweep', async () => {
      for (const swept of [false, true]) {
        const o = await boughtOffer();
        const locked = await lock(o.code, 'basket-late', 60);
        const lockEnd = new Date(locked.lockExpiresAt!).getTime();
        // Rung up while the basket's lock held, sent after it ran out (the till was offline).
        moveTo(lockEnd + 10 * MINUTE);
        if (swept) await at.t.runScheduled();
        const input = saleInput(o.customer.externalId, lockEnd - 20 * SECOND, 'EUR', [o.code], { lockId: 'basket-late' });
        expect({ swept, answer: await sale(input) }).toEqual({
          swept,
          answer: { transaction: { externalId: input.externalId, status: 'RECEIVED', offersApplied: [{ code: o.code, status: 'REDEEMED' }] }, notice: null, userErrors: [] },
        });
        // Its repeat answers the same.
        expect((await sale(input)).notice).toBeNull();
      }
    });

    it('that had run out by the sale\'s moment is told as run out, with when', async () => {
      const o = await boughtOffer();
      const locked = await lock(o.code, 'basket-slow', 60);
      const lockEnd = new Date(locked.lockExpiresAt!).getTime();
      moveTo(lockEnd + 10 * MINUTE);
      const input = saleInput(o.customer.externalId, lockEnd + MINUTE, 'EUR', [o.code], { lockId: 'basket-slow' });
      expect((await sale(input)).notice).toBe(
        `Offer code ${JSON.stringify(o.code)}: The lock of basket "basket-slow" on this offer code ran out at ${new Date(lockEnd).toISOString()}. No other basket had taken the code, so it was redeemed as an unlocked code is.`,
      );
    });
  });

  describe("each basket's last lock on a code", () => {
    const boughtOffer = () => buyShopOffer(at.t, at.shop);
    const lock = async (code: string, lockId: string, ttlSeconds: number) =>
      ok(await at.t.gql(LockOfferDocument, { code, lockId, ttlSeconds }, { apiKey: at.till.apiKey })).lockOffer.issuedOffer!;
    const release = async (code: string, lockId: string) => dataOf(await at.t.gql(ReleaseOfferDocument, { code, lockId }, { apiKey: at.till.apiKey })).releaseOffer;

    it("is kept when a second basket locks and releases the code: the first basket's release is told its lock ran out, the second's repeat that it released", async () => {
      for (const swept of [false, true]) {
        const o = await boughtOffer();
        const first = await lock(o.code, 'basket-1', 10);
        at.t.clock.advance(30 * SECOND);
        if (swept) await at.t.runScheduled();
        await lock(o.code, 'basket-2', 60);
        at.t.clock.advance(5 * SECOND);
        const releasedAt = at.t.clock.now();
        expect((await release(o.code, 'basket-2')).userErrors).toEqual([]);
        at.t.clock.advance(5 * SECOND);
        expect({ swept, first: await release(o.code, 'basket-1'), second: (await release(o.code, 'basket-2')).userErrors.map((e) => e.message) }).toEqual({
          swept,
          first: {
            issuedOffer: null,
            userErrors: [
              {
                code: 'LOCK_NOT_HELD',
                field: ['input', 'lockId'],
                message: `The lock of basket "basket-1" on this offer code ran out at ${new Date(first.lockExpiresAt!).toISOString()}. There is no lock left to release.`,
              },
            ],
          },
          second: [`Basket "basket-2" already released its lock on this offer code at ${releasedAt.toISOString()}: there is no lock left to release.`],
        });
      }
    });

    it('is kept for each basket when other baskets lock, release and the sweep run at once', async () => {
      const offers = [];
      for (let i = 0; i < 6; i++) offers.push(await boughtOffer());
      const firsts = [];
      for (const o of offers) firsts.push(await lock(o.code, 'basket-a', 10));
      at.t.clock.advance(30 * SECOND);
      await Promise.all([
        at.t.runScheduled(),
        ...offers.map(async (o) => {
          const [b, c] = await Promise.all([
            at.t.gql(LockOfferDocument, { code: o.code, lockId: 'basket-b', ttlSeconds: 60 }, { apiKey: at.till.apiKey }),
            at.t.gql(LockOfferDocument, { code: o.code, lockId: 'basket-c', ttlSeconds: 60 }, { apiKey: at.till.apiKey }),
          ]);
          // The one that took it releases it; the other was told LOCK_HELD.
          const took = dataOf(b).lockOffer.issuedOffer ? 'basket-b' : 'basket-c';
          expect([dataOf(b).lockOffer.userErrors.length, dataOf(c).lockOffer.userErrors.length].sort()).toEqual([0, 1]);
          expect((await release(o.code, took)).userErrors).toEqual([]);
        }),
      ]);
      const answers = await Promise.all(offers.map((o) => release(o.code, 'basket-a')));
      expect(answers.map((a) => a.userErrors.map((e) => e.message))).toEqual(
        firsts.map((f) => [`The lock of basket "basket-a" on this offer code ran out at ${new Date(f.lockExpiresAt!).toISOString()}. There is no lock left to release.`]),
      );
    });

    it("that held at a late sale's moment is not told as run out after a second basket locked and released the code", async () => {
      const o = await boughtOffer();
      const first = await lock(o.code, 'basket-3', 60);
      const lockEnd = new Date(first.lockExpiresAt!).getTime();
      moveTo(lockEnd + MINUTE);
      await lock(o.code, 'basket-4', 60);
      expect((await release(o.code, 'basket-4')).userErrors).toEqual([]);
      const input = saleInput(o.customer.externalId, lockEnd - 20 * SECOND, 'EUR', [o.code], { lockId: 'basket-3' });
      const answer = await sale(input);
      expect(answer).toEqual({ transaction: { externalId: input.externalId, status: 'RECEIVED', offersApplied: [{ code: o.code, status: 'REDEEMED' }] }, notice: null, userErrors: [] });
    });
  });

  describe('the bounds of a sale\'s date (SALE_MAX_AGE_DAYS back, a day ahead)', () => {
    const boughtOffer = () => buyShopOffer(at.t, at.shop);
    /** `instant` written in the UTC offset `offsetMinutes` (e.g. 540: +09:00), as a till in that zone writes it. */
    const written = (instant: number, offsetMinutes: number) => {
      if (offsetMinutes === 0) return new Date(instant).toISOString();
      const local = new Date(instant + offsetMinutes * MINUTE).toISOString().slice(0, -1);
      const abs = Math.abs(offsetMinutes);
      return `${local}${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    };
    const stored = async (externalId: string, dbId: number) => ({
      sales: (await at.t.sql<{ n: number }>(`select count(*)::int as n from sales_transaction where external_id = $1`, [externalId]))[0].n,
      offer: (await at.t.sql<{ status: string }>(`select status from issued_offer where id = $1`, [dbId]))[0].status,
    });
    const tooOld = { code: 'INVALID', field: ['input', 'occurredAt'], message: 'occurredAt is more than 30 days ago: too late to send this sale.' };
    const ahead = { code: 'INVALID', field: ['input', 'occurredAt'], message: "occurredAt is more than a day ahead of the gateway's clock." };

    it('at the limits, in any UTC offset, a sale is taken; a second (or a millisecond) past them, refused with nothing written, every time', async () => {
      const now = at.t.clock.now().getTime();
      const cases = [
        { at: now - 30 * DAY, offset: 0, refusal: null },
        { at: now - 30 * DAY, offset: 540, refusal: null },
        { at: now - 30 * DAY, offset: -330, refusal: null },
        { at: now - 30 * DAY - SECOND, offset: 0, refusal: tooOld },
        { at: now - 30 * DAY - 1, offset: 0, refusal: tooOld },
        { at: now - 30 * DAY - SECOND, offset: 840, refusal: tooOld },
        { at: now - 30 * DAY - SECOND, offset: -720, refusal: tooOld },
        { at: now + DAY, offset: 0, refusal: null },
        { at: now + DAY, offset: 840, refusal: null },
        { at: now + DAY + SECOND, offset: 0, refusal: ahead },
        { at: now + DAY + 1, offset: -600, refusal: ahead },
      ];
      for (const c of cases) {
        const o = await boughtOffer();
        const input = { ...saleInput(o.customer.externalId, c.at, 'EUR', [o.code]), occurredAt: written(c.at, c.offset) };
        const answers = [await sale(input), await sale(input)];
        const seen = { occurredAt: input.occurredAt, answers, stored: await stored(input.externalId, o.dbId) };
        if (c.refusal) {
          expect(seen).toEqual({ occurredAt: input.occurredAt, answers: [0, 1].map(() => ({ transaction: null, notice: null, userErrors: [c.refusal] })), stored: { sales: 0, offer: 'ISSUED' } });
          // Nothing kept under the externalId: the till's corrected sale is taken.
          expect((await sale({ ...input, occurredAt: new Date(now).toISOString() })).userErrors).toEqual([]);
        } else {
          const taken = { transaction: { externalId: input.externalId, status: 'RECEIVED', offersApplied: [{ code: o.code, status: 'REDEEMED' }] }, notice: null, userErrors: [] };
          expect(seen).toEqual({ occurredAt: input.occurredAt, answers: [taken, taken], stored: { sales: 1, offer: 'REDEEMED' } });
        }
      }
      // A sale taken at the limit is answered as taken when repeated past it, and is processed.
      const o = await boughtOffer();
      const input = saleInput(o.customer.externalId, now - 30 * DAY, 'EUR', [o.code]);
      const first = await sale(input);
      moveTo(now + HOUR);
      expect(await sale(input)).toEqual(first);
      await at.t.jobs.runner.runUntilIdle();
      expect((await staffSale(input.externalId)).status).toBe('PROCESSED');
    });
  });

  describe('a late sale and a staff replacement of its offer', () => {
    const boughtOffer = () => buyShopOffer(at.t, at.shop);
    const replace = (dbId: number) =>
      at.t.gql<Replaced, unknown>(REPLACE, { input: { issuedOfferId: toGlobalId('IssuedOffer', dbId), reason: 'expired before use', idempotencyKey: unique('repl') } }, at.t.operatorToken);
    const stored = async (dbId: number) =>
      (
        await at.t.sql<{ status: string; replacements: number }>(
          `select issued_offer_status_at(status, lock_expires_at, expires_at, $2) as status, (select count(*)::int from issued_offer r where r.replaces_id = $1) as replacements
             from issued_offer where id = $1`,
          [dbId, at.t.clock.now()],
        )
      )[0];

    it('a replacement after the late sale redeemed the offer is refused, saying which sale used it', async () => {
      const o = await boughtOffer();
      moveTo(endOf(o) + HOUR);
      const input = saleInput(o.customer.externalId, endOf(o) - MINUTE, 'EUR', [o.code]);
      expect((await sale(input)).userErrors).toEqual([]);
      const replaced = dataOfReplace(await replace(o.dbId));
      expect(replaced).toEqual({
        issuedOffer: null,
        userErrors: [
          {
            code: 'INVALID',
            field: ['input', 'issuedOfferId'],
            message: `This offer was redeemed in sale ${JSON.stringify(input.externalId)}, made at ${new Date(endOf(o) - MINUTE).toISOString()} before the offer's end at ${new Date(endOf(o)).toISOString()} and reported after it: the member had its use, so nothing was replaced.`,
          },
        ],
      });
      expect(await stored(o.dbId)).toEqual({ status: 'REDEEMED', replacements: 0 });
      // Once that sale is returned, its use went for nothing (the offer stays redeemed): staff may replace it.
      await at.t.jobs.runner.runUntilIdle();
      const returned = await at.t.gql<{ reverseTransaction: { userErrors: unknown[] } }, unknown>(
        `mutation($externalId: String!) { reverseTransaction(input: { externalId: $externalId, reason: "returned" }) { userErrors { code } } }`,
        { externalId: input.externalId },
        { apiKey: at.till.apiKey },
      );
      expect(ok(returned).reverseTransaction.userErrors).toEqual([]);
      expect(dataOfReplace(await replace(o.dbId)).userErrors).toEqual([]);
      expect(await stored(o.dbId)).toEqual({ status: 'REDEEMED', replacements: 1 });
    });

    it('sent at once, many times: the member gets the sale\'s discount or the replacement, never both', async () => {
      const bought = [];
      for (let i = 0; i < 8; i++) bought.push(await boughtOffer());
      moveTo(Math.max(...bought.map(endOf)) + HOUR);
      const outcomes = await Promise.all(
        bought.map(async (o) => {
          const [sold, replaced] = await Promise.all([sale(saleInput(o.customer.externalId, endOf(o) - MINUTE, 'EUR', [o.code])), replace(o.dbId)]);
          return { sold: sold.userErrors.length === 0, replaced: dataOfReplace(replaced).issuedOffer !== null, ...(await stored(o.dbId)) };
        }),
      );
      for (const o of outcomes) {
        expect([
          { sold: false, replaced: true, status: 'EXPIRED', replacements: 1 },
          { sold: true, replaced: false, status: 'REDEEMED', replacements: 0 },
        ]).toContainEqual(o);
      }
    });
  });
});

function dataOfReplace(res: { data?: Replaced | null; errors?: unknown }): Replaced['issueReplacementOffer'] {
  expect(res.errors).toBeUndefined();
  return res.data!.issueReplacementOffer;
}

