import { PARTNER_WEBHOOK_SCOPES } from '../../src/webhooks/webhook.events.js';
import { WebhookEventType, wireTypeOf } from '../../src/webhooks/webhook.types.js';
import { EVENT_TYPES } from '../../web/src/console/webhook-event-types.js';

/**
 * The console's webhook form lists the event types an endpoint may ask for, each with its wire
 * name and the scope a partner needs for it: a twin of the gateway's lists, since the console does
 * not import src/ (a note since webhook-register-46). Held to them here, so a type added to the API,
 * or a scope moved, cannot leave the form offering the old set (the API would refuse what the form
 * let through, NOT_ELIGIBLE, or the form would grey out what a partner may have).
 */
describe("the console's webhook event types are the API's", () => {
  it('every value of WebhookEventType, in its order, with its wire name and the scope a partner needs', () => {
    expect(EVENT_TYPES.map((e) => [e.value, e.wire, e.scope])).toEqual(
      Object.values(WebhookEventType).map((value) => [value, wireTypeOf(value), PARTNER_WEBHOOK_SCOPES[wireTypeOf(value)] ?? null]),
    );
  });
});
