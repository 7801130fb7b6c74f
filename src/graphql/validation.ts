import { ArrayMaxSize, ArrayMinSize, MaxLength, getMetadataStorage as validationMetadata, validateOrReject, ValidateBy, type ValidationArguments, type ValidationError, type ValidationOptions } from './class-validator.js';
import { getNamedType, GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { ArgumentValidationError, Field, type ValidatorFn } from 'type-graphql';
import { firstDuplicate } from '../domain/lists.js';
import { decimalsOf, fitsDigits, isIsoCurrency, MAX_MINOR_DIGITS, minorDigits } from '../domain/currency.js';
import { BLANK_GLYPHS, INVISIBLE_MARKS, keyProblem, segmentOf, shown as quoted, tagProblem, TIER_CODE } from '../domain/text.js';
import { badInput } from './errors.js';
import { query, sql } from '../db/sql.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../context.js';

/**
 * The input edge: what every argument of every field must be before any resolver sees it.
 *
 * PostgreSQL refuses text with a NUL character (`text`: 22021; `json`/`jsonb`: 22P05) and
 * `jsonb` refuses an unpaired UTF-16 surrogate (22P02), while a `text` column silently stores one
 * as U+FFFD; JSON and GraphQL strings carry both. So every string anywhere in the arguments (input
 * object fields, list items, JSON values and their keys) is checked here, for every caller, and a
 * request carrying one is BAD_USER_INPUT before anything is read or written. Fields have their own
 * lengths (class-validator decorators on the input types); `MAX_TEXT_LENGTH` bounds any string
 * that has none.
 */

/** The longest string any argument may carry (the longest field, an offer's terms, is 10,000), but those of `LONGER_TEXT`. */
export const MAX_TEXT_LENGTH = 10_000;

/**
 * The argument strings allowed past MAX_TEXT_LENGTH, by path, and their bound: a manifest
 * operation's body in `registerPersistedOperations` (break37, API: an 11 kB operation the gateway
 * runs, and the CLI registers, was refused by the mutation, "JSON text is longer than 10000
 * characters", naming neither the operation nor a limit it breaks). Its length is the manifest
 * check's to refuse (MANIFEST_LIMITS.bodyChars, naming the operation: break37c found a bound here
 * answered the unhelpful sentence again at 50,000), within the request's BODY_LIMIT_BYTES.
 */
const LONGER_TEXT: readonly (readonly [RegExp, number])[] = [[/^input\.manifest\.operations\.\d+\.body$/, Number.POSITIVE_INFINITY]];

const textBound = (path: string) => LONGER_TEXT.find(([at]) => at.test(path))?.[1] ?? MAX_TEXT_LENGTH;

/** How deep arguments may nest (input objects and lists; the JSON scalar has its own limit). */
const MAX_ARGUMENT_DEPTH = 40;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL cannot store `text` as sent, or null when it can. */
export function unstorableText(text: string, maxLength = MAX_TEXT_LENGTH): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (UNPAIRED_SURROGATE.test(text)) return 'must be valid Unicode text (it has an unpaired surrogate)';
  if (text.length > maxLength) return `is longer than ${maxLength} characters`;
  return null;
}

/** The first string (value or object key) in `args` that cannot be stored, with its path (`input.lines.0.sku`). */
export function findUnstorableText(args: Record<string, unknown>): { path: string; problem: string } | null {
  const stack: Array<[unknown, string, number]> = Object.entries(args).map(([name, value]) => [value, name, 0]);
  while (stack.length) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      const problem = unstorableText(value, textBound(path));
      if (problem) return { path, problem };
      continue;
    }
    if (value === null || typeof value !== 'object' || value instanceof Date) continue;
    if (depth >= MAX_ARGUMENT_DEPTH) return { path, problem: `nests deeper than ${MAX_ARGUMENT_DEPTH} levels` };
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = Array.isArray(value) ? null : unstorableText(key, 1000);
      if (keyProblem) return { path, problem: `has a key that ${keyProblem}` };
      stack.push([item, `${path}.${key}`, depth + 1]);
    }
  }
  return null;
}

const checkedArgs = new WeakSet<object>();

/**
 * Whether class-validator has anything to check on instances of `type` (decorators on it or on a
 * class it extends). With `forbidUnknownValues: false`, validating an object of a class without
 * any finds nothing, so it is skipped (`PageArgs` on every page of every connection). Decorators
 * run when their classes are defined, all before the schema is built, so the answer is kept.
 */
const hasConstraints = new WeakMap<Function, boolean>();
function validated(value: object): boolean {
  const type = value.constructor;
  let has = hasConstraints.get(type);
  if (has === undefined) {
    has = validationMetadata().getTargetValidationMetadatas(type, '', false, false).length > 0;
    hasConstraints.set(type, has);
  }
  return has;
}

