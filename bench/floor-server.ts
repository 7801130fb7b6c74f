/**
 * Benchmark server process (d): the floor. The least any server can do to answer the page of 20
 * for a signed-in customer: `node:http` and `pg`, nothing else on the request path. It verifies
 * the same HS256 token as the gateway (an HMAC per request, no cache), sends the gateway's own
 * statements (the caller, on a subject's first request only, as the gateway keeps customer ids by
 * subject; the store with its eligibility, the page of its listings and whether the caller is
 * still active) as named prepared statements on one pooled connection, and writes the JSON the
 * gateway writes, byte for byte (bench/run.ts checks that before any load, with bench/answers.ts, which test/bench/answers.test.ts runs). It answers only
 * RewardStoreOffers, the document the bench sends, and knows nothing of GraphQL.
 *
 * The statement texts are the gateway's (bench/floor-statements.ts); test/stores/plan-cache.test.ts
 * fails when the gateway's texts change and these are not copied again.
 *
 * It also buys, as the purchase's floor (issue 12, ninth session): the contract's PurchaseOffer,
 * doing the least the gateway does for it. The same token check; then the caller's row by the
 * token's subject (the gateway reads it before any mutation, whether or not it knows the
 * customer's id: a mutation acts on the customer's status), refused as the gateway refuses a
 * missing or CLOSED customer; then the gateway's own purchase statement (`purchaseAloneSql`,
 * built by the gateway's code, with the gateway's 72 parameters) as a named prepared statement,
 * its own transaction; and the answer the gateway writes for a fresh purchase, byte for byte
 * (bench/answers.ts `checkPurchaseAnswers`, before any load, checks it against the gateway's replay of the same key). What the
 * gateway does on its rarer paths the floor does not: a customer who is not ACTIVE (the gateway's
 * two-statement transaction), a statement that refuses or raises RETRY, and a repeat of a committed
 * key (the gateway's replay) are answered 500 with what happened, never with a wrong answer. And
 * `{ __typename }`, as the purchase's no-op: anonymous, nothing read; signed in, the token and the
 * caller's row, as the gateway settles a signed-in query that reads nothing else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { actorOf, type CustomerCaller } from '../src/context.js';
import { statementRefusal } from '../src/db/refusal.js';
import { purchaseAloneSql, type PurchaseAloneRow } from '../src/purchases/purchase.service.js';
import { listenOnLoopback, serveChild } from './child.js';
import { CUSTOMER, STORE_PAGE, statementCompiler } from './floor-statements.js';
import { contractOperation, TYPENAME } from './operations.js';

// As the gateway's ORM does: bigint columns come back as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

const MAX_PAGE_SIZE = 100;
const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64url');
// As the gateway's cursors (src/graphql/connection.ts): the list's kind, then the sort key.
const cursorOf = (key: number[]) => Buffer.from(JSON.stringify(['Listing', ...key])).toString('base64url');

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** HS256 as the gateway checks it: signature, `alg`, `exp` (5 s tolerance), a string `sub`. Returns the subject. */
function verifyToken(authorization: string | undefined, secret: Buffer): string {
  const match = authorization && /^Bearer\s+([A-Za-z0-9\-_]+)\.([A-Za-z0-9\-_]+)\.([A-Za-z0-9\-_]*)$/i.exec(authorization.trim());
  if (!match) throw new Refusal(401, 'UNAUTHENTICATED', 'Authorization must be "Bearer <JWT>".');
  const [, header, payload, signature] = match;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Refusal(401, 'UNAUTHENTICATED', 'The token is not valid.');
  let claims: { exp?: unknown; sub?: unknown };
  try {
    if ((JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown }).alg !== 'HS256') throw new Error('alg');
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    throw new Refusal(401, 'UNAUTHENTICATED', 'The token is not valid.');
  }
  if (typeof claims.exp !== 'number' || claims.exp + 5 < Date.now() / 1000) throw new Refusal(401, 'UNAUTHENTICATED', 'The token has expired.');
  if (typeof claims.sub !== 'string') throw new Refusal(401, 'UNAUTHENTICATED', 'The token has no valid subject.');
  return claims.sub;
}

