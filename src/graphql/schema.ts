import 'reflect-metadata';
import { assertInterfaceType, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import { ActivityRuleResolver } from '../activities/activity.resolver.js';
import { AuditResolver } from '../audit/audit.resolver.js';
import { CustomerResolver } from '../customers/customer.resolver.js';
import { CustomerGiftListsResolver, GiftListResolver } from '../gifts/gift.resolver.js';
import { OfferResolver } from '../offers/offer.resolver.js';
import { PartnerResolver } from '../partners/partner.resolver.js';
import { PersistedOperationsResolver } from '../persisted/persisted.resolver.js';
import { LedgerEntryResolver, PointBalanceResolver, PointCurrencyResolver } from '../points/points.resolver.js';
import { PurchaseResolver } from '../purchases/purchase.resolver.js';
import { CampaignResolver, EconomyRuleResolver } from '../rules/rule.resolver.js';
import { TransactionAwardResolver, TransactionResolver } from '../transactions/transaction.resolver.js';
import { ListingResolver, RewardStoreResolver } from '../stores/store.resolver.js';
import { TierResolver } from '../tiers/tier.resolver.js';
import { IssuedOfferResolver } from '../wallet/wallet.resolver.js';
import { nodeTypeOf } from './node.js';
import { NodeResolver } from './node.resolver.js';
import { validateArguments } from './validation.js';

import { BalanceChangeResolver, EventsResolver, TierChangeResolver, WalletChangeResolver } from '../events/events.resolver.js';

import { OfferStatsResolver, ProgramStatsResolver, TierMembersResolver } from '../analytics/analytics.resolver.js';

export const RESOLVERS = [
  NodeResolver,
  CustomerResolver,
  PointBalanceResolver,
  LedgerEntryResolver,
  PointCurrencyResolver,
  TierResolver,
  OfferResolver,
  RewardStoreResolver,
  ListingResolver,
  IssuedOfferResolver,
  PurchaseResolver,
  AuditResolver,
  PartnerResolver,
  PersistedOperationsResolver,
  EconomyRuleResolver,
  CampaignResolver,
  TransactionResolver,
  TransactionAwardResolver,
  GiftListResolver,
  CustomerGiftListsResolver,
  ActivityRuleResolver,
  EventsResolver,
  BalanceChangeResolver,
  WalletChangeResolver,
  TierChangeResolver,
  ProgramStatsResolver,
  TierMembersResolver,
  OfferStatsResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/**
 * Plain `@Field`s (no middleware, no roles, read under their own name) read their property with
 * graphql's default resolver instead of type-graphql's wrapper, which built a resolver-data object
 * and ran an empty middleware chain for each of them: a page of 20 listings has about 400 such
 * values. Fields with a `@FieldResolver` are not affected (the generator gives them theirs first).
 */
function plainFieldsReadThemselves(): void {
  for (const field of getMetadataStorage().fields) {
    if (field.simple === undefined && field.name === field.schemaName && !field.middlewares?.length && !field.roles) field.simple = true;
  }
}

/** The executable schema; built once per process (type-graphql's metadata is global anyway). */
export function gatewaySchema(): Promise<GraphQLSchema> {
  if (!built) plainFieldsReadThemselves();
  built ??= buildSchema({
    resolvers: RESOLVERS,
    // Every argument's text is checked for what PostgreSQL cannot store, then inputs with
    // class-validator; GraphQL already enforces non-null, so absent optional fields are skipped
    // rather than failing @MinLength and friends (see graphql/validation.ts).
    validateFn: validateArguments,
    // Subscriptions read from the request context's EventHub (one per gateway, fed by PostgreSQL
    // LISTEN), not from a schema-wide PubSub; type-graphql still wants one to exist.
    pubSub: { publish: () => undefined, subscribe: () => { throw new Error('subscriptions use the context EventHub'); } },
  }).then((schema) => {
    // type-graphql wraps every resolveType in an async function; graphql-jit (src/graphql/compiled.ts)
    // takes only a type name, and graphql-js needs no promise for a name the row carries.
    assertInterfaceType(schema.getType('Node')).resolveType = nodeTypeOf;
    return schema;
  });
  return built;
}

/** The SDL checked in as schema/schema.graphql. */
export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await gatewaySchema())}\n`;
}
