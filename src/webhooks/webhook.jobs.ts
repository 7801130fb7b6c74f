import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { query, queryOne, sql } from '../db/sql.js';
import { enqueueJob } from '../jobs/queue.js';
import type { JobContext, JobHandler, LeasedJobContext } from '../jobs/runner.js';
import { eventTypesBeyond, PARTNER_WEBHOOK_SCOPES, SALE_EVENT_TYPES, SALE_TOPICS, webhookBody, webhookTypeOf, type WebhookEventWireType, type WebhookSourceEvent } from './webhook.events.js';
import { columnsOf, type EntityRow } from '../db/schema.js';
import { decodeCursor, encodeCursor, OUTBOX_BEGINNING, readCommittedEvents, type CommittedEvent } from '../events/outbox.reader.js';
import { WebhookDestinations } from './destinations.js';
import { WEBHOOK_CURSOR, WebhookDelivery, WebhookEndpoint } from './webhook.entity.js';
import { removeEndpoint } from './endpoint-removal.js';

export const WEBHOOK_DISPATCH = 'webhooks.dispatch';
export const WEBHOOK_DELIVER = 'webhooks.deliver';

/**
 * The job group of an endpoint's deliveries (`job.group_key`): at most WEBHOOK_ENDPOINT_CONCURRENCY
 * of them are sent at once, across instances, so one endpoint that hangs cannot hold every
 * delivery loop (webhook-14).
 */
export const endpointGroup = (endpointId: number): string => `webhook-endpoint:${endpointId}`;

/**
 * The job tenant of an endpoint's deliveries (`job.tenant_key`), read from the endpoint in the
 * statement that enqueues: its partner's, `webhook-partner:<id>`, so that at most
 * WEBHOOK_PARTNER_CONCURRENCY of one partner's deliveries are sent at once, whatever number of
 * endpoints it registered (break36, authz); null for the program's endpoints.
 */
export const endpointTenant = (endpointId: number) =>
  sql<string | null>`(select 'webhook-partner:' || e.partner_id from webhook_endpoint e where e.id = ${endpointId})`;

/** Enqueues the next attempt of a delivery to `endpointId`, due at `runAt`, in the caller's transaction. */
export async function enqueueDelivery(em: SqlEntityManager, deliveryId: number, endpointId: number, runAt: Date): Promise<void> {
  await enqueueJob(em, WEBHOOK_DELIVER, { deliveryId }, { runAt, maxAttempts: 3, group: endpointGroup(endpointId), tenant: endpointTenant(endpointId) });
}

/**
 * Reads the outbox past the dispatcher's cursor and turns each event into one delivery per
 * endpoint that subscribes to its type (and was registered before it happened), each delivery with
 * a `webhooks.deliver` job, in one transaction with the cursor's move: an event is dispatched once.
 *
 * Reads through the outbox's read API (`readCommittedEvents`, docs/architecture.md "Events"): the
 * cursor (`webhook_cursor.cursor`, an encoded `OutboxCursor`) moves over what committed between
 * two snapshots, so an event that commits late with a lower id is read in the run after its
 * commit, and a long transaction still running (a batch, a migration, a console session left
 * open) delays only its own events, not those committed after it began. Runs one at a time (the
 * cursor row is locked); a full batch (WEBHOOK_DISPATCH_BATCH) enqueues the next run at once.
 * Returns how many deliveries it wrote. Deliveries are unique per (endpoint, event), so an event
 * read again (never by this cursor; by a cursor migrated from the old horizon form, see
 * Migration20261130130000) gets no second delivery.
 */
