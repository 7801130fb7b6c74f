import { randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { columnsOf, type Selected } from '../db/schema.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { instantOf } from '../domain/instant.js';
import { cutForMessage, shown } from '../domain/text.js';
import type { Page } from '../domain/page.js';
import { toGlobalId } from '../graphql/ids.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { createOnce, requestFingerprint, setsFingerprint } from '../idempotency/idempotency.service.js';
import { setOrder } from '../domain/lists.js';
import { partnerStillHolds, refuseIfRevoked } from '../partners/partner.service.js';
import { PARTNER_WEBHOOK_EVENT_TYPES, WEBHOOK_EVENT_TYPES, eventTypesBeyond, type WebhookEventWireType } from './webhook.events.js';
import { JOBS_CHANNEL, enqueueJobSql } from '../jobs/queue.js';
import { enqueueDelivery, endpointGroup, endpointTenant, WEBHOOK_DELIVER } from './webhook.jobs.js';
import { WebhookDestinations } from './destinations.js';
import { endpointUrlKey, WEBHOOK_URL_MESSAGES, webhookUrlProblem } from './webhook-url.js';
import { WebhookAttempt, WebhookDelivery } from './webhook.entity.js';
import { ENDPOINT_COLUMNS, removeEndpoint, type WebhookEndpointRow } from './endpoint-removal.js';

const DELIVERY_COLUMNS = columnsOf(WebhookDelivery, 'd', [
  'id', 'endpointId', 'eventId', 'eventType', 'body', 'status', 'attempts', 'nextAttemptAt', 'lastError', 'createdAt', 'finishedAt',
]);
const ATTEMPT_COLUMNS = columnsOf(WebhookAttempt, 'a', ['id', 'deliveryId', 'attemptedAt', 'statusCode', 'error', 'durationMs', 'manual']);

export type { WebhookEndpointRow };
/** A delivery of one event to one endpoint: every column of `webhook_delivery`; its event type by wire name. */
export type WebhookDeliveryRow = Omit<Selected<typeof DELIVERY_COLUMNS>, 'eventType'> & { eventType: WebhookEventWireType };
/** One POST of a delivery: every column of `webhook_attempt`. */
export type WebhookAttemptRow = Selected<typeof ATTEMPT_COLUMNS>;

/** Whose endpoints a caller may see and change: staff all (null), a partner its own. */
function ownerScope(ctx: Ctx): number | null {
  return ctx.caller.kind === 'partner' ? ctx.caller.partnerId : null;
}

/** The path of the first entry of `eventTypes` (as sent) that is `type`: a refusal names the entry at fault, not the list. */
const entryOf = (eventTypes: readonly WebhookEventWireType[], type: WebhookEventWireType) => ['input', 'eventTypes', String(eventTypes.indexOf(type))];

/**
 * Registers an endpoint and returns it with its signing secret (`whsec_` + 24 random bytes in
 * base64, Standard Webhooks' format), which is never shown again. A partner registers for itself;
 * an operator for the program (`partnerId` null) or on a partner's behalf. Refusals (INVALID, with
 * the field): the URL (see `webhookUrlProblem`); DESTINATION_NOT_ALLOWED: a literal internal
 * address or `localhost` (see `WebhookDestinations`; names are checked when sending); NOT_ELIGIBLE: an event type a partner may not
 * receive (offer events show the wallet, which partners do not read), on the first such entry
 * (`["input","eventTypes","1"]`); NOT_FOUND: no such partner (or revoked, for an operator);
 * CredentialRevoked (UNAUTHENTICATED) when a partner's own key was revoked while this ran. A
 * partner's endpoint is registered under the partner's row lock (FOR KEY SHARE), so it commits
 * before a revocation (which then disables it) or not at all (edges-12).
 *
 * With `idempotencyKey` (the caller's own, staff member's or partner's; see createOnce): the same
 * key and registration again (URL trimmed, event types each once, the partner it is for) answer
 * the same endpoint, as it is now, with `secret: null, secretWithheld: true` (a secret is shown in
 * one answer only, as the partner's API key; docs/decisions.md, "idem-12"), and register nothing;
 * another registration under it is IDEMPOTENCY_KEY_REUSED.
 */
export async function registerWebhookEndpoint(
  ctx: Ctx,
  d: { url: string; eventTypes: WebhookEventWireType[]; description?: string | null; partnerId?: number | null; idempotencyKey?: string | null; reason?: string | null },
): Promise<{ endpoint: WebhookEndpointRow; secret: string | null; secretWithheld: boolean }> {
  const url = d.url.trim();
  refuseUrl(ctx, url, ['input', 'url']);
  const eventTypes = [...new Set(d.eventTypes)];
  if (eventTypes.length === 0) throw refuse(UserErrorCode.INVALID, 'eventTypes must name at least one event type.', ['input', 'eventTypes']);
  const partnerId = ctx.caller.kind === 'partner' ? ctx.caller.partnerId : (d.partnerId ?? null);
  if (partnerId !== null) {
    const refused = eventTypes.filter((t) => !PARTNER_WEBHOOK_EVENT_TYPES.includes(t));
    if (refused.length) {
      throw refuse(UserErrorCode.NOT_ELIGIBLE, `A partner's endpoint cannot receive ${refused.join(', ')}: partners do not read the wallet.`, entryOf(d.eventTypes, refused[0]));
    }
  }
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  // its event types as a set: the same endpoint sent again with them in another order is the same request (noticed-40)
  const fingerprint = () => setsFingerprint({ url, eventTypes: setOrder(eventTypes), description: d.description, partnerId }, { url, eventTypes, description: d.description, partnerId });
  return ctx.em.transactional(async (em) => {
    const { result, replay } = await createOnce(ctx, em, `register-webhook:${actor}`, d.idempotencyKey, fingerprint, now, () =>
      insertEndpoint(ctx, em, { url, eventTypes, description: d.description ?? null, partnerId, secret, reason: d.reason ?? null }, d.eventTypes, actor, now),
    );
    const [endpoint] = await webhookEndpointsByIds(em, [result.id]);
    return replay ? { endpoint, secret: null, secretWithheld: true } : { endpoint, secret, secretWithheld: false };
  });
}

/**
 * INVALID (webhookUrlProblem's message) or DESTINATION_NOT_ALLOWED (a literal internal address or
 * `localhost`, unless the settings allow it), on `field`, when the gateway would not send to `url`
 * under its settings now (WEBHOOK_ALLOW_HTTP_LOCALHOST, WEBHOOK_ALLOWED_DESTINATIONS). Checked at
 * registration, and when a removed endpoint is enabled again (break2-24): its URL was checked under
 * the settings of its registration, which may have been narrowed since.
 */
function refuseUrl(ctx: Ctx, url: string, field: string[]): void {
  const problem = webhookUrlProblem(url, ctx.config.webhooks.allowHttpLocalhost);
  if (problem) throw refuse(UserErrorCode.INVALID, WEBHOOK_URL_MESSAGES[problem], field);
  const internal = WebhookDestinations.of(ctx.config.webhooks).internalHostOf(new URL(url));
  if (internal) throw refuse(UserErrorCode.DESTINATION_NOT_ALLOWED, `url must not point to an internal address (${internal}).`, field);
}

/**
 * registerWebhookEndpoint's effect: the partner's checks under its row lock, the endpoint and its
 * audit entry. `sent`: the event types as sent, for the path of a refused entry.
 */
async function insertEndpoint(
  ctx: Ctx,
  em: SqlEntityManager,
  e: { url: string; eventTypes: WebhookEventWireType[]; description: string | null; partnerId: number | null; secret: string; reason: string | null },
  sent: readonly WebhookEventWireType[],
  actor: string,
  now: Date,
): Promise<{ id: number }> {
  const { url, eventTypes, partnerId, secret } = e;
  if (partnerId !== null) {
    // FOR KEY SHARE, as partnerStillHolds reads it, held to commit: a revocation waits for this
    // registration and then disables the endpoint with the partner's others, and one that
    // committed while this waited is read (edges-12). Before, an endpoint registered while
    // revokePartner ran stayed enabled for the revoked partner.
    const partner = await queryOne<{ scopes: string[] }>(em, sql`select scopes from partner where id = ${partnerId} and revoked_at is null for key share`);
    if (!partner) {
      // the caller's own key revoked while it ran: refused as at the door
      if (ctx.caller.kind === 'partner') await refuseIfRevoked(em, partnerId);
      throw refuse(UserErrorCode.NOT_FOUND, 'No such partner.', ['input', 'partnerId']);
    }
    // Whoever registers it (the partner, or an operator for it): a partner is sent only what it may read.
    refuseBeyondScopes(eventTypes, partner.scopes, (type) => entryOf(sent, type));
  }
  await refuseSameUrl(em, partnerId, url, null, ['input', 'url']);
  const [endpoint] = await query<WebhookEndpointRow>(
    em,
    sql`insert into webhook_endpoint as e (partner_id, url, event_types, secret, description, created_by, created_at, receives_from)
        values (${partnerId}, ${url}, ${eventTypes}::text[], ${secret}, ${e.description}, ${actor}, ${now}, pg_current_snapshot()::text)
        returning ${ENDPOINT_COLUMNS}`,
  );
  await recordAudit(em, { actor, action: 'registerWebhookEndpoint', target: `WebhookEndpoint:${endpoint.id}`, reason: e.reason, details: { url, eventTypes, partnerId }, at: now });
  return { id: endpoint.id };
}

/** NOT_ELIGIBLE, on `field` of the first type at fault, when a partner holding `scopes` may not read one of `eventTypes`. */
function refuseBeyondScopes(eventTypes: readonly WebhookEventWireType[], scopes: readonly string[], field: (type: WebhookEventWireType) => string[]): void {
  const beyond = eventTypesBeyond(eventTypes, scopes);
  if (beyond.length) {
    const needs = beyond.map((b) => `${b.type} needs ${b.scope}`).join(', ');
    throw refuse(UserErrorCode.NOT_ELIGIBLE, `A partner's endpoint receives only what the partner may read: ${needs}.`, field(beyond[0].type));
  }
}

/**
 * Why a delivery of `type` to an endpoint of a partner holding `scopes` would not be sent (the
 * dispatcher never writes one, and a delivery's step 1 ends one FAILED "The partner may not read
 * …": webhook.jobs.ts), in words for a replay's refusal or skip; null when it would be (or
 * `scopes` is null: the program's endpoint, sent everything). A delivery written before partners
 * were sent only what their scopes read, or whose partner's scopes were narrowed since (small-25).
 */
export function replayBeyondScopes(type: WebhookEventWireType, scopes: readonly string[] | null): string | null {
  if (scopes === null) return null;
  const [beyond] = eventTypesBeyond([type], scopes);
  if (!beyond) return null;
  return beyond.scope === null
    ? `Partners are not sent ${type} events (they do not read the wallet), so a replay would not be sent.`
    : `The endpoint's partner no longer holds ${beyond.scope}, which ${type} events need, so a replay would not be sent.`;
}

/**
 * ALREADY_EXISTS, on `field`, when the owner (`partnerId`, null: the program) has a live endpoint
 * other than `exceptId` for the same URL (as `endpointUrlKey` compares them: `URL`'s normal form, percent-encodings, a host's trailing dot, an IPv4-mapped address): a second one sent every event
 * to that URL twice, each copy signed with its own secret, so a receiver verifying with one secret
 * refused the other and it was retried for about 29 hours (newcomer-23; webhooks-24). The refusal
 * names that endpoint by its description, registration time, URL as registered and id (edges-28:
 * "at this URL" left an operator whose URL differed in its spelling, a trailing dot or a
 * percent-encoding, to guess which one; newcomer-46: the id alone is not what a console shows). Removed
 * endpoints do not count, nor another owner's (each owner has its own secret and events). Under a
 * transaction-scoped advisory lock per owner, held to commit: two registrations of one URL at once
 * are taken one after the other, and the second reads the first's row (READ COMMITTED reads what
 * committed before each statement). Caller: in the write's transaction, before its insert or update.
 */
async function refuseSameUrl(em: SqlEntityManager, partnerId: number | null, url: string, exceptId: number | null, field: string[]): Promise<void> {
  await query(em, sql`select pg_advisory_xact_lock(hashtextextended(${`webhook-endpoints-of:${partnerId ?? 'program'}`}, 0))::text`);
  const live = await query<{ id: number; url: string; description: string | null; createdAt: Date | string }>(
    em,
    sql`select id, url, description, created_at as "createdAt" from webhook_endpoint where partner_id is not distinct from ${partnerId}::bigint and disabled_at is null and id <> ${exceptId ?? 0}`,
  );
  const key = endpointUrlKey(url);
  const same = live.find((e) => endpointUrlKey(e.url) === key);
  if (same) {
    // named as a person finds it in a list (newcomer-46: by its global id alone), the id last for a client's removeWebhookEndpoint
    // quoted, cut and with what a reader cannot see spelled out: a partner writes it, and a right-to-left override in it turned the rest of the console's alert around
    const described = same.description ? ` (${shown(cutForMessage(same.description))})` : '';
    throw refuse(
      UserErrorCode.ALREADY_EXISTS,
      `An endpoint${described} registered at ${instantOf(same.createdAt).toISOString()} already receives at ${same.url}: a second one would get every event twice. Keep that one, or remove it first (endpoint ${toGlobalId('WebhookEndpoint', same.id)}).`,
      field,
    );
  }
}

/**
 * Turns a removed endpoint on again, with its URL, event types and signing secret (the receiver
 * keeps verifying with the secret it has): for a receiver that answered 410 Gone by mistake (a
 * proxy's route gone during a deploy) or an endpoint removed in error (webhooks-24; webhooks-23
 * "Left"). Events the dispatcher reads once it is enabled are sent; those it read while the
 * endpoint was removed (about a second after each commit) were dispatched to it not at all, and
 * are not sent. Its FAILED deliveries, those the removal ended among them, can then be replayed
 * (`replayFailedWebhookDeliveries`). An endpoint that is not removed is answered as it
 * is. Audited `enableWebhookEndpoint`.
 *
 * Who: operators, any endpoint; a partner with webhooks:manage, its own (another's is NOT_FOUND).
 * Refusals: NOT_FOUND (no such endpoint, or its partner was revoked: a revocation removes them for
 * good), NOT_ELIGIBLE (its partner no longer holds the scope one of its event types needs: register
 * one for what it may read), ALREADY_EXISTS (its owner has registered another endpoint for the
 * same URL meanwhile: refuseSameUrl), INVALID or DESTINATION_NOT_ALLOWED (the gateway would not
 * send to its URL under its settings now: refuseUrl); CredentialRevoked for a partner whose key was revoked while
 * this ran. The endpoint's partner row is read FOR KEY SHARE, held to commit, so a revocation waits
 * for this and then removes it again, or commits first and this refuses (as registration, edges-12).
 * Each enable moves the endpoint's `generation` on: a 410 Gone its receiver answered to a request
 * sent before it does not remove it again (webhooks-25; such an attempt is retried instead).
 */
export async function enableWebhookEndpoint(ctx: Ctx, endpointId: number, reason: string | null = null): Promise<WebhookEndpointRow> {
  const owner = ownerScope(ctx);
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const endpoint = await queryOne<WebhookEndpointRow>(
      em,
      sql`select ${ENDPOINT_COLUMNS} from webhook_endpoint e where e.id = ${endpointId} and (${owner}::bigint is null or e.partner_id = ${owner}) for update`,
    );
    if (!endpoint) throw await endpointNotFound(em, owner);
    if (!endpoint.disabledAt) return endpoint;
    // Sent to only if the gateway would send there now: WEBHOOK_ALLOWED_DESTINATIONS or
    // WEBHOOK_ALLOW_HTTP_LOCALHOST may have been narrowed since its registration (break2-24; before,
    // it was enabled and each delivery failed at the connection, for the retry schedule's 29 hours).
    refuseUrl(ctx, endpoint.url, ['input', 'endpointId']);
    if (endpoint.partnerId !== null) {
      const partner = await queryOne<{ scopes: string[] }>(em, sql`select scopes from partner where id = ${endpoint.partnerId} and revoked_at is null for key share`);
      if (!partner) throw await endpointNotFound(em, owner);
      refuseBeyondScopes(endpoint.eventTypes, partner.scopes, () => ['input', 'endpointId']);
    }
    await refuseSameUrl(em, endpoint.partnerId ?? null, endpoint.url, endpoint.id, ['input', 'endpointId']);
    // A new generation: a 410 answered to a request sent before this no longer removes it (webhooks-25, goneStillApplies)
    const [enabled] = await query<WebhookEndpointRow>(
      em,
      // Not owed what committed while it was removed (break38 live): its open removal window closes
      // at this snapshot. A removal without one (an older build's): nothing from before this enable.
      sql`update webhook_endpoint e set disabled_at = null, generation = e.generation + 1,
               removed_windows = case when jsonb_array_length(e.removed_windows) > 0 and e.removed_windows->-1->>'to' is null
                 then jsonb_set(e.removed_windows, array[(jsonb_array_length(e.removed_windows) - 1)::text, 'to'], to_jsonb(pg_current_snapshot()::text))
                 else e.removed_windows end,
               receives_from = case when jsonb_array_length(e.removed_windows) = 0 or e.removed_windows->-1->>'to' is not null
                 then pg_current_snapshot()::text else e.receives_from end
           where e.id = ${endpointId} returning ${ENDPOINT_COLUMNS}`,
    );
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'enableWebhookEndpoint', target: `WebhookEndpoint:${endpointId}`, reason, details: { removedAt: endpoint.disabledAt }, at: now });
    return enabled;
  });
}

