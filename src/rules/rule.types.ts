import { Matches, Max, MaxLength, Min, MinLength, ValidateNested } from '../graphql/class-validator.js';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { BigIntScalar, DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';
import { ChangeReason, HasAtMostDecimals, MaxItems, MONEY_AMOUNT, moneyMessage, NoDuplicates, NotBlank, OptionalIdempotencyKey } from '../graphql/validation.js';
import { ItemKeyList, SegmentList, TierCodeList } from '../graphql/list-fields.js';
import { ITEM_KEY_MAX, itemKey } from '../transactions/pricing.js';
import { MAX_POINTS } from '../points/points.types.js';
import { Rounding } from './rule.entity.js';

registerEnumType(Rounding, { name: 'Rounding', description: 'How fractional points earned are rounded.' });

@ObjectType()
export class CategoryMultiplier {
  @Field()
  category!: string;

  @Field(() => Float)
  multiplier!: number;
}

@ObjectType({ implements: Node, description: 'How a currency is earned from money spent.' })
export class EconomyRule extends Node {
  @Field(() => DecimalScalar, { description: 'Points per whole unit of the money paid, after discounts: per euro for EUR (not per cent), per dinar for KWD (1000 fils), per yen for JPY.' })
  pointsPerUnit!: string;

  @Field(() => [CategoryMultiplier])
  categoryMultipliers!: CategoryMultiplier[];

  @Field(() => [String])
  excludedSkus!: string[];

  @Field(() => Rounding)
  rounding!: Rounding;

  @Field(() => Int, { description: "Days a sale's points stay pending before they can be spent, counted from when the sale happened (its occurredAt, or when it reached the gateway if that is earlier), not from its processing; a sale processed after that is credited as available at once." })
  pendingDays!: number;

  @Field(() => Int, { description: 'The rule\'s version: 1 when first set, one more at each setEconomyRule. Send it as expectedVersion with a set made from this rule.' })
  version!: number;
}

@InputType()
export class CategoryMultiplierInput {
  @Field()
  @MinLength(1)
  @MaxLength(ITEM_KEY_MAX)
  @NotBlank()
  category!: string;

  @Field(() => Float, { description: "Multiplies the economy rule's points of the category's lines: 0 to 100; 0: the category earns nothing." })
  @Min(0)
  @Max(100)
  multiplier!: number;
}

@InputType()
export class SetEconomyRuleInput {
  @Field()
  @MinLength(1)
  @MaxLength(20)
  @NotBlank()
  currency!: string;

  @Field(() => DecimalScalar, { description: 'Points per whole unit of money paid, after discounts (per euro, not per cent; per dinar of 1000 fils; per yen): at most 8 digits and 6 decimals, sent as a string (0.00001 is one point per 100,000, as programs in VND or IDR count). Earning is exact at any scale; rounding says how it becomes whole points. "0" turns earning from sales off for the currency (a rule cannot be removed): sales then earn only campaigns\' bonus points, and a campaign multiplier adds nothing to 0.' })
  @Matches(/^\d{1,8}(\.\d{1,6})?$/, { message: 'pointsPerUnit must be a decimal not below 0 such as "10" (at most 8 digits before the point and 6 after)' })
  pointsPerUnit!: string;

  @Field(() => [CategoryMultiplierInput], { nullable: true, description: 'One multiplier per category (compared case, spacing and invisible characters aside).' })
  @MaxItems(200)
  @ValidateNested({ each: true })
  @NoDuplicates((m: CategoryMultiplierInput) => itemKey(m.category ?? ''))
  categoryMultipliers?: CategoryMultiplierInput[] | null;

  @ItemKeyList(1000, 'Each SKU once (compared case, spacing and invisible characters aside).')
  excludedSkus?: string[] | null;

  @Field(() => Rounding, { nullable: true })
  rounding?: Rounding | null;

  @Field(() => Int, { nullable: true, description: "Days a sale's points wait before they can be spent, counted from when the sale happened (default 0)." })
  @Min(0)
  @Max(365)
  pendingDays?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The version of the rule this set was made from (its `version` as read), 0 when made while the currency had no rule. When the rule is at another version, nothing is written and the answer is VERSION_CONFLICT naming the current one, so a set from a stale read cannot put back what another set changed. Null or absent: the set replaces whatever rule is current (the last set wins).',
  })
  @Min(0)
  expectedVersion?: number | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class SetEconomyRulePayload {
  @Field(() => EconomyRule, { nullable: true })
  rule?: EconomyRule | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType({ description: 'Which sales a campaign applies to: every condition set must hold; an empty list or null is no condition.' })
export class CampaignConditions {
  @Field(() => DecimalScalar, { nullable: true, description: "What the customer paid (after discounts) must reach this, in the money of the campaign's point currency; null: any spend." })
  minSpend!: string | null;

  @Field(() => [String], { description: 'A line of one of these SKUs (as stored: compared case, spacing and invisible characters aside); empty: any.' })
  skus!: string[];

  @Field(() => [String], { description: 'A line in one of these categories; empty: any.' })
  categories!: string[];

  @Field(() => [String], { description: 'Sold on one of these channels; empty: any.' })
  channels!: string[];

  @Field(() => [String], { description: "The customer's tier at the sale is one of these codes, exactly (a higher tier is not included); empty: any tier or none." })
  tiers!: string[];

  @Field(() => [String], { description: 'The customer carries one of these segments; empty: any.' })
  segments!: string[];

  @Field({ description: "Only a customer's first sale." })
  firstPurchase!: boolean;

  @Field(() => [Int], { description: "ISO days (1 = Monday … 7 = Sunday) of the sale at the till's UTC offset; empty: every day." })
  daysOfWeek!: number[];
}

@ObjectType({ implements: Node, description: 'Bonus rules for sales in a window.' })
export class Campaign extends Node {
  @Field()
  name!: string;

  @Field(() => DateTimeScalar, { description: 'The first instant of the window: a sale made at it earns from the campaign.' })
  startsAt!: Date;

  @Field(() => DateTimeScalar, { description: 'The end of the window, not in it: a sale made at this instant does not earn from the campaign.' })
  endsAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When an operator ended it early (endCampaign; endsAt is then that instant, or startsAt for one ended before it started); null: it runs to the end it was created with.' })
  endedAt!: Date | null;

  @Field(() => Int, { nullable: true })
  bonusPoints!: number | null;

  @Field(() => Float, { nullable: true })
  multiplier!: number | null;

  @Field(() => Int, { nullable: true })
  perCustomer!: number | null;

  @Field(() => Int, { nullable: true })
  budgetPoints!: number | null;

  @Field(() => BigIntScalar, { description: 'Points awarded so far, net of reversals (a campaign without a budget can pass 32 bits).' })
  pointsAwarded!: number;
}

@InputType()
export class CampaignConditionsInput {
  @Field(() => DecimalScalar, {
    nullable: true,
    description:
      'In the money of the campaign\'s point currency (its moneyCurrency), at most 12 digits and 4 decimals, sent as a string: met when what the customer paid (after discounts) reaches it, rounded up to the money\'s ISO 4217 unit ("1000.50" of JPY needs ¥1001; "2.625" of KWD is 2625 fils). "0" is met by every sale, as null.',
  })
  @Matches(MONEY_AMOUNT, { message: moneyMessage('10.00', 12) })
  minSpend?: string | null;

  @ItemKeyList(500, 'Each SKU once (compared case, spacing and invisible characters aside).')
  skus?: string[] | null;

  @ItemKeyList(100, 'Each category once (compared case, spacing and invisible characters aside).')
  categories?: string[] | null;

  @ItemKeyList(20, 'Each channel once (compared case, spacing and invisible characters aside).')
  channels?: string[] | null;

  @TierCodeList()
  tiers?: string[] | null;

  @SegmentList()
  segments?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      "true: only a customer's first sale earns from it (no earlier processed sale). A returned first sale makes the next one the first, unless the customer kept this campaign's offer from it (redeemed before the return): then it has awarded that customer once already.",
  })
  firstPurchase?: boolean | null;

  @Field(() => [Int], { nullable: true, description: 'ISO days: 1 = Monday … 7 = Sunday, each once. The day at the till that sold: the date of the sale\'s occurredAt at the UTC offset it was written with (2026-12-02T08:00:00+09:00 is a Wednesday, though it is Tuesday 23:00 UTC; written with Z, the UTC day).' })
  @MaxItems(7, 'day')
  @NoDuplicates()
  @Min(1, { each: true })
  @Max(7, { each: true })
  daysOfWeek?: number[] | null;
}

