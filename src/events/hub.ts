import { SessionTopic } from './outbox.service.js';

/**
 * In-process fan-out of committed events to this gateway's subscribers, by customer. Fed by the
 * relay (`relay.ts`: polling the outbox, or Redis), so an event reaches subscribers on every
 * instance, whichever instance committed the change.
 *
 * Each subscriber is an `EventStream`: a plain async iterator (not an async generator, whose
 * `return()` would wait behind a pending `next()`), so a client that leaves releases its stream
 * at once, whether or not its customer ever has another event. Its queue is bounded: a consumer
 * that lets more than `maxQueue` events pile up is cut off (`SlowConsumerError`, and the socket is
 * closed by `onOverflow`), and can resume from the last event it received.
 */

/** An event as it reaches subscribers. */
export interface DeliveredEvent {
  /** Position in the customer's stream (`outbox_event.customer_seq`): the `eventId` clients see and resume from. */
  id: number;
  topic: string;
  customerId: number | null;
  payload: Record<string, unknown>;
}

/**
 * Reads a customer's events after a position, for a resuming subscriber (see `readCustomerEvents`).
 * Rejects with `EventsPrunedError` when an event after `afterId` is no longer kept: a page read
 * past a pruned event would skip it without a word.
 */
export type ReplaySource = (customerId: number, afterId: number, topic: string, limit: number) => Promise<DeliveredEvent[]>;

/**
 * A stream cannot go on from `afterId`: some of the customer's events after it were pruned (past
 * EVENT_RETENTION_HOURS). The GraphQL layer answers it as EVENT_ID_EXPIRED, as the resume point's
 * own check does: the subscriber reads `lastEventId`, then the current state, and subscribes after
 * that point (`resumeExpiredMessage`).
 */
export class EventsPrunedError extends Error {
  constructor(readonly afterId: number) {
    super(resumeExpiredMessage(afterId));
  }
}

/**
 * What a subscriber is told (EVENT_ID_EXPIRED) when a resume from `after` (an eventId, or 0: from
 * the first) cannot be served whole: what is gone (their first event, or some event after the one
 * they name, not that event itself, which they may have received a minute ago), why (events are
 * kept for replay `retentionHours`, when known), and what to do. "Event 0 is older than the
 * replay window" named an event that does not exist (dates-12c). What to do is the order that
 * misses nothing (live-21, live-22): `lastEventId` first, the current state after it, then a
 * subscription `after` that point. "Subscribe without `after`" (before live-22) started the stream
 * at the gateway's head when it handled the subscribe, so a change committed between the client's
 * read and that start was in neither.
 */
export function resumeExpiredMessage(after: number, retentionHours?: number): string {
  const window = retentionHours === undefined ? 'past the replay window' : `events are kept for replay for ${retentionHours} hours`;
  const gone =
    after === 0
      ? `Your first event is no longer kept (${window}), so a replay from \`after: "0"\` would start with a gap`
      : `Some of your events after eventId ${after} are no longer kept (${window}), so the replay would have a gap`;
  return `${gone}: read \`lastEventId\`, then read the current state again, then subscribe with \`after\` set to that lastEventId (what changed after it is replayed).`;
}

/** Thrown from `next()` of a stream that fell more than its bound behind. */
export class SlowConsumerError extends Error {
  constructor(readonly bound: number) {
    super(`Slow consumer: more than ${bound} events were waiting for this subscriber.`);
  }
}

