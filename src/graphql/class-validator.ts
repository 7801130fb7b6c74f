import { createRequire } from 'node:module';
import type * as ClassValidator from 'class-validator';
import type { ValidatorOptions } from 'class-validator';

/**
 * The parts of class-validator the gateway uses, each loaded from its own module of the package's
 * CommonJS build (what `import 'class-validator'` loads in Node: its `main`), not from its index.
 *
 * The index requires every one of its ~100 decorators, and they require their `validator`
 * functions and libphonenumber-js' full metadata: 321 modules and ~0.2 s of CPU at every start of
 * a gateway (start-25, bench/README.md "start-25"), for the dozen rules the input types use. The
 * package has no `exports` map, so its files are importable by path; they are the very modules the
 * index re-exports (one `require` cache), and the rules' metadata lives in class-validator's global
 * storage (`global.classValidatorMetadataStorage`), so a test or tool that imports the index sees
 * the same rules and validates the same way.
 *
 * A rule not listed here is added the same way: the file under `class-validator/cjs/decorator/`
 * that exports it (its `.d.ts` under `types/` has the same path).
 */
const load = createRequire(import.meta.url);

type Exports = typeof ClassValidator;
/** Export `name` of `class-validator/cjs/<file>`, typed as the index's export of that name. */
function part<Name extends keyof Exports>(file: string, name: Name): Exports[Name] {
  const value = (load(`class-validator/cjs/${file}`) as Partial<Exports>)[name];
  if (value === undefined) throw new Error(`class-validator/cjs/${file} does not export ${name}`);
  return value as Exports[Name];
}

export const ArrayMaxSize = part('decorator/array/ArrayMaxSize.js', 'ArrayMaxSize');
export const ArrayMinSize = part('decorator/array/ArrayMinSize.js', 'ArrayMinSize');
export const IsEmail = part('decorator/string/IsEmail.js', 'IsEmail');
export const IsInt = part('decorator/typechecker/IsInt.js', 'IsInt');
export const IsUrl = part('decorator/string/IsUrl.js', 'IsUrl');
export const Matches = part('decorator/string/Matches.js', 'Matches');
export const Max = part('decorator/number/Max.js', 'Max');
export const MaxLength = part('decorator/string/MaxLength.js', 'MaxLength');
export const Min = part('decorator/number/Min.js', 'Min');
export const MinLength = part('decorator/string/MinLength.js', 'MinLength');
export const NotEquals = part('decorator/common/NotEquals.js', 'NotEquals');
export const ValidateBy = part('decorator/common/ValidateBy.js', 'ValidateBy');
export const ValidateNested = part('decorator/common/ValidateNested.js', 'ValidateNested');
export const getMetadataStorage = part('metadata/MetadataStorage.js', 'getMetadataStorage');

const getFromContainer = part('container.js', 'getFromContainer');
const Validator = part('validation/Validator.js', 'Validator');

/**
 * class-validator's `validateOrReject(object, options)` as its index defines it (the validator
 * class from its container, so a `useContainer` still applies): resolves when `object` passes
 * every rule of its class, rejects with the `ValidationError[]` otherwise.
 */
export function validateOrReject(object: object, options?: ValidatorOptions): Promise<void> {
  return getFromContainer(Validator).validateOrReject(object, options);
}

export type { ValidationArguments, ValidationError, ValidationOptions } from 'class-validator';
