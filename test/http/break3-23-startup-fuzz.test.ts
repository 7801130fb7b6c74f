import { compiledGateway } from '../support/build.js';
import { fuzzNote, fuzzSample } from '../support/fuzz.js';
import { createMigratedDatabase, TEST_JWT_SECRET } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { spawnGateway, stopReport, stopSignalsInstalled, type SpawnedGateway } from '../support/processes.js';
import { startOwnRedis, type OwnRedis } from '../support/redis.js';
import { signalled } from '../support/signal-load.js';

/**
 * break3-23: a SIGTERM (and SIGTERM then SIGINT, SIGINT then SIGTERM) at many points of the start-up
 * of a gateway with Redis fan-out and rate limits, jobs on and the demo seed: by delay from the spawn,
 * and right after each step's line. Held: exit 0, "stopped", no error line, every time.
 *
 * Each signal kind and each step runs every run, at one of its delays drawn by TEST_FUZZ_SEED;
 * TEST_FUZZ=full runs every delay (test/support/fuzz.ts).
 */

/**
 * Each signal kind (one signal, or two 30 ms apart) at its delays from the spawn, ms, and never before
 * the gateway's signal listeners are in place (`stopSignalsInstalled`): a signal before them meets
 * Node's own default, which the gateway cannot change (early-19). 0: the moment they are, while the
 * gateway's modules load.
 */
const BY_DELAY = fuzzSample(
  'break3-23-startup-fuzz: by delay',
  ([[['SIGTERM'], [0, 300, 700, 1100, 1500]], [['SIGTERM', 'SIGINT'], [700]], [['SIGINT', 'SIGTERM'], [1000]]] as const).flatMap(([signals, delays]) =>
    delays.map((delay) => ({ signals, delay })),
  ),
  { kind: (c) => c.signals.join('+') },
);

/** Each start-up step whose line a SIGTERM follows, at its delays after that line, ms. */
const AFTER_STEP = fuzzSample(
  'break3-23-startup-fuzz: after a step',
  ['seeding the demo program', 'starting the HTTP server', 'starting the jobs', 'gateway ready'].flatMap((step) => [0, 3, 10, 25].map((after) => ({ step, after }))),
  { kind: (c) => c.step },
);

describe(`break3-23: a signal at many points of the start-up [${fuzzNote()}]`, () => {
  let build: string;
  let redis: OwnRedis;
  beforeAll(async () => {
    build = await compiledGateway();
    redis = await startOwnRedis();
  }, 600_000);
  afterAll(() => redis.kill());

  /**
   * Spawns a gateway on a new migrated database, runs `signal` on it (which sends the signals) and
   * answers '' when it then stopped cleanly (exit 0, "stopped", no error line), else what it did.
   */
  async function stopAt(label: string, signal: (gateway: SpawnedGateway) => Promise<number | null | 'hung'>): Promise<string> {
    const db = await createMigratedDatabase();
    const gateway = spawnGateway(build, {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      EVENT_FANOUT: 'redis',
      RATE_LIMIT_STORE: 'redis',
      RATE_LIMIT_KEY_PREFIX: unique('b3s'),
      JOBS_ENABLED: 'true',
      SEED_DEMO: 'true',
      JWT_SECRET: TEST_JWT_SECRET,
    });
    try {
      const code = await signal(gateway);
      const report = stopReport(gateway, code === 'hung' ? null : code);
      const stage = /"msg":"stopping: SIG[A-Z]+ during start-up \(([^)]+)\)"/.exec(gateway.output())?.[1] ?? (/gateway ready/.test(gateway.output()) ? 'ready' : 'before any step');
      return code === 0 && report.stopped && !report.errors.length ? '' : `${label} (${stage}): code ${code}, stopped ${report.stopped}\n${gateway.output().slice(-3000)}`;
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      await gateway.exited;
      await db.drop();
    }
  }

  const BY_DELAY_ROWS = BY_DELAY.map((c) => [c.signals[0], c.delay, c.signals[1] ? `, then ${c.signals[1]} 30 ms later` : '', c.signals] as const);
  it.each(BY_DELAY_ROWS)('exit 0 and "stopped" at a %s %d ms after the spawn%s', async (_first, delay, _then, signals) => {
    const failure = await stopAt(`${signals.join('+')} at ${delay} ms`, async (gateway) => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      // Not before the gateway's own listeners are in place: until then a SIGTERM or SIGINT meets
      // Node's own handler (the process dies by it, nothing printed), which on a loaded machine
      // lasts past 300 ms (startup-29). On a quiet one they are in place by ~100 ms: no wait.
      await stopSignalsInstalled(gateway);
      // all but the last 30 ms apart, then the last, and the exit awaited
      for (const s of signals.slice(0, -1)) {
        if (gateway.child.exitCode === null) process.kill(gateway.child.pid!, s);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      return signalled(gateway, signals[signals.length - 1]);
    });
    expect(failure).toBe('');
  }, 240_000);

  it.each(AFTER_STEP.map((c) => [c.after, c.step] as const))('exit 0 and "stopped" at a SIGTERM %d ms after "%s" begins', async (after, step) => {
    const failure = await stopAt(`SIGTERM ${after} ms after "${step}"`, async (gateway) => {
      await gateway.until(new RegExp(`"msg":"${step}"`), 60_000);
      if (after) await new Promise((resolve) => setTimeout(resolve, after));
      return signalled(gateway, 'SIGTERM');
    });
    expect(failure).toBe('');
  }, 240_000);
});
