import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { CustomerStatus } from './customers/customer.entity.js';
import type { EventHub } from './events/hub.js';
import type { IdempotentReplays } from './idempotency/replays.js';

export type StaffRole = 'operator' | 'analyst';

/**
 * The signed-in customer: their id (`customer.id`) and the token's subject (`customer.external_id`).
 * Their tier and segments are not part of it: every statement that needs them reads them from the
 * customer's row (store eligibility, `customerQualifies`), so they are as of that statement.
 */
export interface CustomerCaller {
  kind: 'customer';
  customerId: number;
  externalId: string;
  /**
   * The status authentication read (ACTIVE or SUSPENDED: CLOSED is refused there). Undefined when
   * authentication took the id from its cache and left the read to the request (an HTTP query, or
   * a compiled `purchaseOffer`, whose statement reads the status itself: `CustomerCheck`,
   * src/customers/customer-check.ts); other mutations always have it. Code that acts on it treats
   * undefined as not ACTIVE.
   */
  status: CustomerStatus | undefined;
}

export interface StaffCaller {
  kind: 'staff';
  staffId: string;
  role: StaffRole;
}

/** An integration calling with an API key. */
export interface PartnerCaller {
  kind: 'partner';
  partnerId: number;
  name: string;
  scopes: string[];
}

export interface AnonymousCaller {
  kind: 'anonymous';
}

export type Caller = CustomerCaller | StaffCaller | PartnerCaller | AnonymousCaller;

/**
 * Everything request-scoped that the domain needs. Services take it as their first argument;
 * nothing of it is global. The GraphQL layer extends it with its per-request loaders
 * (`RequestCtx` in graphql/context.ts), so no service depends on the API layer.
 */
export interface Ctx {
  em: SqlEntityManager;
  caller: Caller;
  clock: Clock;
  config: Config;
  log: Logger;
  /** This gateway's live events, for subscriptions (absent in jobs and scripts). */
  events?: EventHub;
  /**
   * The request's keyed operations answered from an earlier request's record (replay-22): set by
   * the API layer once a mutation field starts, noted by services (`noteReplay`), read when the
   * answer is written. Absent in queries, jobs and scripts.
   */
  replays?: IdempotentReplays;
}

/** How a caller is named in the ledger and audit log. */
export function actorOf(caller: Caller): string {
  switch (caller.kind) {
    case 'customer':
      return `customer:${caller.customerId}`;
    case 'staff':
      return `staff:${caller.staffId}`;
    case 'partner':
      return `partner:${caller.partnerId}`;
    default:
      return 'anonymous';
  }
}
