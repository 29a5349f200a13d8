// Randomness for spreading load and time (jitter, balancer choices), injected so
// tests can pin it; never for keys or serials, which use crypto directly.
import { randomInt } from 'node:crypto';

/** A random number in [0, 1). */
export type Random = () => number;

/** The default source: crypto-backed, since Math.random is banned by lint. */
export const secureRandom: Random = () => randomInt(0, 2 ** 32) / 2 ** 32;
