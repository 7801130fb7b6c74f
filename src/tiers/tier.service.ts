import { IsolationLevel } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { castColumn, columnsOf, db, type Selected } from '../db/schema.js';
import { idList, plannedEachRun, query, sql } from '../db/sql.js';
import { refuse, UserErrorCode, UserErrorException } from '../domain/refusals.js';
import { named } from '../domain/text.js';
import { recordEvents } from '../events/outbox.service.js';
import { noteReplay } from '../idempotency/replays.js';
import { claimIdempotencyKey, completeIdempotencyKey, requestFingerprint, storedAnswerOf } from '../idempotency/idempotency.service.js';
import { Customer, CustomerStatus } from '../customers/customer.entity.js';
import { Tier } from './tier.entity.js';
import { WHOLE_LADDER, tierPlacements } from './placement.js';

/**
 * A tier as the API shows it: `tier` but its creation time, with `multiplier` (a decimal column)
 * read as a number (`::float8`): it multiplies points in rules, never money.
 */
export type TierRow = Selected<typeof TIER_SCALARS> & Selected<typeof TIER_MULTIPLIER>;

const TIER_KEYS = ['id', 'currencyCode', 'code', 'name', 'rank', 'threshold', 'windowDays'] as const;
const TIER_SCALARS = columnsOf(Tier, 't', TIER_KEYS);
const TIER_MULTIPLIER = castColumn(Tier, 't', 'multiplier', 'float8');
const TIER_COLUMNS = sql<TierRow>`${TIER_SCALARS}, ${TIER_MULTIPLIER}`;

/** Tiers by id (any order; unknown ids are left out), for the `tier` loader. */
export async function tiersByIds(em: SqlEntityManager, ids: readonly number[]): Promise<TierRow[]> {
  return query(em, sql<TierRow>`select ${TIER_COLUMNS} from tier t where t.id = any(${idList(ids)})`);
}

/**
 * Tiers by code (any order; unknown codes are left out), in one statement, for the `tierByCode`
 * loader (TierChange.from and .to: small-25). Codes are unique and never change (refuseUnknownTiers).
 */
export async function tiersByCodes(em: SqlEntityManager, codes: readonly string[]): Promise<TierRow[]> {
  return query(em, sql<TierRow>`select ${TIER_COLUMNS} from tier t where t.code = any(${[...codes]}::text[])`);
}

/**
 * Refuses a list of tier codes (a store's `eligibility.tiers`, a campaign's `conditions.tiers`)
 * that names a tier the ladder does not have: such an entry silently matched nobody. NOT_FOUND
 * "No tier NOSUCH, NEITHER." (every unknown code, in the order sent) on `[...field, i]`, i the first
 * unknown entry, as every other reference to nothing answers (a currency, a gift list's offer;
 * docs/decisions.md, "Input faults fixed as kinds (edges-10)"). Tiers are never deleted or renamed,
 * so a code found here stays one. Codes are compared exactly (the edge took only `TIER_CODE` shapes).
 */
export async function refuseUnknownTiers(em: SqlEntityManager, codes: readonly string[] | null | undefined, field: readonly string[]): Promise<void> {
  if (!codes?.length) return;
  const found = await query<{ code: string }>(em, sql`select code from tier where code = any(${[...codes]}::text[])`);
  const known = new Set(found.map((t) => t.code));
  const unknown = codes.filter((code) => !known.has(code));
  if (unknown.length) throw refuse(UserErrorCode.NOT_FOUND, `No tier ${unknown.join(', ')}.`, [...field, String(codes.indexOf(unknown[0]))]);
}

/** The whole ladder, lowest rank first. */
export async function allTiers(em: SqlEntityManager): Promise<TierRow[]> {
  return query(em, sql<TierRow>`select ${TIER_COLUMNS} from tier t order by t.rank`);
}

/** A tier and a customer's standing towards it. */
export type TierStanding = TierRow & {
  /** The customer's qualifying points for this tier: in its currency, over its window. */
  points: number;
};

/** A TierStanding of one of several customers (tierStandings). */
export type CustomerTierStanding = TierStanding & { customerId: Customer['id'] };

/** An account's lifetime earned points as of a moment, and whose account in which currency it is (a BalanceRow of `balancesByCustomers` is one). */
export interface LifetimeEarned {
  customerId: number;
  currencyCode: string;
  lifetimeEarned: number;
}

