// The shape every fuzz target has, and the one invariant the pure parsers share:
// an input either parses or is refused with the module's typed error. Anything
// else (a TypeError, a RangeError, a DerError escaping, an input that takes too
// long) is a violation, reported with the input so the run can be reproduced.
import type fc from 'fast-check';
import { WeftError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';

export interface FuzzTarget<T = unknown> {
  /** Stable name, used by `npm run fuzz -- --only NAME` and in progress lines. */
  readonly name: string;
  /** Share of the long run's inputs (weights are normalised across targets). */
  readonly weight: number;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Throws a FuzzViolation (or any error) when the invariant does not hold. */
  readonly check: (input: T) => void | Promise<void>;
  /** Inputs for `npm test`'s short run. */
  readonly quickRuns: number;
  /** Wall-clock bound for one input: past it, the input is a violation (pathological slowness). */
  readonly maxMsPerInput: number;
  /** Set up shared state (servers) before the first input; torn down by `close`. */
  readonly open?: () => Promise<void>;
  readonly close?: () => Promise<void>;
}

export class FuzzViolation extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FuzzViolation';
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}

/**
 * Runs `parse`; returns its value, or undefined when it threw a WeftError with one
 * of `codes`. Any other throw is a violation carrying the original error and stack.
 */
export function parsesOrRefuses<R>(
  parse: () => R,
  codes: readonly ErrorCode[],
  extraAllowed: (err: unknown) => boolean = () => false,
): R | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof WeftError && codes.includes(err.code)) return undefined;
    if (extraAllowed(err)) return undefined;
    throw new FuzzViolation(`not a typed refusal: ${describeError(err)}`, { cause: err });
  }
}

export function violation(message: string): never {
  throw new FuzzViolation(message);
}