export async function dispatchWebhooks({ em, clock, config }: JobContext): Promise<number> {
  const now = clock.now();
  // The cursor's row is written once, by the first run (idle-15: not an insert every run, a statement a second).
  const locked = sql<{ cursor: string }>`select cursor from webhook_cursor where name = ${WEBHOOK_CURSOR} for update`;
  let saved = await queryOne(em, locked);
  if (!saved) {
    await query(em, sql`insert into webhook_cursor (name, cursor, updated_at) values (${WEBHOOK_CURSOR}, ${encodeCursor(OUTBOX_BEGINNING)}, ${now}) on conflict (name) do nothing`);
    saved = await queryOne(em, locked);
  }
  const limit = config.webhooks.dispatchBatch;
  const cursor = decodeCursor(saved!.cursor);
  const cursorFrom = cursor.from;
  const page = await readCommittedEvents(em.getKysely(), cursor, limit);
  // Types some endpoint listens to: the others cost no statement (most events, most of the time);
  // and, in the same read, whether any endpoint keeps removal windows to prune after this run.
  const endpoints = page.events.length
    ? await queryOne<{ types: string[]; windows: boolean }>(
        em,
        sql`select array(select distinct unnest(event_types) from webhook_endpoint where disabled_at is null or ${stillOwedAfterRemoval(cursorFrom)}) as types,
                   exists (select 1 from webhook_endpoint where jsonb_array_length(removed_windows) > 0) as windows`,
      )
    : undefined;
  const wanted = new Set(endpoints?.types ?? []);
  const toSend = page.events.flatMap((event) => {
    const type = webhookTypeOf(event.topic, event.payload);
    return type && event.customerId !== null && wanted.has(type) ? [{ type, event }] : [];
  });
  let deliveries = 0;
  for (const { type, event } of await withNames(em, toSend)) {
    // Partners get their own sales only (processed or returned), and only the loyalty view (their
    // bodies: WebhookAudience), each type only with the scope
    // that reads it (PARTNER_WEBHOOK_SCOPES: also for an endpoint registered before that rule); the
    // program's endpoints get all.
    const created = await query<{ id: number; endpointId: number }>(
      em,
      sql`insert into webhook_delivery (endpoint_id, event_id, event_type, body, next_attempt_at, created_at)
          select e.id, ${event.rowId}, ${type},
                 case when e.partner_id is null then ${webhookBody(type, event, 'program')} else ${webhookBody(type, event, 'partner')} end, ${now}, ${now}
            from webhook_endpoint e
           where ${type} = any(e.event_types) and ${receivesEvent(event)}
             and not exists (select 1 from partner p where p.id = e.partner_id and p.revoked_at is not null)
             and (e.partner_id is null
                  or (exists (select 1 from partner p where p.id = e.partner_id and ${PARTNER_WEBHOOK_SCOPES[type] ?? null}::text = any(p.scopes))
                      and (not ${SALE_EVENT_TYPES.includes(type)}::boolean or e.partner_id = ${event.salePartnerId}::bigint)))
          on conflict (endpoint_id, event_id) do nothing
          returning id, endpoint_id as "endpointId"`,
    );
    for (const d of created) await enqueueDelivery(em, Number(d.id), Number(d.endpointId), now);
    deliveries += created.length;
  }
  await query(em, sql`update webhook_cursor set cursor = ${encodeCursor(page.cursor)}, updated_at = ${now} where name = ${WEBHOOK_CURSOR}`);
  // Removal windows every event of which the dispatcher has read (all it could decide, visible in
  // the cursor's `from`) decide nothing any more: dropped, so the list stays short. Only in a run that
  // read events and when some endpoint keeps windows: an idle run writes nothing (idle-15), and a
  // program that never removed an endpoint pays no statement for it.
  if (endpoints?.windows) await pruneRemovalWindows(em, cursorFrom);
  if (page.events.length === limit) await enqueueJob(em, WEBHOOK_DISPATCH, { after: page.events.at(-1)!.rowId }, { runAt: now, maxAttempts: 3 });
  return deliveries;
}

/**
 * Drops the removal windows (`webhook_endpoint.removed_windows`) that decide nothing any more: closed
 * ones whose every visible transaction is visible in `cursorFrom` (`seenBy`), the dispatch cursor's snapshot, so all
 * they could exclude has been read. Before, the last ten were kept by count, and eleven removals
 * within the dispatcher's lag sent the first one's events (break38d).
 */
async function pruneRemovalWindows(em: SqlEntityManager, cursorFrom: string): Promise<void> {
  const decided = (w: RawBuilder<unknown>) => sql`(${w}->>'to' is not null and ${seenBy(sql`(${w}->>'to')`, sql`${cursorFrom}`)})`;
  // The rows locked by id, skipping those another writer holds (their windows wait for the next run):
  // locked in the scan's order, the prune deadlocked with a revocation locking them by partner (break38e).
  await query(
    em,
    sql`with held as (
          select id from webhook_endpoint e
           where exists (select 1 from jsonb_array_elements(e.removed_windows) w where ${decided(sql`w`)})
           order by id for update skip locked)
        update webhook_endpoint e set removed_windows = (
          select coalesce(jsonb_agg(w order by n), '[]'::jsonb) from jsonb_array_elements(e.removed_windows) with ordinality as x(w, n) where not ${decided(sql`w`)})
          from held where e.id = held.id`,
  );
}

/**
 * Whether removed endpoint `e` may still be owed an event the dispatcher has not read (one that
 * committed before its removal): while the dispatch cursor's snapshot (`from`, everything visible
 * in it read) does not yet see every transaction its removal's snapshot saw (`seenBy`). Once it
 * does, its types cost the dispatcher nothing (break38c live:
 * an endpoint removed once kept its types wanted for good, a statement per event).
 */
const stillOwedAfterRemoval = (cursorFrom: string) =>
  sql<boolean>`(jsonb_array_length(removed_windows) > 0 and removed_windows->-1->>'to' is null
     and not ${seenBy(sql`(removed_windows->-1->>'from')`, sql`${cursorFrom}`)})`;

/**
 * Whether every transaction visible in snapshot `a` is visible in snapshot `b` (both `pg_snapshot`
 * text), exactly: `a`'s xmax at most `b`'s, and none of `b`'s in-progress transactions below `a`'s
 * xmax done for `a`. Comparing `a`'s xmax with `b`'s xmin alone held every window and removal
 * "unread" while any transaction of the cluster, another database's too, stayed open (break38e).
 */
