import { Arg, Args, Ctx as Context, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { connectionOf, PageArgs, pageOf } from '../graphql/connection.js';
import { badInput } from '../graphql/errors.js';
import { requireStaff } from '../graphql/guards.js';
import { decodeGlobalId, nodeKeyOf, toGlobalId } from '../graphql/ids.js';
import { Node } from '../graphql/node.js';
import { nodeOf } from '../graphql/node.resolver.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { refuseBlankArgument } from '../graphql/validation.js';
import { searchTextOf } from '../customers/customer-search.js';
import { hasReasonSearchWord, REASON_SEARCH_MIN } from './reason-search.js';
import { auditPage, type AuditFilter, type AuditRow } from './audit.service.js';
import { AuditEntry, AuditEntryConnection } from './audit.types.js';

/** The longest `actor`, `action` or `reason` a filter takes: longer than any the gateway records (an actor is `staff:<sub>`, `partner:<id>` or `system:<job>`; a reason at most 500 characters, a search of one a part of it). */
const FILTER_TEXT_MAX = 320;

/**
 * The text a `reason` search compares (audit-49b): as the customer search makes its text
 * (`searchTextOf`: NFC, white space runs one space, trimmed), refused when blank, holding an
 * invisible mark, over FILTER_TEXT_MAX characters, or without a word to read the reasons' index by
 * (`hasReasonSearchWord`). BAD_USER_INPUT on `reason`.
 */
function reasonSearchOf(raw: string): string {
  refuseBlankArgument(raw, 'reason');
  const written = searchTextOf(raw);
  if (written.invisible !== undefined) throw badInput(`reason has a character that shows nothing (${written.invisible}): remove it and search again`, 'reason');
  const length = [...written.text].length;
  if (length > FILTER_TEXT_MAX) throw badInput(`reason must have at most ${FILTER_TEXT_MAX} characters`, 'reason');
  if (!hasReasonSearchWord(written.text)) {
    throw badInput(`reason must hold a word of at least ${REASON_SEARCH_MIN} letters or digits in a row to search for (accents aside): shorter ones, or marks alone, are in most reasons`, 'reason');
  }
  return written.text;
}

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditEntryConnection, {
    description:
      'Staff: every staff change, newest first; with `about`, `actor`, `action`, `from`, `to` or `reason`, only the changes that match all those given (audit-46, audit-49). Newest first is the order the changes were committed in; with `from` or `to`, the order of their `at` (then the order committed in). A cursor is a place in the log (entries older than it), whichever filters read it. Blank `actor`, `action` or `reason`, or over 320 characters, a `reason` without a word of 3 letters or digits, an `about` that is no global id, or a `to` not after `from`: BAD_USER_INPUT.',
  })
  async auditLog(
    @Args() args: PageArgs,
    @Context() ctx: RequestCtx,
    @Arg('about', () => ID, { nullable: true, description: 'Only the changes to this object (its global id: a customer, store, offer (any of its versions), listing, campaign, partner, webhook endpoint…); a customer\'s include those to the offers in their wallet (a replacement).' }) about?: string | null,
    @Arg('actor', () => String, { nullable: true, description: 'Only the changes made by this actor, exactly as entries record it (`staff:<sub>` for an operator).' }) actor?: string | null,
    @Arg('action', () => String, { nullable: true, description: 'Only the changes of this action, exactly as entries record it (the mutation\'s name: `updateCustomer`, `removeListing`…); one never recorded answers an empty list.' }) action?: string | null,
    @Arg('from', () => DateTimeScalar, { nullable: true, description: 'Only the changes made at or after this instant (`at`), read to the millisecond (finer digits are cut, as the gateway records `at`).' }) from?: Date | null,
    @Arg('to', () => DateTimeScalar, { nullable: true, description: 'Only the changes made before this instant (`at`), read to the millisecond; after `from` when both are given.' }) to?: Date | null,
    @Arg('reason', () => String, {
      nullable: true,
      description: 'Only the changes whose reason holds this text anywhere, case and accents aside ("stolen" finds "Card reported STOLEN"; `%` and `_` are themselves; white space at its ends is trimmed and a run of it inside is one space, matched as a space); it must hold a word of at least 3 letters or digits in a row, and at most 320 characters.',
    })
    reason?: string | null,
  ) {
    requireStaff(ctx);
    const page = pageOf(args, ctx.config.maxPageSize, 'AuditEntry');
    const filter: AuditFilter = {};
    if (about != null) Object.assign(filter, await auditTargetOf(ctx, about));
    for (const [name, value] of [['actor', actor], ['action', action]] as const) {
      if (value == null) continue;
      refuseBlankArgument(value, name);
      if ([...value].length > FILTER_TEXT_MAX) throw badInput(`${name} must have at most ${FILTER_TEXT_MAX} characters`, name);
      filter[name] = value;
    }
    if (reason != null) filter.reason = reasonSearchOf(reason);
    if (from != null && to != null && from >= to) throw badInput('to must be after from', 'to');
    if (from != null) filter.from = from;
    if (to != null) filter.to = to;
    return connectionOf(await auditPage(ctx.em, page, filter), page, (a) => [a.id]);
  }

  @FieldResolver(() => ID)
  id(@Root() entry: AuditRow) {
    return toGlobalId('AuditEntry', entry.id);
  }

  @FieldResolver(() => Node, {
    nullable: true,
    description:
      'The object the change was made to, as node(id:) reads it now (an offer at its current version): null when `target` names no object the API has an id for (a point currency, a first-party client) or the object is gone.',
  })
  about(@Root() entry: AuditRow, @Context() ctx: RequestCtx) {
    const key = nodeKeyOf(entry.target);
    return key ? nodeOf(ctx, key.type, key.id) : null;
  }
}

/**
 * The filter that keeps the changes to the object `about` (a global id) names: a customer's own
 * and those to what they own (`{ customer }`: their wallet offers, audit-47); an offer version's
 * offer (`{ target: 'Offer:<id>' }`: entries name the offer across its versions); any other
 * object, the `target` its global id encodes (`{ target: 'RewardStore:3' }`). Throws
 * BAD_USER_INPUT on `about` when it is no global id the API gives out.
 */
async function auditTargetOf(ctx: RequestCtx, about: string): Promise<Pick<AuditFilter, 'target' | 'customer'>> {
  const decoded = decodeGlobalId(about);
  if (!decoded) throw badInput('about is not a valid global id', 'about');
  if (decoded.type === 'Customer') return { customer: decoded.id };
  if (decoded.type === 'OfferVersion') return { target: `Offer:${(await ctx.loaders.offerVersion.load(decoded.id))?.offerId ?? 0}` };
  return { target: `${decoded.type}:${decoded.id}` };
}
