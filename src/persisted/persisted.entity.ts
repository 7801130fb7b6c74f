import { BigIntType, Opt, EntityName, PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * A GraphQL document known by its SHA-256: registered in a manifest, or by a client through
 * automatic persisted queries (APQ). Every gateway instance reads the same rows, so a hash
 * registered on one instance is served by all. A document on no client's list (APQ only) is
 * removed APQ_TTL_SECONDS after `createdAt` (src/persisted/apq-retention.job.ts); one a manifest
 * registered is kept for ever.
 */
@Entity({ tableName: 'persisted_document' })
export class PersistedDocument {
  [EntityName]?: 'PersistedDocument';
  [PrimaryKeyProp]?: 'hash';

  /** SHA-256 of `body`, 64 hex characters. */
  @PrimaryKey({ type: 'text' })
  hash!: string;

  @Property({ type: 'text' })
  body!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * An operation on one client's list (a partner's, or a first-party client's such as `mobile`):
 * the only documents a persisted-only client may run. Only a manifest registration adds one.
 */
@Entity({ tableName: 'persisted_operation' })
@Unique({ name: 'persisted_operation_client_hash_unique', properties: ['client', 'document'] })
@Index({ name: 'persisted_operation_hash_idx', properties: ['document'] })
export class PersistedOperation {
  [EntityName]?: 'PersistedOperation';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  /** `partner:<id>` for a partner, else the first-party client's name (`mobile`, `web`, `console`). */
  @Property({ type: 'text' })
  client!: string;

  /** The document, by its SHA-256 (column `hash`). */
  @ManyToOne(() => PersistedDocument, { fieldName: 'hash', deleteRule: 'restrict' })
  document!: PersistedDocument;

  @Property({ type: 'text' })
  name!: string;

  /** query, mutation or subscription. */
  @Property({ type: 'text' })
  type!: string;

  /** Output type of every selected field at registration (`Customer.email` → `String`), for `persisted check`. */
  @Property({ type: 'jsonb' })
  fieldTypes!: Record<string, string>;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();
}
