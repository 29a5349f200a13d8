// weft.dev/status: what a previous injection added, recorded on the pod so strip()
// can take it out again. The pod author can write this annotation too, so it is
// read as untrusted input: bounded in size and count, and it may only name what
// weft itself injects. A review showed why: a forged status naming 60,000 volumes
// made strip quadratic and held the webhook's event loop for 24 s.
import { z } from 'zod';
import { ErrorCode, WeftError } from '../src/errors.js';
import { Annotation } from './annotations.js';
import { INIT_NAME, PROXY_NAME, Volume } from './sidecar-spec.js';

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';
export const PROMETHEUS_ANNOTATIONS = [
  'prometheus.io/scrape',
  'prometheus.io/port',
  'prometheus.io/path',
] as const;

/** Far above what weft writes (~300 bytes), far below what would cost time to parse. */
export const MAX_STATUS_BYTES = 2048;

/** What weft added, recorded on the pod so it can be taken out again exactly. */
export interface InjectionStatus {
  readonly version: string;
  readonly initContainers: string[];
  readonly containers: string[];
  readonly volumes: string[];
  readonly annotations: string[];
  readonly native: boolean;
}

// Each list may hold only names weft injects, each at most once.
// Each list may hold only names weft injects, each at most once (so at most all of them).
const names = (known: readonly string[]) =>
  z
    .array(z.string())
    .refine((l) => l.every((n) => known.includes(n)) && new Set(l).size === l.length, {
      message: `may only name ${known.join(', ')}, each once`,
    });

const StatusSchema = z.object({
  version: z.string().max(64),
  initContainers: names([INIT_NAME, PROXY_NAME]),
  containers: names([PROXY_NAME]),
  volumes: names(Object.values(Volume)),
  annotations: names([DEFAULT_CONTAINER_ANNOTATION, ...PROMETHEUS_ANNOTATIONS]),
  native: z.boolean(),
});

const refuse = (why: string, cause?: unknown): WeftError =>
  new WeftError(
    ErrorCode.BadRequest,
    `annotation ${Annotation.Status} ${why}; it is written by weft, not by pod authors`,
    cause === undefined ? undefined : { cause },
  );

/** The pod's injection status, or undefined when it has none; refuses a forged one. */
export function parseStatus(raw: string | undefined): InjectionStatus | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > MAX_STATUS_BYTES)
    throw refuse(`is ${raw.length} bytes, over the ${MAX_STATUS_BYTES}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw refuse("is not weft's JSON", cause);
  }
  const parsed = StatusSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`is not weft's: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return parsed.data;
}
