// What `kubectl weft route-check` is asked about, read from its flags: the caller
// (a pod, or just a namespace) and the request an app in it sends, as the sidecar
// would see it: method, Service and port (from the URL, as the destination
// address gives them to the sidecar), request target, Host and headers.
import { PluginError, PluginExit } from './errors.js';

export interface CheckedRequest {
  readonly scheme: 'http' | 'grpc';
  readonly service: { readonly namespace: string; readonly name: string };
  /** The Service port called: the URL's, else 80 for http. */
  readonly port: number;
  readonly method: string;
  /** Path and query, as sent. */
  readonly target: string;
  /** The Host header: -H host, else the URL's authority as written. */
  readonly host: string;
  /** Lowercase names; the host header included, as the sidecar sees it. */
  readonly headers: Record<string, string | string[]>;
}

export interface Caller {
  readonly namespace: string;
  readonly pod?: string;
}

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
// svc.ns, svc.ns.svc, svc.ns.svc.cluster.local (any cluster domain)
const SERVICE_HOST = new RegExp(`^(${LABEL})\\.(${LABEL})(\\.svc(\\.${LABEL})*)?$`);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function fail(message: string): never {
  throw new PluginError(message, PluginExit.Usage);
}

function authority(text: string, url: string): { host: string; port: number | undefined } {
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) fail(`--to ${url}: expected SVC.NS[:PORT] after the scheme`);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) fail(`--to ${url}: port out of range`);
  return { host: m[1]!, port };
}

/** --to http://svc.ns[:port]/path?query or grpc://svc.ns:port/pkg.Service/Method. */
export function parseUrl(url: string | undefined): {
  scheme: 'http' | 'grpc';
  service: { namespace: string; name: string };
  port: number;
  authority: string;
  target: string;
} {
  if (url === undefined) fail('--to URL is required (http://SVC.NS[:PORT]/PATH or grpc://...)');
  const m = /^([a-z]+):\/\/([^/?#]*)([^#]*)$/.exec(url);
  if (!m) fail(`--to ${url}: expected http://SVC.NS[:PORT]/PATH?QUERY or grpc://SVC.NS:PORT/...`);
  const scheme = m[1]!;
  if (scheme === 'https')
    fail(
      `--to ${url}: https is TLS from the app, which the sidecar passes through unread: routes do not apply`,
    );
  if (scheme !== 'http' && scheme !== 'grpc') fail(`--to ${url}: the scheme must be http or grpc`);
  const { host, port } = authority(m[2]!, url);
  const svc = SERVICE_HOST.exec(host);
  if (!svc) fail(`--to ${url}: the host must name a Service: SVC.NS (or SVC.NS.svc...)`);
  if (scheme === 'grpc' && port === undefined) fail(`--to ${url}: a grpc:// URL needs a port`);
  const rest = m[3]!;
  const target = rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
  if (scheme === 'grpc' && !/^\/[^/?]+\/[^/?]+$/.test(target))
    fail(`--to ${url}: a gRPC call is /package.Service/Method`);
  return {
    scheme,
    service: { name: svc[1]!, namespace: svc[3]! },
    port: port ?? 80,
    authority: m[2]!,
    target,
  };
}

/** --from NS/POD or --from-namespace NS (one of them). */
export function parseCaller(from: string | undefined, fromNamespace: string | undefined): Caller {
  if (from !== undefined && fromNamespace !== undefined)
    fail('give --from NS/POD or --from-namespace NS, not both');
  if (fromNamespace !== undefined) {
    if (!new RegExp(`^${LABEL}$`).test(fromNamespace))
      fail(`--from-namespace ${fromNamespace}: expected a namespace name`);
    return { namespace: fromNamespace };
  }
  if (from === undefined) fail('--from NS/POD or --from-namespace NS is required');
  const [ns, pod, ...more] = from.split('/');
  if (!ns || !pod || more.length || !new RegExp(`^${LABEL}$`).test(ns))
    fail(`--from ${from}: expected NS/POD`);
  return { namespace: ns, pod };
}

export function parseRequest(
  url: string | undefined,
  method: string | undefined,
  headers: Record<string, string | string[]>,
): CheckedRequest {
  const u = parseUrl(url);
  const m = (method ?? (u.scheme === 'grpc' ? 'POST' : 'GET')).toUpperCase();
  if (!TOKEN.test(m)) fail(`-X ${method ?? ''}: expected an HTTP method`);
  if (u.scheme === 'grpc' && m !== 'POST') fail(`-X ${m}: a gRPC call is always POST`);
  const given = headers.host;
  if (Array.isArray(given)) fail('-H host: given twice');
  const host = given ?? u.authority;
  const grpc = u.scheme === 'grpc' && !headers['content-type'];
  return {
    scheme: u.scheme,
    service: u.service,
    port: u.port,
    method: m,
    target: u.target,
    host,
    headers: { ...headers, host, ...(grpc ? { 'content-type': 'application/grpc' } : {}) },
  };
}
