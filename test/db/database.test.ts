import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { MIGRATION_LOCK_KEY, openDatabase } from '../../src/db/database.js';
import { startupFailure } from '../../src/startup.js';
import { DEMO, seedDemo } from '../../src/demo/seed.js';
import { signToken } from '../../src/http/auth.js';
import { startGateway } from '../../src/http/server.js';
import { EligibleRewardStoresDocument, ProfileDocument, PurchaseOfferDocument, RewardStoreOffersDocument, WalletDocument } from '../generated/graphql.js';
import { createTestDatabase, TEST_JWT_SECRET } from '../support/gateway.js';

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

/**
 * operator-17: gateways deployed together on one database (a first deploy, or an upgrade whose
 * release starts every instance at once) migrate it once, one after the other; and a DATABASE_URL
 * naming a database that does not exist stops the start instead of creating it.
 */
describe('gateways starting together on one database (operator-17)', () => {
  /** A logger whose lines the test reads, and a promise of the first line with `msg`. */
  const captured = () => {
    const lines: { msg: string }[] = [];
    const waiters: { msg: string; resolve: () => void }[] = [];
    const logger = pino({ level: 'info' }, {
      write(line: string) {
        const entry = JSON.parse(line) as { msg: string };
        lines.push(entry);
        for (const w of waiters.filter((w) => entry.msg.includes(w.msg))) w.resolve();
      },
    });
    const logged = (msg: string) => new Promise<void>((resolve) => (lines.some((l) => l.msg.includes(msg)) ? resolve() : waiters.push({ msg, resolve })));
    return { logger, lines, logged };
  };
  const configFor = (url: string) => loadConfig({ NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET, DB_POOL_MAX: '3' });
  const countMigrations = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ rows: number; names: number }>('select count(*)::int as rows, count(distinct name)::int as names from mikro_orm_migrations');
      return rows[0];
    } finally {
      await client.end();
    }
  };

  it('three started at once on a fresh database all start, and each migration is applied once', async () => {
    const database = await createTestDatabase();
    try {
      const logs = [captured(), captured(), captured()];
      const opened = await Promise.allSettled(logs.map((l) => openDatabase(configFor(database.url), l.logger)));
      // before: one or two of them "Migrating the database failed (duplicate key value violates unique constraint …)"
      expect(opened.map((o) => (o.status === 'rejected' ? startupFailure(o.reason, configFor(database.url)) : 'started'))).toEqual(['started', 'started', 'started']);
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
      expect(await countMigrations(database.url)).toEqual({ rows: MIGRATIONS.length, names: MIGRATIONS.length });
      // one of them applied them all; the others found nothing pending
      expect(logs.map((l) => l.lines.filter((e) => e.msg === 'migrations applied').length).sort()).toEqual([0, 0, 1]);
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('one starting while another migrates says so, waits, and starts on the migrated database', async () => {
    const database = await createTestDatabase();
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      // the other gateway's lock, held by the test
      await other.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      const log = captured();
      let settled = false;
      const opening = openDatabase(configFor(database.url), log.logger).finally(() => (settled = true));
      // before: it migrated beside the lock's holder and started without waiting
      const first = await Promise.race([log.logged('another gateway is migrating this database').then(() => 'waits'), opening.then(() => 'started', () => 'failed')]);
      expect(first).toBe('waits');
      expect(settled).toBe(false);
      await other.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      const opened = await opening;
      await opened.close();
      expect(await countMigrations(database.url)).toEqual({ rows: MIGRATIONS.length, names: MIGRATIONS.length });
    } finally {
      await other.end();
      await database.drop();
    }
  }, 120_000);

  it('a DATABASE_URL naming a database that does not exist: one line naming it, and no database is created', async () => {
    const database = await createTestDatabase();
    const url = new URL(database.url);
    const missing = `${url.pathname.slice(1)}_typo`;
    url.pathname = `/${missing}`;
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const config = configFor(url.toString());
      const failure = await openDatabase(config, pino({ level: 'silent' })).then(
        async (opened) => {
          await opened.close();
          return 'started';
        },
        (error: unknown) => startupFailure(error, config),
      );
      // before: MikroORM's migrator created the database, migrated it and the gateway served from it, empty
      expect(failure).toBe(`The database in DATABASE_URL (${url.hostname}:${url.port}/${missing}) does not exist: create it (createdb), or fix DATABASE_URL.`);
      const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [missing]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(missing)} with (force)`);
      await admin.end();
      await database.drop();
    }
  }, 120_000);
});