/**
 * Stops sending to an endpoint (its pending deliveries end FAILED). A partner's other endpoints are
 * NOT_FOUND to it; a partner whose key was revoked while this ran is refused as at the door
 * (CredentialRevoked), nothing written (edges-12).
 */
export async function removeWebhookEndpoint(ctx: Ctx, endpointId: number, reason: string | null = null): Promise<WebhookEndpointRow> {
  const owner = ownerScope(ctx);
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const endpoint = await removeEndpoint(em, endpointId, { actor: actorOf(ctx.caller), owner, reason: reason ?? undefined }, now);
    if (!endpoint) throw await endpointNotFound(em, owner);
    return endpoint;
  });
}

/**
 * NOT_FOUND on `["input", "endpointId"]` (an endpoint unknown, another partner's, or whose partner
 * was revoked), for the caller to throw; first throws CredentialRevoked when the caller `owner` is
 * a partner whose own key was revoked while the request ran (refuseIfRevoked, edges-12).
 */
async function endpointNotFound(em: SqlEntityManager, owner: number | null): Promise<Error> {
  await refuseIfRevoked(em, owner);
  return refuse(UserErrorCode.NOT_FOUND, 'No such webhook endpoint.', ['input', 'endpointId']);
}

/** A page of endpoints the caller may see, newest first (key: id, descending). */
export async function webhookEndpointsPage(ctx: Ctx, page: Page): Promise<WebhookEndpointRow[]> {
  const owner = ownerScope(ctx);
  const after = page.after?.[0] ?? null;
  return query<WebhookEndpointRow>(
    ctx.em,
    sql`select ${ENDPOINT_COLUMNS} from webhook_endpoint e
         where (${owner}::bigint is null or e.partner_id = ${owner}) and (${after}::bigint is null or e.id < ${after})
         order by e.id desc limit ${page.limit + 1}`,
  );
}

