// `kubectl weft authz check|list`: the sidecar's authorization, asked from a
// terminal. check evaluates the cluster's AuthorizationPolicies with the same
// compilePolicy/selectPolicies/evaluate the sidecars run, for every pod behind the
// destination Service, and says what decided; list shows what selects a pod.
import type { AuthzRequest, CompiledPolicy, Decision } from '../../src/authz/index.js';
import { evaluate, selectPolicies } from '../../src/authz/index.js';
import { DEFAULT_TRUST_DOMAIN, WEFT_NAMESPACE } from '../../src/names.js';
import { destinations, policiesFor, readPod } from './authz-cluster.js';
import type { Destination } from './authz-cluster.js';
import type { CheckHttp, CheckSource } from './authz-request.js';
import { parseSource, parseTo, takeHeaders } from './authz-request.js';
import { PluginError, PluginExit } from './errors.js';
import { parseOptions } from './options.js';
import { structured, table } from './output.js';

export const AUTHZ_USAGE = `Usage:
  kubectl weft authz check --from NS/SA[/POD] --to SVC.NS[:PORT] [METHOD PATH] [-H NAME:VALUE ...]
                           [--host HOST] [--plaintext] [--source-ip IP] [--remote-ip IP]
                           [--sni NAME] [--trust-domain cluster.local]
                           [--root-namespace weft-system] [-o table|json|yaml]
  kubectl weft authz list POD [-n NS] [--root-namespace weft-system] [-o table|json|yaml]

check evaluates the AuthorizationPolicies in the cluster, with the function the
sidecars run, for a request from the ServiceAccount NS/SA (its SPIFFE ID; with POD,
also that pod's IP as source.ip) to each pod behind the Service. With METHOD PATH it
is an HTTP request (Host: --host, default SVC.NS[:PORT]); without, a TCP connection.
It prints each pod's decision and the policy and rule that decided, or for a deny
every ALLOW policy considered and why it did not match. Exit 0 when every pod
allows, 1 when any denies.

  --plaintext        a client without mTLS (PERMISSIVE): no principal, namespace or
                     service account; --from may then be left out
  --source-ip IP     the connection's peer address (source.ip, ipBlocks)
  --remote-ip IP     the original client (remote.ip, remoteIpBlocks; default source.ip)
  --sni NAME         the TLS server name the client sent (connection.sni)
  -H NAME:VALUE      a request header; repeat a name for several values
  --root-namespace   the mesh's root namespace, as given to discovery (default weft-system)

list prints the policies that select POD, in evaluation order, and whether each is
valid, in dry run, and has warnings.
`;

interface CheckResult {
  readonly pod: string;
  readonly decision: Decision;
}

function describe(d: Decision): string {
  if (d.reason === 'default-allow') return 'no ALLOW policy selects the pod (default allow)';
  if (d.reason === 'no-allow-matched') return 'no ALLOW policy matched';
  return `${d.policy ?? ''} ${d.rule === -1 ? '(invalid policy, fails closed)' : `rule ${d.rule ?? ''}`}`;
}

function printCheck(results: readonly CheckResult[]): string {
  const rows = results.map((r) => [
    r.pod,
    r.decision.allow ? 'ALLOW' : 'DENY',
    r.decision.reason,
    describe(r.decision),
  ]);
  let out = table(['POD', 'DECISION', 'REASON', 'DECIDED BY'], rows);
  for (const r of results) {
    for (const c of r.decision.considered)
      out += `  ${r.pod}: ${c.policy} did not match: ${c.why}\n`;
    for (const a of r.decision.audit) out += `  ${r.pod}: audited by ${a.policy} rule ${a.rule}\n`;
    for (const x of r.decision.dryRun) {
      out += `  ${r.pod}: dry run: would ${x.wouldAllow ? 'allow' : 'deny'} by ${x.policy}${x.rule >= 0 ? ` rule ${x.rule}` : ''}\n`;
    }
  }
  return out;
}

/** source.ip: --source-ip, or the IP of the POD in --from, or none (IP fields cannot match). */
async function sourceIp(
  kc: Parameters<typeof readPod>[0],
  from: CheckSource,
  server: string,
): Promise<string> {
  if (from.ip !== undefined) return from.ip;
  if (!from.pod || !from.namespace) return 'unknown'; // parses as no address
  const pod = await readPod(kc, from.namespace, from.pod, server);
  const sa = pod.spec?.serviceAccountName ?? 'default';
  if (sa !== from.sa) {
    throw new PluginError(
      `--from: pod ${from.namespace}/${from.pod} runs as ${sa}, not ${from.sa ?? ''}`,
      PluginExit.Usage,
    );
  }
  return pod.status?.podIP ?? 'unknown';
}

/** The request the destination's sidecar would authorize, for one pod behind the Service. */
function request(d: Destination, src: AuthzRequest['source'], c: CheckInput): AuthzRequest {
  return {
    source: src,
    destination: { ip: d.ip, port: d.port },
    ...(c.source.sni ? { sni: c.source.sni } : {}),
    ...(c.http ? { http: c.http } : {}),
  };
}

interface CheckInput {
  readonly source: CheckSource;
  readonly to: ReturnType<typeof parseTo>;
  readonly http: CheckHttp | undefined;
  /** The SPIFFE ID of --from; undefined for --plaintext. */
  readonly principal: string | undefined;
  readonly root: string;
}

const CHECK_FLAGS = {
  from: { type: 'string' },
  to: { type: 'string' },
  host: { type: 'string' },
  plaintext: { type: 'boolean' },
  'source-ip': { type: 'string' },
  'remote-ip': { type: 'string' },
  sni: { type: 'string' },
  'trust-domain': { type: 'string', default: DEFAULT_TRUST_DOMAIN },
  'root-namespace': { type: 'string', default: WEFT_NAMESPACE },
} as const;