/**
 * Every tier with each customer's qualifying points towards it as of `now` (SQL
 * `qualifying_points_at`), per customer lowest rank first (unknown ids have no rows): lifetime
 * tiers read lifetime earned, rolling tiers sum the qualifying entries and adjustments of the last
 * `windowDays`; both count pending points whose day has come even before a job has released them,
 * and a rolling window drops old points the second they leave it. What `customer_tier_at` decides
 * the tier from, so `tierFor` of it is the customer's tier as of `now`, and `nextTierOf` the next:
 * Customer.tier and Customer.nextTier read it once per request (the `tierStanding` loader,
 * money-25; they were three statements over the same points, two of them alike).
 *
 * `lifetime`: the customers' accounts as of the same `now`, already being read (the request's
 * balances, `balancesByCustomers`, when Customer.balances is asked too): lifetime tiers then take
 * their points from them, `lifetimeEarned` of the customer's account in the tier's currency, 0
 * without one, exactly what `qualifying_points_at` answers for them, instead of evaluating
 * `point_account_at` again once per lifetime tier (n1-28). Still one statement, read side by side.
 * Should `lifetime` reject, the standings are read again without it (one more statement), so a
 * failed read of the balances fails Customer.balances alone, as when the two were read apart.
 */
export async function tierStandings(
  em: SqlEntityManager,
  customerIds: readonly number[],
  now: Date,
  lifetime?: Promise<readonly LifetimeEarned[]>,
): Promise<CustomerTierStanding[]> {
  const given = lifetime !== undefined;
  const [rows, accounts] = await Promise.all([
    query(
      em,
      sql<CustomerTierStanding>`select c.id as "customerId", ${TIER_COLUMNS},
                 case when ${given}::boolean and t.window_days is null then 0 else qualifying_points_at(c.id, t.currency_code, t.window_days, ${now}) end as points
            from customer c cross join tier t where c.id = any(${idList(customerIds)}) order by c.id, t.rank`,
    ),
    // The accounts' read failing is that read's error (Customer.balances'), not the tiers': they
    // are then read as without it, their lifetime points in SQL.
    lifetime?.catch(() => null),
  ]);
  if (accounts === null) return tierStandings(em, customerIds, now);
  if (!accounts) return rows;
  const earned = new Map(accounts.map((a) => [`${a.customerId}/${a.currencyCode}`, a.lifetimeEarned]));
  for (const row of rows) if (row.windowDays === null) row.points = earned.get(`${row.customerId}/${row.currencyCode}`) ?? 0;
  return rows;
}

/** The highest-ranked tier whose threshold the customer's qualifying points reach. */
export function tierFor(standing: TierStanding[]): TierStanding | null {
  let best: TierStanding | null = null;
  for (const tier of standing) if (tier.points >= tier.threshold && (!best || tier.rank > best.rank)) best = tier;
  return best;
}

/**
 * The next tier above the current one (the lowest-ranked tier above it; the lowest of the ladder
 * for a customer without a tier) and how many qualifying points it still needs, counted in that
 * tier's own currency (`currencyCode`): a ladder's tiers may count different currencies, so the
 * unit is the next tier's, not the current tier's or a balance's (web-23). Null at the top.
 */
export function nextTierOf(standing: TierStanding[], currentTierId: number | null): NextTierRow | null {
  const currentRank = standing.find((t) => t.id === currentTierId)?.rank ?? Number.NEGATIVE_INFINITY;
  const next = standing.filter((t) => t.rank > currentRank).sort((a, b) => a.rank - b.rank)[0];
  if (!next) return null;
  return { ...next, pointsNeeded: Math.max(0, next.threshold - next.points) };
}

/** `NextTier` as `nextTierOf` gives it: the tier's row (its `currencyCode` among it) and the qualifying points it still needs. */
export type NextTierRow = TierStanding & { pointsNeeded: number };

/** The instant a placement evaluates at: its own `now`, or the stored tier's placement when later (`c`: the customer row). */
const placementAt = (now: Date) => sql`greatest(${now}::timestamptz, c.tier_placed_at)`;

