import { Arg, Args, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AuditEntry } from '../audit/audit.types.js';
import { DateScalar, JSONScalar } from '../graphql/scalars.js';
import { currencyFilterArgument } from '../graphql/arguments.js';
import { lookedUpByKey } from '../graphql/validation.js';
import type { RequestCtx } from '../graphql/context.js';
import { pageKey } from '../graphql/loaders.js';
import { connectionOf, ID_KEY, ownedPageOf, PageArgs, pageOf, type CursorKeyRange } from '../graphql/connection.js';
import { badInput, payloadOf } from '../graphql/errors.js';
import { denyPartner, requireCustomer, requireOperator, requireStaff, requireStaffOrScope } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { LedgerEntryConnection, PointBalance } from '../points/points.types.js';
import { RewardStoreConnection } from '../stores/store.types.js';
import { nextTierOf, tierFor } from '../tiers/tier.service.js';
import { NextTier, Tier } from '../tiers/tier.types.js';
import { IssuedOfferStatus } from '../wallet/issued-offer.entity.js';
import { IssuedOfferConnection } from '../wallet/wallet.types.js';
import { customerByExternalId, upsertCustomer, type CustomerRow } from './customer.service.js';
import { SEARCH_MAX, SEARCH_MIN, SearchMatch, searchCustomers, searchTermOf } from './customer-search.js';
import { Customer, CustomerConnection, UpsertCustomerInput, UpsertCustomerPayload } from './customer.types.js';

