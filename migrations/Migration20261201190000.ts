import { Migration } from '@mikro-orm/migrations';

/**
 * A store's money decimals kept on its row (offsale-12b): `reward_store.money_digits`, ISO 4217's
 * minor unit of its point currency's `money_currency` (`minorDigits`), so the member's store page
 * tests each listing's offer against it without reading `point_currency` (measured: that read cost
 * ~0.05 ms of PostgreSQL per page). Kept by triggers, so every writer (the gateway, an operator's
 * `update point_currency set money_currency = …` that start-up recommends for a non-ISO code) keeps
 * it: a store's row is set when it is written, and every store of a currency when its money changes.
 * `money_digits(text)` is the table as of this migration; test/db/money-digits.test.ts compares it
 * with `minorDigits` for every code.
 */
export class Migration20261201190000 extends Migration {
  override name = 'Migration20261201190000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function money_digits(money text) returns smallint language sql immutable parallel safe as $$
      select (case when money = any('{BIF,CLP,DJF,GNF,ISK,JPY,KMF,KRW,PYG,RWF,UGX,UYI,VND,VUV,XAF,XOF,XPF}'::text[]) then 0
                   when money = any('{BHD,IQD,JOD,KWD,LYD,OMR,TND}'::text[]) then 3
                   when money = any('{CLF,UYW}'::text[]) then 4 else 2 end)::smallint $$;`);
    this.addSql(`alter table "reward_store" add column "money_digits" smallint not null default 2;`);
    this.addSql(`update reward_store s set money_digits = money_digits(pc.money_currency) from point_currency pc where pc.code = s.currency_code;`);
    this.addSql(`create or replace function reward_store_money_digits() returns trigger language plpgsql as $$
      begin
        new.money_digits := coalesce((select money_digits(pc.money_currency) from point_currency pc where pc.code = new.currency_code), 2);
        return new;
      end $$;`);
    this.addSql(`create trigger reward_store_money_digits before insert or update of currency_code, money_digits on reward_store
      for each row execute function reward_store_money_digits();`);
    this.addSql(`create or replace function point_currency_money_digits() returns trigger language plpgsql as $$
      begin
        update reward_store set money_digits = money_digits(new.money_currency) where currency_code = new.code;
        return null;
      end $$;`);
    this.addSql(`create trigger point_currency_money_digits after update of money_currency on point_currency
      for each row when (old.money_currency is distinct from new.money_currency) execute function point_currency_money_digits();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists point_currency_money_digits on point_currency;`);
    this.addSql(`drop function if exists point_currency_money_digits();`);
    this.addSql(`drop trigger if exists reward_store_money_digits on reward_store;`);
    this.addSql(`drop function if exists reward_store_money_digits();`);
    this.addSql(`alter table "reward_store" drop column if exists "money_digits";`);
    this.addSql(`drop function if exists money_digits(text);`);
  }
}
