import { Migration } from '@mikro-orm/migrations';

/**
 * `raise_refusal(reason, detail)`: null when `reason` is null, else raises SQLSTATE RG001 with
 * `reason` as the message and `detail` as the detail. A statement that runs as its own
 * transaction (the purchase, issue 12) calls it last when it has decided not to write: the error
 * rolls back everything it wrote (its idempotency claim included), and the gateway reads the
 * reason back (`src/db/refusal.ts`).
 */
export class Migration20261130170000 extends Migration {
  override name = 'Migration20261130170000';

  override up(): void | Promise<void> {
    this.addSql(`create function raise_refusal(p_reason text, p_detail text) returns text language plpgsql as $$
begin
  if p_reason is not null then
    raise exception using errcode = 'RG001', message = p_reason, detail = coalesce(p_detail, '');
  end if;
  return null;
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists raise_refusal(text, text);`);
  }
}