/**
 * Sets the customer's tier from their qualifying points (SQL `customer_tier_at`: the highest-ranked
 * tier whose threshold they reach, or none) and records a TIER_CHANGED event (`{ from, to }`: the
 * tiers' codes, null for none) when it moves; a program without tiers leaves the customer as they
 * are. Evaluated as of `now`, or as of the instant the stored tier was placed at when that is later
 * (`tier_placed_at`, which it then records): a writer whose `now` was read before it waited for
 * the customer's locks never moves the stored tier back to an earlier instant's after a later
 * placement committed (docs/decisions.md, "Tier placements never go back in time"). Runs in the
 * transaction that changed those points (under the account lock). One statement: a sale, a
 * purchase or an activity places the tier after every change of points, and a statement costs the
 * gateway and PostgreSQL CPU of its own (issue 12, bench:till).
 *
 * `offset 0` keeps `target` a subquery whose columns the update reads: without it PostgreSQL
 * inlined the CTE (referenced once) into the update and copied `customer_tier_at(…)` into each
 * place `to_tier` is named (the join's filter, SET, the CASE, RETURNING), so a placement evaluated
 * every tier's points four times (sale-19, EXPLAIN VERBOSE; pg_stat_statements: 5 calls of the
 * function per sale, 2 since).
 */
export async function recomputeTier(em: SqlEntityManager, customerId: number, now: Date): Promise<void> {
  await query(
    em,
    sql`with target as (
          select c.id, c.tier_id, ${placementAt(now)} as at, customer_tier_at(c.id, ${placementAt(now)}) as to_tier from customer c
           where c.id = ${customerId} and exists (select 1 from tier)
          offset 0
        ), changed as (
          update customer c set tier_id = target.to_tier, tier_placed_at = target.at,
                 updated_at = case when c.tier_id is distinct from target.to_tier then ${now} else c.updated_at end
            from target
           where c.id = target.id and (c.tier_id is distinct from target.to_tier or c.tier_placed_at is distinct from target.at)
          returning target.tier_id as from_tier, target.to_tier
        )
        insert into outbox_event (topic, customer_id, payload, created_at)
        select 'TIER_CHANGED', ${customerId}, jsonb_build_object('from', f.code, 'to', t.code), ${now}
          from changed left join tier f on f.id = changed.from_tier left join tier t on t.id = changed.to_tier
         where changed.from_tier is distinct from changed.to_tier`,
  );
}

/**
 * Re-places customers on the ladder (SQL `customer_tier_at`): after the ladder itself changes (a
 * tier is added), and, as a batch job, to write down what rolling windows did with time (readers
 * already see it). With `batch`, takes at most that many customers after `afterId`, in id order,
 * and answers the last id it took (null when none were left); without, everyone at once. Records
 * TIER_CHANGED for each move. The instant it evaluates at is read from `clock` once the customers'
 * locks are held (they may be waited for, behind writers placing the same customers at later
 * instants), and never earlier than a customer's stored placement (`tier_placed_at`), so the batch
 * never moves a customer back to the tier of an instant before a placement that committed while
 * it waited (docs/decisions.md, "Tier placements never go back in time").
 */