export interface OpenOptions {
  /** Replay the customer's events after this position first (the caller has checked it is still kept). */
  after?: number;
  /**
   * Without `after`: reads where the customer's stream stands (its last position, 0 before any
   * event), the subscription's start. Called once the stream is registered; live events at or
   * before it (committed before the subscription, read by the relay after) are not delivered, and
   * those the relay hands over while it is read are held until it is known. Read before
   * registering, an event committed after that read and published before the stream was there
   * was lost (hostile pass 12). Without either: every live event from registration on.
   */
  head?: () => Promise<number>;
  /**
   * With `after`: the customer's last stream position when the resume point was checked. A
   * session end at or before it committed before the subscription (the account was reopened
   * since) and does not end the stream. (Compared with the replay's position instead, a close
   * read late ended a resumed subscription of the reopened account: hostile pass 12.)
   */
  seenSeq?: number;
  /** Only events this accepts (e.g. one currency's balance). */
  filter?: (event: DeliveredEvent) => boolean;
  /**
   * Called once when the stream is cut off for falling behind (closes the socket, 4008, which says
   * what to do). With it, the stream then simply ends; without it, `next()` throws the error once.
   * (Thrown through graphql-ws, it was formatted as an error of the gateway's: an "internal error"
   * logged at error level for every slow client, and a frame the closing socket never carried.)
   */
  onOverflow?: (error: SlowConsumerError) => void;
}

const REPLAY_PAGE = 100;

/**
 * Whose sessions an outbox event ends (see `SessionTopic` in outbox.service.ts). A customer's
 * close carries its position in the customer's stream (`seq`): a socket or subscription opened
 * when that position had already committed was opened after the close, so by an account reopened
 * since, and is left open.
 */
export type SessionEnd = { kind: 'customer'; customerId: number; seq: number } | { kind: 'partner'; partnerId: number };

/** The WebSocket server's side of session ends: told of each, and asked whether it holds any session. */
export interface SessionWatcher {
  /** Closes the sockets of whoever `end` names. */
  end(end: SessionEnd): void;
  /** Whether any socket is open on this instance (the relay must read the outbox for it, subscribers or not). */
  active(): boolean;
}

/** The session end an event announces, or undefined for an event for subscribers. */
function sessionEndOf(event: DeliveredEvent): SessionEnd | undefined {
  if (event.topic === SessionTopic.CUSTOMER_CLOSED && event.customerId !== null) return { kind: 'customer', customerId: event.customerId, seq: event.id };
  if (event.topic === SessionTopic.PARTNER_REVOKED && typeof event.payload.partnerId === 'number') return { kind: 'partner', partnerId: event.payload.partnerId };
  return undefined;
}

export class EventStream implements AsyncIterableIterator<DeliveredEvent> {
  private queue: DeliveredEvent[] | undefined;
  /** Live events that arrived while the replay was still being read. */
  private held: DeliveredEvent[] | undefined;
  /** A pending `next()`: given its result, or undefined to look again (a replay to read). */
  private waiter: ((result: IteratorResult<DeliveredEvent> | undefined) => void) | undefined;
  private closed = false;
  private failure: SlowConsumerError | undefined;
  /** Highest position accepted (delivered or queued): anything at or below it is a duplicate. */
  private lastId: number;
  /** Position to replay from, while replaying. */
  private replayAfter: number | undefined;
  /** While the start (`OpenOptions.head`) is being read: live events are held, session ends noted. */
  private starting: boolean;
  /** The customer's stream position when the subscription began: a session end after it ends the stream. */
  private openedAt: number;
  /** The latest session end (`SessionEnd.seq`) heard while starting. */
  private endedAt = 0;
  /** Live events may have been missed (`resync`): read the outbox again before going on live. */
  private missed = false;

  constructor(
    private readonly hub: EventHub,
    readonly customerId: number,
    readonly topic: string,
    private readonly options: OpenOptions,
  ) {
    this.lastId = options.after ?? 0;
    this.replayAfter = options.after;
    this.starting = options.after === undefined && options.head !== undefined;
    this.openedAt = options.after === undefined ? 0 : Math.max(options.after, options.seenSeq ?? 0);
  }

