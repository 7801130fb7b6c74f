import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Tier } from '../tiers/tier.entity.js';

export enum CustomerStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  CLOSED = 'CLOSED',
}

@Entity({ tableName: 'customer' })
// Staff's customer search (customer-search-40, src/customers/customer-search.ts): prefix ranges of
// the lowercased NFC externalId and of the email's search key (byte order, so a range is a prefix
// in any locale), and trigrams of the name's search key (pg_trgm) for a word of it that starts
// with the search. The key is `search_key` (search-46, Migration20261206180000: accents and case
// set aside), the database's twin of src/customers/search-key.ts; a name's words are its key and,
// when it has an apostrophe, its key without them (`search_name`, search-48, Migration20261206200000).
@Index({ name: 'customer_external_id_search_idx', expression: 'create index customer_external_id_search_idx on customer ((lower(normalize(external_id, NFC)) collate "C"))' })
@Index({ name: 'customer_email_key_idx', expression: 'create index customer_email_key_idx on customer ((search_key(email) collate "C"))' })
@Index({ name: 'customer_name_words_idx', expression: 'create index customer_name_words_idx on customer using gin (search_name(name) gin_trgm_ops)' })
@Check({ name: 'customer_external_id_not_blank', expression: 'length(TRIM(BOTH FROM external_id)) > 0' })
@Check({ name: 'customer_version_positive', expression: 'version >= 1' })
export class Customer {
  [EntityName]?: 'Customer';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: 'text', unique: true })
  externalId!: string;

  @Property({ type: 'text', nullable: true })
  email?: string | null;

  @Property({ type: 'text', nullable: true })
  name?: string | null;

  @Property({ type: 'date', nullable: true })
  birthDate?: string | null;

  @Enum({ items: () => CustomerStatus, nativeEnumName: undefined, default: CustomerStatus.ACTIVE })
  status: CustomerStatus & Opt = CustomerStatus.ACTIVE;

  @ManyToOne(() => Tier, { nullable: true, deleteRule: 'set null' })
  tier?: Tier | null;

  /**
   * The instant `tier` was last evaluated at (`recomputeTier`, the tier batch): a placement
   * evaluates at this instant when its own `now` is earlier, so a writer whose `now` was read
   * before another's placement committed never moves the stored tier back in time
   * (docs/decisions.md, "Tier placements never go back in time"). Null: never placed.
   */
  @Property({ type: 'timestamptz', nullable: true })
  tierPlacedAt?: Date | null;

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  segments: string[] & Opt = [];

  @Property({ type: 'jsonb', defaultRaw: "'{}'" })
  attributes: Record<string, unknown> & Opt = {};

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  @Index()
  updatedAt: Date & Opt = new Date();

  /**
   * 1 when created, one more at each `upsertCustomer` that updates the customer (whatever it
   * changes): the number a writer names as the customer it read (`expectedVersion`), so a write
   * made from a stale read is refused (break34, customers). Tier placements do not change it.
   */
  @Property({ type: 'integer', default: 1 })
  version: number & Opt = 1;
}
