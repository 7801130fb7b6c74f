import 'reflect-metadata';
import { assertInterfaceType, assertValidSchema, GraphQLScalarType, isObjectType, printSchema, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type ValidatorFn } from 'type-graphql';
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
import { OfferNotAwardedResolver, TransactionAwardResolver, TransactionResolver } from '../transactions/transaction.resolver.js';
import { ListingResolver, RewardStoreResolver, UpdateRewardStorePayloadResolver } from '../stores/store.resolver.js';
import { NextTierResolver, TierResolver } from '../tiers/tier.resolver.js';
import { IssuedOfferResolver } from '../wallet/wallet.resolver.js';
import { nodeTypeOf } from './node.js';
import { NodeResolver } from './node.resolver.js';
import { WebhookDeliveryResolver, WebhookEndpointResolver } from '../webhooks/webhook.resolver.js';
import { validateArguments } from './validation.js';
import { trackIdempotentReplays } from './replays.js';

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
  NextTierResolver,
  OfferResolver,
  RewardStoreResolver,
  UpdateRewardStorePayloadResolver,
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
  OfferNotAwardedResolver,
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

type ResolverMetadata = ReturnType<typeof getMetadataStorage>['queries'][number] | ReturnType<typeof getMetadataStorage>['fieldResolvers'][number];
type ParamMetadata = NonNullable<ResolverMetadata['params']>[number];

/** Argument types whose values type-graphql passes through unchanged (no input class to instantiate). */
function isScalarTarget(target: unknown): boolean {
  return target instanceof GraphQLScalarType || target === String || target === Number || target === Boolean;
}

type ResolverArgs = Record<string, unknown>;
type ResolverData = { root: unknown; args: ResolverArgs; context: unknown; info: unknown };
/** How one parameter of a resolver method is taken from graphql's (root, args, context, info). */
type ParamSource = (data: ResolverData) => unknown;

/**
 * The parameter sources of a resolver whose parameters are all simple: the parent row (untyped),
 * the context, the info, a scalar `@Arg`, or an `@Args` class of scalar fields; undefined when any
 * parameter needs type-graphql (an input class to instantiate, a custom decorator, a parent typed
 * as a class, a validator of its own). Arguments are validated by the schema's `validateFn`
 * exactly as type-graphql's `validateArg` calls it; an `@Args` class is instantiated as its
 * `convertToType` does (own keys left undefined and not sent are removed).
 */
function paramSources(params: readonly ParamMetadata[], validate: ValidatorFn): { sources: ParamSource[]; validates: boolean } | undefined {
  const storage = getMetadataStorage();
  const sorted = [...params].sort((a, b) => a.index - b.index);
  const sources: ParamSource[] = [];
  let validates = false;
  for (const p of sorted) {
    if (p.kind === 'root' && !p.propertyName && (!p.getType || p.getType() === Object)) sources.push((d) => d.root);
    else if (p.kind === 'context' && !p.propertyName) sources.push((d) => d.context);
    else if (p.kind === 'info') sources.push((d) => d.info);
    else if (p.kind === 'arg' && !p.validateFn && p.validateSettings === undefined && isScalarTarget(p.getType())) {
      const { name } = p;
      const type = p.getType();
      validates = true;
      sources.push(async (d) => {
        const value = d.args[name];
        await validate(value, type, d as never);
        return value;
      });
    } else if (p.kind === 'args' && !p.validateFn && p.validateSettings === undefined) {
      const ArgsClass = p.getType() as new () => Record<string, unknown>;
      const fields: string[] = [];
      for (let target: unknown = ArgsClass; target && (target as { prototype?: unknown }).prototype !== undefined; target = Object.getPrototypeOf(target)) {
        const argsType = storage.argumentTypes.find((t) => t.target === target);
        for (const field of argsType?.fields ?? []) {
          if (!isScalarTarget(field.getType())) return undefined;
          fields.push(field.name);
        }
      }
      validates = true;
      sources.push(async (d) => {
        const given: Record<string, unknown> = {};
        for (const name of fields) if (d.args[name] !== undefined) given[name] = d.args[name];
        const instance = new ArgsClass();
        for (const key of Object.keys(instance)) if (instance[key] === undefined && !(key in given)) delete instance[key];
        Object.assign(instance, given);
        await validate(instance, ArgsClass, d as never);
        return instance;
      });
    } else return undefined;
  }
  return { sources, validates };
}

