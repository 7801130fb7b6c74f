import { ApolloArmor } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule, specifiedRules, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../config.js';
import { QueryTooComplexError } from './errors.js';
import { oneMutationField } from './mutation-fields.js';

/** Whether this gateway answers introspection (`__schema`, `__type`): everywhere but NODE_ENV=production. */
export const introspectionOn = (config: Config): boolean => config.nodeEnv !== 'production';

/**
 * Depth, alias and directive limits (MAX_QUERY_DEPTH, MAX_QUERY_ALIASES, MAX_QUERY_DIRECTIVES) as
 * graphql-armor's validation rules and plugins (cost is `costLimitPlugin`: it needs the
 * variables). A limit reports its refusal as a validation error (400; `formatError` tags it
 * QUERY_TOO_COMPLEX): throwing from a rule, or using graphql-armor's Apollo max-tokens plugin
 * (which re-parses in `parsingDidStart` and rethrows from `unexpectedErrorProcessingRequest`),
 * turns refusals and even plain syntax errors into HTTP 500 GRAPHQL_VALIDATION_FAILED. The token
 * limit is graphql-js's own parse option instead (`DocumentChecks.maxTokens`).
 */
export function documentArmor(config: Config) {
  const tooComplex = [
    (ctx: ValidationContext | null, error: Error) => {
      ctx?.reportError(new QueryTooComplexError(error.message.replace(/^Syntax Error: /, '')));
    },
  ];
  const reject = { propagateOnRejection: false, onReject: tooComplex };
  return new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth, ...reject },
    costLimit: { enabled: false },
    maxAliases: { n: config.limits.maxAliases, ...reject },
    maxDirectives: { n: config.limits.maxDirectives, ...reject },
    maxTokens: { enabled: false },
    // Suggestions are stripped by formatError for every transport (armor's mask missed enum values).
    blockFieldSuggestion: { enabled: false },
  }).protect();
}

/**
 * The document limits as set, for a message that tells an operator which setting refused what:
 * "MAX_QUERY_DEPTH 12, MAX_QUERY_ALIASES 15, MAX_QUERY_DIRECTIVES 50, MAX_QUERY_TOKENS 2000".
 */
export function documentLimitsNamed(config: Config): string {
  const { maxDepth, maxAliases, maxDirectives, maxTokens } = config.limits;
  return `MAX_QUERY_DEPTH ${maxDepth}, MAX_QUERY_ALIASES ${maxAliases}, MAX_QUERY_DIRECTIVES ${maxDirectives}, MAX_QUERY_TOKENS ${maxTokens}`;
}

/** What a document must pass to run: the parse's token bound and the validation rules, all of them. */
export interface DocumentChecks {
  /** graphql-js's rules, introspection's refusal where it is off, the limits' and the gateway's own. */
  rules: readonly ValidationRule[];
  /** MAX_QUERY_TOKENS: graphql-js's `parse` stops past it (undefined: no bound). */
  maxTokens?: number;
  /** MAX_QUERY_COST and MAX_PAGE_SIZE: an operation that costs more whatever its variables is refused (checkManifest); undefined: not checked. */
  cost?: { maxCost: number; maxPageSize: number };
}

/**
 * Every check a document sent to this gateway meets before it runs, whichever way it comes (HTTP,
 * the socket, a trusted document by id): graphql-js's specified rules, NoSchemaIntrospection where
 * introspection is off, `documentArmor`'s limits, one root field per mutation, and the token bound.
 * Registration of trusted documents checks the same (break37, API: an operation registered over a
 * limit, or introspection in production, was accepted and then refused at every send), and the
 * cost (MAX_QUERY_COST) where even the cheapest variables are over it (break37c).
 * `armor`: the gateway's own `documentArmor(config)`, when it has made one.
 */
export function documentChecks(config: Config, armor = documentArmor(config)): DocumentChecks {
  return {
    rules: [...specifiedRules, ...(introspectionOn(config) ? [] : [NoSchemaIntrospectionCustomRule]), ...armor.validationRules, oneMutationField],
    maxTokens: config.limits.maxTokens,
    cost: { maxCost: config.limits.maxCost, maxPageSize: config.maxPageSize },
  };
}
