// What a pod's traffic capture looks like, shared by the webhook (which writes it
// as weft-init's arguments) and `weft init-iptables` (which reads them back).
// One shape, one encoding, so the two can never disagree.
import { ErrorCode, WeftError } from '../errors.js';

export const PROXY_UID = 1337;
export const PROXY_GID = 1337;
export const Ports = {
  Admin: 15000,
  Outbound: 15001,
  Inbound: 15006,
  Health: 15020,
} as const;
export const RESERVED_PORTS: readonly number[] = Object.values(Ports);

export interface CaptureSpec {
  readonly proxyUid: number;
  readonly proxyGid: number;
  readonly inboundPort: number;
  readonly outboundPort: number;
  /** '*' captures every inbound port not excluded. */
  readonly includeInboundPorts: '*' | readonly number[];
  readonly excludeInboundPorts: readonly number[];
  /** Empty: every outbound port not excluded. */
  readonly includeOutboundPorts: readonly number[];
  readonly excludeOutboundPorts: readonly number[];
  readonly excludeOutboundCidrs: readonly string[];
}

export const defaultCapture: CaptureSpec = {
  proxyUid: PROXY_UID,
  proxyGid: PROXY_GID,
  inboundPort: Ports.Inbound,
  outboundPort: Ports.Outbound,
  includeInboundPorts: '*',
  excludeInboundPorts: [],
  includeOutboundPorts: [],
  excludeOutboundPorts: [],
  excludeOutboundCidrs: [],
};

const list = (v: readonly (number | string)[]): string => v.join(',');

export function captureArgs(spec: CaptureSpec): string[] {
  const args = [
    `--proxy-uid=${spec.proxyUid}`,
    `--proxy-gid=${spec.proxyGid}`,
    `--inbound-port=${spec.inboundPort}`,
    `--outbound-port=${spec.outboundPort}`,
    `--include-inbound-ports=${spec.includeInboundPorts === '*' ? '*' : list(spec.includeInboundPorts)}`,
  ];
  const optional: [string, readonly (number | string)[]][] = [
    ['--exclude-inbound-ports', spec.excludeInboundPorts],
    ['--include-outbound-ports', spec.includeOutboundPorts],
    ['--exclude-outbound-ports', spec.excludeOutboundPorts],
    ['--exclude-outbound-cidrs', spec.excludeOutboundCidrs],
  ];
  for (const [flag, values] of optional) if (values.length) args.push(`${flag}=${list(values)}`);
  return args;
}

/** A comma-separated port list; every entry 1-65535, named in the error otherwise. */
export function parsePorts(text: string, what: string): number[] {
  if (text.trim() === '') return [];
  return text.split(',').map((raw) => {
    const p = raw.trim();
    const n = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
    if (!(n >= 1 && n <= 65535)) {
      throw new WeftError(ErrorCode.BadRequest, `${what}: "${p}" is not a port (1-65535)`);
    }
    return n;
  });
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+\/(\d{1,3})$/;

/** A comma-separated CIDR list (IPv4 or IPv6), validated. */
export function parseCidrs(text: string, what: string): string[] {
  if (text.trim() === '') return [];
  return text.split(',').map((raw) => {
    const c = raw.trim();
    const v4 = IPV4_CIDR.exec(c);
    const okV4 = v4 && v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32;
    const v6 = IPV6_CIDR.exec(c);
    const okV6 = v6 && c.includes(':') && Number(v6[1]) <= 128;
    if (!okV4 && !okV6) throw new WeftError(ErrorCode.BadRequest, `${what}: "${c}" is not a CIDR`);
    return c;
  });
}

/** Reads `weft init-iptables` flags back into a CaptureSpec (the inverse of captureArgs). */
export function parseCaptureArgs(values: Record<string, string | undefined>): CaptureSpec {
  // Ports 1-65535; UIDs and GIDs any non-negative 32-bit id.
  const int = (key: string, fallback: number, max = 65535): number => {
    const v = values[key];
    if (v === undefined) return fallback;
    const n = /^\d{1,10}$/.test(v.trim()) ? Number(v) : NaN;
    if (!(n >= 0 && n <= max)) {
      throw new WeftError(
        ErrorCode.ConfigInvalid,
        `--${key}: "${v}" is not a number from 0 to ${max}`,
      );
    }
    return n;
  };
  const ports = (key: string): number[] => parsePorts(values[key] ?? '', `--${key}`);
  const include = values['include-inbound-ports'] ?? '*';
  return {
    proxyUid: int('proxy-uid', PROXY_UID, 2 ** 31 - 1),
    proxyGid: int('proxy-gid', PROXY_GID, 2 ** 31 - 1),
    inboundPort: int('inbound-port', Ports.Inbound),
    outboundPort: int('outbound-port', Ports.Outbound),
    includeInboundPorts: include.trim() === '*' ? '*' : ports('include-inbound-ports'),
    excludeInboundPorts: ports('exclude-inbound-ports'),
    includeOutboundPorts: ports('include-outbound-ports'),
    excludeOutboundPorts: ports('exclude-outbound-ports'),
    excludeOutboundCidrs: parseCidrs(
      values['exclude-outbound-cidrs'] ?? '',
      '--exclude-outbound-cidrs',
    ),
  };
}

export const CAPTURE_FLAGS = [
  'proxy-uid',
  'proxy-gid',
  'inbound-port',
  'outbound-port',
  'include-inbound-ports',
  'exclude-inbound-ports',
  'include-outbound-ports',
  'exclude-outbound-ports',
  'exclude-outbound-cidrs',
] as const;
