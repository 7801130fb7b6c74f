/**
 * The benchmark's answers' check (bench/run.ts runs it before any load; test/bench/answers.test.ts
 * runs it against a real gateway and floor): every server answers the RewardStoreOffers page with
 * the same data, the floor (and a baseline build) with the gateway's very bytes; the floor's
 * PurchaseOffer answer is the gateway's replay of that key byte for byte, and the gateway's replay
 * of a key of its own is its first answer's `data`, marked as a replay after it (replay-22's
 * `extensions.idempotentReplays`). Each check throws an Error saying which server differs and where;
 * nothing here is timed.
 */
import { decodeGlobalId, toGlobalId } from '../src/graphql/ids.js';
import { contractOperation, POSTGRAPHILE5_STORE_OFFERS, POSTGRAPHILE_STORE_OFFERS } from './operations.js';
import type { BenchProgram } from './seed.js';

/** The servers a benchmark compares: the gateway, a baseline build of it, the floor, PostGraphile 5 and 4. */
export type ServerId = 'gateway' | 'floor' | 'pg5' | 'pg4' | 'base';

/** A server the check asks: its name for messages, and its GraphQL URL. */
export interface AnsweringServer {
  name: string;
  url: string;
}

/** The servers running, by id: the gateway always; the others when they run. Asked in this object's key order. */
export type AnsweringServers = { gateway: AnsweringServer } & Partial<Record<Exclude<ServerId, 'gateway'>, AnsweringServer>>;

// ---------------------------------------------------------------------------------------------
// GraphQL over HTTP, for checks and sequential timings

/** An answer over HTTP: its status, its body's very text, and that text parsed. */
export interface GqlResponse {
  status: number;
  text: string;
  body: { data?: Record<string, unknown> | null; errors?: unknown[] };
}

/**
 * POSTs `query` with `variables` to `url` (JSON; with `token` as a bearer token). Throws when the
 * body is not JSON; any status and any `errors` are answered as they are.
 */
export async function postGraphQL(url: string, query: string, variables: Record<string, unknown> | undefined, token?: string): Promise<GqlResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GqlResponse['body'];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: response.status, text, body };
}

/** The answer's `data`; throws (naming `what`) on a status other than 200, any `errors`, or no `data`. */
export function dataOf(response: GqlResponse, what: string): Record<string, unknown> {
  if (response.status !== 200 || response.body.errors?.length || !response.body.data) {
    throw new Error(`${what}: HTTP ${response.status} ${response.text.slice(0, 600)}`);
  }
  return response.body.data;
}

// ---------------------------------------------------------------------------------------------
// The same page, as each server says it

/** One listing of the page, as every server's answer is reduced to it for comparison (database ids, numbers). */
export interface PageRow {
  listing: number;
  price: number;
  stock: number | null;
  limit: number | null;
  purchased: number;
  affordable: boolean;
  pointsMissing: number;
  offer: number;
  version: number;
  name: string;
  description: string | null;
  imageUrl: string | null;
  terms: string | null;
  kind: string;
  percentOff: number | null;
  amountOff: number | null;
  freeSku: string | null;
  maxDiscount: number | null;
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const dbId = (globalId: unknown): number => decodeGlobalId(String(globalId))?.id ?? NaN;

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The gateway's (and the floor's) RewardStoreOffers `data` as PageRows. */
export function gatewayPage(data: Record<string, any>): { rows: PageRow[]; hasNextPage: boolean } {
  const connection = data.node.listings;
  const rows = connection.edges.map(({ node }: any): PageRow => ({
    listing: dbId(node.id),
    price: node.priceInPoints,
    stock: node.stockRemaining,
    limit: node.perCustomerLimit,
    purchased: node.purchasedByMe,
    affordable: node.affordable,
    pointsMissing: node.pointsMissing,
    offer: dbId(node.offer.id),
    version: node.offer.version,
    name: node.offer.name,
    description: node.offer.description,
    imageUrl: node.offer.imageUrl,
    terms: node.offer.terms,
    kind: node.offer.benefit.kind,
    percentOff: num(node.offer.benefit.percentOff),
    amountOff: num(node.offer.benefit.amountOff),
    freeSku: node.offer.benefit.freeSku,
    maxDiscount: num(node.offer.benefit.maxDiscount),
  }));
  return { rows, hasNextPage: connection.pageInfo.hasNextPage };
}

/** PostGraphile 5's answer (amber naming: `rowId`, relations by foreign key) in PostGraphile 4's shape. */
function fromPostgraphile5(data: Record<string, any>): Record<string, any> {
  const store = data.rewardStoreByRowId;
  return {
    currentCustomer: { pointAccounts: { nodes: data.currentCustomer.pointAccountsByCustomerId.nodes } },
    rewardStore: {
      currencyCode: store.currencyCode,
      listingsOnShow: {
        pageInfo: store.listingsOnShow.pageInfo,
        edges: store.listingsOnShow.edges.map(({ node }: any) => ({
          node: { ...node, id: node.rowId, offer: { id: node.offerByOfferId.rowId, currentVersion: node.offerByOfferId.offerVersionByCurrentVersionId } },
        })),
      },
    },
  };
}