export async function webhookEndpointsByIds(em: SqlEntityManager, ids: readonly number[]): Promise<WebhookEndpointRow[]> {
  return query<WebhookEndpointRow>(em, sql`select ${ENDPOINT_COLUMNS} from webhook_endpoint e where e.id = any(${idList(ids)})`);
}

/**
 * What an endpoint's receiver is failing now, while its deliveries are retried (webhook-health-39):
 * `count` deliveries PENDING after at least one failed attempt (`attempts > 0`; for a PENDING
 * delivery exactly `last_error` set, which the failed attempt writes and a replay clears), the
 * earliest time one of them first failed in its current round (`firstFailedAt`; a replay starts a
 * new round, so the failures before it do not count), and the failure most recently recorded among
 * them (`lastError` as the delivery's `lastError`: `HTTP 503`, `ECONNREFUSED`, `no answer within
 * 10000 ms`; `lastStatusCode` the status answered, null when none was). `failing_since` says so only
 * once a delivery has run out of attempts, about 29 hours later with the defaults.
 */
export interface WebhookRetryingRow {
  endpointId: number;
  count: number;
  firstFailedAt: Date;
  lastError: string;
  lastStatusCode: number | null;
  /** When the most recent failed attempt among them began (webhook-retry-40b: the console says when a Retry now failed again). */
  lastFailedAt: Date;
  /** The soonest next attempt among them (the back-off schedule's; newcomer-39 could not tell when the page would recover). */
  nextAttemptAt: Date;
}

