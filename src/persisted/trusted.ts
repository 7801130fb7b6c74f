import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { documentHash, HASH_FORMAT } from './manifest.js';
import type { ListedOperation, PersistedStore } from './persisted.service.js';

/** Codes of the refusals below (GraphQL error `extensions.code`). */
export const PersistedCode = {
  NOT_ALLOWED: 'PERSISTED_QUERY_NOT_ALLOWED',
  NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  BAD_REQUEST: 'BAD_REQUEST',
} as const;

/** What the caller is, as far as trusted documents care. */
export interface TrustedCaller {
  /** The list this caller's registered operations are on: `partner:<id>`, or a first-party name; none for others. */
  client?: string;
  /** Only operations on `client`'s list, by hash: partners always, first-party clients named in PERSISTED_ONLY. */
  persistedOnly: boolean;
  /** May an APQ registration (hash + query) by this caller be remembered? Not anonymous ones in production. */
  mayRegister: boolean;
}

/** The decision on one request, taken before any of its GraphQL text is parsed. */
export type Decision =
  | { kind: 'refuse'; status: number; code: string; message: string }
  | {
      kind: 'run';
      /** The text to run (the registered body when the request sent only a hash). */
      query: unknown;
      /** The request's extensions without `persistedQuery` (handled here). */
      extensions: Record<string, unknown> | undefined;
      /** Set when the request runs an operation on its client's list. */
      registered?: ListedOperation;
      /** An APQ document to remember once it has validated. */
      remember?: { hash: string; body: string };
    };

const refuse = (status: number, code: string, message: string): Decision => ({ kind: 'refuse', status, code, message });

/**
 * Trusted documents and automatic persisted queries (Apollo's APQ protocol), decided from the
 * request's `query` and `extensions` without parsing any GraphQL:
 * - a persisted-only caller runs only an operation on its own list, named by
 *   `extensions.persistedQuery.sha256Hash` with no `query` or with the very body the hash names;
 *   anything else (plain text, even of a registered body; a hash of another client's operation; a
 *   hash with another body) is PERSISTED_QUERY_NOT_ALLOWED, whose message says when the client's
 *   list is still empty (nothing registered for it yet);
 * - other callers may send a hash alone (PERSISTED_QUERY_NOT_FOUND when no instance knows it, so
 *   the client retries with the text) or a hash with its text, which is then remembered for every
 *   instance; a hash that is not the text's SHA-256 is PERSISTED_QUERY_HASH_MISMATCH (400).
 */
export async function decide(
  store: PersistedStore,
  em: SqlEntityManager,
  caller: TrustedCaller,
  request: { query: unknown; extensions: unknown },
): Promise<Decision> {
  const { query } = request;
  const extensions = request.extensions && typeof request.extensions === 'object' && !Array.isArray(request.extensions) ? { ...(request.extensions as Record<string, unknown>) } : undefined;
  const persisted = extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  if (extensions) delete extensions.persistedQuery;
  const rest = extensions && Object.keys(extensions).length ? extensions : undefined;

  if (persisted === undefined) {
    if (caller.persistedOnly) {
      return refuse(400, PersistedCode.NOT_ALLOWED, 'This client runs only its registered operations: send extensions.persistedQuery.sha256Hash = the operation id.');
    }
    return { kind: 'run', query, extensions: rest };
  }
  if (!persisted || typeof persisted !== 'object' || persisted.version !== 1) {
    return refuse(400, PersistedCode.BAD_REQUEST, 'extensions.persistedQuery must be { version: 1, sha256Hash }.');
  }
  const hash = persisted.sha256Hash;
  if (typeof hash !== 'string' || !HASH_FORMAT.test(hash)) {
    return refuse(400, PersistedCode.BAD_REQUEST, 'extensions.persistedQuery.sha256Hash must be 64 lowercase hex characters.');
  }
  if (query !== undefined && query !== null && typeof query !== 'string') return refuse(400, PersistedCode.BAD_REQUEST, 'query must be a string.');
  const text = query ?? undefined;
  const matches = text === undefined || documentHash(text) === hash;
  const registered = caller.client ? await store.operation(em, caller.client, hash) : undefined;

  if (caller.persistedOnly) {
    if (!registered) {
      if (caller.client && !(await store.hasOperations(em, caller.client))) {
        return refuse(400, PersistedCode.NOT_ALLOWED, "This client has no registered operations yet: an operator registers its manifest first (the console's Partners page, or registerPersistedOperations).");
      }
      return refuse(400, PersistedCode.NOT_ALLOWED, 'This operation is not on the registered list of this client: an id is the SHA-256 of the operation body as its manifest registered it.');
    }
    if (!matches) return refuse(400, PersistedCode.NOT_ALLOWED, 'The query is not the document its sha256Hash names.');
    return { kind: 'run', query: registered.body, extensions: rest, registered };
  }
  if (text !== undefined) {
    if (!matches) return refuse(400, PersistedCode.HASH_MISMATCH, 'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query.');
    return { kind: 'run', query: text, extensions: rest, registered, remember: caller.mayRegister && !registered ? { hash, body: text } : undefined };
  }
  const body = registered?.body ?? (await store.body(em, hash));
  if (body === undefined) return refuse(200, PersistedCode.NOT_FOUND, 'PersistedQueryNotFound');
  return { kind: 'run', query: body, extensions: rest, registered };
}
