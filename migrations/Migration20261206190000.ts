import { Migration } from '@mikro-orm/migrations';

/**
 * audit-47: "Changes to this customer" (`auditLog(about:)` with a customer's id) left out the
 * changes staff made to the offers in the customer's wallet (`issueReplacementOffer` records the
 * wallet offer it replaced as its target), so a support desk asking "who touched this member's
 * account" saw no replacement or void. An entry about something a customer owns now names that
 * customer in `customer_id` (null on entries about the customer row itself, whose target already
 * names them, and on entries about things no customer owns), filled here for the entries already
 * recorded (only `issueReplacementOffer` targets a wallet offer: read through
 * `audit_entry_action_idx`, not the whole log). `(customer_id, id)` holds only those entries, so
 * the customer's page reads its own entries by `audit_entry_target_idx` and its offers' by this
 * one. `if not exists`, so an operator may build the index first with `create index concurrently`
 * (test/db/index-built-first.test.ts).
 */
export class Migration20261206190000 extends Migration {
  override name = 'Migration20261206190000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "audit_entry" add column if not exists "customer_id" bigint null;`);
    this.addSql(
      // the offer's id read out of the target, so each entry finds its offer by the primary key (a join on `'IssuedOffer:' || io.id` read every issued offer)
      `update "audit_entry" e set "customer_id" = io."customer_id" from "issued_offer" io
        where e."action" = 'issueReplacementOffer' and e."customer_id" is null
          and io."id" = (case when e."target" ~ '^IssuedOffer:[0-9]{1,18}$' then substr(e."target", 13)::bigint end);`,
    );
    this.addSql(`create index if not exists "audit_entry_customer_idx" on "audit_entry" ("customer_id", "id") where customer_id is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "audit_entry_customer_idx";`);
    this.addSql(`alter table "audit_entry" drop column if exists "customer_id";`);
  }
}
