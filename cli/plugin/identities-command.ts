// `kubectl weft identities`: one row per workload identity.
import { audit } from '../../src/audit/findings.js';
import { identityRows } from '../../src/audit/identities.js';
import { PluginExit } from './errors.js';
import { gather, requireWeft } from './gather.js';
import { parseDuration, parseOptions } from './options.js';
import { structured, table } from './output.js';

export const IDENTITIES_USAGE = `Usage: kubectl weft identities [-n NS | -A] [-o table|wide|json|yaml] [--expiring-within 6h]

One row per workload identity (SPIFFE ID): its ServiceAccount, the pods that hold it
and how many carry the sidecar, the certificate in use (serial, not-after, and the
path it came through: sidecar or csr-api), and the audit's findings for it.
`;

export async function runIdentities(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(IDENTITIES_USAGE);
    return PluginExit.Ok;
  }
  const { global: g, values } = parseOptions(
    args,
    { 'expiring-within': { type: 'string', default: '6h' } },
    ['table', 'wide', 'json', 'yaml'],
  );
  const inv = await gather(g);
  requireWeft(inv, g.namespace);
  const findings = audit(inv, {
    now: new Date(),
    expiringWithinMs: parseDuration(values['expiring-within'] as string, '--expiring-within'),
  });
  const rows = identityRows(inv, findings);
  if (g.output === 'json' || g.output === 'yaml') {
    process.stdout.write(
      structured(g.output, { apiVersion: 'weft.dev/v1alpha1', kind: 'IdentityList', items: rows }),
    );
    return PluginExit.Ok;
  }
  const wide = g.output === 'wide';
  const headers = [
    'SPIFFE ID',
    'SERVICEACCOUNT',
    'PODS',
    'INJECTED',
    'SERIAL',
    'NOT AFTER',
    'PATH',
    'FINDINGS',
    ...(wide ? ['POD NAMES'] : []),
  ];
  const body = rows.map((r) => [
    r.spiffeId,
    r.serviceAccount,
    String(r.pods.length),
    `${r.injectedPods}/${r.pods.length}`,
    r.certificate?.serial ?? '<none>',
    r.certificate?.notAfter ?? '<none>',
    r.certificate?.path ?? '<none>',
    r.findings.length ? [...new Set(r.findings.map((f) => f.code))].join(',') : '-',
    ...(wide ? [r.pods.join(',') || '<none>'] : []),
  ]);
  process.stdout.write(
    rows.length
      ? table(headers, body)
      : `No weft identities found${g.namespace ? ` in namespace ${g.namespace}` : ''}.\n`,
  );
  return PluginExit.Ok;
}
