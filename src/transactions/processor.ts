import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Customer } from '../customers/customer.entity.js';
import { CUSTOMER_STATUS_LOCK } from '../customers/status-lock.js';
import { castColumn, columnsOf, type Selected } from '../db/schema.js';
import { query, queryOne, sql } from '../db/sql.js';
import { UserErrorException } from '../domain/refusals.js';
import type { EventTopic } from '../events/outbox.service.js';
import { PermanentJobError, type JobContext, type TransactionJobHandler } from '../jobs/runner.js';
import { currentOffersByIds, offerVersionColumns, offerVersionFrom, unpayableReason, versionFitsMoney, type OfferVersionColumns } from '../offers/offer.service.js';
import { LedgerEntryKind, LedgerSource } from '../points/ledger-entry.entity.js';
import { creditSettled, lockAccounts, notBeforeWrites, settleAccount, type AccountRow } from '../points/ledger.service.js';
import { addPending } from '../points/pending.service.js';
import { campaignApplies, campaignMayApply, checkedAward, economyBase, economyPoints, multiplierPoints, type EconomyRuleRow, type SaleFacts } from '../rules/earning.js';
import { Campaign, Rounding } from '../rules/rule.entity.js';
import { campaignsAtJson, campaignsFromJson, countShardOf, economyRulesJson, type CampaignJson } from '../rules/rule.service.js';
import { IssuedOfferSource } from '../wallet/issued-offer.entity.js';
import { endedBy, issueOffer } from '../wallet/wallet.service.js';
import { benefitOf, fromMinor, priceBasket, saleTotal, toMinor } from './pricing.js';
import { Tier } from '../tiers/tier.entity.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { AwardKind, OfferNotAwardedReason, SalesTransaction, TransactionOffer, TransactionStatus, type OfferNotAwardedRow } from './transaction.entity.js';
import { byCurrency } from '../points/currency-points.js';
import { instantOf } from '../domain/instant.js';

/** What processing reads of the sale it processes (`sales_transaction` columns). */
type SaleRow = Selected<typeof SALE_COLUMNS>;

const SALE_COLUMNS = columnsOf(SalesTransaction, '', ['id', 'partnerId', 'customerId', 'status', 'channel', 'occurredAt', 'occurredOffsetMinutes', 'receivedAt', 'moneyCurrency', 'lines', 'moneyScale']);
const CUSTOMER_COLUMNS = columnsOf(Customer, 'c', ['status', 'segments']);
// A number, as it multiplies points (the entity keeps the exact decimal string).
const TIER_CODE = columnsOf(Tier, 't', ['code']);
const TIER_MULTIPLIER = castColumn(Tier, 't', 'multiplier', 'float8');
const APPLIED_COLUMN = columnsOf(TransactionOffer, 't', ['issuedOfferId']);
const CAMPAIGN_BUDGET_COLUMNS = columnsOf(Campaign, '', ['id', 'pointsAwarded', 'budgetPoints', 'startsAt', 'endsAt']);

/** The customer as processing reads them: status and segments, and whether no other sale of theirs is PROCESSED. */
type SaleCustomer = Selected<typeof CUSTOMER_COLUMNS> & { firstPurchase: boolean };

/** The customer's tier as processing reads it, under the accounts' locks: its code and multiplier. */
type SaleTier = Selected<typeof TIER_CODE> & { multiplier: number };

/** What processing reads in one statement after the sale's locks (see processTransaction). */
type SaleInputs = SaleCustomer & {
  /** `storedDiscount`: the offer's share as submit stored it (a decimal string; "0" for a sale submitted before break31b). */
  applied: (Selected<typeof APPLIED_COLUMN> & OfferVersionColumns<'offer.'> & { storedDiscount: string })[];
  rules: EconomyRuleRow[];
  campaigns: CampaignJson[];
};

/**
 * When the sale happened, for its campaigns' windows and weekdays: the till's time, or when the
 * sale reached us if that is earlier. A till whose clock runs ahead (submitTransaction allows a
 * day) stamps a time that has not come: the sale happened by the time it reached us at the latest,
 * so a campaign that starts after that is not one it was in, nor is a weekday the till has not reached.
 */