export async function recomputeAllTiers(
  em: SqlEntityManager,
  clock: Clock,
  range: { afterId: number; batch: number } | null = null,
): Promise<{ moved: number; moves: TierMoveCount[]; lastId: number | null }> {
  const afterId = range?.afterId ?? 0;
  const limit = range?.batch ?? null;
  // First the event streams of the customers about to move, in id order: every other writer of a
  // customer takes its stream (its first event) before its row (recomputeTier), so a batch that
  // updated the rows first and then recorded the moves deadlocked with a sale placing the same
  // customer's tier. Upserted, so a customer with no event yet has a row to lock (last_seq 0: the
  // first event is still 1). The statement below then reads after these locks, with a snapshot
  // that sees what their holders committed.
  const started = clock.now();
  const locked = await query<{ customer_id: Customer['id'] }>(
    em,
    plannedEachRun(sql`insert into event_stream as s (customer_id, last_seq)
        select c.id, 0 from customer c
          left join ${tierPlacements(sql`select c.id, ${placementAt(started)} as at from customer c where c.id > ${afterId} order by c.id limit ${limit}`, WHOLE_LADDER)} p on p.customer_id = c.id
          left join tier t on t.rank = p.rank
         where c.id in (select c2.id from customer c2 where c2.id > ${afterId} order by c2.id limit ${limit})
           and c.tier_id is distinct from t.id
         order by c.id
        on conflict (customer_id) do update set last_seq = s.last_seq
        returning s.customer_id`),
  );
  // Only those are placed (each tier computed once more, after its lock, not the whole batch's
  // again), as of now, read after the locks; one who starts to differ meanwhile is left to the
  // next run, its stream not locked here.
  const now = clock.now();
  const lockedIds = locked.map((l) => l.customer_id);
  const rows = await query<{ customer_id: Customer['id']; from_code: Tier['code'] | null; to_code: Tier['code'] | null; active: boolean }>(
    em,
    plannedEachRun(sql`with target as (
          select c.id, c.tier_id as from_tier, t.id as to_tier, ${placementAt(now)} as at
            from customer c
            left join ${tierPlacements(sql`select c.id, ${placementAt(now)} as at from customer c where c.id = any(${lockedIds}::bigint[])`, WHOLE_LADDER)} p on p.customer_id = c.id
            left join tier t on t.rank = p.rank
           where c.id = any(${lockedIds}::bigint[])
        ), moved as (
          update customer c set tier_id = target.to_tier, tier_placed_at = target.at, updated_at = ${now}
            from target where c.id = target.id and c.tier_id is distinct from target.to_tier
          returning c.id, c.status = ${CustomerStatus.ACTIVE} as active
        )
        select target.id as customer_id, f.code as from_code, tt.code as to_code, moved.active
          from target join moved on moved.id = target.id
          left join tier f on f.id = target.from_tier left join tier tt on tt.id = target.to_tier
         order by target.id`),
  );
  const [last] = await query<{ id: Customer['id'] | null }>(
    em,
    sql`select max(id) as id from (select c.id from customer c where c.id > ${afterId} order by c.id limit ${limit}) batch`,
  );
  // One statement for the batch, its customers in id order (the order recordEvents locks their streams in).
  await recordEvents(em, 'TIER_CHANGED', rows.map((m) => ({ customerId: m.customer_id, payload: { from: m.from_code, to: m.to_code } })), now);
  return { moved: rows.length, moves: countMoves(rows), lastId: last?.id == null ? null : Number(last.id) };
}

/**
 * How many customers went from one tier to another (code, null: no tier), one entry per pair of
 * tiers, in the order each pair first appears in `rows`; what createTier answers and audits
 * (money-24).
 */
export interface TierMoveCount {
  from: string | null;
  to: string | null;
  customers: number;
  /**
   * Of `customers`, those ACTIVE (who can buy and earn: accessLostBy counts them, as
   * updateRewardStore's accessLost does; hostile39e). Absent in moves stored before it (a repeat
   * of an older request): all of `customers` then.
   */
  activeCustomers?: number;
}

function countMoves(rows: readonly { from_code: string | null; to_code: string | null; active: boolean }[]): TierMoveCount[] {
  const counts = new Map<string, TierMoveCount>();
  for (const r of rows) {
    const key = JSON.stringify([r.from_code, r.to_code]);
    const count = counts.get(key) ?? counts.set(key, { from: r.from_code, to: r.to_code, customers: 0, activeCustomers: 0 }).get(key)!;
    count.customers += 1;
    if (r.active) count.activeCustomers! += 1;
  }
  return [...counts.values()];
}

/**
 * The refusal of a tier whose code or rank another tier has, naming that tier: its code, its
 * currency's code, its rank and its threshold (newcomer-24: "A tier with this rank already exists."
 * left an operator adding a ladder for a second currency guessing which tier held it, and that
 * ranks are not counted per currency; edges-28: "Tier GOLD already exists." said neither the rank
 * nor the currency of the tier that has the code). Ranks and codes are unique across the
 * program's one ladder (docs/decisions.md, "One ladder per program"). ALREADY_EXISTS on
 * `input.code` when the code is taken, else on `input.rank`.
 */
function tierClash(clash: TierHolder, data: CreateTierData): Error {
  const from = `from ${clash.threshold.toLocaleString('en-GB')} points`;
  if (clash.code === data.code) return refuse(UserErrorCode.ALREADY_EXISTS, `Tier ${clash.code} already exists in ${clash.currency} (rank ${clash.rank}, ${from}): choose another code.`, ['input', 'code']);
  return refuse(
    UserErrorCode.ALREADY_EXISTS,
    `Rank ${clash.rank} is taken by tier ${clash.code} (${clash.currency}, ${from}): the program has one ladder, whatever the currency, so each tier needs a rank of its own.`,
    ['input', 'rank'],
  );
}

