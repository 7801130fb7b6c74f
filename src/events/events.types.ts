import { Field, ID, Int, ObjectType } from 'type-graphql';
import { LedgerEntryKind } from '../points/ledger-entry.entity.js';
import { DecimalScalar } from '../graphql/scalars.js';
import { LIFETIME_EARNED_DESCRIPTION } from '../points/points.types.js';
import { CurrencyPoints, MIXED_SUM_DEPRECATION } from '../points/currency-points.js';

const EVENT_ID_DESCRIPTION =
  "This event's position in your event stream (increasing, shared by all your subscriptions). Pass the last one you received as `after` when you subscribe again to get what you missed.";

@ObjectType({ description: 'The ledger entry behind a balance change.' })
export class PointChange {
  @Field(() => Int)
  amount!: number;

  @Field(() => LedgerEntryKind)
  kind!: LedgerEntryKind;

  @Field(() => String, { nullable: true })
  reason!: string | null;
}

@ObjectType({ description: "A customer's balance in one currency right after it changed." })
export class BalanceChange {
  @Field(() => ID, { description: EVENT_ID_DESCRIPTION })
  eventId!: string;

  @Field(() => Int)
  available!: number;

  @Field(() => Int)
  pending!: number;

  @Field(() => Int, { description: LIFETIME_EARNED_DESCRIPTION })
  lifetimeEarned!: number;

  @Field(() => PointChange, { nullable: true, description: 'Null when only pending points moved.' })
  change!: PointChange | null;
}

@ObjectType({ description: 'An offer in the wallet changed.' })
export class WalletChange {
  @Field(() => ID, { description: EVENT_ID_DESCRIPTION })
  eventId!: string;

  @Field({ description: 'What happened: ISSUED, LOCKED, LOCK_EXTENDED, RELEASED, LOCK_EXPIRED, REDEEMED, EXPIRED, VOIDED.' })
  change!: string;
}

@ObjectType({ description: "The customer's tier changed (`from` or `to` is null off the ladder)." })
export class TierChange {
  @Field(() => ID, { description: EVENT_ID_DESCRIPTION })
  eventId!: string;

  fromCode!: string | null;
  toCode!: string | null;
}

@ObjectType({ description: "One of the customer's sales was processed." })
export class TransactionProcessed {
  @Field(() => ID, { description: EVENT_ID_DESCRIPTION })
  eventId!: string;

  @Field(() => ID, { description: 'The sale (SalesTransaction) id.' })
  transactionId!: string;

  @Field(() => Int, { description: 'Points the sale earned, all point currencies added up: exact only for one currency (see pointsByCurrency).', deprecationReason: MIXED_SUM_DEPRECATION })
  pointsAwarded!: number;

  @Field(() => [CurrencyPoints], {
    nullable: true,
    description: 'Points the sale earned per point currency, in the order first awarded (SalesTransaction.pointsByCurrency); null only for an event recorded before this field existed (read the sale).',
  })
  pointsByCurrency!: CurrencyPoints[] | null;

  @Field(() => DecimalScalar, { description: "What the offers applied took off, in the sale's currency with its ISO 4217 decimals." })
  discount!: string;
}