const seenBy = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) =>
  sql<boolean>`(pg_snapshot_xmax(${a}::pg_snapshot) <= pg_snapshot_xmax(${b}::pg_snapshot)
     and not exists (select 1 from pg_snapshot_xip(${b}::pg_snapshot) x
                      where x < pg_snapshot_xmax(${a}::pg_snapshot) and pg_visible_in_snapshot(x, ${a}::pg_snapshot)))`;

/**
 * Whether endpoint `e` is owed `event`: its transaction committed while the endpoint was registered
 * and not removed, by commit, not by time (README: "Only events committed after the registration
 * are sent", and none of the time it was removed):
 * - after its registration: not visible in the snapshot taken then (`receives_from`). An event's
 *   `created_at` is when its writer began, before it waited for the customer's locks: compared by
 *   time, a write begun before a registration and committed after it was never sent (break38 live).
 *   An endpoint registered by an older build (null) keeps that rule by time;
 * - not while it was removed: inside none of its removal windows (`removed_windows`: from a
 *   removal's snapshot to the enable's after it, or open while removed); an endpoint removed and
 *   enabled within the dispatcher's lag was sent what committed while it was removed (break38
 *   live), judged by the enable's snapshot alone lost what had committed before the removal
 *   (break38b), and judged by its last window alone was sent a first removal's events after a
 *   second (break38c);
 * - while removed: only what committed before the removal, whose delivery then ends FAILED "The
 *   endpoint was removed." and can be replayed once it is enabled, rather than no delivery at all.
 *   Only when its removal opened a window (its last, still open): a removal without one (an older
 *   build's, a partner's revocation) is owed nothing, as before, also after windows of earlier
 *   removals (break38e: they made the older build's removed time owed).
 */
const receivesEvent = (event: CommittedEvent) => {
  const visibleIn = (snapshot: RawBuilder<unknown>) => sql`pg_visible_in_snapshot(${event.xid}::xid8, ${snapshot}::pg_snapshot)`;
  return sql<boolean>`(case when e.receives_from is null then e.created_at <= ${event.createdAt} else not ${visibleIn(sql`e.receives_from`)} end)
    and not exists (select 1 from jsonb_array_elements(e.removed_windows) w
                     where not ${visibleIn(sql`(w->>'from')`)} and (w->>'to' is null or ${visibleIn(sql`(w->>'to')`)}))
    and (e.disabled_at is null or (jsonb_array_length(e.removed_windows) > 0 and e.removed_windows->-1->>'to' is null))`;
};

/**
 * What the bodies of a page's events name besides the event (the customer's external id; for a
 * sale, its partner and the partner's id for it), in one statement for the whole page.
 */
async function withNames(em: SqlEntityManager, page: { type: WebhookEventWireType; event: CommittedEvent }[]): Promise<{ type: WebhookEventWireType; event: WebhookSourceEvent }[]> {
  if (!page.length) return [];
  const saleOf = ({ topic, payload }: CommittedEvent) => (SALE_TOPICS.includes(topic) && payload.transactionId != null ? String(payload.transactionId) : null);
  const names = await query<{ customerExternalId: string | null; salePartnerId: number | null; saleExternalId: string | null }>(
    em,
    sql`select c.external_id as "customerExternalId", s.partner_id as "salePartnerId", s.external_id as "saleExternalId"
          from unnest(${page.map((p) => p.event.customerId)}::bigint[], ${page.map((p) => saleOf(p.event))}::bigint[]) with ordinality as e(customer_id, sale_id, n)
          left join customer c on c.id = e.customer_id
          left join sales_transaction s on s.id = e.sale_id
         order by e.n`,
  );
  return page.map(({ type, event }, i) => ({ type, event: { ...event, ...names[i] } }));
}

const DELIVERY_TO_SEND = sql`${columnsOf(WebhookDelivery, 'd', ['id', 'endpointId', 'status', 'attempts', 'eventId', 'body'])}, ${columnsOf(WebhookEndpoint, 'e', ['url', 'secret', 'disabledAt', 'generation'])}`;
/**
 * A delivery to attempt: its state and body, and its endpoint's id, URL, secret, whether it is
 * disabled, and its `generation` as read before the POST (what a 410's removal is checked against).
 */
type DeliveryRow = Pick<EntityRow<WebhookDelivery>, 'id' | 'endpointId' | 'status' | 'attempts' | 'eventId' | 'body'> & Pick<EntityRow<WebhookEndpoint>, 'url' | 'secret' | 'disabledAt' | 'generation'>;

/** The receiver's answer to one POST: its status, or why there was none. */
interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Its `Retry-After` header as sent (a 429's or a 503's only; see `retryAfterMs`); null when none. */
  retryAfter?: string | null;
}

