import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { Offer } from '../offers/offer.entity.js';
import { RewardStore } from './reward-store.entity.js';

/** An offer for sale in a store. `stockRemaining` null means unlimited. */
@Entity({ tableName: 'listing' })
@Index({ name: 'listing_store_order_idx', expression: 'create index listing_store_order_idx on listing (store_id, sort_order, id) where removed_at is null' })
@Index({ name: 'listing_offer_idx', properties: ['offer'] })
@Check({ name: 'listing_price_positive', expression: 'price_in_points > 0' })
@Check({ name: 'listing_stock_non_negative', expression: 'stock_remaining is null or stock_remaining >= 0' })
@Check({ name: 'listing_stock_within_total', expression: '(stock_total is null and stock_remaining is null) or (stock_remaining <= stock_total)' })
@Check({ name: 'listing_limit_positive', expression: 'per_customer_limit is null or per_customer_limit > 0' })
@Check({ name: 'listing_visible_window', expression: 'visible_from is null or visible_until is null or visible_from < visible_until' })
export class Listing {
  [EntityName]?: 'Listing';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => RewardStore, { deleteRule: 'restrict' })
  store!: RewardStore;

  @ManyToOne(() => Offer, { deleteRule: 'restrict' })
  offer!: Offer;

  @Property({ type: 'bigint' })
  priceInPoints!: number;

  @Property({ type: 'integer', nullable: true })
  stockTotal?: number | null;

  @Property({ type: 'integer', nullable: true })
  stockRemaining?: number | null;

  @Property({ type: 'integer', nullable: true })
  perCustomerLimit?: number | null;

  @Property({ type: 'timestamptz', nullable: true })
  visibleFrom?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  visibleUntil?: Date | null;

  @Property({ type: 'integer', default: 0 })
  sortOrder: number & Opt = 0;

  @Property({ type: 'timestamptz', nullable: true })
  removedAt?: Date | null;

  /** 1 when listed, one more at each updateListing that changes something (listing-edit-39). */
  @Property({ type: 'int', default: 1 })
  version: number & Opt = 1;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  /** When updateListing last changed it; null until then. */
  @Property({ type: 'timestamptz', nullable: true })
  updatedAt?: Date | null;
}

/** How many times a customer bought a listing: the row the per-customer limit is enforced on. */
@Entity({ tableName: 'listing_purchase_count' })
@Check({ name: 'listing_purchase_count_positive', expression: 'purchased >= 0' })
export class ListingPurchaseCount {
  [EntityName]?: 'ListingPurchaseCount';

  @ManyToOne(() => Listing, { primary: true, deleteRule: 'cascade' })
  listing!: Listing;

  @ManyToOne(() => Customer, { primary: true, deleteRule: 'restrict' })
  customer!: Customer;

  @Property({ type: 'integer', default: 0 })
  purchased: number & Opt = 0;
}
