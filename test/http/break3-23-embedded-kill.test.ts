import { rm } from 'node:fs/promises';
import { compiledGateway } from '../support/build.js';
import { seededDataDir } from '../support/cluster.js';
import { fuzzNote, fuzzSample } from '../support/fuzz.js';
import { HIGH_RATE_LIMITS, TEST_JWT_SECRET } from '../support/gateway.js';
import { adjustBeans, gatewayUrl, postGraphql as gql, tokenFor as sign, type LooseAnswer } from '../support/signal-load.js';
import { postgresProcessesFor, spawnGateway, type SpawnedGateway } from '../support/processes.js';

const BUY = 'mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { userErrors { code } } }';
const STATE = '{ me { balances { currency { code } available } } }';

/**
 * break3-23: a gateway on an embedded DATA_DIR (a copy of the run's seeded one) under purchases and
 * point adjustments from four clients at once, stopped by SIGKILL, SIGTERM or SIGINT mid-load, then
 * started again on the same DATA_DIR, where every request is sent again with its idempotency key
 * (each client its own, in its order, the four at once as they were sent).
 * Held: every replay answered without a userError, and each demo member's BEANS balance is what
 * their operations say (no purchase half-done, none lost or doubled); a signal's stop exits 0 with
 * "stopped".
 *
 * Each signal runs every run; SIGKILL's two moments (300, 900 ms) are one fault at two timings, and
 * TEST_FUZZ_SEED draws one of them (both with TEST_FUZZ=full, test/support/fuzz.ts).
 */
const CASES = fuzzSample(
  'break3-23-embedded-kill',
  [
    ['SIGKILL', 300],
    ['SIGKILL', 900],
    ['SIGTERM', 300],
    ['SIGINT', 600],
  ] as [string, number][],
  { kind: ([signal]) => signal },
);

describe(`break3-23: embedded DATA_DIR, a signal mid-work, restart [${fuzzNote()}]`, () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it.each(CASES)('%s after %d ms of purchases and adjustments', async (signal, afterMs) => {
    const dataDir = await seededDataDir(build, 'rg-b3-');
    const env = { DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'true', ...HIGH_RATE_LIMITS };
    let gateway: SpawnedGateway = spawnGateway(build, env);
    try {
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const url = () => gatewayUrl(gateway);
      const op = await sign('staff-olivia', 'operator');
      const who = ['cust-alice', 'cust-bob', 'cust-carol'];
      const tokens = await Promise.all(who.map((c) => sign(c)));
      for (const c of who) await adjustBeans(url(), op, c, 100_000, `seed-${c}`, 'seed');
      const stores = await gql(url(), tokens[0], '{ me { eligibleRewardStores(first: 10) { edges { node { code listings(first: 20) { edges { node { id perCustomerLimit pricePoints: priceInPoints } } } } } } } }');
      const listing = stores.data?.me.eligibleRewardStores.edges.flatMap((e: LooseAnswer) => e.node.listings.edges.map((l: LooseAnswer) => l.node)).find((l: LooseAnswer) => !l.perCustomerLimit);
      if (!listing) throw new Error(JSON.stringify(stores).slice(0, 500));
      const beans = (t: string) => gql(url(), t, STATE).then((a) => a.data.me.balances.find((b: LooseAnswer) => b.currency.code === 'BEANS').available as number);
      const before = await Promise.all(tokens.map(beans));
      const ops: { kind: string; who: number; key: string; w: number }[] = [];
      let go = true;
      const worker = async (w: number) => {
        for (let i = 0; go; i++) {
          const c = (w + i) % 3;
          const buy = i % 2 === 0;
          const key = `${signal}-${afterMs}-w${w}-${i}`;
          ops.push({ kind: buy ? 'buy' : 'adj', who: c, key, w });
          await (buy
            ? gql(url(), tokens[c], BUY, { input: { listingId: listing.id, idempotencyKey: key } })
            : adjustBeans(url(), op, who[c], 3, key)
          ).catch(() => undefined);
        }
      };
      const work = [0, 1, 2, 3].map(worker);
      await new Promise((r) => setTimeout(r, afterMs));
      process.kill(gateway.child.pid!, signal as NodeJS.Signals);
      const code = await Promise.race([gateway.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      go = false;
      await Promise.all(work);
      const stopped = /"msg":"stopped"/.test(gateway.output());
      // After SIGKILL the embedded PostgreSQL is left running (its own process group, and nothing
      // told it to stop): the restart finds it, as a user's `npm start` after a kill does, and its
      // start-up shuts it down (src/db/embedded.ts recoverStaleServer). Waiting here for it to go
      // only waited out a bound (it never went by itself).
      gateway = spawnGateway(build, env);
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const bad: unknown[] = [];
      // Each of the four clients sends its own requests again, in its order, as it sent them first.
      const replay = async (w: number) => {
        for (const o of ops.filter((x) => x.w === w)) {
          if (o.kind === 'buy') {
            const answer = await gql(url(), tokens[o.who], BUY, { input: { listingId: listing.id, idempotencyKey: o.key } });
            if (!answer.data?.purchaseOffer || answer.data.purchaseOffer.userErrors.length) bad.push(answer);
          } else if (!(await adjustBeans(url(), op, who[o.who], 3, o.key))) bad.push(o);
        }
      };
      await Promise.all([0, 1, 2, 3].map(replay));
      const balances = await Promise.all(tokens.map(beans));
      const expected = who.map((_, c) => before[c] + ops.filter((o) => o.who === c).reduce((sum, o) => sum + (o.kind === 'adj' ? 3 : -listing.pricePoints), 0));
      expect({ code, stopped: signal === 'SIGKILL' ? true : stopped, bad, diffs: balances.map((b, c) => b - expected[c]) }).toEqual({ code: signal === 'SIGKILL' ? null : 0, stopped: true, bad: [], diffs: [0, 0, 0] });
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGTERM');
      await gateway.exited;
      for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
