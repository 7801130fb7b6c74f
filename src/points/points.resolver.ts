import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requireProgramReader } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { ledgerDescription } from './ledger-description.js';
import { adjustPoints, allCurrencies, createCurrency, type BalanceRow, type LedgerEntryRow } from './points.service.js';
import {
  AdjustPointsInput,
  AdjustPointsPayload,
  CreateCurrencyInput,
  CreateCurrencyPayload,
  ExpiringPoints,
  LedgerEntry,
  PointBalance,
  PointCurrency,
} from './points.types.js';

@Resolver(() => PointBalance)
export class PointBalanceResolver {
  @FieldResolver(() => PointCurrency)
  currency(@Root() balance: BalanceRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(balance.currencyCode);
  }

  @FieldResolver(() => [ExpiringPoints], { description: 'Points that expire soon, soonest first, as of the same moment as the balance.' })
  expiringSoon(@Root() balance: BalanceRow, @Context() ctx: RequestCtx) {
    if (balance.afterEntryId) return ctx.loaders.expiringAfterEntry.load(balance.afterEntryId);
    return balance.accountId ? ctx.loaders.expiringSoon.load(balance.accountId) : [];
  }
}

@Resolver(() => LedgerEntry)
export class LedgerEntryResolver {
  @FieldResolver(() => ID)
  id(@Root() entry: LedgerEntryRow) {
    return toGlobalId('LedgerEntry', entry.id);
  }

  @FieldResolver(() => PointCurrency)
  currency(@Root() entry: LedgerEntryRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(entry.currencyCode);
  }

  @FieldResolver(() => String, {
    description:
      'What the entry is, in words to show a member: "Points for a purchase", "Campaign: <name>", "Reward bought: <offer>", "Points for a review", "Points taken back: the sale was returned", "Adjusted: <reason>" … (reason stays the key or text as stored).',
  })
  description(@Root() entry: LedgerEntryRow) {
    return ledgerDescription(entry);
  }
}

@Resolver(() => PointCurrency)
export class PointCurrencyResolver {
  @Query(() => [PointCurrency], { description: "The program's point currencies." })
  currencies(@Context() ctx: RequestCtx) {
    requireProgramReader(ctx);
    return allCurrencies(ctx.em);
  }

  @Mutation(() => CreateCurrencyPayload)
  createCurrency(@Arg('input') input: CreateCurrencyInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { reason, ...data } = input;
    return payloadOf(async () => ({ currency: await createCurrency(ctx, { ...data, expiryDays: data.expiryDays ?? null }, reason ?? null) }));
  }

  @Mutation(() => AdjustPointsPayload, { description: 'Credit or debit points by hand, with a reason; recorded in the audit log.' })
  adjustPoints(@Arg('input') input: AdjustPointsInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    return payloadOf(async () => ({ entry: await adjustPoints(ctx, input) }));
  }
}