/** PostGraphile returns the balance once; affordable and pointsMissing are derived from it as the gateway derives them. */
function postgraphilePage(data: Record<string, any>): { rows: PageRow[]; hasNextPage: boolean } {
  const store = data.rewardStore;
  const account = data.currentCustomer.pointAccounts.nodes.find((a: any) => a.currencyCode === store.currencyCode);
  const balance = Number(account?.available ?? 0);
  const connection = store.listingsOnShow;
  const rows = connection.edges.map(({ node }: any): PageRow => {
    const price = Number(node.priceInPoints);
    const v = node.offer.currentVersion;
    return {
      listing: Number(node.id),
      price,
      stock: node.stockRemaining,
      limit: node.perCustomerLimit,
      purchased: node.purchasedByMe,
      affordable: balance >= price,
      pointsMissing: Math.max(0, price - balance),
      offer: Number(node.offer.id),
      version: v.version,
      name: v.name,
      description: v.description,
      imageUrl: v.imageUrl,
      terms: v.terms,
      kind: v.benefitKind,
      percentOff: num(v.percentOff),
      amountOff: num(v.amountOff),
      freeSku: v.freeSku,
      maxDiscount: num(v.maxDiscount),
    };
  });
  return { rows, hasNextPage: connection.pageInfo.hasNextPage };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The page request each server is sent: the contract's RewardStoreOffers (20 listings of the bench store), or PostGraphile's own document. */
export function pageRequests(program: BenchProgram): Record<ServerId, { query: string; variables: Record<string, unknown> }> {
  const storeOffers = contractOperation('RewardStoreOffers');
  const ourVariables = { storeId: toGlobalId('RewardStore', program.storeId), first: 20 };
  const theirVariables = { storeId: String(program.storeId), first: 20 };
  return {
    gateway: { query: storeOffers, variables: ourVariables },
    floor: { query: storeOffers, variables: ourVariables },
    base: { query: storeOffers, variables: ourVariables },
    pg5: { query: POSTGRAPHILE5_STORE_OFFERS, variables: theirVariables },
    pg4: { query: POSTGRAPHILE_STORE_OFFERS, variables: theirVariables },
  };
}

/**
 * A few purchases through the gateway (the first listing once, the third twice, the fourth three
 * times; keys `setup-<index>-<n>`, so a second call replays them), so the page shows purchase
 * counts that are not all zero. Throws on an error or a refusal.
 */
export async function purchasesForThePage(gateway: AnsweringServer, token: string, program: BenchProgram): Promise<void> {
  const purchaseOffer = contractOperation('PurchaseOffer');
  for (const [index, times] of [[0, 1], [2, 2], [3, 3]] as const) {
    for (let i = 0; i < times; i++) {
      const res = await postGraphQL(gateway.url, purchaseOffer, { listingId: toGlobalId('Listing', program.storeListingIds[index]), idempotencyKey: `setup-${index}-${i}` }, token);
      const payload = dataOf(res, 'setup purchase').purchaseOffer as { userErrors: unknown[] };
      if (payload.userErrors.length) throw new Error(`setup purchase refused: ${JSON.stringify(payload.userErrors)}`);
    }
  }
}

/** What the page check saw: each server's answer, the gateway's page as rows, and the listing ids expected on it. */
export interface PageAnswers {
  responses: Partial<Record<ServerId, GqlResponse>>;
  ourPage: { rows: PageRow[]; hasNextPage: boolean };
  expectedIds: number[];
}

/**
 * Sends each of `servers` the page (one after another, in their order) as the customer holding
 * `token`, and checks: the gateway's page is the store's first 20 listings in sort order; the
 * floor's and the baseline's bodies are the gateway's byte for byte; PostGraphile's pages, reduced
 * to PageRows, equal the gateway's. Throws at the first difference (the bytes or the row around it).
 */
export async function checkPageAnswers(servers: AnsweringServers, token: string, program: BenchProgram): Promise<PageAnswers> {
  const requestOf = pageRequests(program);
  const running = Object.entries(servers) as [ServerId, AnsweringServer][];
  const responses: Partial<Record<ServerId, GqlResponse>> = {};
  for (const [id, server] of running) responses[id] = await postGraphQL(server.url, requestOf[id].query, requestOf[id].variables, token);
  const ours = responses.gateway!;
  const ourPage = gatewayPage(dataOf(ours, 'gateway RewardStoreOffers'));
  const expectedIds = program.storeListingIds.slice(0, 20);
  if (JSON.stringify(ourPage.rows.map((r) => r.listing)) !== JSON.stringify(expectedIds)) {
    throw new Error(`the gateway's page is not the first 20 listings in sort order: ${ourPage.rows.map((r) => r.listing).join(',')}`);
  }
  for (const id of ['floor', 'base'] as const) {
    const theirs = responses[id];
    if (!theirs || theirs.text === ours.text) continue;
    const at = [...ours.text].findIndex((c, i) => theirs.text[i] !== c);
    throw new Error(
      `${servers[id]!.name}'s answer is not byte-identical to the gateway's (first difference at byte ${at}):\n  gateway: …${ours.text.slice(Math.max(0, at - 80), at + 80)}\n` +
        `  ${id}:   …${theirs.text.slice(Math.max(0, at - 80), at + 80)}`,
    );
  }
  for (const [id, page] of [
    ...(responses.pg4 ? [['pg4', postgraphilePage(dataOf(responses.pg4, 'PostGraphile 4 RewardStoreOffers'))] as const] : []),
    ...(responses.pg5 ? [['pg5', postgraphilePage(fromPostgraphile5(dataOf(responses.pg5, 'PostGraphile 5 RewardStoreOffers')))] as const] : []),
  ]) {
    if (JSON.stringify(ourPage) !== JSON.stringify(page)) {
      const firstDiff = ourPage.rows.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(page.rows[i]));
      const name = servers[id]!.name;
      throw new Error(
        `the gateway and ${name} disagree on the page (row ${firstDiff}):\n  gateway: ${JSON.stringify(ourPage.rows[firstDiff] ?? ourPage.hasNextPage)}\n` +
          `  ${name}: ${JSON.stringify(page.rows[firstDiff] ?? page.hasNextPage)}`,
      );
    }
  }
  return { responses, ourPage, expectedIds };
}

