import { Migration } from '@mikro-orm/migrations';

/**
 * `issued_offer.money_currency`: the ISO 4217 money of the program an offer was issued in, the
 * money its `amountOff` and `maxDiscount` are in (docs/decisions.md, "An offer's money is its
 * program's"). Written at issue from then on; existing rows are traced to their program here:
 * a purchase through its listing's store, a gift claim through its list, a campaign award through
 * its campaign (or, failing that, the sale that earned it: campaigns only award in the sale's
 * money), a staff replacement from the offer it replaces (along a chain of replacements). A row
 * none of these reaches stays null, and a sale applies it only if its benefit has no money value.
 */
export class Migration20261130200000 extends Migration {

  override name = 'Migration20261130200000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" add column "money_currency" text null;`);
    this.addSql(`update issued_offer io set money_currency = pc.money_currency
      from offer_purchase p join listing l on l.id = p.listing_id join reward_store s on s.id = l.store_id join point_currency pc on pc.code = s.currency_code
     where p.issued_offer_id = io.id and io.source = 'PURCHASE';`);
    this.addSql(`update issued_offer io set money_currency = pc.money_currency
      from gift_claim g join gift_list gl on gl.id = g.gift_list_id join point_currency pc on pc.code = gl.currency_code
     where g.issued_offer_id = io.id and io.source = 'GIFT';`);
    this.addSql(`update issued_offer io set money_currency = pc.money_currency
      from transaction_award a join campaign c on c.id = a.campaign_id join point_currency pc on pc.code = c.currency_code
     where a.issued_offer_id = io.id and io.source = 'CAMPAIGN';`);
    this.addSql(`update issued_offer io set money_currency = t.money_currency
      from sales_transaction t
     where io.source = 'CAMPAIGN' and io.money_currency is null and io.source_id ~ '^[0-9]{1,18}$' and t.id = io.source_id::bigint
       and t.money_currency ~ '^[A-Z]{3}$';`);
    this.addSql(`with recursive up(id, ancestor) as (
        select io.id, io.replaces_id from issued_offer io where io.money_currency is null and io.replaces_id is not null
        union all
        select up.id, r.replaces_id from up join issued_offer r on r.id = up.ancestor where r.money_currency is null and r.replaces_id is not null
      )
      update issued_offer io set money_currency = src.money_currency
        from up join issued_offer src on src.id = up.ancestor
       where up.id = io.id and src.money_currency is not null;`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_money_format" check (money_currency ~ '^[A-Z]{3}$');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "issued_offer" drop constraint "issued_offer_money_format";`);
    this.addSql(`alter table "issued_offer" drop column "money_currency";`);
  }

}
