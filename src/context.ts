import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { CustomerStatus } from './customers/customer.entity.js';
import type { EventHub } from './events/hub.js';

export type StaffRole = 'operator' | 'analyst';

/** The signed-in customer, read once per request. */
export interface CustomerCaller {
  kind: 'customer';
  customerId: number;
  externalId: string;
  status: CustomerStatus;
  tierId: number | null;
  segments: string[];
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