/** A tier as tierClash names it: its code, rank, threshold (qualifying points) and currency code. */
interface TierHolder {
  code: string;
  rank: number;
  threshold: number;
  currency: string;
}

/** The tier holding `code` or else `rank` (either: null), as tierClash names it. */
async function tierHolding(em: SqlEntityManager, by: { code?: string; rank?: number }): Promise<TierHolder | undefined> {
  // Two at most: the code's and the rank's (codes and ranks are unique)
  const holders = await db(em)
    .selectFrom('Tier')
    .select(['code', 'rank', 'threshold', 'currency'])
    .where((eb) => eb.or([...(by.code !== undefined ? [eb('code', '=', by.code)] : []), ...(by.rank !== undefined ? [eb('rank', '=', by.rank)] : [])]))
    .execute();
  return holders.find((h) => h.code === by.code) ?? holders[0];
}

/**
 * `claim` (the code's idempotency key claimed or read for a createTier), its refusal of another
 * request under the code (tierExists) replaced by tierClash's, which names the tier holding it:
 * read once the claim is settled (it may have waited for that tier's creation to commit). A
 * refusal whose tier cannot be read (none holds the code) is thrown as it is.
 * @throws UserErrorException ALREADY_EXISTS on input.code
 */
async function namingTheTierOfTheCode<T>(em: SqlEntityManager, data: CreateTierData, claim: Promise<T>): Promise<T> {
  try {
    return await claim;
  } catch (error) {
    if (!(error instanceof UserErrorException) || error.code !== UserErrorCode.ALREADY_EXISTS) throw error;
    const holder = await tierHolding(em, { code: data.code });
    throw holder ? tierClash(holder, data) : error;
  }
}

export interface CreateTierData {
  currency: string;
  code: string;
  name: string;
  rank: number;
  threshold: number;
  windowDays?: number | null;
  multiplier?: number | null;
}

/**
 * What createTier did, or with `dryRun` would do: the tier (null on a dry run: nothing was
 * written), how many customers it moves and between which tiers (on a repeat of the request: what
 * the first one moved, from the answer its idempotency record keeps).
 */
export interface CreatedTier {
  tier: TierRow | null;
  customersMoved: number;
  moves: TierMoveCount[];
  dryRun: boolean;
}

/** The idempotency scope of createTier: the tier's code is the request's key (one record per tier, kept for ever: KEPT_SCOPES). */
const CREATE_TIER_SCOPE = 'create:tier';

/**
 * What a createTier stores with its key, and a repeat answers from (replay-22: the first answer's
 * data): the tier's id (the tier is read as it is, tiers are never changed) and the moves.
 * Migration20261203160000 wrote it for the tiers created before money-25, from their audit entries.
 */
interface TierCreationAnswer {
  id: number;
  customersMoved: number;
  moves: TierMoveCount[];
}

/**
 * Adds a tier to the ladder and re-places every customer on it; audit-logged with how many moved
 * and between which tiers, and answered with the same (money-24: a threshold-0 tier for a second
 * currency silently took the whole demo off GOLD). The code is the request's key: the same request
 * again answers the first one's answer (its idempotency record's) and changes nothing. Refusals:
 * NOT_FOUND (no such currency), ALREADY_EXISTS (code or rank taken by another tier).
 *
 * With `dryRun`: what the request would answer now, and nothing written (no tier, no move, no
 * event, no audit entry, the code not claimed), from reads at one snapshot that lock nothing
 * (dryRunOfCreateTier): a preview never holds up a sale or a tier placement (money-25; it used to
 * do the whole creation and roll it back, holding every moved customer's locks meanwhile).
 */
export async function createTier(ctx: Ctx, data: CreateTierData, dryRun = false, reason: string | null = null): Promise<CreatedTier> {
  return dryRun ? dryRunOfCreateTier(ctx, data) : createTierIn(ctx, data, reason);
}

/** createTier's request as its fingerprint reads it (the multiplier's default filled in; `dryRun` is not part of it). */
const tierFingerprint = (data: CreateTierData) => requestFingerprint({ ...data, multiplier: data.multiplier ?? 1 });

/** How a repeat of another request for an existing code is refused (the claim's refusal). */
const tierExists = (data: CreateTierData) => ({ code: UserErrorCode.ALREADY_EXISTS, field: ['input', 'code'], message: `Tier ${data.code} already exists.` });

