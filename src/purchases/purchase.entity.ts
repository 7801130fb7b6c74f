import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, OneToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { LedgerEntry } from '../points/ledger-entry.entity.js';
import { Listing } from '../stores/listing.entity.js';
import { IssuedOffer } from '../wallet/issued-offer.entity.js';

export enum PurchaseStatus {
  COMPLETED = 'COMPLETED',
  REFUNDED = 'REFUNDED',
}

@Entity({ tableName: 'offer_purchase' })
@Unique({ properties: ['customer', 'idempotencyKey'] })
// An analytics window's purchases by their time (placement-50, Migration20261207020000): BRIN, as they are written in time order.
@Index({ name: 'offer_purchase_created_brin', expression: 'create index offer_purchase_created_brin on offer_purchase using brin (created_at)' })
@Index({ name: 'offer_purchase_customer_idx', properties: ['customer', 'id'] })
@Index({ name: 'offer_purchase_listing_idx', properties: ['listing'] })
@Check({ name: 'offer_purchase_points_positive', expression: 'points_paid > 0' })
export class OfferPurchase {
  [EntityName]?: 'OfferPurchase';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @ManyToOne(() => Listing, { deleteRule: 'restrict' })
  listing!: Listing;

  @Property({ type: 'bigint' })
  pointsPaid!: number;

  @OneToOne(() => LedgerEntry, { owner: true, deleteRule: 'restrict' })
  ledgerEntry!: LedgerEntry;

  @OneToOne(() => IssuedOffer, { owner: true, deleteRule: 'restrict' })
  issuedOffer!: IssuedOffer;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Enum({ items: () => PurchaseStatus, default: PurchaseStatus.COMPLETED })
  status: PurchaseStatus & Opt = PurchaseStatus.COMPLETED;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
