import type { SqlEntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Page } from '../domain/page.js';
import type { Caller } from '../context.js';
import { activityRulesByIds, type ActivityRuleRow } from '../activities/activity.service.js';
import { auditEntriesByIds, statusChangesOf, type AuditRow } from '../audit/audit.service.js';
import { campaignsByIds, economyRulesByIds } from '../rules/rule.service.js';
import type { CampaignRow, EconomyRuleStaffRow } from '../rules/earning.js';
import type { CustomerCheck } from '../customers/customer-check.js';
import { customersByIds, type CustomerRow } from '../customers/customer.service.js';
import { giftListsById, giftListsFor, giftListsOfCustomers, type GiftListRow } from '../gifts/gift.service.js';
import { currentOffersByIds, offerVersionsByIds, type OfferVersionRow } from '../offers/offer.service.js';
import {
  balancesByCustomers,
  currenciesByCodes,
  expiringAfterEntries,
  expiringByAccounts,
  ledgerEntriesByIds,
  ledgerPages,
  type BalanceRow,
  type CurrencyRow,
  type ExpiringRow,
  type LedgerEntryRow,
} from '../points/points.service.js';
import { partnersByIds, type PartnerRow } from '../partners/partner.service.js';
import { purchasesByIds, type PurchaseRow } from '../purchases/purchase.service.js';
import { eligibleStoresPages, listingsByIds, listingsPages, storesByIds, type EligibleStoreRow, type ListingRow, type StoreRow, type Viewer } from '../stores/store.service.js';
import { tierStandings, tiersByCodes, tiersByIds, type CustomerTierStanding, type TierRow, type TierStanding } from '../tiers/tier.service.js';
import { appliedOffersOf, awardsOfTransactions, transactionsByIds, type AwardRow, type TransactionRow } from '../transactions/transaction.service.js';
import type { IssuedOfferStatus } from '../wallet/issued-offer.entity.js';
import { issuedOffersByIds, walletPages, type IssuedOfferRow } from '../wallet/wallet.service.js';
import {
  webhookAttemptsOf,
  webhookDeliveriesByIds,
  webhookEndpointsByIds,
  webhookRetryingOf,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
  type WebhookRetryingRow,
} from '../webhooks/webhook.service.js';

/** The key of a page of store `storeId`'s listings as `customerId` sees it, in Loaders.listingPages. */
export function listingsPageKey(storeId: number, customerId: number, page: Page): string {
  return `${storeId}/${customerId}/${page.limit}/${page.after ? page.after.join(',') : ''}`;
}

/** Puts `rows` in the order of `keys` (DataLoader's contract), undefined where none matched. */
function one<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | undefined)[] {
  const map = new Map<K, V>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((key) => map.get(key));
}

/**
 * A settled read as a lookup by key: `spread` of its rows (one entry per key of `keys`, in order)
 * when it was read, else the read's error for every key (an `Error`, as DataLoader answers a key's
 * failure), so that one failed statement of a batch fails its own keys only.
 */
function settledBy<K, R, V>(settled: PromiseSettledResult<R>, spread: (rows: R) => V[], keys: readonly K[]): (key: K) => V | Error {
  if (settled.status === 'rejected') {
    const error = settled.reason instanceof Error ? settled.reason : new Error(String(settled.reason));
    return () => error;
  }
  const values = spread(settled.value);
  const byKey = new Map(keys.map((key, i) => [key, values[i]]));
  return (key) => byKey.get(key)!;
}

function many<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const map = new Map<K, V[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  }
  return keys.map((key) => map.get(key) ?? []);
}

/**
 * The request's DataLoaders, made on first use: every field that reads by key batches into one
 * statement per kind of row, whatever the size of the page. Reads that depend on the caller (stores
 * and listings a customer may see) are filtered for the caller here, once.
 */
export class Loaders {
  readonly viewer: Viewer;
  private readonly made = new Map<string, DataLoader<unknown, unknown>>();

  constructor(
    private readonly em: SqlEntityManager,
    caller: Caller,
    private readonly clock: Clock,
    private readonly config: Config,
    /** The request's pending check of the signed-in customer (RequestCtx.customerCheck), which the `customer` loader's read of their row settles. */
    private readonly customerCheck?: CustomerCheck,
  ) {
    this.viewer = caller.kind === 'customer' ? { customerId: caller.customerId } : null;
  }