/** NOT_FOUND on `input.currency` unless the currency exists. */
async function refuseUnknownCurrency(em: SqlEntityManager, data: CreateTierData): Promise<void> {
  const currency = await db(em).selectFrom('PointCurrency').select('code').where('code', '=', data.currency).executeTakeFirst();
  if (!currency) throw refuse(UserErrorCode.NOT_FOUND, `No currency ${named(data.currency)}.`, ['input', 'currency']);
}

/** ALREADY_EXISTS (tierClash) when another tier has the code or the rank (the code's holder named first). */
async function refuseClash(em: SqlEntityManager, data: CreateTierData): Promise<void> {
  const clash = await tierHolding(em, { code: data.code, rank: data.rank });
  if (clash) throw tierClash(clash, data);
}

/**
 * INVALID on `input.threshold` when the ladder with this tier in it would have a tier no member can
 * ever be placed on (break36, tiers): a customer is placed on "the highest-ranked tier whose
 * threshold their qualifying points reach" (docs/decisions.md "Tiers"), across the whole ladder, so
 * - of two tiers of one currency, the lower-ranked is unreachable when its window is no longer
 *   than the higher one's (lifetime the longest) and its threshold no lower: whoever reaches it
 *   reaches the higher one too, since a window's qualifying points are never more than a longer
 *   window's (a return's correction is dated at the credit it takes back, break34; break36c found the
 *   first rule compared equal windows only). Only an operator's qualifying debit can make a shorter
 *   window count more, which a ladder is not built on;
 * - a threshold-0 tier, which every customer reaches (no account counts 0 points), ranked above
 *   any other tier of any currency or window (break36b): it always wins, so a threshold-0 tier is
 *   the ladder's lowest.
 * Ladders created before this check are left as they are.
 */
async function refuseUnreachable(em: SqlEntityManager, data: CreateTierData): Promise<void> {
  const LIFETIME = 2_147_483_647; // a window no other is longer than
  const window = data.windowDays ?? LIFETIME;
  const [other] = await query<{ code: string; rank: number; threshold: number; windowDays: number | null; dominated: boolean }>(
    em,
    sql`select * from (
          select code, rank, threshold::float8 as threshold, window_days as "windowDays",
                 (currency_code = ${data.currency}
                  and ((rank < ${data.rank} and coalesce(window_days, ${LIFETIME}) <= ${window} and threshold >= ${data.threshold})
                    or (rank > ${data.rank} and ${window} <= coalesce(window_days, ${LIFETIME}) and threshold <= ${data.threshold}))) as dominated,
                 ((rank > ${data.rank} and threshold = 0) or (${data.threshold} = 0 and rank < ${data.rank})) as "belowZero"
            from tier) t
         where dominated or "belowZero"
         order by abs(rank - ${data.rank}), rank limit 1`,
  );
  if (!other) return;
  const [unreachable, winner] = other.rank < data.rank ? [`tier ${other.code}`, 'this tier'] : ['this tier', `tier ${other.code}`];
  const windowOf = (days: number | null | undefined) => (days == null ? 'lifetime' : `${days}-day window`);
  const tiers = `Tier ${other.code} (rank ${other.rank}, threshold ${other.threshold}, ${windowOf(other.windowDays)}) and this tier (rank ${data.rank}, threshold ${data.threshold}, ${windowOf(data.windowDays)})`;
  throw refuse(
    UserErrorCode.INVALID,
    other.dominated
      ? `${tiers}: whoever reaches ${unreachable} also reaches ${winner}, which ranks higher, counts its points over a window at least as long and needs no more of them, so nobody could ever be on ${unreachable}. In one currency a higher rank needs a higher threshold or a shorter window.`
      : `${tiers}: ${winner} has threshold 0, which every customer reaches, so nobody could ever be on ${unreachable}. A threshold-0 tier must rank below every other tier.`,
    ['input', 'threshold'],
  );
}

/**
 * A repeat's answer: the first request's (its idempotency record's), the tier as it is. A record
 * with no answer (`answer` null) is of a tier a gateway older than money-25 created after
 * Migration20261203160000 ran, during a rolling upgrade: its answer is read as that gateway's repeat
 * read it, from the tier's first `createTier` audit entry (the migration's own rule), rather than
 * failing with INTERNAL_SERVER_ERROR.
 */