/** A property's clear rule, as `clearChecksOf` runs it. */
type ClearCheck = { property: string; check: (value: unknown) => boolean };
const clearChecks = new WeakMap<Function, ClearCheck[] | null>();

/**
 * The rules on `type` (and the classes it extends) as plain checks, when every one of them is a
 * `clearRule` applied to the property itself (not to each item, without groups, condition or
 * `always`); null when any is anything else (nested inputs, `ValidateIf`, class-validator's own
 * rules), which class-validator alone runs. Kept per class, as `validated` is.
 */
function clearChecksOf(type: Function): ClearCheck[] | null {
  let checks = clearChecks.get(type);
  if (checks !== undefined) return checks;
  const storage = validationMetadata();
  checks = [];
  for (const m of storage.getTargetValidationMetadatas(type, '', false, false)) {
    const constraints = m.type === 'customValidation' && !m.each && !m.groups?.length && m.always === undefined && !m.validateIf ? storage.getTargetValidatorConstraints(m.constraintCls) : [];
    const check = constraints.length === 1 && !constraints[0].async ? CLEAR_CHECKS.get(constraints[0].name) : undefined;
    if (!check) {
      checks = null;
      break;
    }
    checks.push({ property: m.propertyName, check });
  }
  clearChecks.set(type, checks);
  return checks;
}

/**
 * Whether `value` passes every rule of its class without class-validator: its rules are all clear
 * rules (`clearChecksOf`) and each holds for its property, a property left out or null being
 * skipped as `skipMissingProperties` skips it. False sends it to class-validator, which then
 * decides and words any failure exactly as before. (class-validator's executor looked up the
 * class's rules among every validated class on each call: ~0.1 ms of a purchase's node CPU under
 * load, bench/README.md, issue 12, ninth session.)
 */
