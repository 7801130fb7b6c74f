import { Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import { QueryTooComplexError } from './errors.js';

/**
 * Why a mutation operation with more than one root field is refused: each root field is a write of
 * its own (its own transaction, its own refusal), and a request is what budgets count.
 */
export const ONE_MUTATION_FIELD_MESSAGE = 'A mutation runs one root field per request';

/** The response keys (alias, else name) a mutation asks of its root, through fragments, `__typename` aside. */
function rootKeys(set: SelectionSetNode, context: ValidationContext, keys: Set<string>, seen: Set<string>): Set<string> {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') keys.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootKeys(selection.selectionSet, context, keys, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) rootKeys(fragment.selectionSet, context, keys, seen);
    }
  }
  return keys;
}

/**
 * Validation rule: a mutation operation has at most one root field (`__typename` aside; one field
 * asked twice under one response key is one field, as graphql-js runs it once). Counted as written,
 * whatever `@skip`/`@include` would leave.
 *
 * Why (hostile pass 12c, docs/decisions.md): rate budgets count requests (`RATE_LIMIT_*`), so ten
 * aliases of `purchaseOffer` made ten purchases for one point of a customer's budget, and three of
 * `submitTransaction` three sales for one of a partner's (through an operator-registered document
 * too); and a request whose second field was cut by a database bound after its first committed was
 * answered 503 SERVICE_UNAVAILABLE, "nothing was done", with a write done. No client of the
 * contract sends more than one. Refused as QUERY_TOO_COMPLEX (HTTP 400), before anything runs.
 */
export function oneMutationField(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation !== 'mutation') return false;
      const keys = [...rootKeys(node.selectionSet, context, new Set(), new Set())];
      if (keys.length > 1) {
        context.reportError(
          new QueryTooComplexError(`${ONE_MUTATION_FIELD_MESSAGE} (this one asks for ${keys.length}: ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}): send each in a request of its own.`),
        );
      }
      return false;
    },
  };
}