/** The status a receiver answers to say it wants no more messages (Standard Webhooks: disable the endpoint). */
export const GONE = 410;

/**
 * How long a receiver's `Retry-After` asks to wait, in ms from `answeredAt` (the gateway's clock
 * when the answer came): RFC 9110 §10.2.3's two forms, delta-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). Null when there is none, or it cannot be read (a date in the
 * past reads 0). Taken from 429 (RFC 6585 §4) and 503 answers only, the statuses that define it
 * for a request to be sent again; Standard Webhooks ("Delivery success and failure"): "some
 * responses may also include a `Retry-After` header (e.g. `503 Service Unavailable`), which should
 * be taken into consideration when scheduling the next attempt".
 */
export function retryAfterMs(outcome: Pick<AttemptOutcome, 'statusCode' | 'retryAfter'>, answeredAt: Date): number | null {
  const value = outcome.retryAfter?.trim();
  if (!value || (outcome.statusCode !== 429 && outcome.statusCode !== 503)) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = httpDateMs(value, answeredAt);
  return at === null ? null : Math.max(0, at - answeredAt.getTime());
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');
const HTTP_DATE_FORMS: { form: RegExp; order: [day: number, month: number, year: number, time: number] }[] = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  { form: new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d\\d) (${MONTH}) (\\d{4}) (\\d\\d:\\d\\d:\\d\\d) GMT$`), order: [1, 2, 3, 4] },
  // obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  { form: new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d\\d)-(${MONTH})-(\\d\\d) (\\d\\d:\\d\\d:\\d\\d) GMT$`), order: [1, 2, 3, 4] },
  // asctime: Sun Nov  6 08:49:37 1994
  { form: new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MONTH}) ([ \\d]\\d) (\\d\\d:\\d\\d:\\d\\d) (\\d{4})$`), order: [2, 1, 4, 3] },
];

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms a
 * recipient must also read) as ms since the epoch, or null for any other text. Not `Date.parse`,
 * which reads nearly any text holding a year (`soon 2030`, `12/31/2099`) as a date, and so parked a
 * delivery for the longest wait on a header it should have ignored (break-23). A two-digit year is
 * the latest one with those digits no more than 50 years after `now` (§5.6.7).
 */
function httpDateMs(value: string, now: Date): number | null {
  for (const { form, order } of HTTP_DATE_FORMS) {
    const m = form.exec(value);
    if (!m) continue;
    const [day, month, year, time] = order.map((i) => m[i]);
    const [h, min, sec] = time.split(':').map(Number);
    let y = Number(year);
    if (year.length === 2) {
      y += Math.floor(now.getUTCFullYear() / 100) * 100;
      if (y > now.getUTCFullYear() + 50) y -= 100;
    }
    const at = Date.UTC(y, MONTHS.indexOf(month), Number(day.trim()), h, min, sec);
    const read = new Date(at);
    // 31 Feb, 25:00: a form's digits that name no instant
    if (read.getUTCDate() !== Number(day.trim()) || read.getUTCHours() !== h || h > 23 || min > 59 || sec > 59) return null;
    return at;
  }
  return null;
}

/**
 * The wait, in ms, before the attempt after a delivery's `attempts`-th failed one:
 *
 * - the schedule's delay, WEBHOOK_BACKOFF_MS × 2^(attempts-1) at most WEBHOOK_MAX_BACKOFF_MS
 *   (README "Receiving them"), plus a random part of up to half of it, `random()` × delay / 2,
 *   the sum still at most WEBHOOK_MAX_BACKOFF_MS. Standard Webhooks ("Deliverability and
 *   reliability") recommends "some level of random jitter to retries to prevent cases where the
 *   failures are due to recurring load caused by the webhook attempts themselves"; AWS's
 *   "Exponential Backoff and Jitter" compares the ways. This is its *equal jitter* (a fixed half
 *   and a random half) turned upwards: the README's delays are the least wait, not the most, so the
 *   schedule still spans at least about 29 hours with the defaults (webhooks-22's rule, "a receiver
 *   down for a day gets every event"), and deliveries that failed together (an endpoint's outage,
 *   the gateway's own network) spread over up to half of each delay, instead of coming back in
 *   lock-step (webhooks-23);
 * - at least what the receiver's `Retry-After` asks (`retryAfterMs`), bounded by
 *   WEBHOOK_MAX_BACKOFF_MS: a receiver cannot park a delivery beyond the schedule's longest wait.
 *
 * `random`: a number in [0, 1) (`Math.random`; a test fixes it).
 */
export function retryDelayMs(webhooks: { backoffMs: number; maxBackoffMs: number }, attempts: number, random: () => number, retryAfter: number | null = null): number {
  const delay = Math.min(webhooks.backoffMs * 2 ** (attempts - 1), webhooks.maxBackoffMs);
  const jittered = Math.min(delay + Math.floor((random() * delay) / 2), webhooks.maxBackoffMs);
  return Math.max(jittered, Math.min(retryAfter ?? 0, webhooks.maxBackoffMs));
}

/** `post`'s answer when the job runner's stop cut the request before the receiver answered. */
const STOPPED = Symbol('stopped');

/** The destinations of each configuration (one set of agents per gateway process's settings). */
const destinationsOf = new WeakMap<object, WebhookDestinations>();
function destinations(config: JobContext['config']): WebhookDestinations {
  let found = destinationsOf.get(config.webhooks);
  if (!found) destinationsOf.set(config.webhooks, (found = WebhookDestinations.of(config.webhooks)));
  return found;
}

/**
 * POSTs the message, signed per Standard Webhooks (`webhook-id` the event's id, the same on every
 * retry and replay so receivers can drop repeats; `webhook-timestamp` in seconds;
 * `webhook-signature` `v1,<HMAC-SHA256>`). Redirects are not followed (a 3xx is a failure). Only
 * to allowed destinations (`WebhookDestinations`): a literal IP is checked before connecting, a
 * host name by the agent's lookup on the addresses it connects to; a refused one is a failed
 * attempt whose error says why (`destination not allowed: 10.0.0.1 (private)`), nothing is sent; so
 * is a name whose DNS server does not answer within WEBHOOK_DNS_TIMEOUT_MS (`DNS lookup of … had no
 * answer within 3000 ms`). Answers `STOPPED` when `stopping` aborted it first (the job runner's
 * stop): no outcome, the receiver may or may not have had the message.
 */
async function post(d: DeliveryRow, at: Date, timeoutMs: number, allowed: WebhookDestinations, stopping: AbortSignal): Promise<AttemptOutcome | typeof STOPPED> {
  const started = performance.now();
  const failed = (error: string): AttemptOutcome => ({ statusCode: null, error, durationMs: Math.round(performance.now() - started) });
  let url: URL;
  try {
    url = new URL(d.url);
  } catch {
    return failed('url is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return failed(`url must use https, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host) ? allowed.refusal(host) : null;
  if (literal) return failed(`destination not allowed: ${host} (${literal})`);
  const messageId = `evt_${d.eventId}`;
  const signature = new Webhook(d.secret).sign(messageId, at, d.body);
  if (stopping.aborted) return STOPPED;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([timeout, stopping]);
  return new Promise<AttemptOutcome | typeof STOPPED>((resolve) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        agent: allowed.agents[url.protocol as 'http:' | 'https:'],
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(d.body),
          'user-agent': 'RewardGateway-Webhooks/1',
          'webhook-id': messageId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signature,
        },
      },
      (res) => {
        // The answer's body is not read, only drained so the connection can serve the next one.
        res.on('error', () => undefined).resume();
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const retryAfter = res.headers['retry-after'] ?? null;
        resolve({ statusCode: status, error: ok ? null : `HTTP ${status}`, durationMs: Math.round(performance.now() - started), retryAfter });
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (stopping.aborted) return resolve(STOPPED);
      if (timeout.aborted) return resolve(failed(`no answer within ${timeoutMs} ms`));
      // a refused destination and a DNS server with no answer say so in words; the rest by code (ECONNREFUSED)
      resolve(failed(error.code === 'EDESTINATION' || error.code === 'EDNSTIMEOUT' ? error.message : (error.code ?? error.message)));
    });
    request.end(d.body);
  });
}