function passesClearChecks(value: object): boolean {
  const checks = clearChecksOf(value.constructor);
  if (!checks) return false;
  for (const { property, check } of checks) {
    const v = (value as Record<string, unknown>)[property];
    if (v === null || v === undefined) continue;
    try {
      if (!check(v)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * type-graphql's argument validation for the whole schema (`buildSchema({ validateFn })`): the
 * text check above over all of a field's arguments (once per field), then class-validator on
 * input objects exactly as type-graphql's own `validate` does (absent optional fields skipped),
 * whose failures are BAD_USER_INPUT with the failing rule's message naming the value by its path
 * inside the argument (`lines.0.unitPrice must …`), and `extensions.field` that path from the
 * argument (`["input", "lines", "0", "unitPrice"]`): a rule written for users (`CLEAR_RULES`)
 * first, else the first failure; any other rule's answer also keeps class-validator's
 * `validationErrors`, as before.
 */
export const validateArguments: ValidatorFn = async (argValue, _argType, { args, info, context }) => {
  if (args && typeof args === 'object' && !checkedArgs.has(args)) {
    checkedArgs.add(args);
    const found = findUnstorableText(args);
    if (found) throw badInput(`${found.path} ${found.problem}`, found.path);
  }
  const objects = (Array.isArray(argValue) ? argValue : [argValue]).filter((v) => v !== null && typeof v === 'object' && validated(v));
  if (!objects.length) return;
  // Inputs of clear rules only that pass them all: class-validator would find nothing either.
  if (objects.every(passesClearChecks)) return;
  try {
    await Promise.all(objects.map((v) => validateOrReject(v, { skipMissingProperties: true, forbidUnknownValues: false })));
  } catch (error) {
    const errors = error as ValidationError[];
    const argument = argumentNameOf(objects[0], info);
    // A rule with a message of its own for users answers that message; any other rule its own
    // sentence naming the path. Both name the value by its path from the argument.
    if (await onlyStoredKeys(errors, context as Partial<StoredKeyCtx> | undefined)) return;
    const failure = clearFailure(errors) ?? firstFailure(errors);
    if (!failure) throw new ArgumentValidationError(errors as never);
    const field = argument ? [argument, ...failure.field] : failure.field;
    if (failure.clear) throw badInput(failure.message, field);
    const generic = new ArgumentValidationError(errors as never);
    throw new GraphQLError(failure.message, { extensions: { ...generic.extensions, field } });
  }
};

/**
 * The name of the argument `value` came from: for an input object (`@Arg('input')`), the argument
 * of the field being resolved whose GraphQL type is `value`'s class (type-graphql names input types
 * after their classes); null for an `@Args` class, whose properties are arguments themselves.
 */
function argumentNameOf(value: object, info: GraphQLResolveInfo | undefined): string | null {
  const definition = info?.parentType.getFields()[info.fieldName];
  const typeName = value.constructor.name;
  return definition?.args.find((a) => getNamedType(a.type).name === typeName)?.name ?? null;
}

/** A failure to answer: its message, its path inside the argument, and whether its rule is one of `CLEAR_RULES`. */
interface Failure {
  message: string;
  field: string[];
  clear: boolean;
}

/**
 * Rules whose message is written for users and names its field: a failure of one of them answers
 * BAD_USER_INPUT with that message and `extensions.field` (the path from the argument,
 * `["input", "eligibility", "segments", "1"]`), before any other rule's failure.
 */
const CLEAR_RULES = new Set<string>();
/** Each clear rule's check by its name (`passesClearChecks` runs them without class-validator). */
const CLEAR_CHECKS = new Map<string, (value: unknown) => boolean>();


/** The message of a failure on `e` (a property at `path`), naming it by its path inside the argument (`lines.0.sku must …`). */
function messageAt(e: ValidationError, rule: string, path: string[]): string {
  const message = e.constraints![rule];
  const prefix = path.slice(0, -1).join('.');
  return prefix && message.startsWith(e.property) ? `${prefix}.${message}` : message;
}

/** The path of `e`'s value, and of the list item at fault when `rule` can name one. */
function pathAt(e: ValidationError, rule: string, path: string[]): string[] {
  const context = e.contexts?.[rule] as { itemAt?: (list: unknown[], object?: object) => number | null; itemField?: string } | undefined;
  const at = Array.isArray(e.value) && context?.itemAt ? context.itemAt(e.value, e.target) : null;
  if (at === null || at === undefined) return path;
  return context?.itemField ? [...path, String(at), context.itemField] : [...path, String(at)];
}

/**
 * The first failure in `errors`, depth first (nested inputs included), of the rule `pick` chooses
 * among one error's rule names (undefined: look in its children), with that rule's message naming
 * the path; `clear` says whether `pick` chooses only `CLEAR_RULES`.
 */
function failureIn(errors: readonly ValidationError[], pick: (rules: string[]) => string | undefined, clear: boolean, prefix: string[] = []): Failure | null {
  for (const e of errors) {
    const path = [...prefix, e.property];
    const rule = pick(Object.keys(e.constraints ?? {}));
    if (rule) return { message: messageAt(e, rule, path), field: pathAt(e, rule, path), clear };
    const nested = failureIn(e.children ?? [], pick, clear, path);
    if (nested) return nested;
  }
  return null;
}

/** The first failure of a clear rule in `errors`. */
const clearFailure = (errors: readonly ValidationError[]) => failureIn(errors, (rules) => rules.find((name) => CLEAR_RULES.has(name)), true);

/** The first failure of any rule in `errors`. */
const firstFailure = (errors: readonly ValidationError[]) => failureIn(errors, (rules) => rules[0], false);

/**
 * A class-validator rule named `name` whose message (`message(property, value)`) is written for
 * users: registered in `CLEAR_RULES`, so a failure answers that message and names the field; on a
 * list, `itemAt` says which item failed (a blank entry, a repeat), so the path names that item;
 * other list rules name the list.
 */
function clearRule(name: string, validate: (value: unknown) => boolean, message: (property: string, value: unknown) => string, itemAt?: (list: unknown[]) => number | null) {
  CLEAR_RULES.add(name);
  CLEAR_CHECKS.set(name, validate);
  // where a list failed travels as the rule's context, which class-validator hands back with the failure
  return (options?: ValidationOptions) =>
    ValidateBy(
      { name, validator: { validate, defaultMessage: (args) => message(args?.property ?? 'value', args?.value) } },
      itemAt ? { ...options, context: { ...options?.context, itemAt } } : options,
    );
}

/**
 * A whole number from `min` to `max` (`unit`: what it counts, for the message: "points"), as a
 * clear rule: an input whose rules are all clear is checked without class-validator when it
 * passes (issue 12, ninth session: the purchase's input), where @Min/@Max sent every purchase
 * through class-validator's look-up (hostile39c's `expectedPriceInPoints`). Null or absent passes
 * (the field is optional). Otherwise BAD_USER_INPUT "<field> must be a whole number of <unit> from
 * <min> to <max>", naming the field.
 */
export function IntBetween(min: number, max: number, unit: string): PropertyDecorator {
  return clearRule(
    `intBetween:${min}:${max}`,
    (value) => value === null || value === undefined || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max),
    (property, value) => `${property} must be a whole number of ${unit} from ${min} to ${max}; ${String(value)} is not one`,
  )();
}

/** The longest idempotency key taken (the columns holding one are `text`; the bound is the API's, as before this rule). */
export const IDEMPOTENCY_KEY_MAX = 200;

/** An idempotency key's length is within 1 to IDEMPOTENCY_KEY_MAX characters. */
const keyLengthFits = (value: unknown): value is string => typeof value === 'string' && value.length >= 1 && value.length <= IDEMPOTENCY_KEY_MAX;

/**
 * A mutation's idempotency key: 1 to 200 characters (`IDEMPOTENCY_KEY_MAX`) with something to read
 * in them (not `isBlank`). An empty or longer one is BAD_USER_INPUT "<field> must be 1 to 200
 * characters"; one of only white space or invisible characters (" ", "\u200b") is BAD_USER_INPUT
 * "<field> must not be blank (…)", as every other key and reference a caller sends (edges-10: a
 * blank key was taken, so two clients that each send " " for different requests collide on it);
 * both name the field, not the generic "Argument Validation Error".
 */
export const IsIdempotencyKey = clearRule(
  'isIdempotencyKey',
  (value) => keyLengthFits(value) && !isBlank(value) && keyProblem(value, true) === null,
  (property, value) =>
    !keyLengthFits(value) ? `${property} must be 1 to ${IDEMPOTENCY_KEY_MAX} characters` : isBlank(value) ? `${property} must not be blank ${BLANK_MEANS}` : keyRefusal(property, value, true),
);

/**
 * The optional `idempotencyKey: String` of a create that doubled when resent (idem-12): the GraphQL
 * field (nullable, so every document written before it still runs) with `IsIdempotencyKey`'s rule.
 * Its meaning is `createOnce`'s (src/idempotency/idempotency.service.ts): the same key and input
 * again answer the first object and write nothing; the same key with other input is
 * IDEMPOTENCY_KEY_REUSED on ["input","idempotencyKey"]; keys are the caller's own.
 */
export function OptionalIdempotencyKey(what: string): PropertyDecorator {
  return (target, property) => {
    Field(() => String, {
      nullable: true,
      description: `Optional: send one (1 to ${IDEMPOTENCY_KEY_MAX} characters, yours alone) to make a resend after a lost answer safe: the same key with the same input answers the same ${what} and creates nothing; with other input it is IDEMPOTENCY_KEY_REUSED. Absent: each call creates.`,
    })(target, property);
    IsIdempotencyKey()(target, property as string);
  };
}

/** The longest reason a staff change keeps, in characters (as adjustPoints' and the other reasons). */
export const CHANGE_REASON_MAX = 500;

/**
 * The optional `reason: String` of a staff change (reason-40): why the change was made, kept in its
 * audit entry beside who made it (SPEC §4: "every staff change is recorded with who and why"; the
 * console asks for it). Nullable, so every document written before it still runs; when given, at
 * most CHANGE_REASON_MAX characters and not blank (`NotBlank`): BAD_USER_INPUT naming the field.
 * The reason says why, it is not part of what the change is: a repeat of a keyed or naturally
 * idempotent change with the reason reworded is the same change, answered as the first, whose
 * audit entry keeps the first reason (no second entry is written).
 */
export function ChangeReason(): PropertyDecorator {
  return (target, property) => {
    Field(() => String, { nullable: true, description: `Why; kept in the audit log with who made the change (at most ${CHANGE_REASON_MAX} characters, not blank when given).` })(target, property);
    MaxLength(CHANGE_REASON_MAX)(target, property as string);
    NotBlank()(target, property as string);
  };
}

/** The refusal of a key with a `keyProblem`: "<field> has … : keys are compared exactly, …". */
function keyRefusal(property: string, key: string, nfc = false): string {
  return `${property} ${keyProblem(key, nfc)}: keys are compared exactly, so send it as one spelling, without invisible characters${nfc ? ' and in NFC' : ''}`;
}

/**
 * A caller's id of a record that is compared exactly (a customer's or sale's externalId, a lockId,
 * an activity's reference): no `keyProblem` (an invisible character, white space other than plain
 * spaces), so what reads as one key is one key (edges-11). NFD is taken as sent (hostile pass 6). BAD_USER_INPUT
 * "<field> has a character that shows nothing (\u200B): keys are compared exactly, …", naming the
 * field. Blank text passes: it is `NotBlank`'s to answer. See `IsStoredKey` for keys of records
 * that may have been stored before the rule.
 */
export const IsKey = clearRule(
  'isKey',
  (value) => typeof value !== 'string' || isBlank(value) || keyProblem(value) === null,
  (property, value) => keyRefusal(property, value as string),
);

/**
 * The records whose keys were stored before edges-11 refused invisible characters in them, and
 * whether one is stored under exactly `key` (one indexed read; run only for a key `IsKey` refuses).
 */
const STORED_KEYS = {
  customer: async ({ em }: StoredKeyCtx, key: string) => (await query(em, sql`select 1 from customer where external_id = ${key} limit 1`)).length > 0,
  // A partner's sales are its own: another partner's sale stored under the key lets nothing through.
  sale: async ({ em, caller }: StoredKeyCtx, key: string) => {
    const partnerId = caller.kind === 'partner' ? caller.partnerId : null;
    return (await query(em, sql`select 1 from sales_transaction where external_id = ${key} and (${partnerId}::bigint is null or partner_id = ${partnerId}) limit 1`)).length > 0;
  },
};
/** What a stored key's check reads with: the request's unit of work and its caller. */
type StoredKeyCtx = { em: SqlEntityManager; caller: Caller };
type StoredKeyKind = keyof typeof STORED_KEYS;

/**
 * `IsKey` for a key that names a `stored` record (a customer's externalId, a sale's): a key with a
 * `keyProblem` is still taken when a record is stored under exactly that text (written before
 * edges-11's rule, by a retailer's import or an older gateway), so such a customer can still be
 * credited, corrected and closed, and such a sale read and reversed; any other such key is refused
 * as by `IsKey`, so nothing new is stored with one (hostile pass 12c, docs/decisions.md).
 */
export const IsStoredKey = (stored: StoredKeyKind) => IsKey({ context: { stored } });

/**
 * Whether every failure in `errors` is an `IsStoredKey` refusal of a key that names a stored record
 * exactly (then the input is taken as it is); false at the first other failure.
 */
async function onlyStoredKeys(errors: readonly ValidationError[], ctx: Partial<StoredKeyCtx> | undefined): Promise<boolean> {
  if (!ctx?.em || !ctx.caller) return false;
  const keys: [StoredKeyKind, string][] = [];
  const walk = (list: readonly ValidationError[]): boolean =>
    list.every((e) => {
      const rules = Object.keys(e.constraints ?? {});
      if (rules.length === 0) return walk(e.children ?? []);
      const stored = (e.contexts?.isKey as { stored?: StoredKeyKind } | undefined)?.stored;
      if (rules.length !== 1 || rules[0] !== 'isKey' || stored === undefined || typeof e.value !== 'string' || (e.children ?? []).length) return false;
      keys.push([stored, e.value]);
      return true;
    });
  if (!walk(errors) || !keys.length) return false;
  for (const [kind, key] of keys) if (!(await STORED_KEYS[kind](ctx as StoredKeyCtx, key))) return false;
  return true;
}

/**
 * A thing a query looks up by a key (`customer(externalId:)`, `transaction(externalId:)`): refused
 * when blank (`refuseBlankArgument`); else what `lookup` finds under exactly that key (a key stored
 * before edges-11's rule included: hostile pass 12c); when it finds nothing, a key with a
 * `keyProblem` is BAD_USER_INPUT naming the argument, as the inputs that store keys refuse it, rather
 * than null, which reads as "no such thing".
 */
export async function lookedUpByKey<T>(value: string, argument: string, lookup: (key: string) => Promise<T | null | undefined>): Promise<T | null> {
  refuseBlankArgument(value, argument);
  const found = await lookup(value);
  if (found === null || found === undefined) {
    if (keyProblem(value) !== null) throw badInput(keyRefusal(argument, value), argument);
    return null;
  }
  return found;
}

/** A money amount of a definition that names no money yet: up to 12 digits and MAX_MINOR_DIGITS decimals (fils: "0.125"). */
export const MONEY_AMOUNT = new RegExp(`^\\d{1,12}(\\.\\d{1,${MAX_MINOR_DIGITS}})?$`);

/**
 * A money amount above zero: at most 12 digits before the point and MAX_MINOR_DIGITS after (so
 * "0.125" KWD off can be written; which money it is in is decided where the offer is put, and an
 * amount finer than that money is refused there: `refuseAmountsFinerThanMoney`), e.g. "4.50". For
 * amounts off and caps on them, which the database holds above zero (`offer_version_amount_positive`,
 * `…_max_discount_positive`): an amount of 0 is refused here, not by the CHECK as an internal error.
 */
export function IsPositiveMoney(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isPositiveMoney',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && MONEY_AMOUNT.test(value) && /[1-9]/.test(value),
        defaultMessage: (args) => `${args?.property ?? 'amount'} must be a money amount above 0 such as "4.50" (at most 12 digits before the point and ${MAX_MINOR_DIGITS} after)`,
      },
    },
    options,
  );
}