/**
 * WebhookRetryingRow of each of `endpointIds` that has deliveries being retried (none for the others),
 * in one statement for a page of endpoints (the `webhookRetrying` loader). The retried deliveries
 * are a range of `webhook_delivery_retrying_idx` per endpoint (Migration20261205160000), not every
 * delivery it was ever sent; per delivery, its current round's attempts are its newest `attempts`
 * rows of `webhook_attempt` that are not `manual` (each counted attempt writes one, a replay zeroes
 * the count; Retry now's are logged and not counted, webhook-retry-40b), at most
 * WEBHOOK_MAX_ATTEMPTS index entries. A removed endpoint, or one whose partner was revoked, has
 * none: nothing more is sent to it, and each PENDING delivery's next attempt ends it FAILED unsent.
 * The cost grows with the deliveries being retried, not with
 * the endpoints' history. Attempts older than EVENT_RETENTION_HOURS are pruned even while their
 * delivery is PENDING: with a retention shorter than the schedule, `firstFailedAt` is the earliest
 * failure still kept (the delivery's creation when none is).
 */
export async function webhookRetryingOf(em: SqlEntityManager, endpointIds: readonly number[]): Promise<WebhookRetryingRow[]> {
  return query<WebhookRetryingRow>(
    em,
    sql`with retrying as (
          select d.endpoint_id, d.last_error,
                 coalesce((select min(r.attempted_at) from (select a.attempted_at from webhook_attempt a where a.delivery_id = d.id and not a.manual order by a.id desc limit d.attempts) r),
                          d.created_at) as first_failed_at,
                 last.attempted_at as last_failed_at, last.status_code as last_status_code, d.next_attempt_at, d.id
            from webhook_delivery d
            left join lateral (select a.attempted_at, a.status_code from webhook_attempt a where a.delivery_id = d.id order by a.id desc limit 1) last on true
           where d.endpoint_id = any(${idList(endpointIds)}) and d.status = 'PENDING' and d.last_error is not null and d.attempts > 0
             -- a removed endpoint's (or a revoked partner's) are not retried: their next attempt ends them FAILED unsent (hostile39b)
             and exists (select 1 from webhook_endpoint e left join partner p on p.id = e.partner_id
                          where e.id = d.endpoint_id and e.disabled_at is null and p.revoked_at is null))
        select endpoint_id as "endpointId", count(*)::int as count,
               min(first_failed_at) as "firstFailedAt", min(next_attempt_at) as "nextAttemptAt",
               (array_agg(last_error order by last_failed_at desc nulls last, id desc))[1] as "lastError",
               (array_agg(last_status_code order by last_failed_at desc nulls last, id desc))[1] as "lastStatusCode",
               coalesce(max(last_failed_at), min(first_failed_at)) as "lastFailedAt"
          from retrying group by endpoint_id`,
  );
}

