import pg from 'pg';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config.js';
import { AdjustPointsDocument, ProfileDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { REQUEST_POOL_APPLICATION } from '../../src/db/orm.js';
import { RATE_LIMIT_APPLICATION } from '../../src/http/rate-limit.js';
import { JobRunner, LISTENER_APPLICATION } from '../../src/jobs/runner.js';
import { compiledRequests, dataOf, ledgerViolations, startTestGateway, type GqlResult, type TestGateway } from '../support/gateway.js';
import { answered, holdLocks } from '../support/locks.js';
import { adjust, createCustomer, eventually, simpleShop, unique } from '../support/program.js';
import { collect, openSocket, rawSocket } from '../support/ws.js';
import { readFileSync } from 'node:fs';
import { backendsOf, resume, resumeAll, stop, stopAt } from '../support/freeze.js';

/**
 * hang-12c: a PostgreSQL backend that stops (`kill -STOP`; a frozen host, a network dropping
 * packets without a reset behaves the same to the gateway) never applies DB_STATEMENT_TIMEOUT_MS,
 * which PostgreSQL enforces itself: a statement on a connection the pool already held waited for
 * the whole freeze. Each case stops exactly the gateway's own backend(s) (the pid of the pg client
 * that sends the statement, or the gateway's sessions by application_name), and always lets them
 * go on (SIGCONT) in `finally` and `afterAll`.
 */

const STATEMENT_MS = 2_000;
const MARGIN_MS = 500;
/** The gateway's bound on a statement's answer (DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS). */
const BOUND_MS = STATEMENT_MS + MARGIN_MS;
/** What an answer may take beyond the bound on a loaded machine. */
const SLACK_MS = 2_500;
const POOL_MAX = 4;

/** The statement of `me { balances }` that reads the customer's accounts. */
const balancesRead = (text: string) => text.startsWith('select a.id as "accountId"');
/** The purchase's writes: its one statement, or the transaction's debit statement. */
const purchaseWrite = (text: string) => /insert into offer_purchase/.test(text);

/** Waits until none of `pids` is a backend any more (a resumed backend whose socket the gateway closed ends its session). */
const gone = (t: TestGateway, pids: number[]) =>
  eventually(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = any($1::int[])`, [pids]))[0].n === 0, 15_000);

const codes = (res: GqlResult<unknown>) => res.errors?.map((e) => e.extensions?.code);

/** `request`'s answer and how long it took (ms). */
async function timed<T>(request: () => Promise<T>): Promise<{ answer: T; ms: number }> {
  const started = performance.now();
  const answer = await request();
  return { answer, ms: performance.now() - started };
}

/**
 * Makes the customer's next purchase take the transaction path (purchaseInTransaction): its one
 * statement waits for the account's row lock, held by the test with the account's `version`
 * bumped (no balance changed), and finds the account changed since its snapshot (RETRY).
 * `buy` is started once the lock is held; answers what it answered.
 */
async function viaTransaction<R>(t: TestGateway, externalId: string, buy: () => Promise<R>): Promise<R> {
  const locks = await holdLocks(
    t,
    `update point_account set version = version + 1 where customer_id = (select id from customer where external_id = $1)`,
    [externalId],
  );
  try {
    const buying = buy();
    await locks.blocking(1);
    await locks.commit();
    return buying;
  } finally {
    await locks.end();
  }
}

describe('a PostgreSQL backend that stops answering (hang-12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(
      { DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS), DB_CLIENT_TIMEOUT_MARGIN_MS: String(MARGIN_MS), DB_POOL_MAX: String(POOL_MAX) },
      { jobs: 'manual' },
    );
  });
  afterEach(resumeAll);
  afterAll(async () => {
    resumeAll();
    expect(await ledgerViolations(t)).toEqual([]);
    await answered(t.close());
  });

  it('a query over HTTP whose read is stopped: 503 SERVICE_UNAVAILABLE with Retry-After within the bound (it waited for the whole freeze)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const frozen = stopAt(balancesRead);
    try {
      const { answer: res, ms } = await answered(timed(() => t.gql(ProfileDocument, {}, customer.token)));
      expect({ status: res.status, codes: codes(res), retryAfter: res.headers.get('retry-after'), extension: res.errors?.[0].extensions?.retryAfter }).toEqual({
        status: 503,
        codes: ['SERVICE_UNAVAILABLE'],
        retryAfter: expect.stringMatching(/^\d+$/),
        extension: expect.any(Number),
      });
      expect(ms).toBeGreaterThanOrEqual(BOUND_MS - 50);
      expect(ms).toBeLessThan(BOUND_MS + SLACK_MS);
      const pid = await frozen.pid;
      resume(pid);
      await gone(t, [pid]);
    } finally {
      frozen.remove();
    }
    expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(1000);
  });

  it('a purchase stopped inside its transaction: 503, nothing of it written, the ledger intact after the backend goes on; the same key then buys once', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const key = unique('buy');
    const buy = () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token);
    const inTransaction = new WeakSet<pg.Client>();
    // The debit sent after a BEGIN (the transaction path), not the one statement of purchaseAlone.
    const frozen = stopAt((text, client) => {
      if (text === 'begin') inTransaction.add(client);
      return inTransaction.has(client) && purchaseWrite(text);
    });
    let pid: number | undefined;
    try {
      const { answer: res, ms } = await timed(() => answered(viaTransaction(t, customer.externalId, buy)));
      expect({ status: res.status, codes: codes(res), retryAfter: res.headers.get('retry-after') }).toEqual({ status: 503, codes: ['SERVICE_UNAVAILABLE'], retryAfter: expect.stringMatching(/^\d+$/) });
      expect(ms).toBeLessThan(BOUND_MS + SLACK_MS + 1_000);
      pid = await frozen.pid;
    } finally {
      frozen.remove();
      resumeAll();
    }
    await gone(t, [pid]);
    expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(1000);
    expect(await t.sql(`select id from offer_purchase where idempotency_key = $1`, [key])).toEqual([]);
    expect(await ledgerViolations(t)).toEqual([]);
    expect(dataOf(await buy()).purchaseOffer.balance!.available).toBe(900);
    expect(dataOf(await buy()).purchaseOffer.balance!.available).toBe(900);
    expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(900);
  });

  it('a purchase whose COMMIT is stopped: INTERNAL_SERVER_ERROR (its outcome unknown; HTTP 200 as for any field’s internal error); the COMMIT lands when the backend goes on, and the same key answers the committed purchase', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const key = unique('buy');
    const buy = () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token);
    const purchasing = new WeakSet<pg.Client>();
    const frozen = stopAt((text, client) => {
      if (purchaseWrite(text)) purchasing.add(client);
      return text === 'commit' && purchasing.has(client);
    });
    let pid: number | undefined;
    try {
      const { answer: res, ms } = await timed(() => answered(viaTransaction(t, customer.externalId, buy)));
      // Not SERVICE_UNAVAILABLE: sending it again is not known to be safe (HTTP 200 with the error, as any internal error).
      expect({ status: res.status, codes: codes(res) }).toEqual({ status: 200, codes: ['INTERNAL_SERVER_ERROR'] });
      expect(ms).toBeLessThan(BOUND_MS + SLACK_MS + 1_000);
      pid = await frozen.pid;
      // Not committed while the backend is stopped.
      expect(await t.sql(`select id from offer_purchase where idempotency_key = $1`, [key])).toEqual([]);
    } finally {
      frozen.remove();
      resumeAll();
    }
    await gone(t, [pid]);
    const [committed] = await t.sql<{ id: number }>(`select id from offer_purchase where idempotency_key = $1`, [key]);
    expect(committed).toBeDefined();
    expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(900);
    const replay = dataOf(await buy()).purchaseOffer;
    expect(replay.balance!.available).toBe(900);
    expect(await t.sql(`select count(*)::int as n from offer_purchase where idempotency_key = $1`, [key])).toEqual([{ n: 1 }]);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('a query over WebSocket whose read is stopped: SERVICE_UNAVAILABLE with retryAfter within the bound, and the socket serves again', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const socket = openSocket(t.url, customer.token);
    const frozen = stopAt(balancesRead);
    try {
      const { answer, ms } = await answered(timed(() => collect(socket.client, `{ me { balances { available } } }`).until(1)));
      expect(answer).toEqual([{ data: { me: null }, errors: [expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) } })] }]);
      expect(ms).toBeLessThan(BOUND_MS + SLACK_MS);
      resume(await frozen.pid);
      expect(await collect(socket.client, `{ me { balances { available } } }`).until(1)).toEqual([{ data: { me: { balances: [{ available: 10 }] } } }]);
    } finally {
      frozen.remove();
      await socket.dispose();
    }
  });

  it('a subscription whose resume point is read on a stopped backend: ends with SERVICE_UNAVAILABLE within the bound; a new one then hears changes', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const socket = openSocket(t.url, customer.token);
    const subscription = `subscription { balanceChanged(currency: "${shop.currency}") { available } }`;
    const frozen = stopAt((text) => text.trim().startsWith('select (select last_seq from event_stream'));
    try {
      const started = performance.now();
      const sub = collect(socket.client, subscription);
      await answered(eventually(async () => sub.done || sub.results.length > 0));
      const ms = performance.now() - started;
      expect(JSON.stringify(sub.failure ?? sub.results)).toContain('SERVICE_UNAVAILABLE');
      expect(ms).toBeLessThan(BOUND_MS + SLACK_MS);
      resume(await frozen.pid);
      const again = collect<{ balanceChanged: { available: number } }>(socket.client, subscription);
      await eventually(async () => t.gateway.events.listenerCount() > 0);
      await adjust(t, customer.externalId, shop.currency, 5);
      expect(await again.until(1)).toEqual([{ data: { balanceChanged: { available: 15 } } }]);
      again.stop();
    } finally {
      frozen.remove();
      await socket.dispose();
    }
  });

  it('a compiled query whose read is cut at the bound while the whole server is stopped: 503 at about the bound, the read not sent again (Apollo ran it once more and the 503 came a second wait later)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const compiledBefore = await compiledRequests(t);
    for (let i = 0; i < 3; i++) expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(1000);
    expect(await compiledRequests(t)).toBeGreaterThan(compiledBefore);
    const pool = await backendsOf(t, REQUEST_POOL_APPLICATION);
    // The postmaster too: no new connection is made either (a frozen host).
    const postmaster = Number(readFileSync(`/proc/${pool[0]}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    let sent = 0;
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string } | undefined;
      const text = typeof config === 'string' ? config : config?.text;
      if (text && balancesRead(text) && ++sent === 1) [postmaster, ...pool, (this as unknown as { processID: number }).processID].forEach(stop);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    let answer: GqlResult<unknown>;
    let ms: number;
    try {
      ({ answer, ms } = await answered(timed(() => t.gql(ProfileDocument, {}, customer.token))));
    } finally {
      pg.Client.prototype.query = original;
      resumeAll();
    }
    expect({ status: answer.status, codes: codes(answer), retryAfter: answer.headers.get('retry-after'), sent }).toEqual({
      status: 503,
      codes: ['SERVICE_UNAVAILABLE'],
      retryAfter: expect.stringMatching(/^\d+$/),
      sent: 1,
    });
    // A correctness bound, not a measure: one wait on the database, not two (a second bound, or
    // DB_ACQUIRE_TIMEOUT_MS, 5 s, for a connection the stopped server cannot open).
    expect(ms).toBeLessThan(2 * BOUND_MS);
    expect(dataOf(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(1000);
  });

  it('a subscription whose stream’s read is stopped while it is open (its second replay page): the subscriber gets SERVICE_UNAVAILABLE within the bound, and the socket serves again', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 0);
    // More events than one replay page (100): the stream reads its second page after delivering the first.
    for (let i = 0; i < 101; i++) await adjust(t, customer.externalId, shop.currency, 1);
    const raw = await rawSocket(t.url, { authorization: `Bearer ${customer.token}` });
    let pages = 0;
    const frozen = stopAt((text) => text.trim().startsWith('with page as (') && ++pages === 2);
    const subscription = `subscription { balanceChanged(currency: "${shop.currency}", after: "0") { available } }`;
    try {
      const started = performance.now();
      raw.send(JSON.stringify({ id: 'sub', type: 'subscribe', payload: { query: subscription } }));
      await answered(eventually(async () => raw.messages.some((m) => m.id === 'sub' && m.type !== 'next'), BOUND_MS + SLACK_MS + 10_000));
      const ms = performance.now() - started;
      const answers = raw.messages.filter((m) => m.id === 'sub');
      expect(answers.filter((m) => m.type === 'next')).toHaveLength(100);
      // graphql-ws ends the operation with an `error` message (no `complete` follows one).
      expect(answers.slice(100)).toEqual([
        { id: 'sub', type: 'error', payload: [{ message: expect.stringMatching(/^The database did not answer in time/), extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) } }] },
      ]);
      expect(ms).toBeLessThan(BOUND_MS + SLACK_MS);
      expect(raw.socket.readyState).toBe(raw.socket.OPEN);
      resume(await frozen.pid);
      raw.send(JSON.stringify({ id: 'query', type: 'subscribe', payload: { query: '{ me { balances { available } } }' } }));
      expect(await raw.answer('query')).toEqual({ id: 'query', type: 'next', payload: { data: { me: { balances: [{ available: 101 }] } } } });
    } finally {
      frozen.remove();
      raw.socket.close();
    }
  });

  it(`after every pooled connection stopped: each request answered within the bound, the stopped sessions closed, then the pool lends ${POOL_MAX} connections at once again`, async () => {
    const shop = await simpleShop(t);
    const customers = await Promise.all(Array.from({ length: POOL_MAX }, () => createCustomer(t, shop.currency, 100)));
    // The pool holds POOL_MAX connections: as many requests at once as it has.
    await Promise.all(customers.map((c) => t.gql(ProfileDocument, {}, c.token)));
    const pids = await backendsOf(t, REQUEST_POOL_APPLICATION);
    expect(pids.length).toBeGreaterThan(0);
    pids.forEach(stop);
    try {
      const answers = await answered(Promise.all(customers.map((c) => timed(() => t.gql(ProfileDocument, {}, c.token)))));
      for (const { answer, ms } of answers) {
        // Each request met a stopped connection and was cut at the bound: 503, or served where the
        // compiled path's cut read was run again by Apollo (its fallback for any error) on a new connection.
        if (answer.status !== 200) expect({ status: answer.status, codes: codes(answer) }).toEqual({ status: 503, codes: ['SERVICE_UNAVAILABLE'] });
        expect(ms).toBeGreaterThanOrEqual(BOUND_MS - 50);
        expect(ms).toBeLessThan(BOUND_MS + SLACK_MS);
      }
    } finally {
      pids.forEach(resume);
    }
    await gone(t, pids);
    // POOL_MAX adjustments wait at once on the test's lock of their accounts: the pool lent POOL_MAX connections.
    const locks = await holdLocks(t, `select id from point_account where customer_id in (select id from customer where external_id = any($1)) for update`, [customers.map((c) => c.externalId)]);
    try {
      const adjusting = customers.map((c) =>
        t.gql(AdjustPointsDocument, { input: { customerExternalId: c.externalId, currency: shop.currency, amount: 1, reason: 'after the freeze', idempotencyKey: unique('adj') } }, t.operatorToken),
      );
      await locks.blocking(POOL_MAX);
      await locks.commit();
      for (const res of await answered(Promise.all(adjusting))) expect(codes(res)).toBeUndefined();
    } finally {
      await locks.end();
    }
    expect((await backendsOf(t, REQUEST_POOL_APPLICATION)).length).toBeLessThanOrEqual(POOL_MAX);
  });

  it('the rate limiter’s count stopped: the request is let through within the limiter’s bound', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 5);
    await t.gql(ProfileDocument, {}, customer.token);
    const pids = await backendsOf(t, RATE_LIMIT_APPLICATION);
    expect(pids.length).toBeGreaterThan(0);
    pids.forEach(stop);
    try {
      const answers = await answered(Promise.all(Array.from({ length: pids.length }, () => timed(() => t.gql(ProfileDocument, {}, customer.token)))));
      for (const { answer, ms } of answers) {
        expect(dataOf(answer).me!.balances[0].available).toBe(5);
        // the limiter's own bound: 1 s statement timeout + the margin
        expect(ms).toBeLessThan(1_000 + MARGIN_MS + SLACK_MS);
      }
    } finally {
      pids.forEach(resume);
    }
    await gone(t, pids);
  });

  it('the job runner’s LISTEN connection stopped: noticed by its check and opened again while the old one is still stopped', async () => {
    const runner = new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, {}, { pollMs: 600_000, concurrency: 1, listenCheckMs: 200 });
    await runner.start(t.databaseUrl);
    try {
      const [first] = await eventually(async () => {
        const pids = await backendsOf(t, LISTENER_APPLICATION);
        return pids.length === 1 && pids;
      });
      stop(first);
      try {
        const again = await eventually(async () => (await backendsOf(t, LISTENER_APPLICATION)).find((pid) => pid !== first), 10_000);
        expect(again).not.toBe(first);
      } finally {
        resume(first);
      }
      await gone(t, [first]);
    } finally {
      await answered(runner.stop());
    }
  });

  it('the event relay’s connection stopped: it connects again, and a subscriber hears a change made during the freeze', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const socket = openSocket(t.url, customer.token);
    try {
      const sub = collect<{ balanceChanged: { available: number } }>(socket.client, `subscription { balanceChanged(currency: "${shop.currency}") { available } }`);
      await eventually(async () => t.gateway.events.listenerCount() > 0);
      const [relay] = await backendsOf(t, 'reward-gateway event relay');
      expect(relay).toBeDefined();
      stop(relay);
      try {
        await adjust(t, customer.externalId, shop.currency, 5);
        expect(await sub.until(1, BOUND_MS + 10_000)).toEqual([{ data: { balanceChanged: { available: 15 } } }]);
      } finally {
        resume(relay);
      }
      await gone(t, [relay]);
      sub.stop();
    } finally {
      await socket.dispose();
    }
  });
});

describe('DB_CLIENT_TIMEOUT_MARGIN_MS', () => {
  it('is 2000 by default, taken from 100 to 600000, and anything else stops start-up naming the whole rule', () => {
    expect(loadConfig({}).dbTimeouts.clientMarginMs).toBe(2_000);
    expect(loadConfig({ DB_CLIENT_TIMEOUT_MARGIN_MS: '100' }).dbTimeouts.clientMarginMs).toBe(100);
    expect(loadConfig({ DB_CLIENT_TIMEOUT_MARGIN_MS: '600000' }).dbTimeouts.clientMarginMs).toBe(600_000);
    for (const value of ['99', '0', '-1', '600001', '2s', 'abc']) {
      expect(() => loadConfig({ DB_CLIENT_TIMEOUT_MARGIN_MS: value })).toThrow(ConfigError);
      expect(() => loadConfig({ DB_CLIENT_TIMEOUT_MARGIN_MS: value })).toThrow(`DB_CLIENT_TIMEOUT_MARGIN_MS must be a whole number from 100 to 600000 (`);
      expect(() => loadConfig({ DB_CLIENT_TIMEOUT_MARGIN_MS: value })).toThrow(`got "${value}"`);
    }
  });
});