async function replayedCreation(ctx: Ctx, em: SqlEntityManager, code: string, answer: TierCreationAnswer | null | undefined): Promise<CreatedTier> {
  noteReplay(ctx);
  const first = answer ?? (await answerFromAudit(em, code));
  const [tier] = await tiersByIds(em, [first.id]);
  return { tier, customersMoved: first.customersMoved, moves: first.moves, dryRun: false };
}

/**
 * The answer of the tier `code`'s creation as its audit entry records it (`{ id, customersMoved,
 * moves }`; 0 and [] where the entry says nothing), for a record that stored none: the rule of
 * Migration20261203160000's TIER_ANSWERS_SQL, for one tier.
 */
async function answerFromAudit(em: SqlEntityManager, code: string): Promise<TierCreationAnswer> {
  const [row] = await query<{ id: number; details: { customersMoved?: number; moves?: TierMoveCount[] } | null }>(
    em,
    sql`select t.id, (select e.details from audit_entry e where e.action = 'createTier' and e.target = 'Tier:' || t.id order by e.id limit 1) as details
          from tier t where t.code = ${code}`,
  );
  return { id: row.id, customersMoved: row.details?.customersMoved ?? 0, moves: row.details?.moves ?? [] };
}

async function createTierIn(ctx: Ctx, data: CreateTierData, reason: string | null): Promise<CreatedTier> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    await refuseUnknownCurrency(em, data);
    const claim = await namingTheTierOfTheCode(em, data, claimIdempotencyKey<TierCreationAnswer>(em, CREATE_TIER_SCOPE, data.code, tierFingerprint(data), now, tierExists(data)));
    if (claim.replay) return replayedCreation(ctx, em, data.code, claim.result);
    await refuseClash(em, data);
    // One creation at a time checks the ladder: two at once (a GOLD and a SILVER that contradict
    // each other) would each pass against a ladder without the other.
    await query(em, sql`select pg_advisory_xact_lock(hashtextextended('tier:ladder', 0))`);
    await refuseUnreachable(em, data);
    // SQL, not the builder: the class-inferred `DB` type requires `id` on insert (it has no notion
    // of a generated key), and the answer needs `multiplier` as float8 anyway. The check above
    // cannot see a tier of the same rank created at this moment (its code is another request's
    // key): the insert waits for it and then does nothing, refused like the check's refusal, not
    // a unique violation (INTERNAL_SERVER_ERROR).
    const [row] = await query(
      em,
      sql<TierRow>`insert into tier as t (currency_code, code, name, rank, threshold, window_days, multiplier, created_at)
          values (${data.currency}, ${data.code}, ${data.name}, ${data.rank}, ${data.threshold}, ${data.windowDays ?? null}, ${data.multiplier ?? 1}, ${now})
          on conflict (rank) do nothing
          returning ${TIER_COLUMNS}`,
    );
    if (!row) {
      const holder = await tierHolding(em, { rank: data.rank });
      throw holder ? tierClash(holder, data) : refuse(UserErrorCode.ALREADY_EXISTS, `Rank ${data.rank} is taken by another tier.`, ['input', 'rank']);
    }
    const { moved, moves } = await recomputeAllTiers(em, ctx.clock);
    const answer: TierCreationAnswer = { id: row.id, customersMoved: moved, moves };
    await completeIdempotencyKey(em, CREATE_TIER_SCOPE, data.code, answer);
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'createTier', target: `Tier:${row.id}`, reason, details: { ...data, customersMoved: moved, moves }, at: now });
    return { tier: row, customersMoved: moved, moves, dryRun: false };
  });
}

/**
 * createTier's dry run: the refusals of the real request, in its order (currency, the code's key,
 * a tier with the code or rank), then who would move, all read in one read-only REPEATABLE READ
 * transaction (one snapshot) that takes no lock a writer waits for: no key claimed, no tier
 * inserted, no customer's stream or row locked. The moves are recomputeAllTiers's as of that
 * snapshot: every customer whose stored tier differs from where the ladder with this tier places
 * them (`movesIfAdded`). A request already made (its key held with the same fingerprint) answers
 * what its repeat would: the first answer, marked a replay. A real request committing meanwhile is
 * not seen (the snapshot is older); the real request then answers for itself.
 */