/**
 * A `webhooks.deliver` job's payload: the delivery, and for an attempt brought forward by Retry now
 * (retryWebhookDeliveriesNow) `manual` and `resumeAtMs`, the time (epoch ms) of the scheduled
 * attempt it stands in for.
 */
export interface DeliverPayload {
  deliveryId: number;
  manual?: boolean;
  resumeAtMs?: number;
}

/**
 * Whether a job's attempt is a manual one (webhook-retry-40b), and the scheduled time its delivery
 * goes back to if it fails: `{ resumeAtMs }` (epoch ms), or null for the schedule's own attempt.
 */
export function manualAttempt(payload: DeliverPayload): { resumeAtMs: number } | null {
  return payload.manual === true && typeof payload.resumeAtMs === 'number' ? { resumeAtMs: payload.resumeAtMs } : null;
}

/**
 * When a delivery whose manual attempt (begun at `from`) failed is attempted next: the scheduled
 * attempt it stood in for, no sooner than `floorMs` (WEBHOOK_BACKOFF_MS) after `from`.
 */
function backToSchedule(manual: { resumeAtMs: number }, from: Date, floorMs: number): Date {
  return new Date(Math.max(manual.resumeAtMs, from.getTime() + floorMs));
}

/**
 * One attempt of one delivery, in three steps, none of which holds a database connection while the
 * receiver is waited on (webhook-14; before, the POST ran inside the job's transaction, holding a
 * pooled connection and the delivery's row lock for up to WEBHOOK_TIMEOUT_MS):
 *
 * 1. a short transaction reads the delivery; one no longer PENDING, or whose endpoint was removed
 *    (read again under FOR SHARE: webhooks-25) or partner revoked, or whose type the partner may no longer read, is finished there (FAILED with
 *    the reason) and the job completed, nothing sent;
 * 2. the POST, on the job's lease alone (RunnerOptions.outboundLeaseMs outlasts WEBHOOK_TIMEOUT_MS);
 * 3. a second transaction completes the job and records the attempt: DELIVERED on a 2xx (and the
 *    endpoint's `failing_since` cleared); FAILED at once on a 410 Gone, which removes the endpoint
 *    (`disabled_at`, as `removeWebhookEndpoint`, audited as the receiver's: Standard Webhooks,
 *    "Delivery success and failure": a 410 "is an indication by the server that it's no longer
 *    interested in receiving webhooks from this source. Sender should disable the webhook
 *    endpoint, and stop sending it messages"; webhooks-23), unless the endpoint was enabled again
 *    since step 1 (`goneStillApplies`, webhooks-25); otherwise retried after `retryDelayMs`
 *    (the schedule's delay with jitter, and at least a 429's or 503's `Retry-After`, at most
 *    WEBHOOK_MAX_BACKOFF_MS) by a new job, or FAILED after WEBHOOK_MAX_ATTEMPTS (with the
 *    defaults at least about 29 hours after the first attempt: src/config.ts), which marks the
 *    endpoint failing (`failing_since`, kept from the first such delivery) until one is delivered.
 *    A manual attempt (Retry now, `manualAttempt`; webhook-retry-40b) is logged `manual` and not
 *    counted in `attempts`; if it fails, the delivery's next attempt is the scheduled one it stood
 *    in for (`resumeAtMs`), no sooner than WEBHOOK_BACKOFF_MS after it began, and it is never
 *    FAILED for it (a 410 Gone still removes the endpoint: the receiver said so).
 *
 * At least once: a worker that dies between the POST and step 3 (or whose step 3 fails) leaves the
 * job RUNNING until its lease ends (or to be retried), and the POST is made again, under the same
 * `webhook-id`, by which the receiver drops repeats (Standard Webhooks). Never two at once: the job
 * is claimed by one worker at a time while its lease lives, and a worker whose lease was taken over
 * records nothing (`complete` refuses; the new owner's attempt is the one recorded). A POST still
 * unanswered when the gateway's stop has waited JOB_STOP_PATIENCE_MS for it is cut (`jc.stopping`)
 * and the job handed back, nothing recorded (stop-18).
 */
