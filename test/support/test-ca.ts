// A throwaway CA for tests that need to serve HTTPS or sign something.
import { createEphemeralCa } from '../../src/pki/index.js';
import type { EphemeralCa } from '../../src/pki/index.js';

export type TestCa = EphemeralCa;

export function createTestCa(name = 'weft-test-ca'): Promise<TestCa> {
  return createEphemeralCa(name, 24 * 3600_000);
}