  /**
   * Sets the start read by `OpenOptions.head`: the held live events after it follow, and a session
   * end heard meanwhile that is after it (the customer closed since) ends the stream.
   */
  begin(head: number): void {
    if (!this.starting) return;
    this.starting = false;
    this.lastId = head;
    this.openedAt = head;
    if (this.endedAt > head) return this.release();
    if (this.missed) {
      this.missed = false;
      this.replayAfter = head;
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.offer(event);
  }

  /**
   * Live events may have gone by unseen (the fan-out's subscription dropped and came back): the
   * stream reads the outbox after its position again, holding live events meanwhile, as a resume
   * does; what it already has is dropped by position.
   */
  resync(): void {
    if (this.closed) return;
    if (this.starting || this.replayAfter !== undefined) {
      // (a replay under way reads once more when caught up: its last page may be older than the gap)
      this.missed = true;
      return;
    }
    this.replayAfter = this.lastId;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(undefined);
  }

  /** A session end of its customer at stream position `seq`: ends the stream if it was opened before it. */
  endSession(seq: number): void {
    if (this.starting) this.endedAt = Math.max(this.endedAt, seq);
    // (a close at or before the start committed before the stream opened: the account was reopened since)
    else if (this.openedAt < seq) this.release();
  }

  /** Takes a live event (from the hub). */
  offer(event: DeliveredEvent): void {
    if (this.closed || event.topic !== this.topic) return;
    if (this.replayAfter !== undefined || this.starting) {
      (this.held ??= []).push(event);
      if (this.held.length > this.hub.maxQueue) this.overflow();
      return;
    }
    if (event.id <= this.lastId || (this.options.filter && !this.options.filter(event))) return;
    this.lastId = event.id;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: event, done: false });
      return;
    }
    (this.queue ??= []).push(event);
    if (this.queue.length > this.hub.maxQueue) this.overflow();
  }

  /** Events waiting for the consumer (live ones held during a replay included). */
  get pending(): number {
    return (this.queue?.length ?? 0) + (this.held?.length ?? 0);
  }

  private overflow(): void {
    const error = new SlowConsumerError(this.hub.maxQueue);
    if (!this.options.onOverflow) this.failure = error;
    this.release();
    this.options.onOverflow?.(error);
  }

  async next(): Promise<IteratorResult<DeliveredEvent>> {
    for (;;) {
      if (this.failure) {
        const error = this.failure;
        this.failure = undefined;
        throw error;
      }
      const queued = this.queue?.shift();
      if (queued) return { value: queued, done: false };
      if (this.closed) return { value: undefined, done: true };
      if (this.replayAfter === undefined) {
        const result = await new Promise<IteratorResult<DeliveredEvent> | undefined>((resolve) => (this.waiter = resolve));
        if (result) return result;
        continue;
      }
      try {
        await this.readReplayPage();
      } catch (error) {
        // The stream ends with the error (graphql-ws does not call return() after a failed next()):
        // left registered, it held its customer's events and kept the relay reading for nobody.
        this.release();
        throw error;
      }
    }
  }

  private async readReplayPage(): Promise<void> {
    const rows = await this.hub.replay!(this.customerId, this.replayAfter!, this.topic, REPLAY_PAGE);
    if (this.closed) return;
    for (const row of rows) {
      this.replayAfter = row.id;
      if (row.id <= this.lastId || (this.options.filter && !this.options.filter(row))) continue;
      this.lastId = row.id;
      (this.queue ??= []).push(row);
    }
    if (rows.length === REPLAY_PAGE) return;
    if (this.missed) {
      this.missed = false;
      return;
    }
    // Caught up: what arrived live meanwhile follows, without what the replay already gave.
    this.replayAfter = undefined;
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) this.offer(event);
  }

  async return(): Promise<IteratorResult<DeliveredEvent>> {
    this.release();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<DeliveredEvent>> {
    this.release();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Leaves the hub and drops everything queued; a pending `next()` ends. */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = undefined;
    this.held = undefined;
    this.hub.remove(this);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }
}

export class EventHub {
  /** Streams by customer: one stream alone, or a set of them (most customers have one subscriber). */
  private readonly streams = new Map<number, EventStream | Set<EventStream>>();
  /** Streams registered, those still reading their start included (the relay must read for them). */
  private count = 0;
  /** Streams still reading their start (`OpenOptions.head`). */
  private starting = 0;

