import { Migration } from '@mikro-orm/migrations';

/**
 * break35 (instances): every writer of a customer's values counts in `customer.version`, not only
 * this build's `upsertCustomer`. A build from before Migration20261205013000 still running during a
 * rolling upgrade updates customers without touching `version`, so a write made from a read before
 * its edit passed `expectedVersion` and put back what the edit changed (break35-instances, a
 * segment lost).
 *
 * `customer_version_bump`, BEFORE UPDATE OF the six values `upsertCustomer` writes (email, name,
 * birth_date, status, segments, attributes): when one of them changes and the statement left
 * `version` as it was, the version goes up by one, and `updated_at` becomes the transaction's time
 * when the statement left it too. This build's own upsert already adds one when a value changes
 * (NEW.version differs from OLD.version), so it is not counted twice; tier placements
 * (`tier_id`, `tier_placed_at`, `updated_at`) name none of the six columns and never fire it; a
 * statement that changes no value (a sync sending what is stored) keeps the version. The trigger's
 * WHEN names the six values only, and the function compares the versions: a WHEN naming `version`
 * made the column depend on the trigger, and Migration20261205013000's down (which drops it; the
 * migration tests run it alone) failed.
 */
export class Migration20261205051000 extends Migration {
  override name = 'Migration20261205051000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function customer_version_bump() returns trigger language plpgsql as $$
begin
  if new.version = old.version then
    new.version := old.version + 1;
    if new.updated_at is not distinct from old.updated_at then
      new.updated_at := now();
    end if;
  end if;
  return new;
end
$$;`);
    this.addSql(`create trigger customer_version_bump before update of email, name, birth_date, status, segments, attributes on customer
  for each row
  when ((new.email, new.name, new.birth_date, new.status, new.segments, new.attributes)
        is distinct from (old.email, old.name, old.birth_date, old.status, old.segments, old.attributes))
  execute function customer_version_bump();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists customer_version_bump on customer;`);
    this.addSql(`drop function if exists customer_version_bump();`);
  }
}
