import { Migration } from '@mikro-orm/migrations';

/**
 * `outbox_horizon` (src/events/outbox-event.entity.ts `OutboxHorizon`): the snapshots `events.prune`
 * takes, so it removes an event only once it committed more than EVENT_RETENTION_HOURS ago
 * (docs/decisions.md, "dates-12c").
 */
export class Migration20261201120000 extends Migration {
  override name = 'Migration20261201120000';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbox_horizon" ("taken_at" timestamptz not null, "snapshot" text not null, primary key ("taken_at"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "outbox_horizon";`);
  }
}
