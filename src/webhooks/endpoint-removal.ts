import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { columnsOf, type Selected } from '../db/schema.js';
import { queryOne, sql } from '../db/sql.js';
import { partnerStillHolds } from '../partners/partner.service.js';
import type { WebhookEventWireType } from './webhook.events.js';
import { WebhookEndpoint } from './webhook.entity.js';

/** `webhook_endpoint e`'s columns as staff and its partner see them (WebhookEndpointRow). */
export const ENDPOINT_COLUMNS = columnsOf(WebhookEndpoint, 'e', ['id', 'partnerId', 'url', 'eventTypes', 'description', 'createdAt', 'disabledAt', 'failingSince']);

/** An endpoint as staff and its partner see it: `webhook_endpoint` but its secret and author; event types by wire name. */
export type WebhookEndpointRow = Omit<Selected<typeof ENDPOINT_COLUMNS>, 'eventTypes'> & { eventTypes: WebhookEventWireType[] };

/** Who removes an endpoint (removeEndpoint). */
export interface EndpointRemover {
  /** The audit entry's actor: `actorOf` the caller, or `webhook-receiver` for a 410 Gone. */
  actor: string;
  /** The partner whose endpoint it must be and whose key must still hold (partnerStillHolds); null: any endpoint, no key to hold. */
  owner: number | null;
  /** The audit entry's reason, if any. */
  reason?: string;
  /**
   * Audited only by the removal that sets `disabled_at` (a receiver's 410, which each of its
   * deliveries may answer: one entry). Otherwise every removal asked for is audited, a repeat too
   * (staff's or a partner's request, as removeWebhookEndpoint always did).
   */
  once?: boolean;
}

/**
 * Removes webhook endpoint `endpointId` at `at`, in the caller's transaction: `disabled_at` is set
 * (an earlier removal's date is kept), so nothing more is dispatched to it, its PENDING deliveries
 * end FAILED at their next attempt and nothing is replayed to it; and the audit entry
 * `removeWebhookEndpoint` on `WebhookEndpoint:<id>` by `by.actor` is recorded. The one path of a
 * removal by staff or its partner (`removeWebhookEndpoint`) and by its receiver answering 410 Gone
 * (webhooks-23). Answers the endpoint; undefined when no endpoint matched (unknown, another
 * partner's, the owner's key revoked, or with `once` already removed): nothing written.
 */
export async function removeEndpoint(em: SqlEntityManager, endpointId: number, by: EndpointRemover, at: Date): Promise<WebhookEndpointRow | undefined> {
  const endpoint = await queryOne<WebhookEndpointRow>(
    em,
    sql`update webhook_endpoint e set disabled_at = coalesce(e.disabled_at, ${at}),
               -- what committed before this is still owed to it (dispatchWebhooks), what commits after is not
               removed_windows = case when e.disabled_at is null
                 then e.removed_windows || jsonb_build_array(jsonb_build_object('from', pg_current_snapshot()::text, 'to', null))
                 else e.removed_windows end
         where e.id = ${endpointId} and (${by.owner}::bigint is null or e.partner_id = ${by.owner}) and ${partnerStillHolds(by.owner)}
               ${by.once ? sql`and e.disabled_at is null` : sql``}
         returning ${ENDPOINT_COLUMNS}`,
  );
  if (endpoint) await recordAudit(em, { actor: by.actor, action: 'removeWebhookEndpoint', target: `WebhookEndpoint:${endpointId}`, reason: by.reason, at });
  return endpoint;
}