  /**
   * A loader of a page of rows per parent (a customer's wallet, ledger): keys are the parent's id
   * and the page's arguments (`pageKey`), and each batch reads, per distinct arguments, every
   * parent's page in one statement (`read`, whose rows name their parent: `parentOf`), whatever the
   * number of parents. Two parents asking different pages (aliases) are two statements.
   */
  private pages<A, R>(name: string, read: (parentIds: readonly number[], args: A) => Promise<R[]>, parentOf: (row: R) => number): DataLoader<string, R[]> {
    return this.get<string, R[]>(name, async (keys) => {
      const asked = keys.map((key) => {
        const [id, args] = JSON.parse(key) as [number, A];
        return { id, args, argsKey: JSON.stringify(args) };
      });
      const groups = new Map<string, { args: A; ids: number[] }>();
      for (const { id, args, argsKey } of asked) {
        const group = groups.get(argsKey) ?? { args, ids: [] };
        groups.set(argsKey, group);
        if (!group.ids.includes(id)) group.ids.push(id);
      }
      // Each group settled apart: one alias's failed read fails its own keys only.
      const found = new Map<string, (id: number) => R[] | Error>();
      const settled = await Promise.allSettled([...groups.values()].map(({ args, ids }) => read(ids, args)));
      [...groups].forEach(([argsKey, { ids }], i) => found.set(argsKey, settledBy(settled[i], (rows) => many(ids, rows, parentOf), ids)));
      return asked.map(({ id, argsKey }) => found.get(argsKey)!(id));
    });
  }

