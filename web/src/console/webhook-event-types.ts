import type { WebhookEventType } from './gql/graphql.js';

/**
 * The events an endpoint may ask for (registerWebhookEndpoint's `eventTypes`), with the names its
 * messages carry (`type` in the body, README "Webhooks"), what each says, and the scope a
 * partner's endpoint needs to receive it (null: the program's endpoints only). The scopes are
 * the gateway's PARTNER_WEBHOOK_SCOPES (src/webhooks/webhook.events.ts), which refuses the rest
 * (NOT_ELIGIBLE) whatever this form lets through. A twin of the gateway's lists (the console does
 * not import src/): test/web/webhook-event-types.test.ts holds it to them, every value of the API's
 * WebhookEventType in its order, its wire name and its scope.
 */
export const EVENT_TYPES: readonly { value: WebhookEventType; wire: string; what: string; scope: string | null }[] = [
  { value: 'SALE_PROCESSED', wire: 'sale.processed', what: 'a sale was processed', scope: 'transactions:read' },
  { value: 'SALE_REVERSED', wire: 'sale.reversed', what: 'a sale was returned', scope: 'transactions:read' },
  { value: 'OFFER_ISSUED', wire: 'offer.issued', what: 'an offer landed in a wallet (the program’s endpoints only)', scope: null },
  { value: 'OFFER_REDEEMED', wire: 'offer.redeemed', what: 'an offer was redeemed (the program’s endpoints only)', scope: null },
  { value: 'BALANCE_CHANGED', wire: 'balance.changed', what: 'a point balance changed', scope: 'customers:read' },
  { value: 'TIER_CHANGED', wire: 'tier.changed', what: 'a customer moved tier', scope: 'customers:read' },
];