/** "one line", "20 lines": a count in a message. */
const countOf = (n: number, one: string, many: string) => (n === 1 ? `one ${one}` : `${n} ${many}`);

/**
 * class-validator's ArrayMinSize with a sentence for users: "<field> must have at least one line"
 * (its own message reads "must contain at least 1 elements"). `one`/`many`: what an entry is called.
 */
export function MinItems(min: number, one = 'entry', many = one === 'entry' ? 'entries' : `${one}s`) {
  return ArrayMinSize(min, { message: (args: ValidationArguments) => `${args.property} must have at least ${countOf(min, one, many)}` });
}

/** class-validator's ArrayMaxSize with a sentence for users: "<field> must have at most 500 lines". */
export function MaxItems(max: number, one = 'entry', many = one === 'entry' ? 'entries' : `${one}s`) {
  return ArrayMaxSize(max, { message: (args: ValidationArguments) => `${args.property} must have at most ${countOf(max, one, many)}` });
}

/**
 * The message of a money field's pattern (`@Matches(…, { message: moneyMessage("4.50", 9) })`): a
 * decimal below zero is told it must not be negative; anything else is shown the shape with its
 * bounds, e.g. "unitPrice must be a money amount such as "4.50" (at most 9 digits before the point
 * and 4 after)" — a KWD till sending five decimals learns the shape's limit, not only an example
 * in cents. `wholeDigits` is the pattern's (UNIT_PRICE 9, MONEY_AMOUNT 12).
 */
