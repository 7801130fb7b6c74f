import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { DEMO, seedDemo } from '../../src/demo/seed.js';
import { signToken } from '../../src/http/auth.js';
import { startGateway } from '../../src/http/server.js';
import { EligibleRewardStoresDocument, ProfileDocument, PurchaseOfferDocument, RewardStoreOffersDocument, WalletDocument } from '../generated/graphql.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';

const log = pino({ level: 'silent' });

async function post(url: string, query: { toString(): string }, variables: unknown, token: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: query.toString(), variables }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads what it asked for
  const body = (await res.json()) as { data: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** How `npm start` runs: the database the gateway opens, migrates and seeds itself. */
describe('the gateway database', () => {
  it('on the embedded PostgreSQL keeps its data across a stop and a start, and seeds once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rg-restart-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.seedDemo).toBe(true);
    const token = await signToken(config, { sub: DEMO.customers.alice });
    try {
      // first start: a new data folder is initialised, migrated and seeded; alice buys an offer
      let database = await openDatabase(config, log);
      expect(database.embedded).toBe(true);
      expect(await seedDemo(database.orm, config, systemClock)).toBe(true);
      // A demo sale the gateway accepts (backdated up to SALE_MAX_AGE_DAYS) falls within the campaigns.
      const campaigns = (await database.orm.em.fork().getConnection().execute(`select name, starts_at from campaign order by name`)) as { name: string; starts_at: Date }[];
      expect(campaigns.map((c) => c.name)).toEqual(['Coffee bonus', 'First visit treat']);
      const oldestAccepted = Date.now() - config.saleMaxAgeDays * 86_400_000;
      for (const c of campaigns) expect(new Date(c.starts_at).getTime()).toBeLessThanOrEqual(oldestAccepted);
      let gateway = await startGateway({ config, orm: database.orm, databaseUrl: database.url, clock: systemClock, log }, 0, '127.0.0.1');
      const stores = await post(gateway.url, EligibleRewardStoresDocument, {}, token);
      const everyday = stores.me.eligibleRewardStores.edges.find((e: { node: { code: string } }) => e.node.code === 'everyday').node;
      const offers = await post(gateway.url, RewardStoreOffersDocument, { storeId: everyday.id }, token);
      const muffin = offers.node.listings.edges.find((e: { node: { offer: { name: string } } }) => e.node.offer.name.includes('muffin')).node;
      const bought = await post(gateway.url, PurchaseOfferDocument, { listingId: muffin.id, idempotencyKey: 'restart-1' }, token);
      expect(bought.purchaseOffer.balance.available).toBe(420 - muffin.priceInPoints);
      await gateway.close();
      await database.close();

      // second start on the same folder: nothing lost, nothing seeded twice
      database = await openDatabase(config, log);
      expect(await seedDemo(database.orm, config, systemClock)).toBe(false);
      gateway = await startGateway({ config, orm: database.orm, databaseUrl: database.url, clock: systemClock, log }, 0, '127.0.0.1');
      const profile = await post(gateway.url, ProfileDocument, {}, token);
      expect(profile.me.balances[0].available).toBe(420 - muffin.priceInPoints);
      const wallet = await post(gateway.url, WalletDocument, {}, token);
      expect(wallet.me.wallet.edges.map((e: { node: { code: string } }) => e.node.code)).toEqual([bought.purchaseOffer.purchase.issuedOffer.code]);
      const [{ count }] = (await database.orm.em.fork().getConnection().execute(`select count(*)::int as count from point_currency`)) as { count: number }[];
      expect(count).toBe(1);
      await gateway.close();
      await database.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  // This machine kind runs a PostgreSQL 15 on 5432 (trust auth): the DATABASE_URL path on a real server.
  const externalAdmin = process.env.TEST_EXTERNAL_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

  it('with DATABASE_URL uses that server: migrates a fresh database and serves from it', async () => {
    const name = `rg_url_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: externalAdmin });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const url = new URL(externalAdmin);
      url.pathname = `/${name}`;
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url.toString(), SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET });
      const database = await openDatabase(config, log);
      expect(database.embedded).toBe(false);
      expect(database.url).toBe(url.toString());
      expect(await seedDemo(database.orm, config, systemClock)).toBe(true);
      const gateway = await startGateway({ config, orm: database.orm, databaseUrl: database.url, clock: systemClock, log }, 0, '127.0.0.1');
      const profile = await post(gateway.url, ProfileDocument, {}, await signToken(config, { sub: DEMO.customers.bob }));
      expect(profile.me).toMatchObject({ externalId: DEMO.customers.bob, tier: { code: 'GOLD' } });
      await gateway.close();
      await database.close();
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
