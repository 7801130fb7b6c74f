import type { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { clientBoundMs, type DbTimeouts } from '../config.js';
import { cutOnAbort } from '../db/embedded.js';
import { destroySocket, endWithin } from '../db/end-within.js';
import { TCP_KEEPALIVE } from '../db/keepalive.js';
import { connectRedisAtStart } from '../startup.js';
import type { DeliveredEvent, EventHub } from './hub.js';
import { REDIS_RELAY_CURSOR, REDIS_RELAY_CURSOR_BEFORE_DEPLOYMENT } from './outbox-event.entity.js';
import { cursorAtNow, decodeCursor, encodeCursor, readCommittedEvents, type OutboxCursor, type OutboxRow } from './outbox.reader.js';

/** How committed events reach this instance's hub (EVENT_FANOUT). */
export type FanoutMode = 'postgres' | 'redis' | 'off';

export interface RelayOptions {
  databaseUrl: string;
  mode: FanoutMode;
  /** How often the outbox is read (EVENT_POLL_MS). */
  pollMs: number;
  /** Rows per read. */
  pageSize?: number;
  redisUrl?: string;
  /**
   * Redis channel prefix: the channel is `<keyPrefix>:events`. The gateway gives
   * `<RATE_LIMIT_KEY_PREFIX>:<deployment id>` (src/db/deployment.ts), so deployments sharing one
   * Redis hear only their own database's events (break35-instances).
   */
  keyPrefix?: string;
  /**
   * EVENT_RETENTION_HOURS, and the clock the prune reads it by: a PostgreSQL relay whose reads are
   * that far apart may have passed pruned events, and has its streams read the outbox again.
   */
  retention?: { hours: number; clock: Clock };
  /**
   * The request pool's bounds: connecting waits DB_ACQUIRE_TIMEOUT_MS at most, and a read of the
   * outbox DB_STATEMENT_TIMEOUT_MS + DB_CLIENT_TIMEOUT_MARGIN_MS (pg's `query_timeout`); past it the
   * connection is closed and opened again with the relay's backoff. Unbounded when absent.
   */
  timeouts?: DbTimeouts;
}

/** A relay's counters, for tests and metrics. */
export interface RelayStats {
  mode: FanoutMode;
  /** Whether this instance reads the outbox (always with postgres; the elected leader with redis). */
  reading: boolean;
  /** Outbox reads that returned rows. */
  pagesRead: number;
  eventsRead: number;
  /** Statements run with nobody to deliver to (moving the cursor to now, at most one per IDLE_CURSOR_MS). */
  idleReads: number;
}

/**
 * How long a Redis command of the fan-out may wait for an answer (ms): a PUBLISH of one page takes
 * a millisecond or so when Redis is well, so a second means it is not.
 */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * While nothing on this instance wants events (`idle`), how often the relay moves its cursor to
 * now (ms). It still looks every `pollMs` whether something wants them (no statement), so a first
 * subscriber is served from the next poll; that read starts from a cursor up to this old, and
 * what it reads from before the subscription is dropped by position (a stream's start, a
 * session end's `seq`), as the poll's own lag always was. A cursor taken while something came to
 * want events is not kept. Moving it every poll cost an idle
 * instance ~40 statements and ~15 ms of CPU a second (bench/README.md, ninth session).
 */
export const IDLE_CURSOR_MS = 1_000;

/**
 * The relay's name in `event_relay_cursor`, and its advisory lock key: both apart from the builds
 * before the channel carried the deployment's id (`reward_gateway_event_relay`, row `redis`), whose
 * leader publishes where this build's instances do not listen. During a rolling upgrade an old
 * leader goes on serving the old instances and a new one the new instances; with one lock between
 * them, the instances of the build that did not lead heard no event until the upgrade ended.
 */
const REDIS_RELAY = REDIS_RELAY_CURSOR;
const LEADER_LOCK = 'reward_gateway_event_relay:deployment';

/** The `application_name` of the event relay's connection: how an operator (or a test) tells it in `pg_stat_activity`. */
export const RELAY_APPLICATION = 'reward-gateway event relay';

/** One PostgreSQL connection of its own, usable by kysely statements (`readCommittedEvents`). */
class DedicatedConnection {
  readonly client: pg.Client;
  readonly db: Kysely<never>;
  lost = false;

  constructor(databaseUrl: string, log: Logger, onLost: () => void, timeouts?: DbTimeouts) {
    // A read a stopped server or a dropping network never answers held the relay for the whole
    // freeze, and every subscriber of this instance heard nothing after it (hang-12c): pg's
    // `query_timeout` fails it, and `tick` closes the connection (pg destroys a socket whose
    // statement is in flight) and connects again with its backoff.
    const bounds = timeouts ? { connectionTimeoutMillis: timeouts.acquireMs, query_timeout: clientBoundMs(timeouts) } : {};
    this.client = new pg.Client({ connectionString: databaseUrl, application_name: RELAY_APPLICATION, ...TCP_KEEPALIVE, ...bounds });
    const lost = (error?: Error) => {
      if (this.lost) return;
      this.lost = true;
      log.warn({ err: error }, 'event relay connection lost');
      onLost();
    };
    this.client.on('error', lost);
    this.client.on('end', () => lost());
    const client = this.client;
    // kysely runs on "a pool" that always lends this one client.
    this.db = new Kysely<never>({
      dialect: new PostgresDialect({ pool: { connect: async () => Object.assign(client, { release() {} }), end: async () => undefined } as never }),
    });
  }

  /**
   * Destroys the connection's socket at once (`destroySocket`), for a connect under way: its
   * `connect()` rejects ("Connection terminated unexpectedly"), where pg's own `end()` of a connect
   * the server has not answered sends a Terminate and waits for a close that never comes
   * (lifecycle-23). Nothing is logged for it.
   */
  cut(): void {
    this.lost = true;
    destroySocket(this.client);
  }

  /**
   * Ends the connection, within CONNECTION_END_MS: a frozen server never answers pg's goodbye, and
   * the gateway's shutdown waited for it for as long as the freeze lasted (break-16). A read in
   * flight fails at once (pg destroys a socket whose statement is in flight).
   */
  async close(): Promise<void> {
    this.lost = true;
    await endWithin(this.client);
  }
}

/**
 * Reads committed outbox rows in commit order (`readCommittedEvents`) every `pollMs` and hands
 * each page to `sink`; a full page is followed by the next at once. Money-moving transactions
 * write their rows and nothing else, so the relay adds no work and no lock to them: the cost of
 * delivery is one indexed read per instance per poll. Reconnects with backoff when its connection
 * drops, and goes on from its cursor; `cursor` may be persisted by `saveCursor` so another process
 * goes on from it.
 */
class OutboxPoller {
  private connection: DedicatedConnection | undefined;
  /** The connection whose connect is under way (`connect`): `stop()` and the start's signal cut it. */
  private connecting: DedicatedConnection | undefined;
  private cursor: OutboxCursor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private retryMs = 500;
  pagesRead = 0;
  eventsRead = 0;
  /** Statements run while idle (moving the cursor to now). */
  idleReads = 0;
  /** When the cursor last moved to the outbox's present (performance.now(), ms). */
  private cursorAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly databaseUrl: string,
    private readonly pollMs: number,
    private readonly pageSize: number,
    private readonly sink: (events: OutboxRow[]) => Promise<void> | void,
    private readonly log: Logger,
    private readonly hooks: {
      /** Nobody to deliver to: skip reading rows (move the cursor to now). */
      idle?: () => boolean;
      /** Called with each fresh connection before its first read: where to start (default: the cursor held, else now). */
      begin?: (connection: DedicatedConnection) => Promise<OutboxCursor | undefined>;
      saveCursor?: (db: Kysely<never>, cursor: OutboxCursor) => Promise<void>;
      /** The connection was lost (e.g. a leader's lock went with it). */
      lost?: () => void;
      /**
       * With `retention`: called after a read that ended a retention or more after the read before
       * it began (by `retention.clock`): the prune may have removed events committed in between,
       * which the read passed by without a word (see PostgresRelay).
       */
      readLate?: () => void;
    } = {},
    private readonly retention?: RelayOptions['retention'],
    private readonly timeouts?: DbTimeouts,
  ) {}
  /** When (retention.clock, ms) the read the cursor comes from began: the outbox was read up to then. */
  private readFrom: number | undefined;

  /**
   * Connects and starts reading. `signal` (the start-up's abort: a stop signal before "gateway
   * ready") cuts the connect under way, and the start then rejects with its reason: the connect
   * waited out DB_ACQUIRE_TIMEOUT_MS (up to 10 min, or for ever with 0) on a server that accepted
   * and did not answer, past the stop's 15 s limit (lifecycle-23).
   */
  async start(signal?: AbortSignal): Promise<void> {
    await cutOnAbort(signal, () => this.connecting?.cut(), () => this.connect());
    this.schedule(0);
  }

  private async connect(): Promise<void> {
    const connection = new DedicatedConnection(this.databaseUrl, this.log, () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.hooks.lost?.();
      if (!this.stopped) this.schedule(this.retryMs);
    }, this.timeouts);
    if (this.stopped) throw new Error('the event relay stopped before it connected');
    this.connecting = connection;
    try {
      await connection.client.connect();
    } finally {
      this.connecting = undefined;
    }
    this.connection = connection;
    const begun = await this.hooks.begin?.(connection);
    // Connected again after a loss: go on from the cursor held (a snapshot is the cluster's, not
    // the connection's). Starting at the present passed by what committed while the connection
    // was down or reconnecting, and live subscribers never got it (hostile pass 12).
    if (begun || !this.cursor) {
      const at = this.retention?.clock.now().getTime();
      this.cursor = begun ?? (await cursorAtNow(connection.db));
      this.cursorAt = performance.now();
      this.readFrom = at;
    }
    this.retryMs = 500;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined));
    }, ms);
  }

  private async tick(): Promise<void> {
    let next = this.pollMs;
    try {
      if (!this.connection) await this.connect();
      const { db } = this.connection!;
      if (this.hooks.idle?.()) {
        if (performance.now() - this.cursorAt >= IDLE_CURSOR_MS) {
          this.cursorAt = performance.now();
          const begun = this.retention?.clock.now().getTime();
          const now = await cursorAtNow(db);
          this.idleReads++;
          // Something came to want events while the statement ran (a socket, a subscription): its
          // snapshot may be later than their start, and what committed in between would be
          // passed by (hostile pass 12). The older cursor stays: the next read starts from it.
          if (this.hooks.idle?.()) {
            this.cursor = now;
            this.readFrom = begun;
          }
        }
      } else {
        this.cursorAt = performance.now();
        const begun = this.retention?.clock.now().getTime();
        const page = await readCommittedEvents(db, this.cursor!, this.pageSize);
        if (page.events.length) {
          this.pagesRead++;
          this.eventsRead += page.events.length;
          await this.sink(page.events);
        }
        // This read ended a retention or more after the one before began: an event committed after
        // that one's snapshot (so not read by it) may have been pruned before this one's (the prune
        // keeps an event a retention after it commits).
        const ended = this.retention?.clock.now().getTime();
        if (ended !== undefined && this.readFrom !== undefined && ended - this.readFrom >= this.retention!.hours * 3_600_000) this.hooks.readLate?.();
        this.readFrom = begun;
        this.cursor = page.cursor;
        if (page.events.length && this.hooks.saveCursor) await this.hooks.saveCursor(db, page.cursor);
        if (page.events.length === this.pageSize) next = 0;
      }
    } catch (error) {
      if (!this.stopped) this.log.warn({ err: error, retryMs: this.retryMs }, 'event relay could not read the outbox; retrying');
      const lost = this.connection;
      this.connection = undefined;
      await lost?.close();
      this.hooks.lost?.();
      next = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, 30_000);
    }
    this.schedule(next);
  }

  /**
   * Stops reading and closes the connection. The connection is closed before the read in flight is
   * waited for: on a frozen server that read waits for its bound (DB_STATEMENT_TIMEOUT_MS +
   * DB_CLIENT_TIMEOUT_MARGIN_MS, 17 s by default, past main.ts's 15 s shutdown), and closing ends
   * it at once (break-16). A connect under way (a tick connecting again after a loss, a Redis
   * relay's attempt to lead) is cut (lifecycle-23: the stop waited it out, DB_ACQUIRE_TIMEOUT_MS,
   * for ever with 0). A connection a tick opened meanwhile is closed after it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.connecting?.cut();
    const close = async () => {
      const connection = this.connection;
      this.connection = undefined;
      await connection?.close();
    };
    await close();
    await this.running?.catch(() => undefined);
    await close();
  }
}

/** How this gateway instance receives committed events. */
export interface EventRelay {
  /**
   * Starts relaying; `signal` (the start-up's abort) cuts the connects under way (the outbox
   * reader's PostgreSQL connection; the Redis connects of EVENT_FANOUT=redis), and the start then
   * rejects with its reason.
   */
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  stats(): RelayStats;
  /** The relay's Redis connections by name (EVENT_FANOUT=redis), for /metrics' `gateway_redis_up`; absent otherwise. */
  redisClients?(): Record<string, Redis>;
}