export async function deliverWebhook(jc: LeasedJobContext, payload: DeliverPayload): Promise<void> {
  const { deliveryId } = payload;
  const manual = manualAttempt(payload);
  const { clock, config, random = Math.random } = jc;
  const d = await jc.em.transactional(async (em) => {
    const row = await queryOne<DeliveryRow & { eventType: WebhookEventWireType; partnerRevokedAt: Date | null; partnerScopes: string[] | null }>(
      em,
      sql`select ${DELIVERY_TO_SEND}, d.event_type as "eventType", p.revoked_at as "partnerRevokedAt", p.scopes as "partnerScopes"
            from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id left join partner p on p.id = e.partner_id
           where d.id = ${deliveryId}`,
    );
    if (row?.status === 'PENDING' && row.disabledAt && !row.partnerRevokedAt) {
      // Removed when read: read again under FOR SHARE before ending it FAILED (webhooks-25). An
      // enable that committed after that read is seen, and one in flight waits for this commit;
      // before, an enable and its bulk replay (which skips PENDING deliveries) could both commit
      // between the read and this FAILED, which then stood on an endpoint receiving again.
      const current = await queryOne<Pick<DeliveryRow, 'disabledAt' | 'generation'>>(
        em,
        sql`select disabled_at as "disabledAt", generation from webhook_endpoint where id = ${row.endpointId} for share`,
      );
      if (current) Object.assign(row, current);
    }
    // (revokePartner removes the partner's endpoints; this covers partners revoked before it did)
    const refusal = !row || row.status !== 'PENDING' ? null
      : row.disabledAt || row.partnerRevokedAt ? 'The endpoint was removed.'
      // A delivery written before partners were sent only what their scopes read (or replayed since).
      : row.partnerScopes && eventTypesBeyond([row.eventType], row.partnerScopes).length ? `The partner may not read ${row.eventType} events.`
      : undefined;
    if (refusal === undefined) return row!;
    await jc.complete(em);
    if (refusal) await finish(em, deliveryId, 'FAILED', refusal, clock.now());
    return null;
  });
  if (!d) return;
  const now = clock.now();
  const outcome = await post(d, now, config.webhooks.timeoutMs, destinations(config), jc.stopping);
  if (outcome === STOPPED) {
    // The gateway is stopping and the receiver had not answered (stop-18): nothing is recorded (no
    // attempt, the delivery PENDING as it was) and the job is due again at once, for another
    // instance or the next start, which sends the same `webhook-id`: a receiver that did take this
    // POST drops the repeat. On a frozen database this transaction is cut too, and the job's lease
    // decides, as a killed worker's.
    await jc.em.transactional((em) => jc.handBack(em));
    return;
  }
  const after = clock.now();
  await jc.em.transactional(async (em) => {
    await jc.complete(em);
    await query(
      em,
      sql`insert into webhook_attempt (delivery_id, attempted_at, status_code, error, duration_ms, manual)
          values (${deliveryId}, ${now}, ${outcome.statusCode}, ${outcome.error}, ${outcome.durationMs}, ${manual !== null})`,
    );
    // Only a delivery still PENDING moves on (nothing else finishes one while its job holds the lease);
    // a manual attempt is not one of the schedule's (webhook-retry-40b): not counted.
    const [counted] = await query<{ attempts: number }>(
      em,
      sql`update webhook_delivery set attempts = attempts + ${manual === null ? 1 : 0}::int where id = ${deliveryId} and status = 'PENDING' returning attempts`,
    );
    if (!counted) return;
    const attempts = counted.attempts;
    if (outcome.error === null) {
      await query(em, sql`update webhook_delivery set status = 'DELIVERED', last_error = null, next_attempt_at = null, finished_at = ${after} where id = ${deliveryId}`);
      // The receiver answers again: its endpoint is no longer failing (a write only when it was),
      // unless a delivery's last failure came after this answer (its step 3 committed first, by a
      // worker in parallel: WEBHOOK_ENDPOINT_CONCURRENCY > 1): that mark is newer (break3-22).
      await query(em, sql`update webhook_endpoint set failing_since = null where id = ${d.endpointId} and failing_since <= ${after}`);
    } else if (outcome.statusCode === GONE && (await goneStillApplies(em, d))) {
      await finish(em, deliveryId, 'FAILED', `HTTP ${GONE}: the receiver said it wants no more messages (Gone); the endpoint was removed.`, after);
      // Removed as staff or its partner would (`removeWebhookEndpoint`, the same path); its partner
      // registers another endpoint to receive again (webhooks-23). Audited by the 410 that removed it.
      await removeEndpoint(em, d.endpointId, { actor: 'webhook-receiver', owner: null, reason: `Its receiver answered HTTP ${GONE} (Gone) to WebhookDelivery:${deliveryId}.`, once: true }, after);
    } else if (manual !== null) {
      // Back to the schedule as it was: its scheduled attempt, no sooner than the floor after this one.
      const next = backToSchedule(manual, now, config.webhooks.backoffMs);
      await query(em, sql`update webhook_delivery set last_error = ${failureOf(outcome.statusCode, outcome.error)}, next_attempt_at = ${next} where id = ${deliveryId}`);
      await enqueueDelivery(em, deliveryId, d.endpointId, next);
    } else if (attempts >= config.webhooks.maxAttempts) {
      await finish(em, deliveryId, 'FAILED', failureOf(outcome.statusCode, outcome.error), after);
      // Its receiver failed every attempt of the schedule: the endpoint is failing from now (or
      // still, since an earlier one), which staff, the partner and /metrics see (webhooks-22).
      // Not when it answered a delivery 2xx after this failure, which committed first (break3-22):
      // a range of `webhook_delivery_finished_idx` (the deliveries finished since this answer, a
      // few), and only on a delivery's last failure.
      await query(
        em,
        sql`update webhook_endpoint set failing_since = coalesce(failing_since, ${after}) where id = ${d.endpointId}
             and not exists (select 1 from webhook_delivery x where x.finished_at > ${after} and x.endpoint_id = ${d.endpointId} and x.status = 'DELIVERED')`,
      );
    } else {
      const next = new Date(after.getTime() + retryDelayMs(config.webhooks, attempts, random, retryAfterMs(outcome, after)));
      await query(em, sql`update webhook_delivery set last_error = ${failureOf(outcome.statusCode, outcome.error)}, next_attempt_at = ${next} where id = ${deliveryId}`);
      await enqueueDelivery(em, deliveryId, d.endpointId, next);
    }
  });
}

