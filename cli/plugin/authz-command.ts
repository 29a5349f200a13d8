// `kubectl weft authz check|list`: the sidecar's authorization, asked from a
// terminal. check evaluates the cluster's AuthorizationPolicies with the same
// compilePolicy/selectPolicies/evaluate the sidecars run, for every pod behind the
// destination Service, and says what decided; list shows what selects a pod.
import type { AuthzRequest, CompiledPolicy, Decision } from '../../src/authz/index.js';
import { evaluate, selectPolicies } from '../../src/authz/index.js';
import { DEFAULT_TRUST_DOMAIN, WEFT_NAMESPACE } from '../../src/names.js';
import { destinations, policiesFor, readPod } from './authz-cluster.js';
import type { Destination } from './authz-cluster.js';
import { PluginError, PluginExit } from './errors.js';
import { parseOptions } from './options.js';
import { structured, table } from './output.js';

export const AUTHZ_USAGE = `Usage:
  kubectl weft authz check --from NS/SA[/POD] --to SVC.NS[:PORT] [METHOD PATH] [-H NAME:VALUE ...]
                           [--host HOST] [--trust-domain cluster.local] [-o table|json|yaml]
  kubectl weft authz list POD [-n NS] [-o table|json|yaml]

check evaluates the AuthorizationPolicies in the cluster, with the function the
sidecars run, for a request from the ServiceAccount NS/SA (its SPIFFE ID; with POD,
also that pod's IP as source.ip) to each pod behind the Service. With METHOD PATH it
is an HTTP request (Host: --host, default SVC.NS[:PORT]); without, a TCP connection.
It prints each pod's decision and the policy and rule that decided, or for a deny
every ALLOW policy considered and why it did not match. Exit 0 when every pod
allows, 1 when any denies.

list prints the policies that select POD, in evaluation order, and whether each is
valid, in dry run, and has warnings.
`;

/** -H may repeat; node's parseArgs (through parseOptions) takes it once, so take it out first. */
function takeHeaders(args: readonly string[]): { rest: string[]; headers: Record<string, string> } {
  const rest: string[] = [];
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a !== '-H' && a !== '--header') {
      rest.push(a);
      continue;
    }
    const h = args[++i] ?? '';
    const at = h.indexOf(':');
    if (at <= 0) throw new PluginError(`-H ${h}: expected NAME:VALUE`, PluginExit.Usage);
    headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  return { rest, headers };
}

function parseFrom(text: string | undefined): { namespace: string; sa: string; pod?: string } {
  const parts = (text ?? '').split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new PluginError(`--from ${text ?? ''}: expected NS/SA or NS/SA/POD`, PluginExit.Usage);
  }
  return { namespace: parts[0]!, sa: parts[1]!, ...(parts[2] ? { pod: parts[2] } : {}) };
}

function parseTo(text: string | undefined): { service: string; namespace: string; port?: number } {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)(?::(\d{1,5}))?$/.exec(text ?? '');
  if (!m)
    throw new PluginError(`--to ${text ?? ''}: expected SVC.NS or SVC.NS:PORT`, PluginExit.Usage);
  return { service: m[1]!, namespace: m[2]!, ...(m[3] ? { port: Number(m[3]) } : {}) };
}

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

async function sourceIp(
  kc: Parameters<typeof readPod>[0],
  from: ReturnType<typeof parseFrom>,
  server: string,
): Promise<string> {
  if (!from.pod) return 'unknown'; // parses as no address: ipBlocks cannot match
  const pod = await readPod(kc, from.namespace, from.pod, server);
  const sa = pod.spec?.serviceAccountName ?? 'default';
  if (sa !== from.sa) {
    throw new PluginError(
      `--from: pod ${from.namespace}/${from.pod} runs as ${sa}, not ${from.sa}`,
      PluginExit.Usage,
    );
  }
  return pod.status?.podIP ?? 'unknown';
}

function request(
  d: Destination,
  src: { principal: string; ip: string },
  http: { method: string; path: string; host: string; headers: Record<string, string> } | undefined,
): AuthzRequest {
  return { source: src, destination: { ip: d.ip, port: d.port }, ...(http ? { http } : {}) };
}

async function runCheck(args: readonly string[]): Promise<number> {
  const { rest, headers } = takeHeaders(args);
  const {
    global: g,
    values,
    positionals,
  } = parseOptions(
    rest,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      host: { type: 'string' },
      'trust-domain': { type: 'string', default: DEFAULT_TRUST_DOMAIN },
    },
    ['table', 'json', 'yaml'],
  );
  const from = parseFrom(values.from as string | undefined);
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
  const principal = `spiffe://${values['trust-domain'] as string}/ns/${from.namespace}/sa/${from.sa}`;
  const [ip, pods, policies] = await Promise.all([
    sourceIp(g.kc, from, g.server),
    destinations(g.kc, to, g.server),
    policiesFor(g.kc, to.namespace, g.server),
  ]);
  if (pods.length === 0) {
    throw new PluginError(
      `${to.service}.${to.namespace}: no endpoints (no pods behind the Service)`,
      PluginExit.NotFound,
    );
  }
  const results = pods.map((d) => ({
    pod: d.pod,
    decision: evaluate(
      selectPolicies(policies, { namespace: to.namespace, labels: d.labels }),
      request(d, { principal, ip }, http),
    ),
  }));
  if (g.output === 'json' || g.output === 'yaml') {
    const items = results.map((r) => ({
      pod: r.pod,
      ...r.decision,
      considered: r.decision.considered.map((c) => ({ policy: c.policy, why: c.why })),
    }));
    process.stdout.write(
      structured(g.output, {
        source: principal,
        destination: `${to.service}.${to.namespace}`,
        items,
      }),
    );
  } else {
    process.stdout.write(printCheck(results));
  }
  return results.every((r) => r.decision.allow) ? PluginExit.Ok : PluginExit.Findings;
}

function listRow(p: CompiledPolicy): Record<string, unknown> {
  return {
    policy: `${p.namespace}/${p.name}`,
    action: p.action,
    scope:
      p.namespace === WEFT_NAMESPACE && !p.selector
        ? 'mesh'
        : p.selector
          ? 'workload'
          : 'namespace',
    dryRun: p.dryRun,
    valid: p.valid,
    rules: p.rules.length,
    problems: p.problems,
    warnings: p.warnings,
  };
}

async function runList(args: readonly string[]): Promise<number> {
  const { global: g, positionals } = parseOptions(args, {}, ['table', 'json', 'yaml']);
  const name = positionals[0];
  if (!name || positionals.length > 1 || !g.namespace) {
    throw new PluginError('usage: kubectl weft authz list POD [-n NS]', PluginExit.Usage);
  }
  const [pod, policies] = await Promise.all([
    readPod(g.kc, g.namespace, name, g.server),
    policiesFor(g.kc, g.namespace, g.server),
  ]);
  const selected = selectPolicies(policies, {
    namespace: g.namespace,
    labels: pod.metadata?.labels ?? {},
  });
  const rows = selected.map(listRow);
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
