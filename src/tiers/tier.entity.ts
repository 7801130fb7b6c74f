import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { PointCurrency } from '../points/currency.entity.js';

/** One step of the program's tier ladder: ranks and codes are unique across the program. */
@Entity({ tableName: 'tier' })
@Index({ name: 'tier_currency_idx', properties: ['currency', 'rank'] })
@Check({ name: 'tier_threshold_non_negative', expression: 'threshold >= 0' })
@Check({ name: 'tier_window_positive', expression: 'window_days is null or window_days > 0' })
@Check({ name: 'tier_multiplier_positive', expression: 'multiplier > 0' })
export class Tier {
  [EntityName]?: 'Tier';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code' })
  currency!: PointCurrency;

  @Property({ type: 'text', unique: true })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'integer', unique: true })
  rank!: number;

  @Property({ type: 'bigint' })
  threshold!: number;

  @Property({ type: 'integer', nullable: true })
  windowDays?: number | null;

  @Property({ type: 'decimal', precision: 8, scale: 4, default: 1 })
  multiplier: string & Opt = '1';

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