/**
 * Whether a 410 Gone answered to delivery `d` still removes its endpoint, read under the endpoint's
 * row lock (FOR UPDATE, held to commit; taken after the delivery's row, as every step 3 takes
 * them): yes unless the endpoint was enabled again (`generation` moved on) since `d` was read
 * before its POST. A receiver's 410 speaks of the registration it was sent under: answered before
 * an operator's or partner's `enableWebhookEndpoint` (the receiver mended, the endpoint turned on
 * again) and committed after it, it removed the endpoint that enable had just turned on, for one
 * transaction's window (webhooks-25). Such a 410 is then an ordinary failed attempt (retried on
 * the schedule), so the delivery is sent again to the mended receiver. An enable in flight waits
 * for this commit and then turns the endpoint on after the removal, as it should.
 */
async function goneStillApplies(em: SqlEntityManager, d: DeliveryRow): Promise<boolean> {
  const endpoint = await queryOne<{ generation: number }>(em, sql`select generation from webhook_endpoint where id = ${d.endpointId} for update`);
  return endpoint !== undefined && endpoint.generation === d.generation;
}

/** What a failed attempt (`statusCode`, `error`: its outcome's) records as its delivery's last error: `error`, said in full for a 410 that no longer removes (goneStillApplies). */
function failureOf(statusCode: number | null, error: string): string {
  return statusCode === GONE ? `HTTP ${GONE} (Gone) to a request sent before the endpoint was enabled again: the endpoint stays, the delivery is retried.` : error;
}

