// Per-pod overrides through weft.dev/ annotations, parsed and validated in one
// place. A bad value, or an unknown weft.dev/ key (a typo), refuses the pod with a
// message naming the annotation and its value: it is never ignored.
import { ErrorCode, WeftError } from '../src/errors.js';
import { parseCidrs, parsePorts } from '../src/capture/capture-spec.js';

export const Annotation = {
  Status: 'weft.dev/status',
  IncludeInboundPorts: 'weft.dev/include-inbound-ports',
  ExcludeInboundPorts: 'weft.dev/exclude-inbound-ports',
  IncludeOutboundPorts: 'weft.dev/include-outbound-ports',
  ExcludeOutboundPorts: 'weft.dev/exclude-outbound-ports',
  ExcludeOutboundCidrs: 'weft.dev/exclude-outbound-cidrs',
  ProxyCpuRequest: 'weft.dev/proxy-cpu-request',
  ProxyCpuLimit: 'weft.dev/proxy-cpu-limit',
  ProxyMemoryRequest: 'weft.dev/proxy-memory-request',
  ProxyMemoryLimit: 'weft.dev/proxy-memory-limit',
  ProxyImage: 'weft.dev/proxy-image',
  LogLevel: 'weft.dev/log-level',
  NativeSidecar: 'weft.dev/native-sidecar',
} as const;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type ProxyLogLevel = (typeof LOG_LEVELS)[number];

export interface ResourceOverrides {
  readonly cpuRequest?: string;
  readonly cpuLimit?: string;
  readonly memoryRequest?: string;
  readonly memoryLimit?: string;
}

export interface Overrides {
  readonly includeInboundPorts?: '*' | number[];
  readonly excludeInboundPorts?: number[];
  readonly includeOutboundPorts?: number[];
  readonly excludeOutboundPorts?: number[];
  readonly excludeOutboundCidrs?: string[];
  readonly resources: ResourceOverrides;
  readonly proxyImage?: string;
  readonly logLevel?: ProxyLogLevel;
  readonly nativeSidecar?: boolean;
}

// Kubernetes resource.Quantity: a decimal number with an optional suffix.
const QUANTITY = /^\+?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
// An OCI image reference: registry/path[:tag][@digest], no spaces.
const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

export function quantityValue(q: string): number {
  const m = QUANTITY.exec(q);
  if (!m) return NaN;
  return Number(m[1]! + (m[3] ?? '')) * SUFFIX[m[4] ?? '']!;
}

function refuse(key: string, value: string, why: string): WeftError {
  return new WeftError(ErrorCode.BadRequest, `annotation ${key}="${value}": ${why}`);
}

function withName<T>(key: string, value: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const why = (err as Error).message.replace(/^[^:]*: /, '');
    throw refuse(key, value, why);
  }
}

type Parser = (value: string, key: string) => Partial<Overrides> | { resources: ResourceOverrides };

const quantity =
  (field: keyof ResourceOverrides): Parser =>
  (v, k) => {
    if (!QUANTITY.test(v)) throw refuse(k, v, 'not a Kubernetes quantity (e.g. 100m, 128Mi)');
    return { resources: { [field]: v } };
  };

const PARSERS: Record<string, Parser> = {
  [Annotation.IncludeInboundPorts]: (v, k) => ({
    includeInboundPorts: v.trim() === '*' ? '*' : withName(k, v, () => parsePorts(v, k)),
  }),
  [Annotation.ExcludeInboundPorts]: (v, k) => ({
    excludeInboundPorts: withName(k, v, () => parsePorts(v, k)),
  }),
  [Annotation.IncludeOutboundPorts]: (v, k) => ({
    includeOutboundPorts: withName(k, v, () => parsePorts(v, k)),
  }),
  [Annotation.ExcludeOutboundPorts]: (v, k) => ({
    excludeOutboundPorts: withName(k, v, () => parsePorts(v, k)),
  }),
  [Annotation.ExcludeOutboundCidrs]: (v, k) => ({
    excludeOutboundCidrs: withName(k, v, () => parseCidrs(v, k)),
  }),
  [Annotation.ProxyCpuRequest]: quantity('cpuRequest'),
  [Annotation.ProxyCpuLimit]: quantity('cpuLimit'),
  [Annotation.ProxyMemoryRequest]: quantity('memoryRequest'),
  [Annotation.ProxyMemoryLimit]: quantity('memoryLimit'),
  [Annotation.ProxyImage]: (v, k) => {
    if (!IMAGE.test(v)) throw refuse(k, v, 'not an image reference');
    return { proxyImage: v };
  },
  [Annotation.LogLevel]: (v, k) => {
    if (!(LOG_LEVELS as readonly string[]).includes(v))
      throw refuse(k, v, `must be one of ${LOG_LEVELS.join(', ')}`);
    return { logLevel: v as ProxyLogLevel };
  },
  [Annotation.NativeSidecar]: (v, k) => {
    if (v !== 'true' && v !== 'false') throw refuse(k, v, 'must be "true" or "false"');
    return { nativeSidecar: v === 'true' };
  },
};

function checkOrder(
  o: ResourceOverrides,
  request: keyof ResourceOverrides,
  limit: keyof ResourceOverrides,
  keys: [string, string],
): void {
  const r = o[request];
  const l = o[limit];
  if (r && l && quantityValue(r) > quantityValue(l)) {
    throw new WeftError(
      ErrorCode.BadRequest,
      `annotation ${keys[0]}="${r}" exceeds ${keys[1]}="${l}"`,
    );
  }
}

/** Reads every weft.dev/ annotation; throws on the first bad one. */
export function readOverrides(annotations: Record<string, string> | undefined): Overrides {
  let out: Overrides = { resources: {} };
  // Filter before sorting: a pod may carry many annotations that are not weft's.
  const ours = Object.entries(annotations ?? {}).filter(
    ([key]) => key.startsWith('weft.dev/') && key !== Annotation.Status,
  );
  for (const [key, value] of ours.sort(([a], [b]) => a.localeCompare(b))) {
    const parse = PARSERS[key];
    if (!parse)
      throw refuse(
        key,
        value,
        `unknown weft annotation; known: ${Object.keys(PARSERS).join(', ')}`,
      );
    const part = parse(value, key);
    out = {
      ...out,
      ...part,
      resources: { ...out.resources, ...('resources' in part ? part.resources : {}) },
    };
  }
  checkOrder(out.resources, 'cpuRequest', 'cpuLimit', [
    Annotation.ProxyCpuRequest,
    Annotation.ProxyCpuLimit,
  ]);
  checkOrder(out.resources, 'memoryRequest', 'memoryLimit', [
    Annotation.ProxyMemoryRequest,
    Annotation.ProxyMemoryLimit,
  ]);
  return out;
}
