import { Migration } from '@mikro-orm/migrations';

/**
 * An index that leads `unpayableOffers` to the live wallet items no till can apply (offsale-12c).
 * Its wallet part read every live issued offer and joined its version to test the money rule: ~113
 * ms of PostgreSQL for 300,000 wallet items per page (break-12i's probe), linear in the wallet. The
 * rule depends on the version's amounts and the item's recorded money, so both are made columns of
 * `issued_offer` and the index is partial on the rule itself:
 * - `issued_offer.money_digits_needed`: its version's `money_digits_needed` (Migration20261201200000)
 *   when the version has a money value (AMOUNT_OFF, or a `max_discount`: `hasMoneyValue`), else
 *   null. Set by a trigger from the version when the row is written (a version never changes once
 *   written); a second trigger carries a hand-written change of a version's amounts to its issued
 *   offers, as data from before money-12 is made in tests and as an operator's fix would be.
 * - `iso_money_digits(text)`: ISO 4217's decimals of a money tills name (`isIsoCurrency`, as of
 *   this migration: the runtime's ICU list plus VED), null for any other code (DEM, XXX). Frozen
 *   like `money_digits`, whose table it repeats rather than calls: an index's predicate is run with
 *   the search path cut to pg_catalog (PostgreSQL 17's safe search path for maintenance), where an
 *   unqualified `money_digits` is not found; test/offers/unpayable-offers-index.test.ts compares it with
 *   `isIsoCurrency`/`minorDigits` for every three-capital code, so a runtime whose list differs
 *   fails until a migration follows (which must also rebuild the index).
 * - `issued_offer_unpayable_idx` on (id), where the item is live and `not (money_digits_needed <=
 *   coalesce(iso_money_digits(money_currency), -1))`: its money unknown, not a till's, or finer
 *   than its amounts need. The staff query states the same predicate (`issuedOfferUnpayableSql`),
 *   so the planner proves the index applies; it holds only the exceptions (0 rows in a program
 *   whose data all came after money-12).
 */
export class Migration20261201210000 extends Migration {
  override name = 'Migration20261201210000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function iso_money_digits(money text) returns smallint language sql immutable parallel safe as $$
      select case when money = any('{AED,AFN,ALL,AMD,ANG,AOA,ARS,AUD,AWG,AZN,BAM,BBD,BDT,BGN,BHD,BIF,BMD,BND,BOB,BRL,BSD,BTN,BWP,BYN,BZD,
         CAD,CDF,CHF,CLP,CNY,COP,CRC,CUC,CUP,CVE,CZK,DJF,DKK,DOP,DZD,EGP,ERN,ETB,EUR,FJD,FKP,GBP,GEL,GHS,GIP,
         GMD,GNF,GTQ,GYD,HKD,HNL,HRK,HTG,HUF,IDR,ILS,INR,IQD,IRR,ISK,JMD,JOD,JPY,KES,KGS,KHR,KMF,KPW,KRW,KWD,
         KYD,KZT,LAK,LBP,LKR,LRD,LSL,LYD,MAD,MDL,MGA,MKD,MMK,MNT,MOP,MRU,MUR,MVR,MWK,MXN,MYR,MZN,NAD,NGN,NIO,
         NOK,NPR,NZD,OMR,PAB,PEN,PGK,PHP,PKR,PLN,PYG,QAR,RON,RSD,RUB,RWF,SAR,SBD,SCR,SDG,SEK,SGD,SHP,SLE,SLL,
         SOS,SRD,SSP,STN,SVC,SYP,SZL,THB,TJS,TMT,TND,TOP,TRY,TTD,TWD,TZS,UAH,UGX,USD,UYU,UZS,VED,VES,VND,VUV,
         WST,XAF,XCD,XCG,XDR,XOF,XPF,XSU,YER,ZAR,ZMW,ZWG,ZWL}'::text[])
        then (case when money = any('{BIF,CLP,DJF,GNF,ISK,JPY,KMF,KRW,PYG,RWF,UGX,UYI,VND,VUV,XAF,XOF,XPF}'::text[]) then 0
                   when money = any('{BHD,IQD,JOD,KWD,LYD,OMR,TND}'::text[]) then 3
                   when money = any('{CLF,UYW}'::text[]) then 4 else 2 end)::smallint end $$;`);
    this.addSql(`alter table "issued_offer" add column "money_digits_needed" smallint null;`);
    this.addSql(`create or replace function issued_offer_money_digits_needed() returns trigger language plpgsql as $$
      begin
        select case when ov.benefit_kind = 'AMOUNT_OFF' or ov.max_discount is not null then ov.money_digits_needed end
          into new.money_digits_needed from offer_version ov where ov.id = new.offer_version_id;
        return new;
      end $$;`);
    this.addSql(`create trigger issued_offer_money_digits_needed before insert or update of offer_version_id, money_digits_needed on issued_offer
      for each row execute function issued_offer_money_digits_needed();`);
    this.addSql(`create or replace function offer_version_money_digits_needed() returns trigger language plpgsql as $$
      begin
        update issued_offer set money_digits_needed = null where offer_version_id = new.id;
        return null;
      end $$;`);
    this.addSql(`create trigger offer_version_money_digits_needed after update of amount_off, max_discount, benefit_kind on offer_version
      for each row when (old.amount_off is distinct from new.amount_off or old.max_discount is distinct from new.max_discount or old.benefit_kind is distinct from new.benefit_kind)
      execute function offer_version_money_digits_needed();`);
    this.addSql(`update issued_offer set money_digits_needed = null;`);
    this.addSql(`create index issued_offer_unpayable_idx on issued_offer (id)
      where status in ('ISSUED', 'LOCKED') and not (money_digits_needed <= coalesce(iso_money_digits(money_currency), -1));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists issued_offer_unpayable_idx;`);
    this.addSql(`drop trigger if exists offer_version_money_digits_needed on offer_version;`);
    this.addSql(`drop function if exists offer_version_money_digits_needed();`);
    this.addSql(`drop trigger if exists issued_offer_money_digits_needed on issued_offer;`);
    this.addSql(`drop function if exists issued_offer_money_digits_needed();`);
    this.addSql(`alter table "issued_offer" drop column if exists "money_digits_needed";`);
    this.addSql(`drop function if exists iso_money_digits(text);`);
  }
}
