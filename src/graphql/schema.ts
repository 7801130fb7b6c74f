import 'reflect-metadata';
import { assertInterfaceType, isObjectType, printSchema, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
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
import { WebhookDeliveryResolver, WebhookEndpointResolver } from '../webhooks/webhook.resolver.js';
import { validateArguments } from './validation.js';

import { BalanceChangeResolver, EventsResolver, TierChangeResolver, WalletChangeResolver } from '../events/events.resolver.js';

import { OfferStatsResolver, ProgramStatsResolver, TierMembersResolver } from '../analytics/analytics.resolver.js';

export const RESOLVERS = [
  NodeResolver,
  WebhookEndpointResolver,
  WebhookDeliveryResolver,
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

/**
 * `@FieldResolver`s that take only the parent row, the context and/or the info (no arguments to
 * validate, no middleware, no roles) are called directly. type-graphql's handler allocated a
 * resolver-data object, looked the resolver instance up in its container, sorted the parameter
 * list and mapped it on every call: a page of 20 listings makes about 130 such calls (`id`,
 * `offer`, `purchasedByMe`, `affordable`, `pointsMissing` per listing). A parent typed as a class
 * is left to type-graphql, which converts the row to an instance of it first.
 */
function callPlainFieldResolversDirectly(schema: GraphQLSchema): void {
  const storage = getMetadataStorage();
  const instances = new Map<Function, object>();
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== 'external' || resolver.middlewares?.length || resolver.roles?.length || !resolver.getObjectType) continue;
    const params = [...(resolver.params ?? [])].sort((a, b) => a.index - b.index);
    const positions = params.map((p) => {
      if (p.kind === 'root' && !p.propertyName && (!p.getType || p.getType() === Object)) return 0;
      if (p.kind === 'context' && !p.propertyName) return 2;
      if (p.kind === 'info') return 3;
      return -1;
    });
    if (positions.includes(-1)) continue;
    const typeName = storage.objectTypes.find((o) => o.target === resolver.getObjectType!())?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = type && isObjectType(type) ? type.getFields()[resolver.schemaName] : undefined;
    if (!field) continue;
    let instance = instances.get(resolver.target);
    if (!instance) instances.set(resolver.target, (instance = new (resolver.target as new () => object)()));
    const method = (instance as Record<string, (...args: unknown[]) => unknown>)[resolver.methodName].bind(instance);
    const [first, second] = positions;
    let resolve: GraphQLFieldResolver<unknown, unknown>;
    if (positions.length === 1 && first === 0) resolve = (root) => method(root);
    else if (positions.length === 2 && first === 0 && second === 2) resolve = (root, _args, context) => method(root, context);
    else resolve = (...all: unknown[]) => method(...positions.map((i) => all[i]));
    field.resolve = resolve;
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
    callPlainFieldResolversDirectly(schema);
    return schema;
  });
  return built;
}

/** The SDL checked in as schema/schema.graphql. */
export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await gatewaySchema())}\n`;
}