async function dryRunOfCreateTier(ctx: Ctx, data: CreateTierData): Promise<CreatedTier> {
  const now = ctx.clock.now();
  return ctx.em.transactional(
    async (em) => {
      await refuseUnknownCurrency(em, data);
      const stored = await namingTheTierOfTheCode(em, data, storedAnswerOf<TierCreationAnswer>(em, CREATE_TIER_SCOPE, data.code, tierFingerprint(data), tierExists(data)));
      if (stored) return replayedCreation(ctx, em, data.code, stored.result);
      await refuseClash(em, data);
      await refuseUnreachable(em, data);
      const rows = await query(em, movesIfAdded(data, now));
      return { tier: null, customersMoved: rows.length, moves: countMoves(rows), dryRun: true };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}

/**
 * The customers adding the tier `data` would move as of `now`, in id order, with the codes of the
 * tier they hold (stored) and the one they would be placed on: SQL `customer_tier_at`'s rule (the
 * highest-ranked tier whose threshold the customer's qualifying points reach, by
 * `qualifying_points_at`, at the customer's placement instant `placementAt`) over the ladder with
 * the new tier in it, which is not written. Every customer, as recomputeAllTiers places every
 * customer. A read: no lock beyond the tables' own shared one.
 */
function movesIfAdded(data: CreateTierData, now: Date) {
  return plannedEachRun(sql<{ customer_id: Customer['id']; from_code: Tier['code'] | null; to_code: Tier['code'] | null; active: boolean }>`with ladder as (
          select t.code, t.rank, t.currency_code, t.window_days, t.threshold from tier t
          union all
          select ${data.code}::text, ${data.rank}::int, ${data.currency}::text, ${data.windowDays ?? null}::int, ${data.threshold}::bigint
        ), placed as (
          select c.id, f.code as from_code, c.status = ${CustomerStatus.ACTIVE} as active, l.code as to_code
            from customer c left join tier f on f.id = c.tier_id
            left join ${tierPlacements(sql`select c.id, ${placementAt(now)} as at from customer c`, sql`select rank, currency_code, window_days, threshold from ladder`)} p on p.customer_id = c.id
            left join ladder l on l.rank = p.rank
        )
        select id as customer_id, from_code, to_code, active from placed where from_code is distinct from to_code order by id`);
}

/** A store or campaign a ladder change moves customers out of (TierAccessLoss): its kind, id, name, tiers and how many. */
export interface TierAccessLossRow {
  kind: 'STORE' | 'CAMPAIGN';
  id: number;
  name: string;
  tiers: string[];
  customers: number;
}

/**
 * The stores and campaigns, not ended as of `now` (a cancelled campaign, its window empty, is
 * ended), whose tier lists name a tier some of `moves` to the tier `added` leave and not `added`
 * (tier lists match exactly: docs/decisions.md "tier-access-38"), with how many customers that is;
 * stores first, then campaigns, by name. Only moves to `added`: the re-placement of every customer
 * also records drops that time had made already (a rolling window that lapsed), which the new tier
 * did not cause and listing it would not undo (break38c). One statement, none when nothing moves.
 */
export async function accessLostBy(em: SqlEntityManager, allMoves: readonly TierMoveCount[], added: string, now: Date): Promise<TierAccessLossRow[]> {
  const moves = allMoves.filter((m) => m.to === added);
  if (!moves.some((m) => m.from !== null)) return [];
  const holders = await query<{ kind: 'STORE' | 'CAMPAIGN'; id: number; name: string; tiers: string[] }>(
    em,
    sql`select 'STORE' as kind, id, name, eligible_tiers as tiers from reward_store
         where cardinality(eligible_tiers) > 0 and (ends_at is null or ends_at > ${now})
        union all
        select 'CAMPAIGN', id, name, tiers from campaign where cardinality(tiers) > 0 and ends_at > ${now} and ends_at > starts_at
        order by kind desc, name, id`,
  );
  return holders
    .map((h) => ({
      ...h,
      id: Number(h.id),
      // active ones only: a suspended or closed customer reaches no store or campaign either way (hostile39e)
      customers: moves.filter((m) => m.from !== null && h.tiers.includes(m.from) && !h.tiers.includes(added)).reduce((n, m) => n + (m.activeCustomers ?? m.customers), 0),
    }))
    .filter((h) => h.customers > 0);
}