export function moneyMessage(example: string, wholeDigits: number) {
  return (args: ValidationArguments) =>
    typeof args.value === 'string' && /^-(?=[\d.]*[1-9])\d*(\.\d+)?$/.test(args.value)
      ? `${args.property} must not be negative`
      : `${args.property} must be a money amount such as "${example}" (at most ${wholeDigits} digits before the point and ${MAX_MINOR_DIGITS} after)`;
}

/**
 * A number with at most `places` decimals: the scale of the `numeric(p, places)` column that
 * stores it, which would otherwise round it silently (99.999 % off stored as 100 %, a campaign's
 * ×1.00001 as ×1). Decimals are counted on the number as JSON carried it (33.33 is 33.33, not the
 * nearest binary fraction).
 */
export function HasAtMostDecimals(places: number, options?: ValidationOptions) {
  const scale = 10 ** places;
  return ValidateBy(
    {
      name: 'hasAtMostDecimals',
      constraints: [places],
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value) && Number((value * scale).toFixed(6)) % 1 === 0,
        defaultMessage: (args) => `${args?.property ?? 'number'} must have at most ${places} decimals`,
      },
    },
    options,
  );
}

/**
 * Whether `text` shows nothing: empty once white space (any Unicode space, tabs, line breaks),
 * invisible marks (`INVISIBLE_MARKS`: controls, format characters such as U+200B or U+FEFF,
 * default-ignorable code points) and blank glyphs (`BLANK_GLYPHS`: U+2800, U+1D159) are taken
 * out. A combining mark alone is not blank: it is drawn, on a dotted circle or the preceding space.
 */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE_MARKS, '').replace(BLANK_GLYPHS, '').replace(/\p{White_Space}/gu, '').length === 0;
}