/**
 * EVENT_FANOUT=postgres (the default): every instance reads the outbox itself and hands events to
 * its own hub; while it has no subscriber and no open socket (whose caller's close it must hear)
 * it only moves its cursor. Its cursor is in memory and holds the prune back in nothing: the prune
 * keeps an event a retention after it commits, which is the time this relay has to read it. A read
 * that ended a retention or more after the one before began (its connection lost that long, a read
 * stuck) may have passed pruned events: every stream then reads the outbox after its position
 * (`EventHub.resync`), so a subscriber gets what is still kept, or EVENT_ID_EXPIRED, not a gap.
 */
class PostgresRelay implements EventRelay {
  private readonly poller: OutboxPoller;

  constructor(options: RelayOptions, hub: EventHub, log: Logger) {
    this.poller = new OutboxPoller(
      options.databaseUrl,
      options.pollMs,
      options.pageSize ?? 500,
      (events) => events.forEach((e) => hub.publish(e)),
      log,
      {
        idle: () => !hub.wanted(),
        readLate: () => {
          log.warn({ retentionHours: options.retention?.hours }, 'event relay: a read came a retention after the one before; streams read the outbox again');
          hub.resync();
        },
      },
      options.retention,
      options.timeouts,
    );
  }

  start = (signal?: AbortSignal) => this.poller.start(signal);
  stop = () => this.poller.stop();
  stats = (): RelayStats => ({ mode: 'postgres', reading: true, pagesRead: this.poller.pagesRead, eventsRead: this.poller.eventsRead, idleReads: this.poller.idleReads });
}

