/**
 * Shared bits of the property tests (test/property/): how many runs, and the "throws nothing but its
 * documented error" check. Runs are bounded so that each file takes seconds in `npm test`; set
 * PROPERTY_RUNS=<n> (e.g. 20000) for a longer variant, and PROPERTY_SEED=<seed> to replay a failure
 * that fast-check reported.
 */
import * as fc from 'fast-check';

/** numRuns for a property, scaled by PROPERTY_RUNS (default: the given number). */
function runs(defaultRuns: number): number {
  const scale = Number(process.env.PROPERTY_RUNS ?? '');
  return Number.isFinite(scale) && scale > 0 ? Math.max(defaultRuns, Math.round(scale)) : defaultRuns;
}

/** fast-check parameters: bounded runs, optional replay seed, and a readable counterexample. */
export function params(defaultRuns: number): fc.Parameters<unknown> {
  const seed = Number(process.env.PROPERTY_SEED ?? '');
  return {
    numRuns: runs(defaultRuns),
    ...(Number.isInteger(seed) && process.env.PROPERTY_SEED !== undefined ? { seed } : {}),
  };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Calls fn; a throw of anything but one of `allowed` fails the property with the thrown error's name
 * and message (fast-check then shrinks the input). Returns fn's result, or undefined after an allowed throw.
 */
export function onlyThrows<T>(allowed: ErrorClass | readonly ErrorClass[], fn: () => T): T | undefined {
  const classes = Array.isArray(allowed) ? (allowed as readonly ErrorClass[]) : [allowed as ErrorClass];
  try {
    return fn();
  } catch (err) {
    if (classes.some((c) => err instanceof c)) return undefined;
    const what = err instanceof Error ? `${err.name} (${err.message})` : `${typeof err} (${String(err)})`;
    throw new Error(`threw ${what}, not ${classes.map((c) => c.name).join(' or ')}`, { cause: err });
  }
}

/**
 * For "bad input gives a clear error": when fn throws one of `allowed`, its message must be one line
 * (it is logged, and shown by main as the one line before exit 2) and not empty.
 */
export function assertOneLineError(allowed: ErrorClass | readonly ErrorClass[], fn: () => unknown): void {
  const classes = Array.isArray(allowed) ? (allowed as readonly ErrorClass[]) : [allowed as ErrorClass];
  try {
    fn();
  } catch (err) {
    if (!classes.some((c) => err instanceof c)) return; // another property's business
    const message = (err as Error).message;
    if (message.trim() === '' || /[\n\r]/.test(message)) {
      throw new Error(`${(err as Error).name} message is not one clear line: ${JSON.stringify(message)}`, { cause: err });
    }
  }
}

/** Strings with any code point (no lone surrogates), biased towards short ones. */
export const anyString = (maxLength = 200): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength });

/** Any bytes, decoded the way the procfs scan decodes them (UTF-8, replacement characters). */
export const anyBytesAsUtf8 = (maxLength = 300): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('utf8'));

/**
 * Any string that UTF-8 can carry: no lone surrogates. A lone surrogate cannot survive an encoding
 * round trip (protobuf, JSON files) whatever the decoder does, so round-trip properties use this.
 */
export const wellFormedString = (maxLength = 200): fc.Arbitrary<string> =>
  anyString(maxLength).filter((s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s));
