import { Migration } from '@mikro-orm/migrations';

/**
 * audit-49b, second part: a reason search first checks the newest entries that have a reason (the
 * page's order: by id, or by time within a window), then reads older ones by the reasons' trigram
 * index. These two partial indexes hold only the entries with a reason, so those newest are read
 * at once however many entries without one (a CRM sync's burst) came after them: a review found a
 * burst of 2,500 sync entries pushed every reason out of the newest checked, and a common word's
 * page then fetched and sorted all its entries (28,720 buffers on 2 million entries). `if not
 * exists`, so an operator may build them first with `create index concurrently` under these names
 * and definitions (test/db/index-built-first.test.ts).
 */
export class Migration20261207010300 extends Migration {
  override name = 'Migration20261207010300';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "audit_entry_reasoned_idx" on "audit_entry" ("id") where reason is not null;`);
    this.addSql(`create index if not exists "audit_entry_reasoned_at_idx" on "audit_entry" ("at", "id") where reason is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "audit_entry_reasoned_at_idx";`);
    this.addSql(`drop index if exists "audit_entry_reasoned_idx";`);
  }
}
