import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { parse, specifiedRules, type GraphQLSchema } from 'graphql';
import type { DocumentChecks } from '../graphql/document-rules.js';
import { recordAudit } from '../audit/audit.service.js';
import { query, sql } from '../db/sql.js';
import { oneMutationField } from '../graphql/mutation-fields.js';
import { checkManifest, ManifestRejected, selectedFieldTypes, type OperationType, type RegisteredOperation } from './manifest.js';

/** The list key of a partner's operations (`partner:<id>`); first-party clients are keyed by their name. */
export const partnerClient = (partnerId: number) => `partner:${partnerId}`;

/**
 * The audit target naming a client's list (money-24): a partner's is `Partner:<id>`, as every
 * other audit entry names a partner (the list key `partner:<id>` was written before); a
 * first-party client's is its name (`web`, `console`…), which names no row.
 */
export const auditTargetOfClient = (client: string) => client.replace(/^partner:(\d+)$/, 'Partner:$1');

/** First-party client names: `mobile`, `web`, `console`, `kiosk-2`… (what `apollographql-client-name` carries). */
export const CLIENT_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/**
 * Registers every operation of an Apollo persisted query manifest on `client`'s list, after
 * checking all of them against `schema` (see `checkManifest`): all or nothing. Operations already on
 * the list are left as they are, so registering the same manifest again changes nothing; lists
 * only grow (an app version in the field keeps working after the next one is registered).
 * @returns count: operations newly added to the list (0 on a repeat).
 * @throws ManifestRejected (nothing written) with every problem found.
 */