@InputType()
export class CampaignOutcomeInput {
  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(MAX_POINTS)
  bonusPoints?: number | null;

  @Field(() => Float, { nullable: true, description: "Multiplies the sale's economy rule points, the customer's tier multiplier already in them (2: double points: a GOLD ×1.5 member's 64 economy points become 96, and the campaign adds 96 more)." })
  @Min(0.01)
  @Max(100)
  @HasAtMostDecimals(4)
  multiplier?: number | null;

  @Field(() => ID, { nullable: true })
  offerId?: string | null;
}

@InputType()
export class CampaignLimitsInput {
  @Field(() => Int, {
    nullable: true,
    description:
      "How many of one customer's sales may earn from it. A returned sale gives its share back, unless the customer kept the campaign's offer from it (redeemed before the return).",
  })
  @Min(1)
  @Max(1_000_000)
  perCustomer?: number | null;

  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(2_000_000_000)
  budgetPoints?: number | null;
}

@InputType()
export class CreateCampaignInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  name!: string;

  @Field()
  @MinLength(1)
  @MaxLength(20)
  @NotBlank()
  currency!: string;

  @Field(() => DateTimeScalar, { description: "The first instant of the window: a sale made at it earns (a sale's moment is its occurredAt, or when it reached the gateway if that is earlier)." })
  startsAt!: Date;

  @Field(() => DateTimeScalar, { description: 'The end of the window, not in it: a sale made at this instant or later does not earn.' })
  endsAt!: Date;

  @Field(() => CampaignConditionsInput, { nullable: true })
  @ValidateNested()
  conditions?: CampaignConditionsInput | null;

  @Field(() => CampaignOutcomeInput, { nullable: true })
  @ValidateNested()
  outcome?: CampaignOutcomeInput | null;

  @Field(() => CampaignLimitsInput, { nullable: true })
  @ValidateNested()
  limits?: CampaignLimitsInput | null;

  @OptionalIdempotencyKey('campaign')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class CreateCampaignPayload {
  @Field(() => Campaign, { nullable: true })
  campaign?: Campaign | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class EndCampaignInput {
  @Field(() => ID)
  campaignId!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class EndCampaignPayload {
  @Field(() => Campaign, { nullable: true, description: 'The campaign as it is now: endsAt is when it ended (its startsAt for one ended before it started).' })
  campaign?: Campaign | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