/**
 * The delivery log as the caller may read it: a page of deliveries, newest first, of one endpoint
 * and/or one status; staff read every endpoint's, a partner (webhooks:manage) its own endpoints'
 * only (webhooks-24; newcomer-21's proposal: it learnt *that* its endpoint failed, from
 * failingSince, not which events). An `endpointId` that is not the caller's to read answers nothing
 * here; the resolver refuses it as it refuses an unknown one (`webhookEndpointVisible`).
 */
export async function webhookDeliveriesPage(ctx: Ctx, filter: { endpointId: number | null; status: string | null }, page: Page): Promise<WebhookDeliveryRow[]> {
  return query<WebhookDeliveryRow>(ctx.em, webhookDeliveriesPageSql({ ...filter, partnerId: ownerScope(ctx) }, page));
}

/** Whether the caller may read endpoint `id` (staff: any that exists; a partner: its own), as `webhookEndpoints` lists them. */
export async function webhookEndpointVisible(ctx: Ctx, id: number): Promise<boolean> {
  const owner = ownerScope(ctx);
  return (await webhookEndpointsByIds(ctx.em, [id])).some((e) => owner === null || e.partnerId === owner);
}

/**
 * webhookDeliveriesPage's one statement (what a test explains: webhooks-23). A FAILED or PENDING
 * page is a backward range of `webhook_delivery_undelivered_idx` (status, id), so it reads the
 * page's rows, not every DELIVERED delivery newer than them (Migration20261203090000); the
 * statement is planned with its values (an unnamed statement), so `… is null or` folds away.
 * `partnerId`: only that partner's endpoints' deliveries (null: every one, for staff).
 */
export function webhookDeliveriesPageSql(filter: { endpointId: number | null; status: string | null; partnerId?: number | null }, page: Page): RawBuilder<WebhookDeliveryRow> {
  const after = page.after?.[0] ?? null;
  const partnerId = filter.partnerId ?? null;
  return sql<WebhookDeliveryRow>`select ${DELIVERY_COLUMNS} from webhook_delivery d
         where (${filter.endpointId}::bigint is null or d.endpoint_id = ${filter.endpointId})
           and (${partnerId}::bigint is null or d.endpoint_id = any(array(select o.id from webhook_endpoint o where o.partner_id = ${partnerId})))
           and (${filter.status}::text is null or d.status = ${filter.status})
           and (${after}::bigint is null or d.id < ${after})
         order by d.id desc limit ${page.limit + 1}`;
}

export async function webhookDeliveriesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<WebhookDeliveryRow[]> {
  return query<WebhookDeliveryRow>(em, sql`select ${DELIVERY_COLUMNS} from webhook_delivery d where d.id = any(${idList(ids)})`);
}

/** The attempts of deliveries, oldest first (for a DataLoader: one statement per page of deliveries). */
export async function webhookAttemptsOf(em: SqlEntityManager, deliveryIds: readonly number[]): Promise<WebhookAttemptRow[]> {
  return query<WebhookAttemptRow>(
    em,
    sql`select ${ATTEMPT_COLUMNS} from webhook_attempt a where a.delivery_id = any(${idList(deliveryIds)}) order by a.id`,
  );
}

/**
 * Sends a finished delivery again (after the receiver is mended): it is PENDING with a new round
 * of attempts, the same body and `webhook-id`. A PENDING delivery is left as it is.
 * Who: operators, any delivery; a partner with webhooks:manage, its own endpoints' (webhooks-25),
 * audited with the partner as actor (`partner:<id>`). NOT_FOUND: no such delivery, or another
 * partner's or the program's for a partner (answered alike, as `webhookDeliveries` answers another's
 * endpoint as an unknown one); INVALID: its endpoint was removed; NOT_ELIGIBLE: its endpoint's
 * partner may not read its event type now (`replayBeyondScopes`: the replay would end FAILED "The
 * partner may not read …" at its attempt, nothing sent; small-25). A partner whose key was revoked
 * while this ran is refused as at the door (CredentialRevoked), nothing written: its key is read
 * FOR KEY SHARE to commit (partnerStillHolds), so a revocation waits for the replay, then removes
 * the endpoint, and the replayed delivery ends FAILED at its attempt.
 *
 * Not naturally idempotent: a resend after a lost answer, once the first replay's round has ended
 * (DELIVERED, or FAILED again), sends the delivery once more. So it takes an optional
 * `idempotencyKey` (the caller's own, staff member's or partner's; `createOnce`, web-24): the same
 * key and delivery again answer the delivery as it is now and replay nothing; another delivery
 * under it is IDEMPOTENCY_KEY_REUSED. Without a key each call replays, as before.
 */