export async function registerManifest(
  em: SqlEntityManager,
  input: { schema: GraphQLSchema; client: string; manifest: unknown; actor: string; reason?: string | null; now: Date; checks: DocumentChecks },
): Promise<{ count: number }> {
  const manifest = checkManifest(input.schema, input.manifest, input.checks);
  const rows = manifest.operations.map((op) => ({
    hash: op.id,
    body: op.body,
    name: op.name,
    type: op.type,
    field_types: selectedFieldTypes(input.schema, parse(op.body)),
  }));
  return em.transactional(async (tx) => {
    const records = sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(hash text, body text, name text, type text, field_types jsonb)`;
    // A document already stored (perhaps as APQ, which the purge removes past APQ_TTL_SECONDS) is
    // locked, not rewritten (`do update … where false` locks the row and changes nothing), until
    // its operation row below commits: the APQ purge skips locked rows, so it cannot remove the
    // document between this statement and that insert, whose foreign key then failed (retain-14).
    await query(
      tx,
      sql`insert into persisted_document (hash, body, created_at) select r.hash, r.body, ${input.now} from ${records}
          on conflict (hash) do update set body = excluded.body where false`,
    );
    const added = await query<{ hash: string }>(
      tx,
      sql`insert into persisted_operation (client, hash, name, type, field_types, created_by, created_at)
          select ${input.client}, r.hash, r.name, r.type, r.field_types, ${input.actor}, ${input.now} from ${records}
          on conflict (client, hash) do nothing returning hash`,
    );
    if (added.length) {
      await recordAudit(tx, {
        actor: input.actor,
        action: 'registerPersistedOperations',
        target: auditTargetOfClient(input.client),
        reason: input.reason ?? null,
        details: { added: added.length, operations: rows.filter((r) => added.some((a) => a.hash === r.hash)).map((r) => r.name) },
        at: input.now,
      });
    }
    return { count: added.length };
  });
}

/** graphql-js's rules and one root field per mutation: what a document of the gateway's own must pass whatever the limits (`registerOwnManifest`). */
const SCHEMA_CHECKS: DocumentChecks = { rules: [...specifiedRules, oneMutationField] };

/**
 * A manifest of the gateway's own registered at start (the built apps', the demo POS's contract
 * operations): checked against the schema as any (a build for another schema stops the start,
 * ManifestRejected), and against this gateway's limits (`input.checks`), whose refusals do not stop
 * it: an API-only deployment may set limits its apps exceed. What they refuse is registered still
 * (its pages are then refused QUERY_TOO_COMPLEX, naming the limit, as before break37) and said in
 * `overLimits` (the problems, one string) for the start to log; null when all pass. Operators'
 * registrations (the mutation, the CLI) refuse instead: `registerManifest`.
 */
export async function registerOwnManifest(em: SqlEntityManager, input: Parameters<typeof registerManifest>[1]): Promise<{ count: number; overLimits: string | null }> {
  try {
    return { ...(await registerManifest(em, input)), overLimits: null };
  } catch (error) {
    if (!(error instanceof ManifestRejected)) throw error;
    return { ...(await registerManifest(em, { ...input, checks: SCHEMA_CHECKS })), overLimits: error.message };
  }
}

/** Every registered operation of every client, for `persisted check`. */
export async function allRegisteredOperations(em: SqlEntityManager): Promise<RegisteredOperation[]> {
  return query<RegisteredOperation>(
    em,
    sql`select o.client, o.name, o.hash, d.body, o.field_types as "fieldTypes"
          from persisted_operation o join persisted_document d on d.hash = o.hash
         order by o.client, o.name, o.hash`,
  );
}

/** An operation on a client's list. */
export interface ListedOperation {
  client: string;
  name: string;
  type: OperationType;
  body: string;
}

/** A map that forgets its least recently used entry past `size` entries. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly size: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}

/**
 * A gateway instance's view of the persisted documents: PostgreSQL holds them (so every instance
 * knows what any instance registered), an LRU in front keeps hot ones out of the database. Only
 * hits are cached: a miss may be registered the next moment on another instance. Rows are never
 * changed, and only APQ documents are removed (past APQ_TTL_SECONDS), so a cached hit is never
 * wrong: a hash names one text, and serving a removed APQ document from memory is what a client
 * that sent its text once may expect.
 */
export class PersistedStore {
  private readonly bodies: Lru<string, string>;
  private readonly listed: Lru<string, ListedOperation>;

  constructor(cacheSize = 10_000) {
    this.bodies = new Lru(cacheSize);
    this.listed = new Lru(cacheSize);
  }

  /** The document a hash names (manifest or APQ), if any instance ever registered it. */
  async body(em: SqlEntityManager, hash: string): Promise<string | undefined> {
    const hit = this.bodies.get(hash);
    if (hit !== undefined) return hit;
    const [row] = await query<{ body: string }>(em, sql`select body from persisted_document where hash = ${hash}`);
    if (row) this.bodies.set(hash, row.body);
    return row?.body;
  }

  /** The operation `hash` names on `client`'s list, if it is on it. */
  async operation(em: SqlEntityManager, client: string, hash: string): Promise<ListedOperation | undefined> {
    const key = `${client}\n${hash}`;
    const hit = this.listed.get(key);
    if (hit) return hit;
    const [row] = await query<ListedOperation>(
      em,
      sql`select o.client, o.name, o.type, d.body from persisted_operation o join persisted_document d on d.hash = o.hash
           where o.client = ${client} and o.hash = ${hash}`,
    );
    if (row) this.listed.set(key, row);
    return row;
  }

  /**
   * Whether `client`'s list holds any operation. Read only to word a refusal: a partner that sends
   * an id before an operator registered its manifest is told that, not that this one id is
   * missing. One indexed statement (`persisted_operation_client_hash_unique`); not cached, so a
   * registration shows at once.
   */
  async hasOperations(em: SqlEntityManager, client: string): Promise<boolean> {
    const [row] = await query<{ any: boolean }>(em, sql`select exists (select 1 from persisted_operation where client = ${client}) as any`);
    return row?.any === true;
  }

  /**
   * Remembers an APQ document (hash already checked against the body, document already
   * validated) as sent at `now`: stored, or its stored row's `created_at` moved on to `now`, so it
   * is kept APQ_TTL_SECONDS after the text was last sent (the purge, `purgeApqDocuments`, counts
   * from `created_at`). Never adds to any client's list. Always written, even when this instance
   * holds the text in memory: break-14 found two faults of the shortcut and the old `do update …
   * where false`. (1) After the purge, another instance answered PERSISTED_QUERY_NOT_FOUND, the
   * client sent the text, the balancer gave it to this instance, which skipped the write as it had
   * the text cached: the next request by hash elsewhere was refused again, for as long as the text
   * kept reaching this instance. (2) A text sent again within the TTL left the row's first date, so
   * it was purged APQ_TTL_SECONDS after its first send, however recently the client had sent it.
   * One statement, as before on a miss; a hit (a client sending its text with the hash again) now
   * costs it too. A row being purged meanwhile: the upsert waits for the purge and inserts the row
   * again; a row this upsert holds, the purge skips (`for update skip locked`) and rechecks.
   */
  async rememberApq(em: SqlEntityManager, hash: string, body: string, now: Date): Promise<void> {
    await query(
      em,
      sql`insert into persisted_document (hash, body, created_at) values (${hash}, ${body}, ${now})
          on conflict (hash) do update set created_at = excluded.created_at where persisted_document.created_at < excluded.created_at`,
    );
    this.bodies.set(hash, body);
  }
}

/** Every client with registered operations (a name such as `web`, or `partner:<id>`), in byte order. */
export async function registeredClients(em: SqlEntityManager): Promise<string[]> {
  return (await query<{ client: string }>(em, sql`select client from persisted_operation group by client order by client collate "C"`)).map((r) => r.client);
}