function occurredAtOf(sale: SaleRow): Date {
  return new Date(Math.min(instantOf(sale.occurredAt).getTime(), instantOf(sale.receivedAt).getTime()));
}

/**
 * A campaign's minimum spend in minor units of a sale's money with `digits` decimals, rounded up:
 * "1000.50" of yen is met by ¥1001 and not by ¥1000 (null: none).
 */
function minSpendOf(c: { minSpend: string | null }, digits: number): number | null {
  return c.minSpend === null ? null : toMinor(c.minSpend, digits, 'ceil');
}

interface PointsAward {
  currency: string;
  points: number;
  rule: string;
  source: LedgerSource;
  campaignId: number | null;
  pendingDays: number;
}

/**
 * Processes a received sale, in the job's transaction (so its effects and the job's completion
 * commit together, or not at all): the applied offers' discounts, the economy rule's base points
 * (after discounts, with category and tier multipliers), every campaign whose conditions hold
 * (within its limits), each award written to the ledger (or pending) and named by its rule.
 */
export async function processTransaction({ em, clock, log }: JobContext, { transactionId }: { transactionId: number }): Promise<void> {
  // Moved to the latest write of the accounts it credits once it holds their locks (see below).
  let now = clock.now();
  // The sale's row lock, then, in the same statement once the row is locked, its customer's
  // advisory lock: one customer's sales are processed one at a time, so "first purchase",
  // per-customer campaign limits and the tier read below see each other's results. Then the
  // customer's status lock, shared (customerStatusLock): the status read next, in a statement of
  // its own so its snapshot follows the lock, stays the status until this sale commits; a close
  // waits for the sale, or the sale reads CLOSED. Before, a close committed while the sale waited
  // for the account's lock, and the closed customer earned (hostile pass 8 found it for activities).
  const sale = await queryOne<SaleRow>(
    em,
    sql`with s as materialized (select ${SALE_COLUMNS} from sales_transaction where id = ${transactionId} for update)
        select s.*, pg_advisory_xact_lock(hashtextextended('sales-of-customer:' || s."customerId", 0))::text as "customerLocked",
               pg_advisory_xact_lock_shared(hashtextextended(${CUSTOMER_STATUS_LOCK}::text || s."customerId", 0))::text as "statusLocked"
          from s`,
  );
  if (!sale || sale.status !== TransactionStatus.RECEIVED) return; // reversed meanwhile, or already done
  // What the sale earns from, in one statement after the locks (issue 12: each read was a round
  // trip of its own, five of the job's sixteen statements): the customer's status and segments;
  // whether this is their first purchase (only their own sales make it false, and those are
  // serialised by the advisory lock above: a return of their earlier sale committing after this
  // read is ordered after this sale); the offers applied at the till with their terms; the economy
  // rules and the campaigns of the sale's money. The lists arrive as JSON arrays.
  const inputs = await queryOne<SaleInputs>(
    em,
    sql`select ${CUSTOMER_COLUMNS},
               not exists (select 1 from sales_transaction s where s.customer_id = c.id and s.status = 'PROCESSED' and s.id <> ${sale.id}) as "firstPurchase",
               (select coalesce(json_agg(x order by x."issuedOfferId"), '[]') from (
                  select ${APPLIED_COLUMN}, t.discount::text as "storedDiscount", ${offerVersionColumns('offer.')}
                    from transaction_offer t join issued_offer io on io.id = t.issued_offer_id join offer_version ov on ov.id = io.offer_version_id
                   where t.transaction_id = ${sale.id}) x) as applied,
               ${economyRulesJson(sale.moneyCurrency, occurredAtOf(sale))} as rules,
               ${campaignsAtJson(sale.moneyCurrency, occurredAtOf(sale))} as campaigns
          from customer c where c.id = ${sale.customerId}`,
  );
  if (!inputs || inputs.status !== 'ACTIVE') throw new PermanentJobError('The customer is not active.');
  const customer: SaleCustomer = inputs;

  // Discounts of the offers applied at the till, in the order they were given.
  const applied = inputs.applied;
  const offers = applied.map((row) => {
    const offer = offerVersionFrom(row, 'offer.');
    // JSON carries the timestamp as an ISO string
    return { ...offer, validUntil: offer.validUntil === null ? null : instantOf(offer.validUntil) };
  });
  // The same order and terms as submitTransaction checked, so the discounts are the ones it promised.
  // Lines are in minor units of the sale's money, `moneyScale` decimals (cents for sales stored before money-12).
  const digits = sale.moneyScale;
  const priced = priceBasket(sale.lines, offers.map(benefitOf), digits);
  for (const [i, row] of applied.entries()) {
    // Submit stores each offer's share (break31b), so there is nothing to write but for a sale
    // queued before that (its shares read 0) or priced otherwise by a rule changed since.
    if (toMinor(row.storedDiscount, digits, 'floor') === priced.perOffer[i]) continue;
    await query(
      em,
      sql`update transaction_offer set discount = ${fromMinor(priced.perOffer[i], digits)}::numeric where transaction_id = ${sale.id} and issued_offer_id = ${row.issuedOfferId}`,
    );
  }
  const discount = priced.discount;
  const net = priced.netLines;
  const remaining = saleTotal(sale.lines) - discount;
  const occurredAt = occurredAtOf(sale);
  const known = {
    lines: sale.lines,
    netTotal: remaining,
    channel: sale.channel,
    segments: customer.segments,
    occurredAt,
    offsetMinutes: sale.occurredOffsetMinutes,
    firstPurchase: customer.firstPurchase,
  };

  const rules = inputs.rules;
  const pendingDays = new Map(rules.map((r) => [r.currencyCode, r.pendingDays]));
  const rounding = new Map(rules.map((r) => [r.currencyCode, r.rounding]));
  const base = new Map(rules.map((r) => [r.currencyCode, economyBase(r, sale.lines, net, digits)]));
  const campaigns = campaignsFromJson(inputs.campaigns).filter((c) =>
    campaignMayApply(c, known, minSpendOf(c, digits)),
  );
  // What the sale decides from depends on the customer's tier (its multiplier, campaigns for some
  // tiers) and on campaign counts, and the tier on their points. So every lock that guards those
  // is taken first, and they are read after: budgets shared by every sale (a campaign that may
  // apply, whatever the tier: its row lock serialises the check and the count across concurrent
  // sales), then every account the sale may credit, whose lock each writer
  // of the customer's points (a sale, a return, an activity, an adjustment, a purchase) holds. A
  // tier read before the account lock missed a change committed while the sale waited for it, and
  // the sale earned at a tier its own entry follows out of (a promotion's multiplier lost, a
  // demoted customer paid the old one). Lock order, here and in reverseTransaction: budgeted
  // campaigns (by id), accounts (by currency code, before any event: see lockAccount), then the
  // unbudgeted campaigns' counts (the last statement). One customer's sales are already
  // serialised by the advisory lock above, so per-customer counts need no lock of their own
  // beyond these (a return takes the accounts too).
  const budgeted = campaigns.filter((c) => c.budgetPoints !== null).map((c) => c.id);
  const budgets = new Map(
    (budgeted.length
      ? await query<Selected<typeof CAMPAIGN_BUDGET_COLUMNS>>(em, sql`select ${CAMPAIGN_BUDGET_COLUMNS} from campaign where id = any(${budgeted}::bigint[]) order by id for update`)
      : []
    ).map((b) => [b.id, b]),
  );
  const mayCredit = [
    ...rules.filter((r) => base.get(r.currencyCode)!.n > 0n).map((r) => r.currencyCode),
    ...campaigns.filter((c) => (c.bonusPoints ?? 0) > 0 || ((c.multiplier ?? 0) > 1 && (base.get(c.currencyCode)?.n ?? 0n) > 0n)).map((c) => c.currencyCode),
  ];
  const accounts = await lockAccounts(em, sale.customerId, mayCredit, now);
  // Dated no earlier than a write those accounts took while the sale waited for them (edges-12b).
  now = notBeforeWrites(now, accounts.values());

  // Under those locks: the tier the customer held when the sale happened (its rolling windows
  // ending then: `customer_tier_until`), or the one they hold now if higher (the sales before it,
  // processed since, count as they always did). A window that lapsed after the sale, before its job
  // ran, no longer costs it the tier's multiplier or its tier-only campaigns (hostile-18): a sale
  // made GOLD a minute before the lapse and processed a minute after earned as GREEN, while one
  // processed at once earned as GOLD. See `saleTierSql` for the tiers read at the sale's moment.
  // Each account locked (credited at once or as pending) is written down once, for all of the
  // sale's credits to it, before they check its maximum: under its lock nothing more falls due at
  // `now` (see creditSettled), and points that expired must not count against the maximum. The
  // tier is read with the first account's first look for what is due (sale-19: one statement
  // fewer), before anything is written down: the tier as of `now` counts what is due either way
  // (`ledger_due`), and nothing the campaigns' checks below read is written by a write-down.
  const tierRead = saleTierSql(sale.customerId, occurredAt, now);
  let tier: SaleTier | null | undefined;
  let released = false;
  for (const account of accounts.values()) {
    const settled = await settleAccount(em, account, now, tier === undefined ? sql<SaleTier>`(select to_jsonb(x) from (${tierRead}) x)` : undefined);
    if (tier === undefined) tier = settled.alsoRead ?? null;
    released = settled.released || released;
  }
  if (tier === undefined) tier = await queryOne<SaleTier>(em, tierRead); // nothing to credit: no account locked
  const facts: SaleFacts = { ...known, tierCode: tier?.code ?? null };

  const awards: PointsAward[] = [];
  const basePoints = new Map<string, number>();
  for (const rule of rules) {
    const points = economyPoints(rule, sale.lines, net, tier?.multiplier ?? 1, digits);
    basePoints.set(rule.currencyCode, points);
    if (points > 0) {
      awards.push({ currency: rule.currencyCode, points, rule: `economy:${rule.currencyCode}`, source: LedgerSource.TRANSACTION, campaignId: null, pendingDays: rule.pendingDays });
    }
  }

  const offerAwards: { offerId: number; rule: string; campaignId: number }[] = [];
  // Points counted on campaigns without a budget, added at the very end (see below).
  const unbudgeted: { campaignId: number; points: number }[] = [];
  for (const c of campaigns) {
    if (!campaignApplies(c, facts, minSpendOf(c, digits))) continue;
    const budget = budgets.get(c.id) ?? null;
    // A budgeted campaign's window as of its lock: an end (endCampaign) committed while this sale
    // waited for it is seen (break38b campaigns). An unbudgeted one's is as read with the sale.
    if (budget && !(instantOf(budget.startsAt).getTime() <= occurredAt.getTime() && occurredAt.getTime() < instantOf(budget.endsAt).getTime())) continue;
    // Its per-customer limit, and "first purchase" (a customer whose first sale was returned buys
    // for the first time again), count the earlier sales whose award from it the customer holds:
    // one not returned, or an offer the return could not take back (hostile-17).
    if (c.perCustomer !== null || c.firstPurchase) {
      const held = await salesHoldingAwards(em, c.id, sale.customerId);
      if (held >= (c.firstPurchase ? 1 : c.perCustomer!)) continue;
    }
    const extra = c.multiplier ? multiplierPoints(basePoints.get(c.currencyCode) ?? 0, c.multiplier, rounding.get(c.currencyCode) ?? Rounding.FLOOR) : 0;
    const points = checkedAward((c.bonusPoints ?? 0) + Math.max(0, extra));
    if (budget && budget.budgetPoints !== null && budget.pointsAwarded + points > budget.budgetPoints) continue; // budget spent
    const rule = `campaign:${c.id}:${c.name}`;
    if (points > 0) {
      awards.push({ currency: c.currencyCode, points, rule, source: LedgerSource.CAMPAIGN, campaignId: c.id, pendingDays: pendingDays.get(c.currencyCode) ?? 0 });
      if (budget) await query(em, sql`update campaign set points_awarded = points_awarded + ${points} where id = ${c.id}`);
      else unbudgeted.push({ campaignId: c.id, points });
    }
    if (c.offerId !== null) offerAwards.push({ offerId: c.offerId, rule, campaignId: c.id });
  }

  // every award, and their sum (the sale's pointsAwarded), within what one sale may award
  const pointsAwarded = checkedAward(awards.reduce((sum, a) => sum + a.points, 0));
  const actor = `partner:${sale.partnerId}`;
  const unlocked = awards.find((a) => !accounts.has(a.currency));
  if (unlocked) throw new Error(`sale ${sale.id}: an award in ${unlocked.currency}, an account not locked before the tier was read`);
  const written: WrittenAward[] = [];
  try {
    for (const a of awards) written.push(await awardPoints(em, sale, a, accounts.get(a.currency)!, actor, occurredAt, now));
  } catch (error) {
    // The ledger refused the award (e.g. the account would pass its maximum): the same sale
    // would be refused again on every retry, so it fails at once with the reason.
    if (error instanceof UserErrorException) throw new PermanentJobError(error.message);
    throw error;
  }
  // The sale's award rows (`transaction_award`): the points awards in their order, then the offers
  // issued, all written by the last statement (till-13: the points' rows were a statement of their
  // own, each offer's another). Nothing before it reads them: the per-customer limits above count
  // the customer's earlier sales' awards, serialised by the customer's advisory lock.
  const awardRows: AwardRowToWrite[] = written.map((w) => ({
    kind: AwardKind.POINTS,
    points: w.award.points,
    currency: w.award.currency,
    ledgerEntryId: w.ledgerEntryId,
    pendingCreditId: w.pendingCreditId,
    issuedOfferId: null,
    campaignId: w.award.campaignId,
    rule: w.award.rule,
    countsFrom: w.countsFrom,
  }));
  // Qualifying points changed (points released by the write-down, or an award credited at once):
  // the tier is placed once, after all of the sale's credits.
  if (released || written.some((w) => w.ledgerEntryId !== null)) await recomputeTier(em, sale.customerId, now);
  // What the campaigns would have awarded but did not issue, and why: on the sale, in its event, logged (offsale-12c).
  const notAwarded: OfferNotAwardedRow[] = [];
  const notIssued = (a: (typeof offerAwards)[number], offerVersionId: number, reason: OfferNotAwardedReason, why: string) => {
    const message = `${why} It was not issued; the campaign's points were awarded.`;
    notAwarded.push({ rule: a.rule, campaignId: a.campaignId, offerVersionId, reason, message });
    log.warn({ transactionId: sale.id, campaignId: a.campaignId, offerVersionId, reason, money: sale.moneyCurrency }, `sale ${sale.id}: campaign ${a.campaignId}'s offer not awarded: ${message}`);
  };
  for (const a of offerAwards) {
    const [offer] = await currentOffersByIds(em, [a.offerId]);
    if (!offer) continue;
    // Valid from the sale's receipt, as its points count (expiryFromOf), not from when its job ran
    // (break35b, expiry). One past its end by now (its fixed end, or its days from the receipt: a
    // job later than its validity) can no longer be issued: it would land in the wallet EXPIRED.
    const validFrom = new Date(Math.min(instantOf(sale.receivedAt).getTime(), now.getTime()));
    const expiresAt = endedBy(offer, now, validFrom);
    if (expiresAt) {
      notIssued(a, offer.versionId, OfferNotAwardedReason.OFFER_ENDED, `This offer ended at ${expiresAt.toISOString()}.`);
      continue;
    }
    // Campaigns award only in point currencies valued in the sale's money (campaignsAt), so the
    // sale's money is the campaign's program's. A campaign kept from before money-12 may award
    // "2.50 off" in yen, which no till could apply: not issued, the campaign's points still are
    // (offsale-12; staff find it in unpayableOffers and edit the offer).
    if (!versionFitsMoney(offer, sale.moneyCurrency)) {
      const { message } = unpayableReason({ money: sale.moneyCurrency, amountOff: offer.amountOff, maxDiscount: offer.maxDiscount });
      notIssued(a, offer.versionId, OfferNotAwardedReason.AMOUNT_FINER_THAN_MONEY, message);
      continue;
    }
    const issued = await issueOffer(em, {
      customerId: sale.customerId,
      offer,
      source: IssuedOfferSource.CAMPAIGN,
      sourceId: String(sale.id),
      moneyCurrency: sale.moneyCurrency,
      now,
      validFrom,
    });
    awardRows.push({ kind: AwardKind.OFFER, points: 0, currency: null, ledgerEntryId: null, pendingCreditId: null, issuedOfferId: issued.id, campaignId: a.campaignId, rule: a.rule, countsFrom: null });
  }

  // The last statement, in one: the sale PROCESSED, its TRANSACTION_PROCESSED event (in the
  // outbox, as recordEvent writes it), its award rows in the order made, and the points counted on campaigns without a budget, on
  // the customer's shard of each (`campaign_count`, see CampaignCount). Those last, so a count's
  // row is locked only from here to the commit, and on a shard, not the campaign's one row: every
  // sale of an always-on campaign counted on that row and held it through its commit's WAL flush,
  // so the commits of all workers of all instances queued on it (issue 12). Sales of customers in
  // other shards never wait on this one's count; the customer's own are serialised anyway (the
  // advisory lock above). Lock order, here and in reverseTransaction: budgeted campaigns (by id),
  // accounts, then these (by campaign id). The customer's event stream row is no new lock here
  // when there are such counts: they come with points, whose BALANCE_CHANGED events took it before.
  const processed = { transactionId: sale.id, pointsAwarded, pointsByCurrency: byCurrency(awards), discount: fromMinor(discount, digits), ...(notAwarded.length ? { offersNotAwarded: notAwarded } : {}) };
  await query(
    em,
    sql`with sale as (
          update sales_transaction set status = 'PROCESSED', discount = ${fromMinor(discount, digits)}::numeric, points_awarded = ${pointsAwarded}, processed_at = ${now},
                 offers_not_awarded = ${JSON.stringify(notAwarded)}::jsonb
           where id = ${sale.id}
          returning customer_id
        ), event as (
          insert into outbox_event (topic, customer_id, payload, created_at)
          select ${'TRANSACTION_PROCESSED' satisfies EventTopic}, sale.customer_id, ${JSON.stringify(processed)}::jsonb, ${now} from sale
        ), awards as (
          insert into transaction_award (transaction_id, customer_id, kind, points, currency_code, ledger_entry_id, pending_credit_id, issued_offer_id, campaign_id, rule, counts_from, created_at)
          select ${sale.id}, ${sale.customerId}, w.kind, w.points, w.currency_code, w.ledger_entry_id, w.pending_credit_id, w.issued_offer_id, w.campaign_id, w.rule, w.counts_from, ${now}
            from unnest(${awardRows.map((r) => r.kind)}::text[], ${awardRows.map((r) => r.points)}::bigint[], ${awardRows.map((r) => r.currency)}::text[],
                        ${awardRows.map((r) => r.ledgerEntryId)}::bigint[], ${awardRows.map((r) => r.pendingCreditId)}::bigint[], ${awardRows.map((r) => r.issuedOfferId)}::bigint[],
                        ${awardRows.map((r) => r.campaignId)}::bigint[], ${awardRows.map((r) => r.rule)}::text[], ${awardRows.map((r) => r.countsFrom)}::timestamptz[])
                 with ordinality as w(kind, points, currency_code, ledger_entry_id, pending_credit_id, issued_offer_id, campaign_id, rule, counts_from, n)
           order by w.n
        )
        insert into campaign_count as k (campaign_id, shard, points)
        select u.id, ${countShardOf(sale.customerId)}, u.points from unnest(${unbudgeted.map((u) => u.campaignId)}::bigint[], ${unbudgeted.map((u) => u.points)}::bigint[]) as u(id, points)
         order by u.id
        on conflict (campaign_id, shard) do update set points = k.points + excluded.points`,
  );
}