/**
 * Resolvers (`@Query` and `@FieldResolver` methods) whose parameters are all simple (see
 * `paramSources`) and that have no middleware and no roles are called directly. type-graphql's
 * handler allocated a resolver-data object, looked the resolver instance up in its container,
 * sorted the parameter list, searched its metadata for the `@Args` class and ran an empty
 * middleware chain on every call: a page of 20 listings makes about 130 such calls (`id`, `offer`,
 * `purchasedByMe`, `affordable`, `pointsMissing` per listing, `node(id:)`, `listings(first:, after:)`).
 * A parent typed as a class is left to type-graphql, which converts the row to an instance of it first.
 */
function callSimpleResolversDirectly(schema: GraphQLSchema, validate: ValidatorFn): void {
  const storage = getMetadataStorage();
  const instances = new Map<Function, object>();
  const candidates: { resolver: ResolverMetadata; typeName: string | undefined }[] = [
    ...storage.queries.map((resolver) => ({ resolver, typeName: schema.getQueryType()?.name })),
    ...storage.fieldResolvers
      .filter((resolver) => resolver.kind === 'external' && resolver.getObjectType)
      .map((resolver) => ({ resolver, typeName: storage.objectTypes.find((o) => o.target === resolver.getObjectType!())?.name })),
  ];
  for (const { resolver, typeName } of candidates) {
    if (resolver.middlewares?.length || resolver.roles?.length) continue;
    const simple = paramSources(resolver.params ?? [], validate);
    if (!simple) continue;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = type && isObjectType(type) ? type.getFields()[resolver.schemaName] : undefined;
    if (!field) continue;
    let instance = instances.get(resolver.target);
    if (!instance) instances.set(resolver.target, (instance = new (resolver.target as new () => object)()));
    const method = (instance as Record<string, (...args: unknown[]) => unknown>)[resolver.methodName].bind(instance);
    const { sources, validates } = simple;
    const kinds = sources.length;
    let resolve: GraphQLFieldResolver<unknown, unknown>;
    if (validates) {
      // As type-graphql: every parameter taken (arguments validated, concurrently), then the call.
      resolve = async (root, args, context, info) => {
        const data = { root, args: args as ResolverArgs, context, info };
        return method(...(await Promise.all(sources.map((source) => source(data)))));
      };
    } else {
      const positions = (resolver.params ?? []).slice().sort((a, b) => a.index - b.index).map((p) => (p.kind === 'root' ? 0 : p.kind === 'context' ? 2 : 3));
      const [first, second] = positions;
      if (kinds === 1 && first === 0) resolve = (root) => method(root);
      else if (kinds === 2 && first === 0 && second === 2) resolve = (root, _args, context) => method(root, context);
      else resolve = (...all: unknown[]) => method(...positions.map((i) => all[i]));
    }
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
    // type-graphql's own check runs the whole introspection query on the new schema (~70 ms of
    // every start, start-44); graphql-js's validation below is the part of it that can fail.
    skipCheck: true,
  }).then((schema) => {
    assertValidSchema(schema);
    // type-graphql wraps every resolveType in an async function; graphql-jit (src/graphql/compiled.ts)
    // takes only a type name, and graphql-js needs no promise for a name the row carries.
    assertInterfaceType(schema.getType('Node')).resolveType = nodeTypeOf;
    callSimpleResolversDirectly(schema, validateArguments);
    // Before CompiledQueries wraps them (its replay of a compiled attempt's outcomes must not begin a field twice).
    trackIdempotentReplays(schema);
    return schema;
  });
  return built;
}

/** The SDL checked in as schema/schema.graphql. */
export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await gatewaySchema())}\n`;
}
