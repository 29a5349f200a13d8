// Envoy's response flags for what the resilience layers do, as access logs and
// Istio's `response_flags` metric label carry them. Several flags join with ","
// in Envoy's order (the bit order of StreamInfo::ResponseFlag), "-" when none.
export const ResponseFlag = {
  /** No healthy endpoint (every one ejected, or none). */
  NoHealthyUpstream: 'UH',
  /** The request or per-try timeout fired. */
  UpstreamRequestTimeout: 'UT',
  UpstreamRemoteReset: 'UR',
  UpstreamConnectionFailure: 'UF',
  /** A circuit breaker (connection pool limit, retry budget) refused it. */
  UpstreamOverflow: 'UO',
  NoRouteFound: 'NR',
  /** Fault injection delayed it. */
  DelayInjected: 'DI',
  /** Fault injection aborted it. */
  FaultInjected: 'FI',
  /** Retries were allowed but every attempt was used. */
  UpstreamRetryLimitExceeded: 'URX',
  DownstreamProtocolError: 'DPE',
} as const;
export type ResponseFlag = (typeof ResponseFlag)[keyof typeof ResponseFlag];

/** Envoy's bit order (UH 0x2, UT 0x4, UR 0x10, UF 0x20, UO 0x80, NR 0x100, DI 0x200, FI 0x400, URX 0x8000, DPE 0x40000). */
const ORDER: readonly ResponseFlag[] = [
  'UH',
  'UT',
  'UR',
  'UF',
  'UO',
  'NR',
  'DI',
  'FI',
  'URX',
  'DPE',
];

export function formatFlags(flags: Iterable<ResponseFlag>): string {
  const set = new Set(flags);
  const out = ORDER.filter((f) => set.has(f));
  return out.length === 0 ? '-' : out.join(',');
}

/**
 * `current` (a formatted flag list, "-" for none) with `add` joined in, Envoy's
 * order kept; flags this list does not order (DC, NC...) stay, after the others.
 */
export function mergeFlags(current: string, add: string): string {
  const parts = new Set([...current.split(','), ...add.split(',')].filter((f) => f && f !== '-'));
  const known = ORDER.filter((f) => parts.has(f));
  const other = [...parts].filter((f) => !(ORDER as readonly string[]).includes(f));
  const all = [...known, ...other];
  return all.length === 0 ? '-' : all.join(',');
}