/**
 * The statement that reads the tier a sale earns at (one row, `SaleTier`, or none): the
 * higher-ranked of the customer's tier at `now` (`customer_tier_at`) and the tier they held at the
 * sale's moment `occurredAt` (`customer_tier_until`: the highest-ranked tier whose points, rolling
 * windows ending at that moment, reach its threshold), as hostile-18 decided.
 *
 * The second is not computed whole (sale-19: it cost each sale a second evaluation of every tier's
 * points). Of the tiers `customer_tier_until` could answer, only those that could outrank the tier
 * now are evaluated: rolling tiers (`window_days` set) ranked above it. The others cannot change
 * the answer:
 * - a tier ranked at or below the tier now loses to it (ranks are unique across the ladder);
 * - a lifetime tier reached at `occurredAt` is reached at `now` too, so the tier now ranks at
 *   least as high. Lifetime points at a moment (`point_account_at`) are the account's lifetime
 *   points plus the qualifying pending credits due by then, and pending credits are positive
 *   (`pending_credit_amount_positive`): they never fall as the moment moves later, in one
 *   statement's snapshot. That holds only for `occurredAt <= now`; a sale's moment after the job's
 *   `now` (a clock set back between the till and the job) evaluates its lifetime tiers too. And it
 *   holds only while lifetime points did not drop after `occurredAt`: when a return or a qualifying
 *   debit was recorded after the sale's moment (`qualifying_drop_after`), its lifetime tiers are
 *   evaluated at that moment as the movements known then counted them (break34, time: the sale
 *   made while GOLD and processed after the return of the sale that made GOLD earned ×1, where
 *   the same sale processed before the return earned ×2). Rolling windows at the sale's moment
 *   count only the returns' corrections recorded by then, likewise, and both
 *   count the credits of sales made by then that their jobs wrote later
 *   (`transaction_award.counts_from`: a queue of two, sale 1 processed after sale 2's moment).
 * Both tiers are read in this one statement, under the accounts' locks the caller holds.
 */