/** The keys the purchase check buys with: one the floor takes first, one the gateway takes first. */
export const CHECK_KEYS = { floorFirst: 'check-floor-first', gatewayFirst: 'check-gateway-first' } as const;

/**
 * The purchase check (needs the floor). The floor's answer to a purchase is the gateway's, byte for
 * byte. A repeat of a key answers the first answer again (the contract), so: the floor buys with a
 * key, then the gateway (and the baseline) are sent the same key and must replay the floor's very
 * bytes; and the gateway's own answer to a key of its own must equal its replay of it. Since
 * replay-22 the gateway marks a replay after its `data` (`extensions.idempotentReplays`, which a
 * build before it does not send): compared without the mark, and the gateway's replay must carry
 * it. The floor refuses a repeat loudly (HTTP 500: it does not replay) and buys nothing then.
 * Two purchases of `program.purchaseListingId`, with `keys` (each usable once per database).
 * Answers the floor's purchase and its refused repeat; throws at the first difference.
 */
export async function checkPurchaseAnswers(
  servers: AnsweringServers & { floor: AnsweringServer },
  token: string,
  program: BenchProgram,
  keys: { floorFirst: string; gatewayFirst: string } = CHECK_KEYS,
): Promise<{ floorAnswer: GqlResponse; floorRepeat: GqlResponse }> {
  const purchaseOffer = contractOperation('PurchaseOffer');
  const send = (server: AnsweringServer, key: string) => postGraphQL(server.url, purchaseOffer, { listingId: toGlobalId('Listing', program.purchaseListingId), idempotencyKey: key }, token);
  const unmarked = (text: string) => text.replace(/,"extensions":\{"idempotentReplays":\[\["purchaseOffer"\]\]\}\}(\n?)$/, '}$1');
  const sameBytes = (what: string, first: GqlResponse, then: GqlResponse) => {
    if (first.text === unmarked(then.text)) return;
    const at = [...first.text].findIndex((c, i) => then.text[i] !== c);
    throw new Error(`${what} (first difference at byte ${at}):\n  first: ${first.text}\n  then:  ${then.text}`);
  };
  const floorAnswer = await send(servers.floor, keys.floorFirst);
  const bought = dataOf(floorAnswer, 'the floor\'s PurchaseOffer').purchaseOffer as { purchase: { pointsPaid: number } | null; userErrors: unknown[] };
  if (bought.userErrors.length || bought.purchase?.pointsPaid !== program.purchasePrice) throw new Error(`the floor's purchase went wrong: ${floorAnswer.text}`);
  for (const server of [servers.gateway, servers.base]) {
    if (server) sameBytes(`${server.name}'s replay of the floor's purchase is not the floor's answer`, floorAnswer, await send(server, keys.floorFirst));
  }
  const gatewayAnswer = await send(servers.gateway, keys.gatewayFirst);
  dataOf(gatewayAnswer, 'the gateway\'s PurchaseOffer');
  const gatewayReplay = await send(servers.gateway, keys.gatewayFirst);
  sameBytes('the gateway\'s replay of its own purchase is not its first answer', gatewayAnswer, gatewayReplay);
  if (gatewayReplay.text === gatewayAnswer.text) throw new Error(`the gateway's replay of its own purchase is not marked as a replay: ${gatewayReplay.text}`);
  const floorRepeat = await send(servers.floor, keys.gatewayFirst);
  if (floorRepeat.status !== 500) throw new Error(`the floor answered a repeat it cannot replay with HTTP ${floorRepeat.status}: ${floorRepeat.text}`);
  return { floorAnswer, floorRepeat };
}