export async function replayWebhookDelivery(ctx: Ctx, deliveryId: number, idempotencyKey?: string | null, reason: string | null = null): Promise<WebhookDeliveryRow> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  const owner = ownerScope(ctx);
  return ctx.em.transactional(async (em) => {
    let replayed: WebhookDeliveryRow | undefined;
    const { replay } = await createOnce(ctx, em, `replay-webhook:${actor}`, idempotencyKey, () => requestFingerprint({ deliveryId }), now, async () => {
      replayed = await replayOnce(em, deliveryId, { actor, owner, reason }, now);
      return { id: deliveryId };
    });
    return replay || !replayed ? (await webhookDeliveriesByIds(em, [deliveryId]))[0] : replayed;
  });
}

/**
 * replayWebhookDelivery's effect: its checks, the delivery PENDING again with its job, and its
 * audit entry. `by.owner`: the partner whose endpoint's delivery it must be, and whose key must
 * still hold (null: staff, any delivery).
 */
async function replayOnce(em: SqlEntityManager, deliveryId: number, by: { actor: string; owner: number | null; reason: string | null }, now: Date): Promise<WebhookDeliveryRow> {
  const { actor, owner, reason } = by;
  const current = await queryOne<WebhookDeliveryRow & { disabledAt: Date | null; partnerScopes: string[] | null }>(
    em,
    sql`select ${DELIVERY_COLUMNS}, e.disabled_at as "disabledAt", (select p.scopes from partner p where p.id = e.partner_id) as "partnerScopes"
          from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
         where d.id = ${deliveryId} and (${owner}::bigint is null or e.partner_id = ${owner}) and ${partnerStillHolds(owner)} for update of d`,
  );
  if (!current) {
    await refuseIfRevoked(em, owner);
    throw refuse(UserErrorCode.NOT_FOUND, 'No such webhook delivery.', ['input', 'deliveryId']);
  }
  if (current.disabledAt) throw refuse(UserErrorCode.INVALID, 'Its endpoint was removed.', ['input', 'deliveryId']);
  // Refused up front: accepted, it ended FAILED at its attempt, nothing sent (small-25)
  const beyond = replayBeyondScopes(current.eventType, current.partnerScopes);
  if (beyond) throw refuse(UserErrorCode.NOT_ELIGIBLE, beyond, ['input', 'deliveryId']);
  if (current.status === 'PENDING') return current;
  const [row] = await query<WebhookDeliveryRow>(
    em,
    sql`update webhook_delivery d set status = 'PENDING', attempts = 0, last_error = null, next_attempt_at = ${now}, finished_at = null
         where d.id = ${deliveryId} returning ${DELIVERY_COLUMNS}`,
  );
  await enqueueDelivery(em, deliveryId, current.endpointId, now);
  await recordAudit(em, { actor, action: 'replayWebhookDelivery', target: `WebhookDelivery:${deliveryId}`, reason, at: now });
  return row;
}

/**
 * Sends every FAILED delivery of one endpoint again (after an outage longer than the retry
 * schedule: one FAILED delivery per event, thousands for a busy program), as `replayWebhookDelivery`
 * does one: each is PENDING with a new round of attempts, the same body and `webhook-id`, due now
 * (sent WEBHOOK_ENDPOINT_CONCURRENCY at a time, its job group's bound). Answers how many this
 * request set PENDING. Standard Webhooks ("Visibility into failures and manual retries"): "give
 * consumers a way to manually replay specific webhooks or failures within a range in order to
 * recover from long outages without missing message delivery" (webhooks-23).
 *
 * Who: operators, any endpoint; a partner with webhooks:manage, its own (webhooks-25; another
 * partner's or the program's is NOT_FOUND, as an unknown one), audited as `partner:<id>`; a partner
 * whose key was revoked while this ran: CredentialRevoked, nothing written (the key read FOR KEY
 * SHARE to commit, as replayWebhookDelivery). The bounds are staff's: the key is required, a
 * delivery gets one round however many replays run, the endpoint's job group sends
 * WEBHOOK_ENDPOINT_CONCURRENCY at a time, and the caller's requests count against its rate limit.
 *
 * Deliveries of an event type its endpoint's partner may not read now (`replayBeyondScopes`) are
 * left FAILED and answered in `skipped`, per type with its count and why (small-25): replayed,
 * each ended FAILED at its attempt ("The partner may not read …"), nothing sent.
 *
 * Keyed (`idempotencyKey`, the caller's own; `createOnce`): the same key and endpoint again
 * answer the first count (and skips) and replay nothing (a resend after a lost answer must not send, again,
 * the deliveries that failed since); another endpoint under it is IDEMPOTENCY_KEY_REUSED.
 * Refusals: NOT_FOUND, no such endpoint; INVALID, it was removed (nothing would be sent).
 *
 * One statement sets the deliveries PENDING, enqueues their jobs and wakes the workers (when it made any). Against a replay of one of
 * them, or another bulk replay, at once: each locks the delivery's row and the second finds it
 * PENDING and leaves it (READ COMMITTED re-reads `status = 'FAILED'` on a row it waited for), so a
 * delivery gets one new round and one job. The endpoint's row is read FOR SHARE, so a removal waits
 * for this to commit (its PENDING deliveries then end FAILED: "The endpoint was removed.").
 */
