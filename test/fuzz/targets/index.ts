// Every fuzz target, in the order the long run takes them.
import type { FuzzTarget } from '../target.js';
import { admissionTarget } from './admission.js';
import { annotationsTarget } from './annotations.js';
import { csrTarget } from './csr.js';
import { http1Target } from './http1.js';
import { http2Target } from './http2.js';
import { identityTarget } from './identity.js';
import { meshConfigTarget } from './mesh-config.js';

export const TARGETS: readonly FuzzTarget<never>[] = [
  identityTarget,
  annotationsTarget,
  meshConfigTarget,
  csrTarget,
  admissionTarget,
  http1Target,
  http2Target,
] as unknown as FuzzTarget<never>[];