function decodeId(value: unknown, type: string): number {
  const [kind, id] = Buffer.from(String(value), 'base64url').toString().split(':');
  const n = Number(id);
  if (kind !== type || !Number.isSafeInteger(n) || n < 1) throw new Refusal(200, 'BAD_USER_INPUT', 'not an id');
  return n;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/* eslint-disable @typescript-eslint/no-explicit-any */
serveChild(async () => {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL!, max: Number(process.env.DB_POOL_MAX ?? 20) });
  const secret = Buffer.from(process.env.JWT_SECRET!);
  const document = contractOperation('RewardStoreOffers');
  /** Customer ids by token subject, as the gateway's Authenticator keeps them. */
  const customerIds = new Map<string, number>();

  const purchaseDocument = contractOperation('PurchaseOffer');
  const compiler = statementCompiler();

  /** The signed-in caller's row, as the gateway reads it before a mutation (or to settle a query that read nothing): 401 when missing or CLOSED. */
  const caller = async (client: pg.PoolClient, sub: string) => {
    const customer = (await client.query({ ...CUSTOMER, values: [sub] })).rows[0] as { id: number; status: string } | undefined;
    if (!customer || customer.status === 'CLOSED') throw new Refusal(401, 'UNAUTHENTICATED', 'No active customer for this token.');
    return customer;
  };

  const typename = async (req: IncomingMessage): Promise<string> => {
    if (req.headers.authorization !== undefined) {
      const sub = verifyToken(req.headers.authorization, secret);
      const client = await pool.connect();
      try {
        await caller(client, sub);
      } finally {
        client.release();
      }
    }
    return '{"data":{"__typename":"Query"}}';
  };

  const purchase = async (req: IncomingMessage, variables: Record<string, unknown>): Promise<string> => {
    const sub = verifyToken(req.headers.authorization, secret);
    const listingId = decodeId(variables.listingId, 'Listing');
    const key = variables.idempotencyKey;
    if (typeof key !== 'string' || key.length === 0) throw new Refusal(200, 'BAD_USER_INPUT', 'idempotencyKey');
    const client = await pool.connect();
    let row: PurchaseAloneRow;
    try {
      // As the gateway (issue 12, ninth session): a customer whose id is known is not read on their
      // own; the purchase's statement checks the row itself (the token's subject, not CLOSED) and
      // raises SIGNED_OUT before writing anything. An unknown one is read first, as a mutation was.
      let customerId = customerIds.get(sub);
      let externalId: string | null = sub;
      if (customerId === undefined) {
        const customer = await caller(client, sub);
        // The gateway runs its one statement only for an ACTIVE customer (else its transaction of two).
        if (customer.status !== 'ACTIVE') throw new Refusal(500, 'FLOOR_CANNOT', `The floor buys only for an ACTIVE customer (this one is ${customer.status}): the gateway would run its two-statement transaction.`);
        customerId = customer.id;
        externalId = null;
        if (customerIds.size >= 10_000) customerIds.delete(customerIds.keys().next().value!);
        customerIds.set(sub, customerId);
      }
      const who: CustomerCaller = { kind: 'customer', customerId, externalId: sub, status: 'ACTIVE' as CustomerCaller['status'] };
      const { text, values } = purchaseAloneSql(compiler, customerId, externalId, listingId, key, new Date(), actorOf(who));
      try {
        row = (await client.query({ name: 'floor_purchase', text, values })).rows[0] as PurchaseAloneRow;
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        if (statementRefusal(error)?.reason === 'SIGNED_OUT') {
          customerIds.delete(sub);
          throw new Refusal(401, 'UNAUTHENTICATED', 'No active customer for this token.');
        }
        // raise_refusal's other reasons (RETRY, NOT_ACTIVE, a refusal's code) and anything else: the
        // gateway would fall back, refuse or fail; the floor says which rather than answer.
        throw new Refusal(500, 'FLOOR_CANNOT', `The purchase statement raised ${code ?? '?'} ${message ?? String(error)}: the floor takes neither the gateway's fallback nor its refusals.`);
      }
    } finally {
      client.release();
    }
    if (!row?.claimed) throw new Refusal(500, 'FLOOR_CANNOT', `The key ${JSON.stringify(key)} was used before: the floor does not replay a stored answer.`);
    // The fields of the contract's PurchaseOffer, in its order, as the gateway writes a fresh purchase.
    return JSON.stringify({
      data: {
        purchaseOffer: {
          purchase: {
            id: globalId('OfferPurchase', row['purchase.id']),
            pointsPaid: row['purchase.pointsPaid'],
            issuedOffer: {
              id: globalId('IssuedOffer', row['issued.id']!),
              code: row['issued.code'],
              status: row['issued.status'],
              expiresAt: row['issued.expiresAt'] == null ? null : new Date(row['issued.expiresAt']).toISOString(),
              offer: { id: globalId('OfferVersion', row['offer.versionId']), name: row['offer.name'], version: row['offer.version'] },
            },
          },
          balance: { currency: { code: row['currency.code'] }, available: row.balanceAfter },
          userErrors: [],
        },
      },
    });
  };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.parse(await readBody(req)) as { query?: unknown; variables?: Record<string, unknown> };
    let json: string;
    if (body.query === document) json = await page(req, body.variables ?? {});
    else if (body.query === purchaseDocument) json = await purchase(req, body.variables ?? {});
    else if (body.query === TYPENAME) json = await typename(req);
    else throw new Refusal(400, 'PERSISTED_QUERY_NOT_FOUND', 'The floor answers RewardStoreOffers, PurchaseOffer and { __typename } only.');
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, no-store' });
    // Apollo ends its JSON with a newline; so does the floor, to be byte-identical.
    res.end(`${json}\n`);
  };

  const page = async (req: IncomingMessage, variables: Record<string, unknown>): Promise<string> => {
    const sub = verifyToken(req.headers.authorization, secret);
    const storeId = decodeId(variables.storeId, 'RewardStore');
    const first = variables.first ?? 20;
    if (!Number.isInteger(first) || (first as number) < 0 || (first as number) > MAX_PAGE_SIZE) throw new Refusal(200, 'BAD_USER_INPUT', 'first');
    let after: [number, number] | [null, null] = [null, null];
    if (typeof variables.after === 'string') after = (JSON.parse(Buffer.from(variables.after, 'base64url').toString()) as [string, number, number]).slice(1) as [number, number];

    const client = await pool.connect();
    let json: string;
    try {
      // As the gateway: a customer whose id is known is not read on their own; the page's statement
      // says whether they are still active.
      let customerId = customerIds.get(sub);
      if (customerId === undefined) {
        const customer = (await client.query({ ...CUSTOMER, values: [sub] })).rows[0];
        if (!customer || customer.status === 'CLOSED') throw new Refusal(401, 'UNAUTHENTICATED', 'No active customer for this token.');
        customerId = customer.id as number;
        if (customerIds.size >= 10_000) customerIds.delete(customerIds.keys().next().value!);
        customerIds.set(sub, customerId);
      }
      const now = new Date();
      const id = customerId;
      // No row, or `viewerActive` false: no active customer. A null store id: the store is not open
      // to this customer. One row with a null listing id: no listings.
      const rows = (
        await client.query({
          ...STORE_PAGE,
          values: [sub, 'CLOSED', id, now, id, storeId, now, now, id, now, id, after[1], after[0], after[1], now, now, now, (first as number) + 1],
        })
      ).rows;
      if (!rows[0]?.viewerActive) {
        customerIds.delete(sub);
        throw new Refusal(401, 'UNAUTHENTICATED', 'No active customer for this token.');
      }
      const store = rows[0];
      if (store['store.id'] === null) {
        json = '{"data":{"node":null}}';
      } else {
        if (store.id === null) rows.length = 0;
        const hasNextPage = rows.length > (first as number);
        const edges = (hasNextPage ? rows.slice(0, first as number) : rows).map((l: any) => {
          const balance = l.viewerBalance ?? 0;
          return {
            cursor: cursorOf([l.sortOrder, l.id]),
            node: {
              id: globalId('Listing', l.id),
              priceInPoints: l.priceInPoints,
              stockRemaining: l.stockRemaining,
              perCustomerLimit: l.perCustomerLimit,
              purchasedByMe: l.purchasedByViewer,
              affordable: balance >= l.priceInPoints,
              pointsMissing: Math.max(0, l.priceInPoints - balance),
              offer: {
                id: globalId('OfferVersion', l['offer.versionId']),
                version: l['offer.version'],
                name: l['offer.name'],
                description: l['offer.description'],
                imageUrl: l['offer.imageUrl'],
                terms: l['offer.terms'],
                benefit: {
                  kind: l['offer.benefitKind'],
                  percentOff: l['offer.percentOff'],
                  amountOff: l['offer.amountOff'],
                  freeSku: l['offer.freeSku'],
                  maxDiscount: l['offer.maxDiscount'],
                },
              },
            },
          };
        });
        json = JSON.stringify({
          data: {
            node: {
              id: globalId('RewardStore', store['store.id']),
              code: store['store.code'],
              name: store['store.name'],
              listings: { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } },
            },
          },
        });
      }
    } finally {
      client.release();
    }
    return json;
  };

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      const refusal = error instanceof Refusal ? error : new Refusal(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      if (!(error instanceof Refusal)) console.error(error);
      res.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }));
    });
  });
  return listenOnLoopback(server, async () => {
    await pool.end();
  });
});
