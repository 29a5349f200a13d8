#!/usr/bin/env node
// `kubectl weft`: kubectl finds this on PATH as kubectl-weft. Every failure is one
// line on stderr and a documented exit code (cli/plugin/errors.ts).
import { main, versionCommand } from './command.js';
import type { Command } from './command.js';
import { runInject } from './inject-command.js';
import { runAudit } from './plugin/audit-command.js';
import { runAuthz } from './plugin/authz-command.js';
import { runCert } from './plugin/cert-command.js';
import { runCheck } from './plugin/check-command.js';
import { runConfig } from './plugin/config-command.js';
import { runProxyStatus } from './plugin/proxy-status-command.js';
import { runRouteCheck } from './plugin/route-check-command.js';
import { runRoutes } from './plugin/routes-command.js';
import { PluginError } from './plugin/errors.js';
import { runIdentities } from './plugin/identities-command.js';

/** Turns a PluginError into its line and exit code, instead of a generic failure. */
const guarded =
  (run: Command['run']): Command['run'] =>
  async (args) => {
    try {
      return await run(args);
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      process.stderr.write(`kubectl weft: ${err.message}\n`);
      return err.exitCode;
    }
  };

main('kubectl weft', [
  {
    name: 'identities',
    summary: 'List workload identities, their pods and certificates',
    run: guarded(runIdentities),
  },
  {
    name: 'audit',
    summary: 'Report findings by severity; exit 1 at or above --fail-on',
    run: guarded(runAudit),
  },
  {
    name: 'cert',
    summary: "Show a pod's certificate chain and whether it verifies",
    run: guarded(runCert),
  },
  { name: 'check', summary: 'Check the installation', run: guarded(runCheck) },
  {
    name: 'authz',
    summary: 'Explain authorization: check a request against the policies, list what selects a pod',
    run: guarded(runAuthz),
  },
  {
    name: 'routes',
    summary:
      'The HTTPRoutes/GRPCRoutes on a Service, in the order the sidecar tries them, with status',
    run: guarded(runRoutes),
  },
  {
    name: 'route-check',
    summary: "Which route, rule and backend a request would take (the sidecar's matcher)",
    run: guarded(runRouteCheck),
  },
  {
    name: 'proxy-status',
    summary: "Each sidecar's stream: control-plane replica, sync, version, last ACK/NACK",
    run: guarded(runProxyStatus),
  },
  {
    name: 'config',
    summary: "Show the view a pod's sidecar holds: services, endpoints, inbound mode, policies",
    run: guarded(runConfig),
  },
  {
    name: 'inject',
    summary: 'Print manifests with the weft sidecar injected (as the webhook would)',
    run: runInject,
  },
  versionCommand('kubectl weft'),
]);