/** What "blank" means, as refusals of blank text say it. */
const BLANK_MEANS = '(only white space or invisible characters such as zero-width spaces)';

/**
 * A text argument of a query, when given, must not be blank (`isBlank`), as input fields must not
 * (`NotBlank`): BAD_USER_INPUT "<argument> must not be blank (…)", naming the argument in
 * `extensions.field`. For optional filters and for the keys a query looks a thing up by
 * (`customer(externalId:)`: a blank key names nothing, and answering null read as "no such
 * customer"). Absent or null passes.
 */
export function refuseBlankArgument(value: string | null | undefined, argument: string): void {
  if (typeof value === 'string' && isBlank(value)) throw badInput(`${argument} must not be blank ${BLANK_MEANS}`, argument);
}

/**
 * Text with something to read in it: not blank in the sense of `isBlank` (only white space and
 * invisible characters such as U+200B or U+FEFF). For names and for the reasons the audit log keeps
 * (SPEC §4: every staff change is recorded with who and why), which a blank value would leave
 * unsaid. Refused with BAD_USER_INPUT "<field> must not be blank (…)", naming the field. Absent or
 * null optional fields are not checked (an explicit null clears where the field allows it). With
 * `{ each: true }` on a list of SKUs, categories, channels, tiers or segments: "<field> must not
 * have a blank entry (…)" (a blank entry names nothing a sale or customer carries).
 */
