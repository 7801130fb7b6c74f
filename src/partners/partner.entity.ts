import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * An integration (a POS vendor, a co-brand partner) calling with an API key. Only the key's
 * SHA-256 is stored: keys are 192 random bits, so a fast hash is as safe as a slow one and keeps
 * the per-request lookup cheap.
 */
@Entity({ tableName: 'partner' })
export class Partner {
  [EntityName]?: 'Partner';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: 'text' })
  name!: string;

  /** The key's first characters, to tell keys apart in the console; not secret, not enough to use. */
  @Property({ type: 'text' })
  keyPrefix!: string;

  @Property({ type: 'text', unique: true })
  keyHash!: string;

  @Property({ type: 'text[]' })
  scopes!: string[];

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