function saleTierSql(customerId: number, occurredAt: Date, now: Date) {
  return sql<SaleTier>`with held as materialized (select customer_tier_at(${customerId}, ${now}) as id),
                  held_rank as materialized (select t.rank from tier t join held on t.id = held.id)
             select ${TIER_CODE}, ${TIER_MULTIPLIER} from tier t
              where t.id = (select id from held)
                 or ((t.window_days is not null or ${occurredAt}::timestamptz > ${now}::timestamptz
                      or qualifying_drop_after(${customerId}, t.currency_code, ${occurredAt}))
                     and (not exists (select 1 from held_rank) or t.rank > (select rank from held_rank))
                     and qualifying_points_until(${customerId}, t.currency_code, t.window_days, ${occurredAt}) >= t.threshold)
              order by t.rank desc limit 1`;
}

/** One `transaction_award` row as the sale's last statement writes it: a points award (its credit or pending credit) or an offer issued. */
interface AwardRowToWrite {
  kind: AwardKind;
  points: number;
  currency: string | null;
  ledgerEntryId: number | null;
  pendingCreditId: number | null;
  issuedOfferId: number | null;
  campaignId: number | null;
  rule: string;
  /** A points award's `releaseAtOf` (when it counts towards tiers: `transaction_award.counts_from`); null for an offer. */
  countsFrom: Date | null;
}

