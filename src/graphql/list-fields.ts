import { MaxLength } from './class-validator.js';
import { Field } from 'type-graphql';
import { AreTags, AreTierCodes, MaxItems, NoDuplicates, NoDuplicateSegments, NotBlank } from './validation.js';
import { SEGMENT_MAX } from '../customers/customer.types.js';
import { TIER_CODE_MAX } from '../tiers/tier.types.js';
import { ITEM_KEY_MAX, itemKey } from '../transactions/pricing.js';

/**
 * The list fields that staff inputs share, each one GraphQL field `[String!]` (nullable) with its
 * rules: written once here, so an offer's SKUs, a campaign's channels and a store's tiers cannot
 * drift apart in what they accept. Each composite applies its decorators in the order a stack of
 * them written above the property would (bottom first), so class-validator reports a bad entry's
 * problems in the order it did when each input spelled the stack out (the order matters to the
 * messages clients see: test/graphql/input-kinds.test.ts).
 */
function stacked(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, property) => {
    for (const decorator of [...decorators].reverse()) decorator(target, property);
  };
}

/**
 * SKUs, categories or channels: at most `maxItems` entries, each non-blank and at most
 * ITEM_KEY_MAX (100) characters, none twice as the till compares them (`itemKey`: case, spacing and
 * invisible characters aside). `description` is the field's schema description.
 */
export function ItemKeyList(maxItems: number, description: string): PropertyDecorator {
  return stacked([Field(() => [String], { nullable: true, description }), MaxItems(maxItems), MaxLength(ITEM_KEY_MAX, { each: true }), NotBlank({ each: true }), NoDuplicates(itemKey)]);
}

/** Tier codes (capitals, digits, _), at most 50, each at most TIER_CODE_MAX (30) characters and once; whether the ladder has them is the resolver's check (NOT_FOUND). */
export function TierCodeList(): PropertyDecorator {
  return stacked([
    Field(() => [String], { nullable: true, description: 'Codes of tiers the ladder has (capitals, digits, _), each once; a code no tier has is NOT_FOUND. Matched exactly: a higher tier is not included (list each tier meant).' }),
    MaxItems(50),
    MaxLength(TIER_CODE_MAX, { each: true }),
    NotBlank({ each: true }),
    AreTierCodes(),
    NoDuplicates(),
  ]);
}

/** Customer segments, at most 100, each at most SEGMENT_MAX (100) characters, a valid tag (`AreTags`) and once, compared exactly as customers carry them. */
export function SegmentList(): PropertyDecorator {
  return stacked([
    Field(() => [String], {
      nullable: true,
      description: 'Customer segments, each once (as the customer carries them: compared exactly, so no invisible characters and no white space but single inner spaces).',
    }),
    MaxItems(100),
    MaxLength(SEGMENT_MAX, { each: true }),
    NotBlank({ each: true }),
    AreTags(),
    NoDuplicateSegments(),
  ]);
}