  /**
   * @param maxQueue events a subscriber may let wait before it is cut off (EVENT_SUBSCRIBER_QUEUE)
   * @param replay where resuming subscribers read what they missed
   */
  constructor(
    readonly maxQueue = 1_000,
    readonly replay?: ReplaySource,
  ) {}

  /**
   * Hands a committed event to its customer's subscribers on this instance. An event that ends
   * sessions (a customer closed, a key revoked) is no subscriber's: it ends the customer's streams
   * here and now, so no later event of theirs (the relay hands a customer's events in order)
   * reaches them, and tells the session watchers, which close the sockets.
   */
  publish(event: DeliveredEvent): void {
    const ended = sessionEndOf(event);
    if (ended) return this.endSessions(ended);
    if (event.customerId === null) return;
    const entry = this.streams.get(event.customerId);
    if (!entry) return;
    if (entry instanceof EventStream) entry.offer(event);
    else for (const stream of [...entry]) stream.offer(event);
  }

  /**
   * A subscriber to one customer's events of one topic, live from its start (`head`), or, with
   * `after`, first those after that position (replayed from the outbox) and then live, with no gap
   * and no duplicate between the two. The stream is registered before anything is read, so no
   * event the relay hands over from then on passes it by; it counts as a listener once its start
   * is known. Rejects with `head`'s error (the stream is released).
   */
  async open(customerId: number, topic: string, options: OpenOptions = {}): Promise<EventStream> {
    if (options.after !== undefined && !this.replay) throw new Error('this hub cannot replay');
    const stream = new EventStream(this, customerId, topic, options);
    const entry = this.streams.get(customerId);
    if (!entry) this.streams.set(customerId, stream);
    else if (entry instanceof EventStream) this.streams.set(customerId, new Set([entry, stream]));
    else entry.add(stream);
    this.count++;
    if (options.after !== undefined || !options.head) return stream;
    this.starting++;
    try {
      stream.begin(await options.head());
    } catch (error) {
      stream.release();
      throw error;
    } finally {
      this.starting--;
    }
    return stream;
  }

  /** Forgets a stream (called by the stream when it ends). */
  remove(stream: EventStream): void {
    const entry = this.streams.get(stream.customerId);
    if (entry === stream) {
      this.streams.delete(stream.customerId);
      this.count--;
    } else if (entry instanceof Set && entry.delete(stream)) {
      this.count--;
      if (entry.size === 1) this.streams.set(stream.customerId, [...entry][0]);
    }
  }

  /** Open subscribers on this instance whose start is known (an event committed from now on reaches them). */
  listenerCount(): number {
    return this.count - this.starting;
  }

  private readonly watchers = new Set<SessionWatcher>();

  /** Registers a session watcher (the WebSocket server); returns the function that removes it. */
  watchSessions(watcher: SessionWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /**
   * Every stream reads the outbox after its position again (`EventStream.resync`): for a fan-out
   * that may have dropped events (Redis pub/sub delivers nothing to a subscriber while it
   * reconnects). One outbox read per stream.
   */
  resync(): void {
    if (!this.replay) return;
    for (const entry of this.streams.values()) for (const stream of entry instanceof EventStream ? [entry] : [...entry]) stream.resync();
  }

  /** Whether anything on this instance needs committed events: a subscriber, or an open session that one could end. */
  wanted(): boolean {
    return this.count > 0 || [...this.watchers].some((w) => w.active());
  }

  private endSessions(ended: SessionEnd): void {
    if (ended.kind === 'customer') {
      const entry = this.streams.get(ended.customerId);
      for (const stream of entry instanceof EventStream ? [entry] : [...(entry ?? [])]) stream.endSession(ended.seq);
    }
    for (const watcher of this.watchers) watcher.end(ended);
  }
}
