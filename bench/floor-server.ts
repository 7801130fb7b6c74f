/**
 * Benchmark server process (d): the floor. The least any server can do to answer the page of 20
 * for a signed-in customer: `node:http` and `pg`, nothing else on the request path. It verifies
 * the same HS256 token as the gateway (an HMAC per request, no cache), sends the gateway's own
 * three statements as named prepared statements on one pooled connection, and writes the JSON the
 * gateway writes, byte for byte (bench/run.ts checks that before any load). It answers only
 * RewardStoreOffers, the document the bench sends, and knows nothing of GraphQL.
 *
 * The statement texts are the gateway's, as `customerByExternalId`, `storesByIds` (for a customer
 * viewer) and `listingsPage` compile them (captured from the gateway's `pg` client); if the
 * gateway's SQL changes, the byte check still holds the answers equal, but the floor's cost no
 * longer tracks the gateway's: copy them again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { listenOnLoopback, serveChild } from './child.js';
import { contractOperation } from './operations.js';

// As the gateway's ORM does: bigint columns come back as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

const CUSTOMER = {
  name: 'floor_customer',
  text: 'select c.id, c.external_id as "externalId", c.email, c.name, c.birth_date::text as "birthDate", c.status,\n  c.tier_id as "tierId", c.segments, c.attributes, c.created_at as "createdAt", c.updated_at as "updatedAt" from customer c where c.external_id = $1',
};

const STORE = {
  name: 'floor_store',
  text:
    'select s.id, s.code, s.name, s.currency_code as "currencyCode", s.starts_at as "startsAt", s.ends_at as "endsAt",\n  s.eligible_tiers as "eligibleTiers", s.eligible_segments as "eligibleSegments", s.min_balance as "minBalance",\n' +
    '  s.min_lifetime_points as "minLifetimePoints" from reward_store s where s.id = any(array[$1::bigint]) and (s.starts_at is null or s.starts_at <= $2) and (s.ends_at is null or s.ends_at > $3) and (cardinality(s.eligible_tiers) = 0 or exists (select 1 from tier t where t.id = customer_tier_at($4, $5) and t.code = any(s.eligible_tiers)))\n' +
    '    and (cardinality(s.eligible_segments) = 0 or s.eligible_segments && $6::text[])\n' +
    '    and (s.min_balance is null or coalesce((select n.available from point_account a cross join lateral point_account_at(a.id, $7) n\n          where a.customer_id = $8 and a.currency_code = s.currency_code), 0) >= s.min_balance)\n' +
    '    and (s.min_lifetime_points is null or coalesce((select n.lifetime_earned from point_account a cross join lateral point_account_at(a.id, $9) n\n          where a.customer_id = $10 and a.currency_code = s.currency_code), 0) >= s.min_lifetime_points)',
};

const LISTINGS = {
  name: 'floor_listings',
  text:
    '\n    select l.id, l.store_id as "storeId", s.currency_code as "currencyCode", l.price_in_points as "priceInPoints",\n' +
    '           l.stock_total as "stockTotal", l.stock_remaining as "stockRemaining", l.per_customer_limit as "perCustomerLimit",\n' +
    '           l.visible_from as "visibleFrom", l.visible_until as "visibleUntil", l.sort_order as "sortOrder", l.removed_at as "removedAt",\n' +
    '           coalesce(pc.purchased, 0) as "purchasedByViewer", (select n.available from point_account_at(va.id, $1) n) as "viewerBalance",\n' +
    '           ov.id as "offer.versionId", ov.offer_id as "offer.offerId", ov.version as "offer.version", ov.name as "offer.name",\n' +
    '    ov.description as "offer.description", ov.image_url as "offer.imageUrl", ov.terms as "offer.terms",\n' +
    '    ov.benefit_kind as "offer.benefitKind", ov.percent_off::float8 as "offer.percentOff", ov.amount_off::text as "offer.amountOff",\n' +
    '    ov.free_sku as "offer.freeSku", ov.skus as "offer.skus", ov.categories as "offer.categories",\n' +
    '    ov.max_discount::text as "offer.maxDiscount", ov.valid_days as "offer.validDays", ov.valid_until as "offer.validUntil",\n' +
    '    ov.channels as "offer.channels"\n' +
    '      from listing l\n      join reward_store s on s.id = l.store_id\n      join offer o on o.id = l.offer_id\n      join offer_version ov on ov.id = o.current_version_id\n' +
    '      left join listing_purchase_count pc on pc.listing_id = l.id and pc.customer_id = $2::bigint\n' +
    '      left join point_account va on va.customer_id = $3::bigint and va.currency_code = s.currency_code\n' +
    '     where l.store_id = $4 and l.removed_at is null and ($5::bigint is null or (l.sort_order, l.id) > ($6::int, $7::bigint)) and l.removed_at is null and (l.visible_from is null or l.visible_from <= $8) and (l.visible_until is null or l.visible_until > $9)\n' +
    '    and (ov.valid_until is null or ov.valid_until > $10) and true\n     order by l.sort_order, l.id limit $11',
};

const MAX_PAGE_SIZE = 100;
const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64url');
const cursorOf = (key: number[]) => Buffer.from(JSON.stringify(key)).toString('base64url');

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

  const page = async (req: IncomingMessage, res: ServerResponse) => {
    const sub = verifyToken(req.headers.authorization, secret);
    const body = JSON.parse(await readBody(req)) as { query?: unknown; variables?: Record<string, unknown> };
    if (body.query !== document) throw new Refusal(400, 'PERSISTED_QUERY_NOT_FOUND', 'The floor answers RewardStoreOffers only.');
    const variables = body.variables ?? {};
    const storeId = decodeId(variables.storeId, 'RewardStore');
    const first = variables.first ?? 20;
    if (!Number.isInteger(first) || (first as number) < 0 || (first as number) > MAX_PAGE_SIZE) throw new Refusal(200, 'BAD_USER_INPUT', 'first');
    let after: [number, number] | [null, null] = [null, null];
    if (typeof variables.after === 'string') after = JSON.parse(Buffer.from(variables.after, 'base64url').toString()) as [number, number];

    const client = await pool.connect();
    let json: string;
    try {
      const customer = (await client.query({ ...CUSTOMER, values: [sub] })).rows[0];
      if (!customer || customer.status === 'CLOSED') throw new Refusal(401, 'UNAUTHENTICATED', 'No active customer for this token.');
      let now = new Date();
      const store = (
        await client.query({ ...STORE, values: [storeId, now, now, customer.id, now, customer.segments, now, customer.id, now, customer.id] })
      ).rows[0];
      if (!store) {
        json = '{"data":{"node":null}}';
      } else {
        now = new Date();
        const rows = (
          await client.query({ ...LISTINGS, values: [now, customer.id, customer.id, storeId, after[1], after[0], after[1], now, now, now, (first as number) + 1] })
        ).rows;
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
              id: globalId('RewardStore', store.id),
              code: store.code,
              name: store.name,
              listings: { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } },
            },
          },
        });
      }
    } finally {
      client.release();
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, no-store' });
    // Apollo ends its JSON with a newline; so does the floor, to be byte-identical.
    res.end(`${json}\n`);
  };

  const server = createServer((req, res) => {
    page(req, res).catch((error: unknown) => {
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
