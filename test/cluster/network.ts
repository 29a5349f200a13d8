// The test cluster's address plan, from two parameters: the node+pod range and the
// Service range. Defaults are RFC 2544 benchmarking ranges nothing else on the
// test machines uses (eth0 is 192.0.2.0/24; other suites use 198.51.100.0/24 and
// 203.0.113.0/24). The bridge carries the node IP, which is also the pods' gateway,
// the API server's address and the cluster DNS server's.
export interface ClusterNetworkOptions {
  /** Node and pods, e.g. 198.18.0.0/24. */
  readonly nodeCidr?: string;
  /** Service ClusterIPs, e.g. 198.19.0.0/24. */
  readonly serviceCidr?: string;
  /** The bridge's interface name. */
  readonly bridge?: string;
}

export interface ClusterNetwork {
  readonly nodeCidr: string;
  readonly serviceCidr: string;
  readonly bridge: string;
  readonly nodeIp: string;
  readonly prefixLength: number;
  readonly podRangeStart: string;
  readonly podRangeEnd: string;
  /** The `kubernetes` Service's ClusterIP (the range's first address). */
  readonly apiServiceIp: string;
  readonly dnsIp: string;
}

const FORBIDDEN = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '192.0.2.0/24', '127.0.0.0/8'];

function toInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function parseCidr(cidr: string): { base: number; size: number; prefix: number } {
  const [ip = '', bits = ''] = cidr.split('/');
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 16 || prefix > 28) {
    throw new Error(`${cidr}: prefix length must be between /16 and /28`);
  }
  const size = 2 ** (32 - prefix);
  const base = toInt(ip);
  if (base % size !== 0) throw new Error(`${cidr}: address is not the network address`);
  return { base, size, prefix };
}

function range(cidr: string): { base: number; size: number } {
  const [ip = '', bits = ''] = cidr.split('/');
  return { base: toInt(ip), size: 2 ** (32 - Number(bits)) };
}

function overlaps(a: string, b: string): boolean {
  const x = range(a);
  const y = range(b);
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

function checkAllowed(cidr: string): void {
  parseCidr(cidr);
  const bad = FORBIDDEN.find((f) => overlaps(cidr, f));
  if (bad) throw new Error(`${cidr} overlaps ${bad}, which the test cluster must never use`);
}

export function clusterNetwork(opts: ClusterNetworkOptions = {}): ClusterNetwork {
  const nodeCidr = opts.nodeCidr ?? '198.18.0.0/24';
  const serviceCidr = opts.serviceCidr ?? '198.19.0.0/24';
  checkAllowed(nodeCidr);
  checkAllowed(serviceCidr);
  if (overlaps(nodeCidr, serviceCidr)) {
    throw new Error(`node range ${nodeCidr} and Service range ${serviceCidr} overlap`);
  }
  const node = parseCidr(nodeCidr);
  const svc = parseCidr(serviceCidr);
  const nodeIp = toIp(node.base + 1);
  return {
    nodeCidr,
    serviceCidr,
    bridge: opts.bridge ?? 'weft0',
    nodeIp,
    prefixLength: node.prefix,
    podRangeStart: toIp(node.base + 10),
    podRangeEnd: toIp(node.base + node.size - 2),
    apiServiceIp: toIp(svc.base + 1),
    dnsIp: nodeIp,
  };
}
