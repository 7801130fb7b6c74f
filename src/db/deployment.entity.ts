import { EntityName, Opt, PrimaryKeyProp } from '@mikro-orm/core';
import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * The deployment this database belongs to: one row (`singleton`, always true, is the key), whose
 * `id` (a random uuid, written by the first gateway that needed it, `deploymentId`) scopes what
 * the gateway keeps in a shared Redis: the event fan-out's channel and the rate limiter's keys
 * (break35-instances; Migration20261205052000).
 */
@Entity({ tableName: 'deployment' })
@Check({ name: 'deployment_singleton_true', expression: 'singleton' })
export class Deployment {
  [EntityName]?: 'Deployment';
  [PrimaryKeyProp]?: 'singleton';

  @PrimaryKey({ type: 'boolean', defaultRaw: 'true' })
  singleton: boolean & Opt = true;

  @Property({ type: 'uuid' })
  id!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
