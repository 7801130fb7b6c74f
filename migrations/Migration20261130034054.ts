import { Migration } from '@mikro-orm/migrations';

/**
 * Activities keep their natural limits: each row names the occurrence its kind counts once (the
 * year of a birthday, `once` for a sign-up, the referred customer, else the reference), and a
 * referred customer is referred once. That, not the reference, is unique now: a birthday's
 * reference may come back the next year. Rows recorded before this keep their history: the first row
 * of each occurrence gets it, later repeats stay null (they were awarded; they cannot be undone).
 */
export class Migration20261130034054 extends Migration {

  override name = 'Migration20261130034054';

  override up(): void | Promise<void> {
    this.addSql(`alter table "activity" add "occurrence" text null, add "referred_customer_id" bigint null;`);
    this.addSql(`alter table "activity" add constraint "activity_referred_customer_id_foreign" foreign key ("referred_customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`with computed as (
        select a.id, a.customer_id, a.kind, r.id as referred_id,
               case when a.kind = 'SIGN_UP' then 'once'
                    when a.kind = 'BIRTHDAY' then coalesce(substring(a.reference from '^birthday-(\\d{4})$'), to_char(a.created_at at time zone 'UTC', 'YYYY'))
                    when a.kind = 'REFERRAL' and r.id is not null then 'customer:' || r.id
                    else lower(normalize(btrim(a.reference), NFC)) end as occurrence
          from "activity" a left join "customer" r on a.kind = 'REFERRAL' and r.external_id = btrim(a.reference) and r.id <> a.customer_id),
      firsts as (select distinct on (customer_id, kind, occurrence) id, occurrence from computed order by customer_id, kind, occurrence, id)
      update "activity" a set occurrence = f.occurrence from firsts f where a.id = f.id;`);
    this.addSql(`with firsts as (
        select distinct on (r.id) a.id, r.id as referred_id from "activity" a
          join "customer" r on r.external_id = btrim(a.reference) and r.id <> a.customer_id
         where a.kind = 'REFERRAL' order by r.id, a.id)
      update "activity" a set referred_customer_id = f.referred_id from firsts f where a.id = f.id;`);
    this.addSql(`alter table "activity" add constraint "activity_referred_customer_unique" unique ("referred_customer_id");`);
    this.addSql(`alter table "activity" add constraint "activity_customer_kind_occurrence_unique" unique ("customer_id", "kind", "occurrence");`);
    // The occurrence is what counts once now: a birthday reference may come back next year.
    this.addSql(`alter table "activity" drop constraint "activity_customer_id_kind_reference_unique";`);
    this.addSql(`create index "activity_reference_idx" on "activity" ("customer_id", "kind", "reference");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "activity_reference_idx";`);
    this.addSql(`alter table "activity" add constraint "activity_customer_id_kind_reference_unique" unique ("customer_id", "kind", "reference");`);
    this.addSql(`alter table "activity" drop constraint "activity_referred_customer_id_foreign";`);
    this.addSql(`alter table "activity" drop constraint "activity_referred_customer_unique";`);
    this.addSql(`alter table "activity" drop constraint "activity_customer_kind_occurrence_unique";`);
    this.addSql(`alter table "activity" drop column "occurrence", drop column "referred_customer_id";`);
  }

}
