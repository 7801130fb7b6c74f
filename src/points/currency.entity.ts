import { Opt, EntityName, PrimaryKeyProp } from '@mikro-orm/core';
import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'point_currency' })
@Check({ name: 'point_currency_code_format', expression: "code ~ '^[A-Z][A-Z0-9_]{1,19}$'" })
@Check({ name: 'point_currency_expiry_positive', expression: 'expiry_days is null or expiry_days > 0' })
@Check({ name: 'point_currency_value_non_negative', expression: 'point_value >= 0' })
@Check({ name: 'point_currency_money_format', expression: "money_currency ~ '^[A-Z]{3}$'" })
export class PointCurrency {
  [EntityName]?: 'PointCurrency';
  [PrimaryKeyProp]?: 'code';

  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  /** Days after earning at which points expire; null: they never do. */
  @Property({ type: 'integer', nullable: true })
  expiryDays?: number | null;

  /** Money value of one point, for the liability figure. */
  @Property({ type: 'decimal', precision: 14, scale: 6 })
  pointValue!: string;

  @Property({ type: 'text' })
  moneyCurrency!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
