import { Migration } from '@mikro-orm/migrations';

/**
 * break35 (instances): `deployment`, one row naming this database's deployment: a random uuid,
 * which the Redis channel of the event fan-out and the Redis rate-limit keys carry
 * (src/db/deployment.ts), so two deployments sharing one Redis under the same
 * RATE_LIMIT_KEY_PREFIX no longer hear each other's member events (another member's balance) or
 * count each other's requests. The row is written by the first gateway that needs it, not here:
 * a database copied from a migrated template or from a freshly migrated one before any gateway
 * started gets an id of its own. `singleton` (always true, the key) keeps it to one row.
 */
export class Migration20261205052000 extends Migration {
  override name = 'Migration20261205052000';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "deployment" ("singleton" boolean not null default true, "id" uuid not null, "created_at" timestamptz not null default now(), constraint "deployment_pkey" primary key ("singleton"), constraint "deployment_singleton_true" check (singleton));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "deployment";`);
  }
}