export const NotBlank = clearRule(
  'notBlank',
  (value) => typeof value === 'string' && !isBlank(value),
  (property, value) => `${property} must not ${Array.isArray(value) ? 'have a blank entry' : 'be blank'} ${BLANK_MEANS}`,
  (list) => firstFailing(list, (item) => typeof item !== 'string' || isBlank(item)),
);

/**
 * A list that names each thing once, items compared by `keyOf` (default: as sent). For staff
 * configuration where a repeat is a mistake rather than a second meaning (docs/decisions.md, "The
 * input edge"): BAD_USER_INPUT "<field> names "x" twice (items 0 and 2)", naming the field.
 * `keyOf` is how the domain compares the items (SKUs and categories as item keys: `pastry` and
 * `PASTRY` are one category), so two spellings of one thing are a repeat too.
 */
export function NoDuplicates<T>(keyOf?: (item: T) => unknown, options?: ValidationOptions) {
  const repeat = (value: unknown) => (Array.isArray(value) ? firstDuplicate(value as T[], keyOf) : null);
  return clearRule(
    'noDuplicates',
    (value) => repeat(value) === null,
    (property, value) => {
      const found = repeat(value);
      const item = found ? (value as T[])[found.again] : undefined;
      // the repeat as sent; an object by the key it repeats (a category multiplier by its category)
      const shown = typeof item === 'string' || typeof item === 'number' ? item : item !== undefined ? keyOf?.(item) : undefined;
      const named = typeof shown === 'string' ? quoted(shown) : typeof shown === 'number' ? String(shown) : 'one entry';
      return `${property} names ${named} twice (items ${found?.first} and ${found?.again}): list each once`;
    },
    (list) => repeat(list)?.again ?? null,
  )(options);
}

/**
 * A money currency: an ISO 4217 code in use, in capitals (`isIsoCurrency`). Lower case is refused,
 * not upper-cased (docs/decisions.md, "The input edge"). BAD_USER_INPUT "<field> must be an ISO 4217
 * currency code in capitals such as EUR; "eur" is not one", naming the field.
 */
export const IsCurrencyCode = clearRule(
  'isCurrencyCode',
  (value) => typeof value === 'string' && isIsoCurrency(value),
  (property, value) => `${property} must be an ISO 4217 currency code in capitals such as EUR; ${typeof value === 'string' ? quoted(value) : JSON.stringify(value)} is not one`,
);

/** Money of a sale is below this many units of its money (`sales_transaction_money_range`). */
export const MONEY_LIMIT = 1_000_000_000_000n;

/** A money string that already matched its field's pattern, in units of 10^-MAX_MINOR_DIGITS ("4.50" → 45000n). */
function finestUnitsOf(amount: string): bigint {
  const [units, fraction = ''] = amount.split('.');
  return BigInt(units) * 10n ** BigInt(MAX_MINOR_DIGITS) + BigInt(fraction.padEnd(MAX_MINOR_DIGITS, '0').slice(0, MAX_MINOR_DIGITS));
}

/** A money amount as a sale line's `unitPrice` takes it: up to 9 digits and MAX_MINOR_DIGITS decimals (which of them the money has: `priceFinerThanMoney`). */
export const UNIT_PRICE = new RegExp(`^\\d{1,9}(\\.\\d{1,${MAX_MINOR_DIGITS}})?$`);

/**
 * On a list of sale lines: the sale's total (the sum of quantity × unitPrice) is below
 * MONEY_LIMIT units of its money (`sales_transaction_money_range`), and a whole number of its minor
 * units stays within 2^53 − 1 (the arithmetic of a sale is in JS numbers), so a sale is refused at
 * the edge instead of failing in SQL. Computed exactly (bigint); lines whose own fields are invalid
 * are left to their own validators.
 */
export function SaleTotalFits(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'saleTotalFits',
      validator: {
        validate: (lines: unknown, args?: ValidationArguments) => {
          if (!Array.isArray(lines)) return true;
          let total = 0n;
          for (const line of lines as Array<{ quantity?: unknown; unitPrice?: unknown }>) {
            if (!Number.isSafeInteger(line?.quantity) || typeof line?.unitPrice !== 'string' || !UNIT_PRICE.test(line.unitPrice)) continue;
            total += BigInt(line.quantity as number) * finestUnitsOf(line.unitPrice);
          }
          const currency = (args?.object as { currency?: unknown } | undefined)?.currency;
          const digits = typeof currency === 'string' ? minorDigits(currency) : 2;
          const minor = total / 10n ** BigInt(MAX_MINOR_DIGITS - digits);
          return total < MONEY_LIMIT * 10n ** BigInt(MAX_MINOR_DIGITS) && minor <= BigInt(Number.MAX_SAFE_INTEGER);
        },
        defaultMessage: () => `the sale total (quantity × unitPrice over all lines) must be less than ${MONEY_LIMIT}`,
      },
    },
    options,
  );
}

