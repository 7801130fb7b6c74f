/**
 * The webhook event types and who may receive them: plain data, imported by the gateway
 * (webhook.events.ts, webhook.types.ts) and by the console's endpoint form
 * (web/src/console/webhook-event-types.ts), so the two cannot list different types or scopes.
 * Nothing here may import the gateway's server-side modules (the console's bundle takes it whole).
 */

/** The webhook event types, by their wire names (Standard Webhooks' `type`). */
export const WEBHOOK_EVENT_TYPES = ['sale.processed', 'sale.reversed', 'offer.issued', 'offer.redeemed', 'balance.changed', 'tier.changed'] as const;
export type WebhookEventWireType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Each event type's GraphQL name (`WebhookEventType`'s values, in the schema's order) and its wire name. */
export const WEBHOOK_WIRE_NAMES = {
  SALE_PROCESSED: 'sale.processed',
  SALE_REVERSED: 'sale.reversed',
  OFFER_ISSUED: 'offer.issued',
  OFFER_REDEEMED: 'offer.redeemed',
  BALANCE_CHANGED: 'balance.changed',
  TIER_CHANGED: 'tier.changed',
} as const satisfies Record<string, WebhookEventWireType>;

/**
 * What a partner's endpoint may subscribe to, and the scope a partner needs for each: the loyalty
 * view (no wallet), as reads show it (SPEC §4 / "What partners see"): every customer's balance and
 * tier moves with `customers:read`, the outcome of its own sales (processed, and returned:
 * webhooks-24) with `transactions:read`. A key holding `webhooks:manage` alone was sent every
 * customer's balances (hostile pass 9).
 */
export const PARTNER_WEBHOOK_SCOPES: Readonly<Partial<Record<WebhookEventWireType, string>>> = {
  'sale.processed': 'transactions:read',
  'sale.reversed': 'transactions:read',
  'balance.changed': 'customers:read',
  'tier.changed': 'customers:read',
};