/** A points award as written: its credit (`ledger_entry`) or its pending credit, and when it counts towards tiers, for its `transaction_award` row. */
interface WrittenAward {
  award: PointsAward;
  ledgerEntryId: number | null;
  pendingCreditId: number | null;
  countsFrom: Date;
}

/**
 * When an award's points become spendable: the sale's moment (`occurredAt`, the campaigns' and the
 * economy rule's: min(occurredAt, receivedAt)) plus the rule's `pendingDays` (days of 24 hours).
 * Pending points stand for the returns window, which runs from the purchase, not from when the
 * sale's job ran (pending-18; found by hostile-18: a sale processed an hour late released an hour
 * late, and an offline till's sale sent 20 days late under 30 pending days stayed pending until
 * day 50).
 */
function releaseAtOf(occurredAt: Date, pendingDays: number): Date {
  return new Date(occurredAt.getTime() + pendingDays * 86_400_000);
}

/**
 * The moment a sale's points credited at once expire from: when they would have become spendable
 * had the sale's job run as it arrived, the later of its release (`releaseAtOf`) and its receipt
 * (`receivedAt`). A fact of the sale and of when the till sent it, not of when its job ran (SPEC
 * §4; break35, expiry: two members' sales made in the same second, one processed an hour late,
 * expired an hour apart). An offline till's sale sent weeks late still gets its whole expiry from
 * its receipt (pending-18's reason for counting from the credit).
 */