function checkInput(
  values: Record<string, string | boolean | undefined>,
  positionals: readonly string[],
  headers: CheckHttp['headers'],
): CheckInput {
  const source = parseSource(values);
  const to = parseTo(values.to as string | undefined);
  if (positionals.length !== 0 && positionals.length !== 2) {
    throw new PluginError(
      'give both METHOD and PATH, or neither (a TCP connection)',
      PluginExit.Usage,
    );
  }
  const [method, path] = positionals;
  const host =
    (values.host as string | undefined) ??
    `${to.service}.${to.namespace}${to.port ? `:${to.port}` : ''}`;
  const http = method && path ? { method: method.toUpperCase(), path, host, headers } : undefined;
  const principal =
    source.plaintext || !source.namespace || !source.sa
      ? undefined
      : `spiffe://${values['trust-domain'] as string}/ns/${source.namespace}/sa/${source.sa}`;
  return { source, to, http, principal, root: values['root-namespace'] as string };
}

function printDecisions(output: string, c: CheckInput, results: readonly CheckResult[]): void {
  if (output !== 'json' && output !== 'yaml') {
    process.stdout.write(printCheck(results));
    return;
  }
  const items = results.map((r) => ({
    pod: r.pod,
    ...r.decision,
    considered: r.decision.considered.map((x) => ({ policy: x.policy, why: x.why })),
  }));
  process.stdout.write(
    structured(output, {
      source: c.principal ?? 'plaintext',
      destination: `${c.to.service}.${c.to.namespace}`,
      items,
    }),
  );
}

async function runCheck(args: readonly string[]): Promise<number> {
  const { rest, headers } = takeHeaders(args);
  const {
    global: g,
    values,
    positionals,
  } = parseOptions(rest, CHECK_FLAGS, ['table', 'json', 'yaml']);
  const c = checkInput(values, positionals, headers);
  const [ip, pods, policies] = await Promise.all([
    sourceIp(g.kc, c.source, g.server),
    destinations(g.kc, c.to, g.server),
    policiesFor(g.kc, c.to.namespace, g.server, c.root),
  ]);
  if (pods.length === 0) {
    throw new PluginError(
      `${c.to.service}.${c.to.namespace}: no endpoints (no pods behind the Service)`,
      PluginExit.NotFound,
    );
  }
  const src = {
    ...(c.principal ? { principal: c.principal } : {}),
    ip,
    ...(c.source.remoteIp ? { remoteIp: c.source.remoteIp } : {}),
  };
  const results = pods.map((d) => ({
    pod: d.pod,
    decision: evaluate(
      selectPolicies(policies, { namespace: c.to.namespace, labels: d.labels }, c.root),
      request(d, src, c),
    ),
  }));
  printDecisions(g.output, c, results);
  return results.every((r) => r.decision.allow) ? PluginExit.Ok : PluginExit.Findings;
}

function listRow(p: CompiledPolicy, root: string): Record<string, unknown> {
  return {
    policy: `${p.namespace}/${p.name}`,
    action: p.action,
    scope: p.namespace === root && !p.selector ? 'mesh' : p.selector ? 'workload' : 'namespace',
    dryRun: p.dryRun,
    valid: p.valid,
    rules: p.rules.length,
    problems: p.problems,
    warnings: p.warnings,
  };
}

async function runList(args: readonly string[]): Promise<number> {
  const {
    global: g,
    values,
    positionals,
  } = parseOptions(args, { 'root-namespace': CHECK_FLAGS['root-namespace'] }, [
    'table',
    'json',
    'yaml',
  ]);
  const root = values['root-namespace'] as string;
  const name = positionals[0];
  if (!name || positionals.length > 1 || !g.namespace) {
    throw new PluginError('usage: kubectl weft authz list POD [-n NS]', PluginExit.Usage);
  }
  const [pod, policies] = await Promise.all([
    readPod(g.kc, g.namespace, name, g.server),
    policiesFor(g.kc, g.namespace, g.server, root),
  ]);
  const selected = selectPolicies(
    policies,
    { namespace: g.namespace, labels: pod.metadata?.labels ?? {} },
    root,
  );
  const rows = selected.map((p) => listRow(p, root));
  if (g.output === 'json' || g.output === 'yaml') {
    process.stdout.write(structured(g.output, { pod: `${g.namespace}/${name}`, items: rows }));
    return PluginExit.Ok;
  }
  const body = selected.map((p, i) => [
    String(i + 1),
    `${p.namespace}/${p.name}`,
    p.action,
    String(rows[i]!.scope),
    p.dryRun ? 'yes' : 'no',
    p.valid ? 'yes' : `no: ${p.problems[0]?.field ?? ''}`,
    String(p.warnings.length),
  ]);
  process.stdout.write(
    selected.length === 0
      ? `no AuthorizationPolicy selects ${g.namespace}/${name}: every request is allowed\n`
      : table(['#', 'POLICY', 'ACTION', 'SCOPE', 'DRY RUN', 'VALID', 'WARNINGS'], body),
  );
  return PluginExit.Ok;
}

export async function runAuthz(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(AUTHZ_USAGE);
    return sub ? PluginExit.Ok : PluginExit.Usage;
  }
  if (sub === 'check') return runCheck(rest);
  if (sub === 'list') return runList(rest);
  throw new PluginError(`authz ${sub}: unknown subcommand (check, list)`, PluginExit.Usage);
}