export async function replayFailedWebhookDeliveries(
  ctx: Ctx,
  d: { endpointId: number; idempotencyKey: string; reason?: string | null },
): Promise<{ endpoint: WebhookEndpointRow; replayed: number; skipped: SkippedReplays[] | null }> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  const owner = ownerScope(ctx);
  return ctx.em.transactional(async (em) => {
    const { result } = await createOnce(ctx, em, `replay-failed-webhooks:${actor}`, d.idempotencyKey, () => requestFingerprint({ endpointId: d.endpointId }), now, async () => {
      const endpoint = await queryOne<{ disabledAt: Date | null; partnerScopes: string[] | null }>(
        em,
        sql`select disabled_at as "disabledAt", (select p.scopes from partner p where p.id = e.partner_id) as "partnerScopes" from webhook_endpoint e
             where e.id = ${d.endpointId} and (${owner}::bigint is null or e.partner_id = ${owner}) and ${partnerStillHolds(owner)} for share`,
      );
      if (!endpoint) throw await endpointNotFound(em, owner);
      if (endpoint.disabledAt) throw refuse(UserErrorCode.INVALID, 'The endpoint was removed: nothing would be sent.', ['input', 'endpointId']);
      // Types its partner may not read now: their FAILED deliveries are left as they are and counted (small-25)
      const beyond = WEBHOOK_EVENT_TYPES.filter((type) => replayBeyondScopes(type, endpoint.partnerScopes) !== null);
      const replayed = sql`replayed`;
      const [{ count, skipped }] = await query<{ count: number; skipped: { type: WebhookEventWireType; count: number }[] }>(
        em,
        sql`with replayed as (
              update webhook_delivery d set status = 'PENDING', attempts = 0, last_error = null, next_attempt_at = ${now}, finished_at = null
               where d.endpoint_id = ${d.endpointId} and d.status = 'FAILED' and d.event_type <> all(${beyond}::text[]) returning d.id),
            jobs as (${enqueueJobSql(WEBHOOK_DELIVER, sql`jsonb_build_object('deliveryId', replayed.id)`, replayed, { runAt: now, maxAttempts: 3, group: endpointGroup(d.endpointId), tenant: endpointTenant(d.endpointId) })}),
            -- the workers' wake-up, sent at commit, in this statement as enqueueJob sends its own: only when a job was made
            woken as (select pg_notify(${JOBS_CHANNEL}, ${WEBHOOK_DELIVER}) from (select 1 from jobs limit 1) made),
            -- read at the statement's snapshot, as the update's: the FAILED deliveries it left for their type
            skipped as (select d.event_type as type, count(*)::int as count from webhook_delivery d
                         where d.endpoint_id = ${d.endpointId} and d.status = 'FAILED' and d.event_type = any(${beyond}::text[]) group by d.event_type)
            select (select count(*)::int from jobs) as count, (select count(*) from woken) as woken,
                   (select coalesce(jsonb_agg(jsonb_build_object('type', s.type, 'count', s.count) order by s.type), '[]'::jsonb) from skipped s) as skipped`,
      );
      const skippedReplays = skipped.map((s) => ({ eventType: s.type, count: s.count, message: replayBeyondScopes(s.type, endpoint.partnerScopes)! }));
      await recordAudit(em, {
        actor,
        action: 'replayFailedWebhookDeliveries',
        target: `WebhookEndpoint:${d.endpointId}`,
        reason: d.reason ?? null,
        details: skippedReplays.length ? { replayed: count, skipped: skipped } : { replayed: count },
        at: now,
      });
      return { replayed: count, skipped: skippedReplays };
    });
    const [endpoint] = await webhookEndpointsByIds(em, [d.endpointId]);
    // A repeat of a request answered before small-25 has no `skipped` stored: not known, so null
    return { endpoint, replayed: result.replayed, skipped: result.skipped ?? null };
  });
}

/**
 * FAILED deliveries of one event type that replayFailedWebhookDeliveries left as they are, and
 * why (`replayBeyondScopes`): its endpoint's partner may not read that type now, so a replay would
 * end FAILED at its attempt, nothing sent (small-25). Answered with the code NOT_ELIGIBLE.
 */
export interface SkippedReplays {
  eventType: WebhookEventWireType;
  count: number;
  message: string;
}