function expiryFromOf(availableAt: Date, sale: Pick<SaleRow, 'receivedAt'>): Date {
  return new Date(Math.max(availableAt.getTime(), instantOf(sale.receivedAt).getTime()));
}

/**
 * Writes one award to its account (locked and written down by the caller at `now`): pending until
 * its release (`releaseAtOf`) when that is still to come, else credited at once, dated `now`. A
 * release already past is not written as a pending credit dated then: the ledger's entries are in
 * the order they were written (see notBeforeWrites), and an EARN dated before entries already on
 * the account would break that order and the balances after them. So the points of a sale that
 * reaches processing after its pending window are available from processing on, and expire
 * `expiryDays` after `expiryFromOf` (its release or its receipt, whichever is later).
 */
async function awardPoints(em: SqlEntityManager, sale: SaleRow, a: PointsAward, account: AccountRow, actor: string, occurredAt: Date, now: Date): Promise<WrittenAward> {
  let ledgerEntryId: number | null = null;
  let pendingCreditId: number | null = null;
  const availableAt = releaseAtOf(occurredAt, a.pendingDays);
  if (availableAt.getTime() > now.getTime()) {
    pendingCreditId = await addPending(em, account, {
      amount: a.points,
      source: a.source,
      sourceId: String(sale.id),
      reason: a.rule,
      availableAt,
      now,
    });
  } else {
    const posted = await creditSettled(em, account, {
      amount: a.points,
      kind: LedgerEntryKind.EARN,
      source: a.source,
      sourceId: String(sale.id),
      reason: a.rule,
      actor,
      qualifying: true,
      now,
      expiryFrom: expiryFromOf(availableAt, sale),
    });
    ledgerEntryId = posted.entryId;
  }
  return { award: a, ledgerEntryId, pendingCreditId, countsFrom: availableAt };
}