/** A customer search's cursor: `[match, id]`, the match a SearchMatch and the id a row id. */
const SEARCH_CURSOR: readonly CursorKeyRange[] = [{ min: SearchMatch.EXACT, max: SearchMatch.NAME_WORD }, ID_KEY];

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: 'The signed-in customer.' })
  me(@Context() ctx: RequestCtx) {
    return ctx.loaders.customer.load(requireCustomer(ctx).customerId);
  }

  @Query(() => Customer, { nullable: true, description: 'Staff, or a partner with customers:read: a customer by the retailer id (blank, or with invisible characters when no customer is stored under exactly that id: BAD_USER_INPUT).' })
  customer(@Arg('externalId') externalId: string, @Context() ctx: RequestCtx) {
    requireStaffOrScope(ctx, 'customers:read');
    return lookedUpByKey(externalId, 'externalId', (key) => customerByExternalId(ctx.em, key));
  }

  @Query(() => CustomerConnection, {
    description: `Staff (operators and analysts; never an API key, whatever its scopes: it lists members): the customers whose externalId or email starts with \`search\` (or is it), or whose name has, for each word of it, a word of its own that starts with that word, in any order (up to 4 words; more are matched as the phrase typed) ("smi", "ann smi", "smith ann" and "Smith, Ann" find "Ann Smith"; a word of a name follows white space (a no-break space too), a hyphen, an apostrophe or a full stop; words searched for are parted by spaces and commas; a hyphen searched for matches any run of white space and hyphens, an apostrophe any of ' ’ ‘ ʼ; a name with an apostrophe is found with it left out too: "obrien" and "o brien" find "Carol O'Brien"), CLOSED and SUSPENDED ones too. Case is ignored, and in emails and names accents too ("jose" finds "José", "muller" "Müller", "weiss" "Weiß", "lukasz" "Łukasz", "محمد" "مُحَمَّد": Latin, Greek and Cyrillic accents, Hebrew points and Arabic harakat are set aside, every script's capitals read as small letters, full-width letters as ASCII; a Hangul syllable or a voiced kana is one letter, so a search does not stop inside one); \`%\`, \`_\` and \`\\\` are plain characters. Best match first (a whole externalId or email, then the start of one, then a name), then oldest customer first. \`search\` is trimmed and taken in Unicode NFC; blank, under ${SEARCH_MIN} (also once its accents are set aside) or over ${SEARCH_MAX} characters, with no word of ${SEARCH_MIN} characters (",a", "a b"), or with an invisible character (but a joiner inside a word or an emoji, or an emoji's variation selector): BAD_USER_INPUT. A customer whose email or name is edited while the pages are read may move: it can come again on a later page, or be passed.`,
  })
  async customers(
    @Arg('search', { description: 'An email, a name or a customer id, or the start of one ("ann@", "smi", "cust-4"); at least 2 characters.' }) search: string,
    @Args() args: PageArgs,
    @Context() ctx: RequestCtx,
  ) {
    requireStaff(ctx);
    const page = pageOf(args, ctx.config.maxPageSize, 'CustomerSearch', SEARCH_CURSOR);
    const { term, problem } = searchTermOf(search);
    if (problem !== undefined) throw badInput(problem, 'search');
    return connectionOf(await searchCustomers(ctx.em, term, page), page, (c) => [c.match, c.id]);
  }

  @FieldResolver(() => ID)
  id(@Root() customer: CustomerRow) {
    return toGlobalId('Customer', customer.id);
  }

  // Personal data: the customer themself and staff. Partners (customers:read) see the loyalty view.
  @FieldResolver(() => String, { nullable: true })
  email(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    denyPartner(ctx, 'email addresses');
    return customer.email;
  }

  @FieldResolver(() => DateScalar, { nullable: true })
  birthDate(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    denyPartner(ctx, 'birth dates');
    return customer.birthDate;
  }

  @FieldResolver(() => [String])
  segments(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    denyPartner(ctx, 'segments');
    return customer.segments;
  }

  @FieldResolver(() => JSONScalar)
  attributes(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    denyPartner(ctx, 'attributes');
    return customer.attributes;
  }

  @FieldResolver(() => AuditEntry, {
    nullable: true,
    description:
      "Staff: the write that gave the customer their current status (its audit entry: `actor`, `at`, and the `reason` sent with it), e.g. who suspended them and why, or the customer's creation (ACTIVE when it named no status). The first of the latest writes that sent this status: a later write sending it again (a sync) does not replace it. Null when no such write was recorded (a customer inserted other than through upsertCustomer, e.g. by SQL), or the status changed as it was read. Customers and partners: FORBIDDEN.",
  })
  statusChange(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    requireStaff(ctx);
    return ctx.loaders.statusChange.load(customer);
  }

  @FieldResolver(() => Tier, { nullable: true })
  async tier(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    // As of now: a rolling window may have moved it since it was last written down.
    return tierFor(await ctx.loaders.tierStanding.load(customer.id));
  }

  @FieldResolver(() => [PointBalance])
  balances(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.balances.load(customer.id);
  }

  @FieldResolver(() => NextTier, { nullable: true, description: 'Null at the top tier, or when the program has no tiers.' })
  async nextTier(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    const standing = await ctx.loaders.tierStanding.load(customer.id);
    return nextTierOf(standing, tierFor(standing)?.id ?? null);
  }

  @FieldResolver(() => RewardStoreConnection, { description: 'Open stores whose eligibility rules this customer meets.' })
  async eligibleRewardStores(@Root() customer: CustomerRow, @Args() args: PageArgs, @Context() ctx: RequestCtx) {
    denyPartner(ctx, 'reward stores');
    const page = pageOf(args, ctx.config.maxPageSize, 'RewardStore');
    // Through the request's loader: a list of customers reads their pages in one statement (n1-28).
    const rows = (await ctx.loaders.eligibleStores.load(pageKey(customer.id, page))).map((r) => r.store);
    return connectionOf(rows, page, (s) => [s.id]);
  }

  @FieldResolver(() => IssuedOfferConnection, { description: 'Offers this customer holds, newest first.' })
  async wallet(
    @Root() customer: CustomerRow,
    @Arg('status', () => [IssuedOfferStatus], { nullable: true }) status: IssuedOfferStatus[] | null,
    @Args() args: PageArgs,
    @Context() ctx: RequestCtx,
  ) {
    denyPartner(ctx, 'wallets');
    const page = ownedPageOf(args, ctx.config.maxPageSize, 'IssuedOffer', customer.id);
    // Through the request's loader: a list of customers reads their pages in one statement (n1-28).
    const rows = await ctx.loaders.wallets.load(pageKey(customer.id, { statuses: status?.length ? status : null, page }));
    return connectionOf(rows, page, (o) => [o.id, customer.id]);
  }

  @FieldResolver(() => LedgerEntryConnection, {
    description:
      "The ledger's written entries, newest first. What fell due since the account's last write (an expiry, a pending credit's release) counts in `balances` from that second and shows here once written: at the account's next write, or by the ledger's write-down job within a minute (the same job writes releases and expiries).",
  })
  async pointHistory(
    @Root() customer: CustomerRow,
    @Arg('currency', () => String, { nullable: true, description: 'Only this point currency (its code). Blank or unknown: BAD_USER_INPUT.' }) currency: string | null,
    @Args() args: PageArgs,
    @Context() ctx: RequestCtx,
  ) {
    denyPartner(ctx, 'point histories');
    const page = ownedPageOf(args, ctx.config.maxPageSize, 'LedgerEntry', customer.id);
    const code = await currencyFilterArgument(ctx, currency);
    return connectionOf(await ctx.loaders.ledgers.load(pageKey(customer.id, { currency: code, page })), page, (e) => [e.id, customer.id]);
  }

  @Mutation(() => UpsertCustomerPayload)
  upsertCustomer(@Arg('input') input: UpsertCustomerInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { reason, ...data } = input;
    return payloadOf(async () => ({ customer: await upsertCustomer(ctx, data, reason ?? null) }));
  }
}
