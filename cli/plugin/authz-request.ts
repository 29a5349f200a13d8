// What `kubectl weft authz check` is asked about, read from its flags: who calls
// (a verified ServiceAccount, or a plaintext client), from which addresses, with
// which TLS server name, and the HTTP request line and headers (none: a TCP
// connection). Every attribute a rule or condition can name has a flag, so any
// request the sidecar can see can be asked about.
import { isIP } from 'node:net';
import { PluginError, PluginExit } from './errors.js';

export interface CheckSource {
  /** The ServiceAccount of --from; absent with --plaintext and no --from. */
  readonly namespace?: string;
  readonly sa?: string;
  /** POD of --from: its IP is source.ip. */
  readonly pod?: string;
  /** --plaintext: no verified peer, so no principal. */
  readonly plaintext: boolean;
  /** --source-ip: the connection's peer address (source.ip, ipBlocks). */
  readonly ip?: string;
  /** --remote-ip: the original client (remote.ip, remoteIpBlocks); default source.ip. */
  readonly remoteIp?: string;
  /** --sni: the TLS server name the client sent (connection.sni). */
  readonly sni?: string;
}

export interface CheckHttp {
  method: string;
  path: string;
  host: string;
  headers: Record<string, string | string[]>;
}

/**
 * -H may repeat (node's parseArgs takes a string flag once, so they are taken out
 * first); a name given twice has both values, as a request with the header twice
 * (the matcher joins them with ",", as Envoy's does).
 */
export function takeHeaders(args: readonly string[]): {
  rest: string[];
  headers: Record<string, string | string[]>;
} {
  const rest: string[] = [];
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a !== '-H' && a !== '--header') {
      rest.push(a);
      continue;
    }
    const h = args[++i] ?? '';
    const at = h.indexOf(':');
    if (at <= 0) throw new PluginError(`-H ${h}: expected NAME:VALUE`, PluginExit.Usage);
    const name = h.slice(0, at).trim().toLowerCase();
    const value = h.slice(at + 1).trim();
    const had = headers[name];
    headers[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return { rest, headers };
}

function address(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (isIP(text) === 0) {
    throw new PluginError(`${flag} ${text}: expected an IPv4 or IPv6 address`, PluginExit.Usage);
  }
  return text;
}

function parseFrom(text: string | undefined, plaintext: boolean): Partial<CheckSource> {
  if (text === undefined && plaintext) return {};
  if (text === undefined) {
    throw new PluginError('--from NS/SA is required (or --plaintext)', PluginExit.Usage);
  }
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new PluginError(`--from ${text}: expected NS/SA or NS/SA/POD`, PluginExit.Usage);
  }
  return { namespace: parts[0]!, sa: parts[1]!, ...(parts[2] ? { pod: parts[2] } : {}) };
}

/** The source of the request from --from, --plaintext, --source-ip, --remote-ip and --sni. */
export function parseSource(values: Record<string, string | boolean | undefined>): CheckSource {
  const plaintext = values.plaintext === true;
  const from = parseFrom(values.from as string | undefined, plaintext);
  const ip = address('--source-ip', values['source-ip'] as string | undefined);
  const remoteIp = address('--remote-ip', values['remote-ip'] as string | undefined);
  const sni = values.sni as string | undefined;
  if (ip !== undefined && from.pod !== undefined) {
    throw new PluginError(
      '--source-ip and a POD in --from both give source.ip: choose one',
      PluginExit.Usage,
    );
  }
  return {
    ...from,
    plaintext,
    ...(ip !== undefined ? { ip } : {}),
    ...(remoteIp !== undefined ? { remoteIp } : {}),
    ...(sni ? { sni } : {}),
  };
}

export function parseTo(text: string | undefined): {
  service: string;
  namespace: string;
  port?: number;
} {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)(?::(\d{1,5}))?$/.exec(text ?? '');
  if (!m)
    throw new PluginError(`--to ${text ?? ''}: expected SVC.NS or SVC.NS:PORT`, PluginExit.Usage);
  return { service: m[1]!, namespace: m[2]!, ...(m[3] ? { port: Number(m[3]) } : {}) };
}
