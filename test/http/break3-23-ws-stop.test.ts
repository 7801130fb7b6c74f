import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase, TEST_JWT_SECRET } from '../support/gateway.js';
import { spawnGateway, stopReport } from '../support/processes.js';
import { gatewayUrl, tokenFor } from '../support/signal-load.js';
import { within10s } from '../support/freeze.js';
import { eventually } from '../support/program.js';
import { collect, openSocket, type TestSocket } from '../support/ws.js';


/**
 * break3-23: graphql-ws subscriptions open at a stop by two signals in a row (SHUTDOWN_DRAIN_DELAY_MS
 * 10 s, 2 s before flakes-24: a late socket connects in it on a loaded machine too): a socket that
 * connects and subscribes during the drain delay as well. Held: /readyz 503 in the delay, every
 * socket closed 1001 "Going away", exit 0 and "stopped" (SIGINT first: no delay, the second signal
 * finds the process gone or stopping).
 */
describe('break3-23: subscriptions at the stop', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it.each([['SIGTERM', 'SIGINT'], ['SIGTERM', 'SIGTERM']])('%s then %s', async (first, second) => {
    const db = await createMigratedDatabase();
    const gateway = spawnGateway(build, { DATABASE_URL: db.url, SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET, SHUTDOWN_DRAIN_DELAY_MS: '10000', JOBS_ENABLED: 'true' });
    const sockets: TestSocket[] = [];
    try {
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const url = gatewayUrl(gateway);
      const base = url.replace(/\/graphql$/, '');
      const tk = await tokenFor('cust-alice');
      const subs = [];
      for (let i = 0; i < 3; i++) {
        const s = openSocket(url, tk);
        sockets.push(s);
        subs.push(collect(s.client, 'subscription { balanceChanged { available } }'));
      }
      // Conditions, not sleeps (flakes-24): the sockets acknowledged (500 ms before), the first
      // signal acted on (300 ms before: on a loaded machine /readyz could still answer 200), the
      // late socket acknowledged in the drain (100 ms before).
      await within10s(Promise.all(sockets.map((s) => s.connected)), 'three sockets acknowledged');
      const readyBefore = (await fetch(`${base}/readyz`)).status;
      process.kill(gateway.child.pid!, first as NodeJS.Signals);
      if (first === 'SIGTERM') await eventually(async () => gateway.output().includes('/readyz answers 503') || gateway.child.exitCode !== null, 10_000);
      const readyDuring = await fetch(`${base}/readyz`).then((r) => r.status, (e) => String(e));
      // one more opens and subscribes during the drain
      const late = openSocket(url, tk);
      sockets.push(late);
      subs.push(collect(late.client, 'subscription { balanceChanged { available } }'));
      if (first === 'SIGTERM') await within10s(late.connected, 'the late socket acknowledged in the drain');
      if (gateway.child.exitCode === null) process.kill(gateway.child.pid!, second as NodeJS.Signals);
      const code = await Promise.race([gateway.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      const closes = await Promise.all(sockets.map((s) => Promise.race([s.closed, new Promise((r) => setTimeout(() => r('open'), 2000))])));
      const report = stopReport(gateway, code as number);
      expect({ readyBefore, readyDuring: first === 'SIGTERM' ? readyDuring : 503, code: report.code, stopped: report.stopped, errors: report.errors, closes: closes.map((c) => (c as { code: number }).code), failures: subs.map((s) => s.failure !== undefined) })
        .toEqual({ readyBefore: 200, readyDuring: 503, code: 0, stopped: true, errors: [], closes: [1001, 1001, 1001, 1001], failures: [true, true, true, true] });
    } finally {
      for (const s of sockets) await s.dispose().catch(() => undefined);
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      await db.drop();
    }
  }, 180_000);
});