/**
 * EVENT_FANOUT=redis: one instance at a time (the holder of a PostgreSQL advisory lock, taken on
 * its relay connection, so it is released when that instance dies) reads the outbox and publishes
 * each page on a Redis channel; every instance subscribes to the channel and hands the events to
 * its hub. The reader saves its cursor where it starts, when none is saved yet, and after each
 * page (`event_relay_cursor`), so a successor goes on where it stopped: a page may then be
 * published twice, and streams drop what they already have (by event id), so subscribers see
 * each event once. An instance whose subscription dropped
 * has its streams read the outbox again once it is back (`EventHub.resync`).
 */
class RedisRelay implements EventRelay {
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private readonly channel: string;
  private poller: OutboxPoller | undefined;
  /** The poller of an attempt to lead under way (`tryLead`), connecting: the stop cuts it. */
  private trying: OutboxPoller | undefined;
  private leaderTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private pagesRead = 0;
  private eventsRead = 0;

  constructor(
    private readonly options: RelayOptions,
    private readonly hub: EventHub,
    private readonly log: Logger,
    RedisClient: typeof Redis,
  ) {
    // A command Redis does not answer within REDIS_COMMAND_TIMEOUT_MS fails: the reader gives its
    // page up (not its cursor) and reads it again, and QUIT gives way to closing the socket. A
    // Redis that stopped answering with its connections open held the reader's PUBLISH, and the
    // gateway's shutdown in QUIT, for as long as it stayed so (test/events/redis-fanout-stalled.test.ts).
    const redisOptions = { lazyConnect: true, maxRetriesPerRequest: 2, commandTimeout: REDIS_COMMAND_TIMEOUT_MS };
    this.subscriber = new RedisClient(options.redisUrl!, redisOptions);
    this.publisher = new RedisClient(options.redisUrl!, redisOptions);
    this.subscriber.on('error', (error) => log.warn({ err: error }, 'event fan-out (Redis) subscriber error'));
    this.publisher.on('error', (error) => log.warn({ err: error }, 'event fan-out (Redis) publisher error'));
    this.channel = `${options.keyPrefix ?? 'rg'}:events`;
  }