/**
 * When processing fails for good, the sale is FAILED with the reason and earns nothing (its awards
 * never committed). The offers redeemed for it stay REDEEMED: the till was told RECEIVED and
 * handed the goods over, and an offer is redeemed at most once (SPEC §5.4). Staff who decide the
 * customer should have it again issue a replacement (`issueReplacementOffer`, audited).
 */
async function failTransaction({ em, clock }: JobContext, { transactionId }: { transactionId: number }, reason: string): Promise<void> {
  await query(
    em,
    sql`update sales_transaction set status = 'FAILED', failure_reason = ${reason}, processed_at = ${clock.now()}
         where id = ${transactionId} and status = 'RECEIVED'`,
  );
}

export const processTransactionJob: TransactionJobHandler = {
  run: (jc, payload: { transactionId: number }) => processTransaction(jc, payload),
  onFailed: (jc, payload: { transactionId: number }, reason) => failTransaction(jc, payload, reason),
};

/**
 * How many of the customer's sales hold an award of campaign `campaignId`: sales whose awards
 * were not returned, and returned sales whose awarded offer (or a staff replacement standing in
 * for it, up the `replaces` chain) had been redeemed, so the return kept it (`offersKept`). Such a
 * sale's share of the campaign's per-customer limit, and the first purchase it was, stay taken: a
 * return that gave them back let a customer buy, redeem the offer, return and buy again for
 * another offer from a "once per customer" or "first purchase" campaign, round after round
 * (hostile-17). Points are never "kept" in this sense: a return takes them back or records them
 * as owed. A count of sales; read under the customer's advisory lock, which orders it after
 * their earlier sales and returns.
 */
export async function salesHoldingAwards(em: SqlEntityManager, campaignId: number, customerId: number): Promise<number> {
  const row = await queryOne<{ n: number }>(
    em,
    sql`select count(distinct w.transaction_id)::int as n from transaction_award w
         where w.campaign_id = ${campaignId} and w.customer_id = ${customerId}
           and (w.reversed_at is null
                or (w.issued_offer_id is not null and exists (
                      with recursive chain(id, redeemed_at) as (
                        select io.id, io.redeemed_at from issued_offer io where io.id = w.issued_offer_id
                        union all
                        select r.id, r.redeemed_at from issued_offer r join chain on r.replaces_id = chain.id
                      )
                      select 1 from chain where chain.redeemed_at is not null)))`,
  );
  return row?.n ?? 0;
}
