import { Field, Int, ObjectType } from 'type-graphql';

/**
 * Points of one point currency (money-24). A sale or an activity can earn in several currencies
 * (one economy rule or activity rule per currency, campaigns each in theirs); their points are
 * never added up across currencies, as EUR and USD are not: an answer lists one of these per
 * currency instead.
 */
@ObjectType({ description: 'Points of one point currency. Points of different currencies are never added up: a list has one of these per currency.' })
export class CurrencyPoints {
  @Field({ description: 'The point currency (PointCurrency.code).' })
  currency!: string;

  @Field(() => Int, { description: 'Points of that currency.' })
  points!: number;
}

/** What a return took back of one point currency (ReverseTransactionPayload.reversedByCurrency). */
@ObjectType({ description: 'What a return took back of one point currency.' })
export class ReversedPoints {
  @Field({ description: 'The point currency (PointCurrency.code).' })
  currency!: string;

  @Field(() => Int, { description: 'Points of that currency the reversal took back or cancelled.' })
  reversed!: number;

  @Field(() => Int, { description: 'Of those, points already spent: owed, and repaid from the next points of that currency earned.' })
  owed!: number;
}

/**
 * Points per currency, in the order each currency first appears in `items` (the order they were
 * awarded), zero totals kept (a currency that was awarded 0 still shows). Input: `{ currency, points }`
 * (whole points); output has one entry per currency code.
 */
export function byCurrency(items: readonly { currency: string; points: number }[]): CurrencyPoints[] {
  const totals = new Map<string, number>();
  for (const { currency, points } of items) totals.set(currency, (totals.get(currency) ?? 0) + points);
  return [...totals].map(([currency, points]) => ({ currency, points }));
}

/** The deprecation reason of every field that adds points of different currencies (money-24). */
export const MIXED_SUM_DEPRECATION =
  'Adds up points of different point currencies when there is more than one, which means nothing (as EUR + USD). Exact when one currency is involved; use the per-currency list next to it.';
