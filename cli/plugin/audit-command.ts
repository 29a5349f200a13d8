// `kubectl weft audit`: the findings alone, gateable in CI with --fail-on.
import { audit } from '../../src/audit/findings.js';
import { SEVERITIES, severityRank } from '../../src/audit/model.js';
import type { Severity } from '../../src/audit/model.js';
import { PluginError, PluginExit } from './errors.js';
import { gather, requireWeft } from './gather.js';
import { parseDuration, parseOptions } from './options.js';
import { paint, structured, table } from './output.js';

export const AUDIT_USAGE = `Usage: kubectl weft audit [-n NS | -A] [-o table|json|yaml] [--fail-on high] [--expiring-within 6h]

Lists what is wrong with the mesh's identities, most severe first. Exits 1 when a
finding at or above --fail-on (${SEVERITIES.join(', ')}, or none) exists.
Codes: uninjected-pod, opted-out-pod, default-service-account, shared-service-account,
certificate-expired, certificate-expiring, orphan-certificate, trust-bundle-missing,
trust-bundle-stale, capture-disabled, capture-bypassed (injected pods whose traffic
capture, as weft-init programmed it, is off or mostly bypassed).
`;

export async function runAudit(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(AUDIT_USAGE);
    return PluginExit.Ok;
  }
  const { global: g, values } = parseOptions(
    args,
    {
      'fail-on': { type: 'string', default: 'high' },
      'expiring-within': { type: 'string', default: '6h' },
    },
    ['table', 'json', 'yaml'],
  );
  const failOn = values['fail-on'] as string;
  if (failOn !== 'none' && !(SEVERITIES as readonly string[]).includes(failOn)) {
    throw new PluginError(
      `--fail-on ${failOn}: choose one of ${SEVERITIES.join(', ')}, none`,
      PluginExit.Usage,
    );
  }
  const inv = await gather(g);
  requireWeft(inv, g.namespace);
  const findings = audit(inv, {
    now: new Date(),
    expiringWithinMs: parseDuration(values['expiring-within'] as string, '--expiring-within'),
  });
  const failing =
    failOn === 'none'
      ? []
      : findings.filter((f) => severityRank(f.severity) >= severityRank(failOn as Severity));
  if (g.output === 'json' || g.output === 'yaml') {
    const summary = Object.fromEntries(
      SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]),
    );
    process.stdout.write(
      structured(g.output, {
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'AuditReport',
        failOn,
        failed: failing.length > 0,
        summary,
        findings,
      }),
    );
  } else if (findings.length === 0) {
    process.stdout.write('No findings.\n');
  } else {
    process.stdout.write(
      table(
        ['SEVERITY', 'CODE', 'NAMESPACE', 'OBJECT', 'MESSAGE'],
        findings.map((f) => [
          paint(f.severity, f.severity, g.color),
          f.code,
          f.namespace,
          f.object,
          f.message,
        ]),
      ),
    );
  }
  return failing.length ? PluginExit.Findings : PluginExit.Ok;
}
