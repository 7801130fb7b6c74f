import { PARTNER_WEBHOOK_SCOPES, WEBHOOK_WIRE_NAMES } from '../../../src/webhooks/event-types.js';
import type { WebhookEventType } from './gql/graphql.js';

/** What each event says, in the form's words. */
const WHAT: Record<WebhookEventType, string> = {
  SALE_PROCESSED: 'a sale was processed',
  SALE_REVERSED: 'a sale was returned',
  OFFER_ISSUED: 'an offer landed in a wallet (the program’s endpoints only)',
  OFFER_REDEEMED: 'an offer was redeemed (the program’s endpoints only)',
  BALANCE_CHANGED: 'a point balance changed',
  TIER_CHANGED: 'a customer moved tier',
};

/**
 * The events an endpoint may ask for (registerWebhookEndpoint's `eventTypes`), in the API's order,
 * with the names its messages carry (`type` in the body, README "Webhooks"), what each says, and
 * the scope a partner's endpoint needs to receive it (null: the program's endpoints only). The
 * types, wire names and scopes are the gateway's own (src/webhooks/event-types.ts), so the form
 * cannot offer a type the API does not take or grey out one a partner may have; the gateway
 * refuses the rest (NOT_ELIGIBLE) whatever this form lets through.
 */
export const EVENT_TYPES: readonly { value: WebhookEventType; wire: string; what: string; scope: string | null }[] = (Object.keys(WEBHOOK_WIRE_NAMES) as WebhookEventType[]).map(
  (value) => ({ value, wire: WEBHOOK_WIRE_NAMES[value], what: WHAT[value], scope: PARTNER_WEBHOOK_SCOPES[WEBHOOK_WIRE_NAMES[value]] ?? null }),
);