/**
 * A sale's lines checked against its `currency` (ISO 4217 capitals): each `unitPrice` must be a
 * whole number of minor units of it (ISO 4217's minor unit, `minorDigits`): "1.250" KWD and "1000"
 * or "1000.00" JPY are prices, "10.5" JPY and "1.2345" KWD are not. Zeros past the money's decimals
 * are taken (a till that writes every price with two decimals sends "1000.00" yen); any other digit
 * there is refused, never rounded. Returns null when every price fits (prices of the wrong shape
 * and an unknown currency are left to their own rules), else the BAD_USER_INPUT to answer:
 * "lines.1.unitPrice 10.5 is not an amount of JPY, which has no decimals", naming that line's
 * `unitPrice` (`["input", "lines", "1", "unitPrice"]`).
 *
 * Not an argument rule: `submitTransaction` asks it after it has looked up the sale's key, since a
 * sale taken before money-12 (cents were prices of every money then) may be retried with such a
 * price and must be answered with the sale it is (upgrade-12, docs/decisions.md).
 */
export function priceFinerThanMoney(lines: readonly { unitPrice: string }[], currency: string): GraphQLError | null {
  if (!isIsoCurrency(currency)) return null;
  const digits = minorDigits(currency);
  const at = lines.findIndex((line) => UNIT_PRICE.test(line.unitPrice) && !fitsDigits(line.unitPrice, digits));
  if (at < 0) return null;
  return badInput(`lines.${at}.unitPrice ${lines[at].unitPrice} is not an amount of ${currency}, which has ${decimalsOf(currency)}`, ['input', 'lines', String(at), 'unitPrice']);
}

/** The first item of `list` that `fails`, or null. */
function firstFailing(list: unknown[], fails: (item: unknown) => boolean): number | null {
  const at = list.findIndex(fails);
  return at < 0 ? null : at;
}

/**
 * A clear rule on a list whose every item must pass `ok`: its message (`message(property, item)`)
 * names the first item that does not, and so does the error's path. Blank text passes: it is
 * `NotBlank`'s to answer, with its own sentence.
 */
function everyItem(name: string, ok: (item: string) => boolean, message: (property: string, item: unknown) => string) {
  const fails = (item: unknown) => typeof item !== 'string' || !(isBlank(item) || ok(item));
  return clearRule(
    name,
    (value) => !Array.isArray(value) || firstFailing(value, fails) === null,
    (property, value) => message(property, Array.isArray(value) ? value[firstFailing(value, fails) ?? 0] : value),
    (list) => firstFailing(list, fails),
  );
}

/** An entry as a message shows it: quoted with what is unseen spelled out, or "an entry" when it is no text. */
const entry = (item: unknown) => (typeof item === 'string' ? quoted(item) : 'an entry');

/**
 * On a list of tier codes (a store's or campaign's `tiers`): each is shaped like a tier code
 * (`TIER_CODE`: capitals, digits, `_`), as every tier is defined, so it can match one. Lower case
 * and invisible characters are refused, not corrected (docs/decisions.md, "Input faults fixed as
 * kinds"). BAD_USER_INPUT "<field> must list tier codes (…); "gold" is not one", naming the entry.
 */
export const AreTierCodes = everyItem(
  'areTierCodes',
  (item) => TIER_CODE.test(item),
  (property, item) => `${property} must list tier codes (a capital letter, then capitals, digits or _, as tiers are defined); ${entry(item)} is not one`,
);

/**
 * On a list of customer segments (a customer's, a store's or campaign's): no entry carries a
 * difference nobody can see (`tagProblem`: invisible characters, blank symbols, white space other
 * than single inner spaces). BAD_USER_INPUT "<field> has "vip\u200B", which has an invisible
 * character: …", naming the entry. Case is visible and kept.
 */
export const AreTags = everyItem(
  'areTags',
  (item) => tagProblem(item) === null,
  (property, item) =>
    `${property} has ${entry(item)}, which ${typeof item === 'string' ? tagProblem(item) : 'is not text'}: a segment is compared exactly, so it would not match the tag it looks like`,
);

/** A segment list's repeat check: tags compared as stored (`segmentOf`: NFC), so `café` in two normal forms is a repeat. */
export const NoDuplicateSegments = () => NoDuplicates<string>(segmentOf);