  redisClients(): Record<string, Redis> {
    return { fanout_subscriber: this.subscriber, fanout_publisher: this.publisher };
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.subscriber, this.publisher].map((redis) => connectRedisAtStart(redis, this.options.redisUrl!, 'the event fan-out', signal)));
    this.subscriber.on('message', (_channel, message: string) => {
      try {
        for (const event of JSON.parse(message) as DeliveredEvent[]) this.hub.publish(event);
      } catch (error) {
        this.log.error({ err: error }, 'event fan-out: unreadable message');
      }
    });
    await this.subscriber.subscribe(this.channel);
    // Pub/sub hands nothing to a subscriber while it reconnects: what was published meanwhile
    // never came (hostile pass 12). Once the channel is ours again (ioredis resubscribes; this
    // SUBSCRIBE's answer comes after that), every stream reads the outbox after its position.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(
        () => this.hub.resync(),
        (error: unknown) => this.log.warn({ err: error }, 'event fan-out (Redis): could not subscribe again'),
      );
    });
    await this.tryLead(signal);
  }

  /**
   * Tries to become the instance that reads the outbox; followers try again every second. `signal`
   * (the start's) cuts the attempt's connect, which then rejects with its reason.
   */
  private async tryLead(signal?: AbortSignal): Promise<void> {
    if (this.stopped || this.poller || this.trying) return;
    const poller = new OutboxPoller(
      this.options.databaseUrl,
      this.options.pollMs,
      this.options.pageSize ?? 500,
      async (events) => {
        this.pagesRead++;
        this.eventsRead += events.length;
        const slim: DeliveredEvent[] = events.map((e) => ({ id: e.id, topic: e.topic, customerId: e.customerId, payload: e.payload }));
        await this.publisher.publish(this.channel, JSON.stringify(slim));
      },
      this.log,
      {
        begin: async (connection) => {
          const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext(${LEADER_LOCK})) as locked`.execute(connection.db);
          if (!rows[0].locked) throw new NotLeader();
          const saved = await sql<{ cursor: string }>`select cursor from event_relay_cursor where name = ${REDIS_RELAY}`.execute(connection.db);
          if (saved.rows[0]) return decodeCursor(saved.rows[0].cursor);
          // This build's first leader on a deployment an older build fanned out for: where that build's
          // leader had published to (a page may be published twice; streams drop repeats).
          const before = await sql<{ cursor: string }>`select cursor from event_relay_cursor where name = ${REDIS_RELAY_CURSOR_BEFORE_DEPLOYMENT}`.execute(connection.db);
          const inherited = before.rows[0] ? readableCursor(before.rows[0].cursor) : undefined;
          if (inherited) {
            await saveRelayCursor(connection.db, inherited);
            return inherited;
          }
          // The first leader ever: where it starts is saved before it reads, so a successor goes on
          // from there. Saved only after a page it published, a leader that died before its first
          // page left nothing, and its successor started at its own present: what committed in
          // between reached no subscriber (relay-12).
          const start = await cursorAtNow(connection.db);
          await saveRelayCursor(connection.db, start);
          return start;
        },
        saveCursor: saveRelayCursor,
        lost: () => this.demote(poller),
      },
      undefined,
      this.options.timeouts,
    );
    this.trying = poller;
    try {
      await poller.start(signal);
      // stopped while it connected: its stop cut the connect, or came after it
      if (this.stopped) return void (await poller.stop());
      this.poller = poller;
      this.log.info('event fan-out: this instance reads the outbox for Redis');
    } catch (error) {
      await poller.stop();
      if (signal?.aborted) throw signal.reason;
      if (!(error instanceof NotLeader) && !this.stopped) this.log.warn({ err: error }, 'event fan-out: could not try to lead');
      this.scheduleLeadAttempt();
    } finally {
      this.trying = undefined;
    }
  }

  private demote(poller: OutboxPoller): void {
    if (this.poller !== poller) return;
    this.poller = undefined;
    void poller.stop();
    this.scheduleLeadAttempt();
  }

  private scheduleLeadAttempt(): void {
    if (this.stopped) return;
    clearTimeout(this.leaderTimer);
    this.leaderTimer = setTimeout(() => void this.tryLead(), 1_000);
    this.leaderTimer.unref();
  }

  /** Stops reading and leaves Redis; a second call waits for the first (QUIT on a closed connection fell back to a disconnect that armed a 2 s timer). */
  stop(): Promise<void> {
    return (this.stopping ??= this.close());
  }

  private async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.leaderTimer);
    await this.trying?.stop();
    await this.poller?.stop();
    this.poller = undefined;
    await Promise.all([this.subscriber, this.publisher].map((redis) => redis.quit().then(() => undefined, () => redis.disconnect())));
  }

  stats = (): RelayStats => ({ mode: 'redis', reading: this.poller !== undefined, pagesRead: this.pagesRead, eventsRead: this.eventsRead, idleReads: 0 });
}

class NotLeader extends Error {}

/** `text` as a cursor, or undefined when it is not one this build reads (an older build's own form: the relay then starts at now). */
function readableCursor(text: string): OutboxCursor | undefined {
  try {
    return decodeCursor(text);
  } catch {
    return undefined;
  }
}

/** Saves the Redis relay's cursor (`event_relay_cursor`): where its successor goes on from. Only the leader writes it. */
async function saveRelayCursor(db: Kysely<never>, cursor: OutboxCursor): Promise<void> {
  await sql`insert into event_relay_cursor (name, cursor, updated_at) values (${REDIS_RELAY}, ${encodeCursor(cursor)}, now())
            on conflict (name) do update set cursor = excluded.cursor, updated_at = excluded.updated_at`.execute(db);
}

/** EVENT_FANOUT=off: this instance delivers no events (subscriptions stay silent); for benchmarks and job-only instances. */
class NoRelay implements EventRelay {
  start = async () => undefined;
  stop = async () => undefined;
  stats = (): RelayStats => ({ mode: 'off', reading: false, pagesRead: 0, eventsRead: 0, idleReads: 0 });
}

/**
 * The relay for `options.mode`. ioredis is loaded here, for EVENT_FANOUT=redis only: the other
 * modes never touch it, and its ~50 modules cost every gateway's start ~0.1 s of CPU (start-25).
 */
export async function createRelay(options: RelayOptions, hub: EventHub, log: Logger): Promise<EventRelay> {
  switch (options.mode) {
    case 'redis':
      return new RedisRelay(options, hub, log, (await import('ioredis')).Redis);
    case 'off':
      return new NoRelay();
    default:
      return new PostgresRelay(options, hub, log);
  }
}
