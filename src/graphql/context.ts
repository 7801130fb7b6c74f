import type { Ctx } from '../context.js';
import type { CustomerCheck } from '../customers/customer-check.js';
import type { Loaders } from './loaders.js';

/**
 * The context every resolver receives: the domain's `Ctx` (entity manager, caller, clock,
 * settings, log, event hub) plus this request's DataLoaders, which batch the reads of one
 * GraphQL operation. Built once per HTTP request or WebSocket operation in http/server.ts.
 */
export interface RequestCtx extends Ctx {
  loaders: Loaders;
  /**
   * Whether the signed-in customer is active, when authentication left that to the request (an HTTP
   * query whose customer id it knew): statements that read the customer's row settle it, and the
   * server settles it before it answers. Absent when authentication read the row itself.
   */
  customerCheck?: CustomerCheck;
  /** The WebSocket the operation came over (absent over HTTP). */
  socket?: OperationSocket;
}

/** What an operation may do to the WebSocket it runs on. */
export interface OperationSocket {
  /** Closes the socket because a subscriber fell too far behind (code 4008, see docs/architecture.md). */
  slowConsumer(error: Error): void;
}