/**
 * "Retry now" (webhook-retry-40, webhook-retry-40b): every delivery of one endpoint being retried
 * (PENDING after a failed attempt, its next attempt waiting on the back-off schedule, up to
 * WEBHOOK_MAX_BACKOFF_MS, 6 h by default) gets one attempt now, outside the schedule, for an
 * operator or partner who knows (or hopes) the receiver is mended. Answers the endpoint, how many
 * deliveries this request brought forward, and when the last of them is due (`dueAt`, UTC; null
 * when none moved): a caller waits for that to see what the attempts did.
 *
 * A manual attempt, as Stripe's "Resend" and Svix's manual retry: delivered on a 2xx as any
 * attempt; on a failure the delivery goes back to the schedule as it was, its `attempts` unmoved
 * and its next attempt the scheduled one it was waiting for (no sooner than WEBHOOK_BACKOFF_MS after
 * the manual one began), so it never ends FAILED because of presses, however many
 * (manualAttempt in webhook.jobs.ts). The attempt is logged in `webhook_attempt`, `manual` true.
 * Before webhook-retry-40b each press spent one of the round's WEBHOOK_MAX_ATTEMPTS.
 *
 * What moves: the delivery's one queued job (`webhooks.deliver`, PENDING, not yet claimed), which
 * becomes the manual attempt (its payload keeps the scheduled time it stands in for, `resumeAtMs`),
 * and its `next_attempt_at`, in one statement, under the job rows' locks. A delivery being
 * attempted now (its job claimed, RUNNING) is left alone: its attempt's step 3 schedules the next
 * one as always, so it is never sent twice at once, and a delivery is sent at least once and only
 * by its one job (deliverWebhook). Against a claim at the same moment: the claim takes the job FOR
 * UPDATE SKIP LOCKED, this statement re-reads a job it waited for (READ COMMITTED) and skips it
 * once RUNNING. Only jobs due later than the new time move, so a second call (or a parallel one)
 * finds nothing left to bring forward, and the counts of calls at once add up to the deliveries
 * moved. The workers are woken (NOTIFY at commit) when one was made due now.
 *
 * Not faster than the schedule's first step: a delivery's new time is its last attempt's start
 * plus WEBHOOK_BACKOFF_MS when that is later than now (the shortest wait the schedule itself ever
 * makes). Pressed again and again while the receiver still fails, each delivery is attempted at
 * most once per WEBHOOK_BACKOFF_MS, at most WEBHOOK_ENDPOINT_CONCURRENCY of an endpoint's at once
 * (its job group) and WEBHOOK_PARTNER_CONCURRENCY of a partner's. A receiver's `Retry-After` is
 * overridden (whoever presses says the receiver is mended). FAILED deliveries are not touched
 * (that is the replay), nor deliveries never attempted (due already).
 *
 * Who: operators, any endpoint; a partner with webhooks:manage, its own (another's, or the
 * program's, is NOT_FOUND as an unknown one), as the other endpoint mutations. Refusals: NOT_FOUND
 * (no such endpoint); INVALID, it was removed or its partner revoked (nothing is sent to it: each
 * PENDING delivery ends FAILED unsent at its next attempt); CredentialRevoked for a partner whose
 * key was revoked while this ran (its key read FOR KEY SHARE to commit, as the replays). The
 * endpoint is read FOR SHARE, so a removal waits for this to commit. Audited
 * `retryWebhookDeliveriesNow` with the count and the caller's `reason` (optional, as revokePartner's)
 * when it brought any forward (a call that changed nothing records nothing). Not keyed: a resend
 * after a lost answer brings forward only what is still waiting, which is what the caller asked for.
 */
export async function retryWebhookDeliveriesNow(
  ctx: Ctx,
  endpointId: number,
  reason?: string | null,
): Promise<{ endpoint: WebhookEndpointRow; broughtForward: number; dueAt: Date | null }> {
  const now = ctx.clock.now();
  const owner = ownerScope(ctx);
  const floorMs = ctx.config.webhooks.backoffMs;
  return ctx.em.transactional(async (em) => {
    const endpoint = await queryOne<{ disabledAt: Date | null; partnerRevoked: boolean }>(
      em,
      sql`select e.disabled_at as "disabledAt", exists (select 1 from partner p where p.id = e.partner_id and p.revoked_at is not null) as "partnerRevoked"
            from webhook_endpoint e
           where e.id = ${endpointId} and (${owner}::bigint is null or e.partner_id = ${owner}) and ${partnerStillHolds(owner)} for share of e`,
    );
    if (!endpoint) throw await endpointNotFound(em, owner);
    if (endpoint.disabledAt) throw refuse(UserErrorCode.INVALID, 'The endpoint was removed: nothing is sent to it.', ['input', 'endpointId']);
    if (endpoint.partnerRevoked) throw refuse(UserErrorCode.INVALID, "The endpoint's partner was revoked: nothing is sent to it.", ['input', 'endpointId']);
    const [{ broughtForward, dueAt }] = await query<{ broughtForward: number; dueAt: Date | null }>(
      em,
      sql`with retrying as (
            -- a range of webhook_delivery_retrying_idx; each one's new time: now, or its last attempt's start plus the schedule's first step
            select d.id, greatest(${now}::timestamptz,
                     (select a.attempted_at from webhook_attempt a where a.delivery_id = d.id order by a.id desc limit 1) + ${floorMs}::int * interval '1 millisecond') as due
              from webhook_delivery d
             where d.endpoint_id = ${endpointId} and d.status = 'PENDING' and d.last_error is not null),
          -- the job becomes the manual attempt (manualAttempt): it keeps the time of the scheduled one it
          -- stands in for, the first such time when pressed again before it ran (SET reads the old row)
          moved as (
            update job j set run_at = r.due,
                   payload = j.payload || jsonb_build_object('manual', true, 'resumeAtMs', coalesce(j.payload->'resumeAtMs', to_jsonb((extract(epoch from j.run_at) * 1000)::bigint)))
              from retrying r
             where j.kind = ${WEBHOOK_DELIVER} and j.status = 'PENDING' and j.group_key = ${endpointGroup(endpointId)}
               and (j.payload->>'deliveryId')::bigint = r.id and j.run_at > r.due
            returning r.id, r.due),
          scheduled as (update webhook_delivery d set next_attempt_at = m.due from moved m where d.id = m.id returning d.id),
          -- the workers' wake-up, sent at commit: only when one is due now
          woken as (select pg_notify(${JOBS_CHANNEL}, ${WEBHOOK_DELIVER}) from (select 1 from moved where due <= ${now}::timestamptz limit 1) due_now)
          select (select count(*)::int from scheduled) as "broughtForward", (select max(due) from moved) as "dueAt", (select count(*) from woken) as woken`,
    );
    if (broughtForward > 0) {
      await recordAudit(em, { actor: actorOf(ctx.caller), action: 'retryWebhookDeliveriesNow', target: `WebhookEndpoint:${endpointId}`, reason: reason ?? undefined, details: { broughtForward }, at: now });
    }
    const [row] = await webhookEndpointsByIds(em, [endpointId]);
    return { endpoint: row, broughtForward, dueAt };
  });
}
