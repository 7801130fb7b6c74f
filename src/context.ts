import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { CustomerStatus } from './customers/customer.entity.js';
import type { EventHub } from './events/hub.js';
import type { Loaders } from './graphql/loaders.js';

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

/** Everything request-scoped. Services take it as their first argument; nothing of it is global. */
export interface Ctx {
  em: SqlEntityManager;
  caller: Caller;
  loaders: Loaders;
  clock: Clock;
  config: Config;
  log: Logger;
  /** This gateway's live events, for subscriptions (absent in jobs and scripts). */
  events?: EventHub;
  /** The WebSocket the operation came over (absent over HTTP). */
  socket?: OperationSocket;
}

/** What an operation may do to the WebSocket it runs on. */
export interface OperationSocket {
  /** Closes the socket because a subscriber fell too far behind (code 4008, see docs/architecture.md). */
  slowConsumer(error: Error): void;
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