  /**
   * The request's loader `name`, made on first use: `batch` reads up to 500 keys at once;
   * `cacheKey`, for keys that are objects, what tells two apart (default: the key itself).
   */
  private get<K, V, C = K>(name: string, batch: (keys: readonly K[]) => Promise<(V | Error)[]>, cacheKey?: (key: K) => C): DataLoader<K, V, C> {
    let loader = this.made.get(name) as DataLoader<K, V, C> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V, C>(batch, { maxBatchSize: 500, cacheKeyFn: cacheKey });
      this.made.set(name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }

  /**
   * Pages of a store's listings already read with the store itself (`storeWithListingsPage`), for
   * `RewardStore.listings` to answer without a statement of its own. Keyed by everything the page
   * depends on: the store, the viewing customer, the page size and the cursor (listingsPageKey);
   * a field asking for another page misses and reads its own. Per request, like the loaders.
   */
  readonly listingPages = new Map<string, ListingRow[]>();

  /** Customers by id; a read that includes the signed-in customer settles the request's `customerCheck`. */
  get customer() {
    return this.get<number, CustomerRow | undefined>('customer', async (ids) => {
      const rows = one(ids, await customersByIds(this.em, ids), (r) => r.id);
      const check = this.customerCheck;
      if (check) {
        const at = ids.indexOf(check.customerId);
        if (at >= 0) check.observeRow(rows[at]);
      }
      return rows;
    });
  }

  get tier() {
    return this.get<number, TierRow | undefined>('tier', async (ids) => one(ids, await tiersByIds(this.em, ids), (r) => r.id));
  }

  /**
   * Tiers by code: a tier change's `from` and `to` (TierChange, whose events name tiers by code) in
   * one statement, not one each (small-25). Each tier read is also put in the `tier` loader by id.
   */
  get tierByCode() {
    return this.get<string, TierRow | undefined>('tierByCode', async (codes) => {
      const rows = await tiersByCodes(this.em, codes);
      for (const row of rows) this.tier.prime(row.id, row);
      return one(codes, rows, (r) => r.code);
    });
  }

  /**
   * Each customer's standing on every tier as of now (tierStandings), lowest rank first, by the
   * customer's id: Customer.tier and Customer.nextTier are both read from it, once per request.
   * Read with `balances` (the `figures` loader): asked together, one read of the accounts serves both.
   */
  get tierStanding(): { load(customerId: number): Promise<TierStanding[]> } {
    return { load: (customerId) => this.figures.load(`standing/${customerId}`) as Promise<TierStanding[]> };
  }

  /** Each customer's accounts as of now (balancesByCustomers), in currency order, by the customer's id; read with `tierStanding` (`figures`). */
  get balances(): { load(customerId: number): Promise<BalanceRow[]> } {
    return { load: (customerId) => this.figures.load(`balances/${customerId}`) as Promise<BalanceRow[]> };
  }

  /**
   * Customers' balances (`balances/<id>`) and tier standings (`standing/<id>`), one loader so that
   * the fields of one tick that ask for them land in one batch, read at one `now`: balances in one
   * statement, standings in one, side by side. A customer asked both ways has their lifetime
   * tiers' points taken from the balances being read (tierStandings' `lifetime`), not evaluated
   * again per lifetime tier (`point_account_at` was run 1 + L times per account; n1-28).
   */
  private get figures() {
    return this.get<string, BalanceRow[] | TierStanding[]>('figures', async (keys) => {
      const now = this.clock.now();
      const idsOf = (kind: string) => [...new Set(keys.filter((k) => k.startsWith(`${kind}/`)).map((k) => Number(k.slice(kind.length + 1))))];
      const balanceIds = idsOf('balances');
      const standingIds = idsOf('standing');
      const withBalances = new Set(balanceIds);
      const shared = standingIds.filter((id) => withBalances.has(id));
      const alone = standingIds.filter((id) => !withBalances.has(id));
      const balances = balanceIds.length ? balancesByCustomers(this.em, balanceIds, now) : Promise.resolve([]);
      // Settled one by one: a read that fails fails its own keys only (a frozen balances read
      // answers Customer.balances' error once, and the tiers still answer, as when read apart).
      const [balanceRows, sharedRows, aloneRows] = await Promise.allSettled([
        balances,
        shared.length ? tierStandings(this.em, shared, now, balances) : [],
        alone.length ? tierStandings(this.em, alone, now) : [],
      ]);
      const standingOf = (ids: number[]) => (rows: CustomerTierStanding[]) => many(ids, rows, (r) => r.customerId);
      const sharedOf = settledBy(sharedRows, standingOf(shared), shared);
      const aloneOf = settledBy(aloneRows, standingOf(alone), alone);
      const found = {
        balances: settledBy(balanceRows, (rows) => many(balanceIds, rows, (r) => r.customerId), balanceIds),
        standing: (id: number) => (withBalances.has(id) ? sharedOf(id) : aloneOf(id)),
      };
      return keys.map((key) => {
        const [kind, id] = key.split('/');
        return (kind === 'balances' ? found.balances : found.standing)(Number(id));
      });
    });
  }

  /**
   * The gift lists each customer can pick from as of now, with their progress (giftListsFor), by
   * the customer's id: Customer.giftLists of a list of customers in two statements (n1-28). Only
   * the customer's own progress is in their entry; who may read the field is the resolver's rule.
   */
  get giftLists() {
    return this.get<number, GiftListRow[]>('giftLists', (ids) => giftListsOfCustomers(this.em, ids, this.clock.now()));
  }

  get currency() {
    return this.get<string, CurrencyRow | undefined>('currency', async (codes) => one(codes, await currenciesByCodes(this.em, codes), (r) => r.code));
  }

  get expiringSoon() {
    return this.get<number, ExpiringRow[]>('expiring', async (ids) =>
      many(ids, await expiringByAccounts(this.em, ids, this.clock.now(), this.config.expiringSoonDays), (r) => r.accountId),
    );
  }

  /** Points expiring soon as of right after a ledger entry (BalanceRow.afterEntryId), by entry id. */
  get expiringAfterEntry() {
    return this.get<number, ExpiringRow[]>('expiringAfter', async (ids) =>
      many(ids, await expiringAfterEntries(this.em, ids, this.config.expiringSoonDays), (r) => r.entryId),
    );
  }

  get offerVersion() {
    return this.get<number, OfferVersionRow | undefined>('offerVersion', async (ids) => one(ids, await offerVersionsByIds(this.em, ids), (r) => r.versionId));
  }

  get currentOffer() {
    return this.get<number, OfferVersionRow | undefined>('currentOffer', async (ids) => one(ids, await currentOffersByIds(this.em, ids), (r) => r.offerId));
  }

  get store() {
    return this.get<number, StoreRow | undefined>('store', async (ids) => one(ids, await storesByIds(this.em, ids, this.viewer, this.clock.now()), (r) => r.id));
  }

  get listing() {
    return this.get<number, ListingRow | undefined>('listing', async (ids) =>
      one(ids, await listingsByIds(this.em, ids, this.viewer, this.clock.now()), (r) => r.id),
    );
  }

  get issuedOffer() {
    return this.get<number, IssuedOfferRow | undefined>('issuedOffer', async (ids) =>
      one(ids, await issuedOffersByIds(this.em, ids, this.clock.now()), (r) => r.id),
    );
  }

  /**
   * Each sale's awards as of now (awardsOfTransactions), by the sale's id: SalesTransaction.awards
   * and .pointsByCurrency read the same rows, once per request (money-25).
   */
  get awards() {
    return this.get<number, AwardRow[]>('awards', async (ids) => many(ids, await awardsOfTransactions(this.em, ids, this.clock.now()), (r) => r.transactionId));
  }

  /**
   * Sales by id, as stored (transactionsByIds), whoever may see them: `node`/`nodes` check the
   * caller's right to each (staff, or the partner that sent it) after the read, as they did per id.
   */
  get transaction() {
    return this.get<number, TransactionRow | undefined>('transaction', async (ids) => one(ids, await transactionsByIds(this.em, ids), (r) => r.id));
  }

  /**
   * The ids of the issued offers applied to each sale at the till, by the sale's id, ascending
   * (appliedOffersOf): SalesTransaction.offersApplied of a list of sales in one statement (n1-28).
   */
  get appliedOffers() {
    return this.get<number, number[]>('appliedOffers', async (ids) =>
      many(ids, await appliedOffersOf(this.em, ids), (r) => r.transactionId).map((rows) => rows.map((r) => r.issuedOfferId)),
    );
  }

  get purchase() {
    return this.get<number, PurchaseRow | undefined>('purchase', async (ids) => one(ids, await purchasesByIds(this.em, ids), (r) => r.id));
  }

  get ledgerEntry() {
    return this.get<number, LedgerEntryRow | undefined>('ledgerEntry', async (ids) => one(ids, await ledgerEntriesByIds(this.em, ids), (r) => r.id));
  }

  /**
   * Gift lists by id as the caller sees them: a customer with their progress, only those they can
   * pick from (giftListsFor); anyone else as configured (giftListsById). Who may read them is the
   * reader's rule (node(id:) and nodes: staff and customers only).
   */
  get giftList() {
    return this.get<number, GiftListRow | undefined>('giftList', async (ids) => {
      const now = this.clock.now();
      const rows = this.viewer ? await giftListsFor(this.em, this.viewer.customerId, now, ids) : await giftListsById(this.em, ids, now);
      return one(ids, rows, (r) => r.id);
    });
  }

  /** Partners by id (partnersByIds), whoever may see them: node(id:), nodes and WebhookEndpoint.partner check that first. */
  get partner() {
    return this.get<number, PartnerRow | undefined>('partner', async (ids) => one(ids, await partnersByIds(this.em, ids), (r) => r.id));
  }

  /** Campaigns by id (campaignsByIds), for staff's node(id:) and nodes. */
  get campaign() {
    return this.get<number, CampaignRow | undefined>('campaign', async (ids) => one(ids, await campaignsByIds(this.em, ids), (r) => r.id));
  }

  /** Economy rules by id (economyRulesByIds), for staff's node(id:) and nodes. */
  get economyRule() {
    return this.get<number, EconomyRuleStaffRow | undefined>('economyRule', async (ids) => one(ids, await economyRulesByIds(this.em, ids), (r) => r.id));
  }

  /** Audit entries by id (auditEntriesByIds), for staff's node(id:) and nodes. */
  get auditEntry() {
    return this.get<number, AuditRow | undefined>('auditEntry', async (ids) => one(ids, await auditEntriesByIds(this.em, ids), (r) => r.id));
  }

  /**
   * The audit entry of the write that set each customer's current status (statusChangesOf), for
   * staff's `Customer.statusChange`: `load({ id, status })` answers the entry, or undefined when
   * none is recorded (or the status changed after the row was read). Keyed by id and status, read
   * once per request: a request runs one operation, and a mutation one root field (a write of a
   * status and its payload's read, never a second write), so an answer read is not made stale by
   * a write of the same request.
   */
  get statusChange(): DataLoader<{ id: number; status: string }, AuditRow | undefined, string> {
    const key = (c: { id: number; status: string }) => `${c.id}/${c.status}`;
    return this.get(
      'statusChange',
      async (customers: readonly { id: number; status: string }[]) => {
        const found = new Map((await statusChangesOf(this.em, customers)).map((r) => [key({ id: r.customerId, status: r.status }), r.entry]));
        return customers.map((c) => found.get(key(c)));
      },
      key,
    );
  }

  /** Activity rules by id (activityRulesByIds), for staff's node(id:) and nodes. */
  get activityRule() {
    return this.get<number, ActivityRuleRow | undefined>('activityRule', async (ids) => one(ids, await activityRulesByIds(this.em, ids), (r) => r.id));
  }

  /** Webhook endpoints by id, removed ones too (webhookEndpointsByIds); callers check who may see them. */
  get webhookEndpoint() {
    return this.get<number, WebhookEndpointRow | undefined>('webhookEndpoint', async (ids) => one(ids, await webhookEndpointsByIds(this.em, ids), (r) => r.id));
  }

  /**
   * Each endpoint's deliveries being retried now (webhookRetryingOf), by the endpoint's id, undefined
   * when none is: WebhookEndpoint.retrying of a page of endpoints in one statement (webhook-health-39).
   */
  get webhookRetrying() {
    return this.get<number, WebhookRetryingRow | undefined>('webhookRetrying', async (ids) => one(ids, await webhookRetryingOf(this.em, ids), (r) => r.endpointId));
  }

  /** Webhook deliveries by id (webhookDeliveriesByIds), for staff's node(id:) and nodes. */
  get webhookDelivery() {
    return this.get<number, WebhookDeliveryRow | undefined>('webhookDelivery', async (ids) => one(ids, await webhookDeliveriesByIds(this.em, ids), (r) => r.id));
  }

  /** Each delivery's attempts, oldest first (webhookAttemptsOf), by the delivery's id: WebhookDelivery.attemptLog of a page in one statement. */
  get webhookAttempts() {
    return this.get<number, WebhookAttemptRow[]>('webhookAttempts', async (ids) => many(ids, await webhookAttemptsOf(this.em, ids), (r) => r.deliveryId));
  }

  /** A page of each customer's wallet (walletPages), by `pageKey(customerId, { statuses, page })`: Customer.wallet of a list of customers in one statement. */
  get wallets() {
    return this.pages<{ statuses: IssuedOfferStatus[] | null; page: Page }, IssuedOfferRow>(
      'wallets',
      (ids, { statuses, page }) => walletPages(this.em, ids, statuses, this.clock.now(), page),
      (r) => r.customerId,
    );
  }

  /** A page of the stores each customer may shop in (eligibleStoresPages), by `pageKey(customerId, page)`: Customer.eligibleRewardStores of a list of customers in one statement. */
  get eligibleStores() {
    return this.pages<Page, EligibleStoreRow>('eligibleStores', (ids, page) => eligibleStoresPages(this.em, ids, this.clock.now(), page), (r) => r.customerId);
  }

  /**
   * The same page of several stores' listings as this request's viewer sees them (listingsPages),
   * by `pageKey(storeId, page)`: RewardStore.listings over a page of stores in one statement.
   */
  get storeListings() {
    return this.pages<Page, ListingRow>('storeListings', (ids, page) => listingsPages(this.em, ids, this.viewer, this.clock.now(), page), (r) => r.storeId);
  }

  /** A page of each customer's ledger (ledgerPages), by `pageKey(customerId, { currency, page })`: Customer.pointHistory of a list of customers in one statement. */
  get ledgers() {
    return this.pages<{ currency: string | null; page: Page }, LedgerEntryRow>('ledgers', (ids, { currency, page }) => ledgerPages(this.em, ids, currency, page), (r) => r.customerId);
  }
}

/** The key of a parent's page in a `Loaders.pages` loader (`wallets`, `ledgers`): the parent's id and the page's arguments, as JSON. */
export function pageKey<A>(parentId: number, args: A): string {
  return JSON.stringify([parentId, args]);
}
