/**
 * Which outbox events partners are told about, under which webhook event type, and the message
 * each becomes (docs/decisions.md, "Partner webhooks"):
 *
 * | outbox topic            | payload condition        | webhook type       |
 * |-------------------------|--------------------------|--------------------|
 * | `TRANSACTION_PROCESSED` |                          | `sale.processed`   |
 * | `TRANSACTION_REVERSED`  |                          | `sale.reversed`    |
 * | `WALLET_CHANGED`        | `change = 'ISSUED'`      | `offer.issued`     |
 * | `WALLET_CHANGED`        | `change = 'REDEEMED'`    | `offer.redeemed`   |
 * | `BALANCE_CHANGED`       |                          | `balance.changed`  |
 * | `TIER_CHANGED`          |                          | `tier.changed`     |
 *
 * Other wallet changes (locks, expiry, voids) and events without a customer are not sent.
 */
import { toGlobalId } from '../graphql/ids.js';
import type { CommittedEvent } from '../events/outbox.reader.js';
import { instantOf } from '../domain/instant.js';

import { PARTNER_WEBHOOK_SCOPES, type WebhookEventWireType } from './event-types.js';

export { PARTNER_WEBHOOK_SCOPES, WEBHOOK_EVENT_TYPES, type WebhookEventWireType } from './event-types.js';

/** What a partner's endpoint may subscribe to (given the scope PARTNER_WEBHOOK_SCOPES names for it). */
export const PARTNER_WEBHOOK_EVENT_TYPES = Object.keys(PARTNER_WEBHOOK_SCOPES) as readonly WebhookEventWireType[];

/** The event types of `types` a partner holding `scopes` may not be sent, each with the scope it lacks (or null: never a partner's). */
export function eventTypesBeyond(types: readonly WebhookEventWireType[], scopes: readonly string[]): { type: WebhookEventWireType; scope: string | null }[] {
  return types.flatMap((type) => {
    const scope = PARTNER_WEBHOOK_SCOPES[type] ?? null;
    return scope !== null && scopes.includes(scope) ? [] : [{ type, scope }];
  });
}

/** The event types about one sale, which a partner's endpoint receives for that partner's own sales only. */
export const SALE_EVENT_TYPES: readonly WebhookEventWireType[] = ['sale.processed', 'sale.reversed'];

/** The outbox topics whose payload's `transactionId` names a sale (the dispatcher reads its partner and external id). */
export const SALE_TOPICS: readonly string[] = ['TRANSACTION_PROCESSED', 'TRANSACTION_REVERSED'];

/**
 * An outbox event as the dispatcher sends it: the row as `readCommittedEvents` reads it, with what
 * its webhook body names (customer, sale). Its message id is the row's global id (`rowId`), not
 * the customer's stream position (`id`).
 */
export type WebhookSourceEvent = CommittedEvent & {
  customerExternalId: string | null;
  /** For a sale's events (SALE_TOPICS): the sale's partner and its own id for the sale. */
  salePartnerId: number | null;
  saleExternalId: string | null;
};

/** The webhook event type of an outbox event, or null when it is not sent. */
export function webhookTypeOf(topic: string, payload: Record<string, unknown>): WebhookEventWireType | null {
  switch (topic) {
    case 'TRANSACTION_PROCESSED':
      return 'sale.processed';
    case 'TRANSACTION_REVERSED':
      return 'sale.reversed';
    case 'WALLET_CHANGED':
      return payload.change === 'ISSUED' ? 'offer.issued' : payload.change === 'REDEEMED' ? 'offer.redeemed' : null;
    case 'BALANCE_CHANGED':
      return 'balance.changed';
    case 'TIER_CHANGED':
      return 'tier.changed';
    default:
      return null;
  }
}

/**
 * Who an endpoint belongs to, which decides what its bodies carry: the program's endpoints
 * (`partner_id` null) get everything; a partner's get the loyalty view only ("What partners see"),
 * so `balance.changed` names no ledger reason: those are staff notes, the offers a member bought,
 * other partners' return reasons and activity references, which `pointHistory` refuses partners
 * (break36, authz).
 */
export type WebhookAudience = 'program' | 'partner';

/**
 * The JSON body of an event (Standard Webhooks' recommended shape `{ type, timestamp, data }`):
 * the customer by their external id (and global id), and the change in the API's terms, as
 * `audience` may read it (WebhookAudience).
 */
export function webhookBody(type: WebhookEventWireType, event: WebhookSourceEvent, audience: WebhookAudience = 'program'): string {
  const p = event.payload;
  const customer = { id: event.customerId === null ? null : toGlobalId('Customer', event.customerId), externalId: event.customerExternalId };
  // A sale's events name it by its global id and the partner's own id for it.
  const sale = () => ({ id: toGlobalId('SalesTransaction', Number(p.transactionId)), externalId: event.saleExternalId });
  let data: Record<string, unknown>;
  switch (type) {
    case 'sale.processed':
      data = {
        customer,
        sale: {
          ...sale(),
          pointsAwarded: p.pointsAwarded,
          // Per point currency (money-24): pointsAwarded adds currencies up. Absent from the
          // bodies of events recorded before it.
          ...(Array.isArray(p.pointsByCurrency) ? { pointsByCurrency: p.pointsByCurrency } : {}),
          discount: p.discount,
          // What its campaigns did not issue (offsale-12c), as SalesTransaction.offersNotAwarded: only when
          // there is any, so the body of every other sale stays as it was.
          ...(Array.isArray(p.offersNotAwarded) && p.offersNotAwarded.length
            ? { offersNotAwarded: (p.offersNotAwarded as { rule: string; reason: string; message: string }[]).map(({ rule, reason, message }) => ({ rule, reason, message })) }
            : {}),
        },
      };
      break;
    case 'sale.reversed':
      // What the return took back (ReverseTransactionPayload's pointsReversed and pointsOwed); not the wallet's offers it voided or kept, which partners do
      // not read (they have offer events for the program's endpoints).
      // pointsReversed and pointsOwed add currencies up; reversedByCurrency (money-24) has them per
      // point currency, absent from events recorded before it.
      data = {
        customer,
        sale: {
          ...sale(),
          pointsReversed: p.pointsReversed,
          pointsOwed: p.pointsOwed,
          ...(Array.isArray(p.reversedByCurrency) ? { reversedByCurrency: p.reversedByCurrency } : {}),
          reason: p.reason ?? null,
        },
      };
      break;
    case 'offer.issued':
    case 'offer.redeemed':
      data = { customer, issuedOffer: { id: toGlobalId('IssuedOffer', Number(p.issuedOfferId)) } };
      break;
    case 'balance.changed': {
      const change = p.change as { amount: number; kind: string; reason: string | null } | undefined;
      data = {
        customer,
        balance: { currency: p.currency ?? p.currencyCode, available: p.available, pending: p.pending, lifetimeEarned: p.lifetimeEarned },
        change: change ? { amount: change.amount, kind: change.kind, ...(audience === 'program' ? { reason: change.reason ?? null } : {}) } : null,
      };
      break;
    }
    case 'tier.changed':
      data = { customer, from: p.from ?? null, to: p.to ?? null };
      break;
  }
  return JSON.stringify({ type, timestamp: instantOf(event.createdAt).toISOString(), data: { eventId: String(event.rowId), ...data } });
}
