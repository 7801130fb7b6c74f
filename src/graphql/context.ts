import type { Ctx } from '../context.js';
import type { Loaders } from './loaders.js';

/**
 * The context every resolver receives: the domain's `Ctx` (entity manager, caller, clock,
 * settings, log, event hub) plus this request's DataLoaders, which batch the reads of one
 * GraphQL operation. Built once per HTTP request or WebSocket operation in http/server.ts.
 */
export interface RequestCtx extends Ctx {
  loaders: Loaders;
  /** The WebSocket the operation came over (absent over HTTP). */
  socket?: OperationSocket;
}

/** What an operation may do to the WebSocket it runs on. */
export interface OperationSocket {
  /** Closes the socket because a subscriber fell too far behind (code 4008, see docs/architecture.md). */
  slowConsumer(error: Error): void;
}