/**
 * Clears `failing_since` of the endpoints left with nothing to show for it: no FAILED delivery
 * (the prune took the last, EVENT_RETENTION_HOURS after it failed) and no PENDING one whose last
 * attempt failed (the receiver failing now). Called by `events.prune` in its transaction, after
 * its delete of finished deliveries. Answers how many endpoints it cleared.
 *
 * Why (webhooks-23; break3-22 "Left"): the mark tells staff, the partner and the
 * `gateway_webhook_endpoints_failing` alert that events were not delivered and wait for a replay
 * (README "Receiving them"). Once retention has removed them there is nothing to replay, and an
 * endpoint that got no more events stayed "Failing since …", and the alert on, for good: nothing
 * but a 2xx cleared it. A receiver that still fails is marked again by its next delivery's last
 * attempt. An older FAILED delivery pruned while a newer one remains keeps the mark, and its time
 * (the receiver has failed since then).
 *
 * Race with a delivery's last failure (its step 3 sets the mark): the candidates' rows are locked
 * first, and the test of what remains is a statement of its own, on a snapshot taken after the
 * locks: a failure that committed before sees its FAILED row read (kept); one that had not waits
 * for this transaction and then sets the mark (`coalesce` of null), as it should. SKIP LOCKED: an
 * endpoint whose row another transaction holds (a failure marking it, a 2xx clearing it, a removal,
 * a bulk replay, which takes it FOR SHARE before the delivery rows this prune may hold) is left
 * for the next hourly run, and the prune never waits on an endpoint's row, so no lock cycle with
 * those can form (a bulk replay holds the endpoint and waits for delivery rows the prune deleted).
 */
export async function clearStaleFailingMarks(em: SqlEntityManager): Promise<number> {
  const marked = await query<{ id: number }>(em, sql`select id from webhook_endpoint where failing_since is not null order by id for update skip locked`);
  if (!marked.length) return 0;
  const cleared = await query(
    em,
    sql`update webhook_endpoint e set failing_since = null
         where e.id = any(${marked.map((m) => m.id)}::bigint[])
           and not exists (select 1 from webhook_delivery d where d.endpoint_id = e.id and (d.status = 'FAILED' or (d.status = 'PENDING' and d.last_error is not null)))
        returning e.id`,
  );
  return cleared.length;
}

async function finish(em: SqlEntityManager, deliveryId: number, status: 'FAILED', error: string, at: Date): Promise<void> {
  await query(em, sql`update webhook_delivery set status = ${status}, last_error = ${error}, next_attempt_at = null, finished_at = ${at} where id = ${deliveryId}`);
}

export const dispatchWebhooksJob: JobHandler = {
  run: async (jc) => {
    await dispatchWebhooks(jc);
  },
};

/**
 * Each attempt of a delivery is a job. One that fails for good (it threw on every try: its
 * database connection lost mid-send, a failover) ends its delivery FAILED with the reason, if it
 * is still PENDING, so staff see it and can replay it. Before hostile pass 10 the delivery stayed
 * PENDING with no job left to send it, and a replay of a PENDING delivery changes nothing: the
 * event never reached the partner.
 */
export const deliverWebhookJob: JobHandler = {
  // It waits on the partner's endpoint, up to WEBHOOK_TIMEOUT_MS: in loops of its own (break-13),
  // with no transaction open while it waits (webhook-14).
  lane: 'outbound',
  mode: 'lease',
  run: (jc, payload: DeliverPayload) => deliverWebhook(jc, payload),
  onFailed: async ({ em, clock, config }, payload: DeliverPayload, reason) => {
    const { deliveryId } = payload;
    const [pending] = await query<{ endpointId: number }>(
      em,
      sql`select endpoint_id as "endpointId" from webhook_delivery where id = ${deliveryId} and status = 'PENDING' for update`,
    );
    if (!pending) return;
    const manual = manualAttempt(payload);
    // A manual attempt that could not be made leaves the delivery to its schedule (webhook-retry-40b).
    if (manual === null) return finish(em, deliveryId, 'FAILED', `The delivery could not be completed: ${reason}`, clock.now());
    const next = backToSchedule(manual, clock.now(), config.webhooks.backoffMs);
    await query(em, sql`update webhook_delivery set next_attempt_at = ${next} where id = ${deliveryId}`);
    await enqueueDelivery(em, deliveryId, Number(pending.endpointId), next);
  },
};
