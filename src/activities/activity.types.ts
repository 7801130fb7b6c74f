import { Max, MaxLength, Min, MinLength } from '../graphql/class-validator.js';
import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { ChangeReason, IsKey, IsStoredKey, NotBlank } from '../graphql/validation.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { MAX_POINTS } from '../points/points.types.js';
import { ActivityKind } from './activity.entity.js';
import { CurrencyPoints, MIXED_SUM_DEPRECATION } from '../points/currency-points.js';

registerEnumType(ActivityKind, { name: 'ActivityKind', description: 'Things a customer does, besides buying, that earn points.' });

@ObjectType({ implements: Node, description: 'What one kind of activity earns in one currency.' })
export class ActivityRule extends Node {
  @Field(() => ActivityKind)
  kind!: ActivityKind;

  @Field(() => Int, { description: 'Points each activity earns (qualifying: they count for tiers).' })
  points!: number;

  @Field(() => Int, { nullable: true, description: 'At most this many awards per period; null: no cap.' })
  capPerPeriod!: number | null;

  @Field(() => Int, { nullable: true, description: 'The period of the cap, the last N days; null with a cap: the cap is for life.' })
  periodDays!: number | null;

  @Field({ description: 'An inactive rule awards nothing.' })
  active!: boolean;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  @Field(() => Int, { description: 'The rule\'s version: 1 when created, one more at each setActivityRule. Send it as expectedVersion with a set made from this rule.' })
  version!: number;
}

@InputType()
export class SetActivityRuleInput {
  @Field()
  @MinLength(1)
  @MaxLength(20)
  @NotBlank()
  currency!: string;

  @Field(() => ActivityKind)
  kind!: ActivityKind;

  @Field(() => Int)
  @Min(1)
  @Max(MAX_POINTS)
  points!: number;

  @Field(() => Int, { nullable: true, description: 'At most this many awards per period; null: no cap.' })
  @Min(1)
  @Max(1_000_000)
  capPerPeriod?: number | null;

  @Field(() => Int, { nullable: true, description: 'The cap counts the last N days; null: for life. Needs capPerPeriod.' })
  @Min(1)
  @Max(3650)
  periodDays?: number | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'false switches the rule off.' })
  active?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The version of the rule this set was made from (its `version` as read), 0 when made while the currency had no rule of this kind. When the rule is at another version, nothing is written and the answer is VERSION_CONFLICT naming the current one, so a set from a stale read (an operator switching back on a rule another switched off) cannot put back what another set changed. Null or absent: the set replaces whatever rule is current (the last set wins).',
  })
  @Min(0)
  expectedVersion?: number | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class SetActivityRulePayload {
  @Field(() => ActivityRule, { nullable: true })
  rule?: ActivityRule | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class RecordActivityInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsStoredKey('customer')
  customerExternalId!: string;

  @Field(() => ActivityKind)
  kind!: ActivityKind;

  @Field({
    description:
      "The partner's id of this occurrence, trimmed, case-folded and NFC-normalised before it counts: a review's item, an event, a shared post, a survey; " +
      "REFERRAL: the referred customer's externalId, exactly (case included; trimmed and NFC only), and a repeat is a referral of the same customer. Each kind earns within its natural limit (BIRTHDAY once a year near the birth date, SIGN_UP once, " +
      'REFERRAL once per referred customer, who must not have referred the referrer, directly or up the chain: INVALID; the others once per reference); a repeat answers the first result.',
  })
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsKey()
  reference!: string;
}

@ObjectType()
export class RecordActivityPayload {
  @Field(() => Int, {
    nullable: true,
    description: 'Points this activity earned (on a repeat: what the first report earned), all point currencies added up: exact only when one rule awarded (see pointsByCurrency).',
    deprecationReason: MIXED_SUM_DEPRECATION,
  })
  pointsAwarded?: number | null;

  @Field(() => [CurrencyPoints], { nullable: true, description: 'Points this activity earned per point currency, by currency code (on a repeat: what the first report earned).' })
  pointsByCurrency?: CurrencyPoints[] | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
