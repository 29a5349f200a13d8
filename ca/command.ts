// `weft ca`: parse and validate flags, start the CA, stop on SIGTERM.
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { onShutdownSignal } from '../src/http/serve.js';
import { createLogger } from '../src/log.js';
import { createRegistry, withProcessMetrics } from '../src/metrics.js';
import { CaConfigSchema, caFlags } from './config.js';
import { startCa } from './main.js';
import { runRenewIssuer } from './renew-issuer-command.js';
import { runRotateRoot } from './rotation-command.js';

export const CA_USAGE = `Usage: weft ca [flags]
       weft ca rotate-root add|switch|retire [flags]
       weft ca renew-issuer [flags]

Runs the certificate authority: issues SPIFFE workload certificates for
ServiceAccount tokens, signs CSRs for signer weft.dev/workload, and keeps the
weft-trust-bundle ConfigMap in every namespace.

Flags:
  --listen HOST:PORT                 (default 0.0.0.0:15012)
  --kubeconfig PATH                  (default: in-cluster, else $KUBECONFIG)
  --trust-domain NAME                (default cluster.local)
  --audience NAME                    token audience (default weft-ca)
  --namespace NAME                   where the CA Secret lives (default weft-system)
  --secret-name NAME                 (default weft-ca)
  --default-lifetime-seconds N       (default 86400)
  --max-lifetime-seconds N           (default 172800)
  --token-cache-seconds N            cache validated tokens at most this long (default 10)
  --serving-dns-name NAME            repeatable; names in the CA's serving certificate
  --serving-ip IP                    repeatable
  --reload-seconds N                 how often to re-read the CA Secret (default 10)
  --bundle-resync-seconds N          how often to repair edited or deleted bundles (default 300)
  --rate-limit-burst N               certificates one identity may get at once (default 100)
  --rate-limit-per-second N          then this many per second (default 10); past it, 429
                                     (the CSR API: the same limit per requester, CSRs wait)
  --min-issuer-remaining-seconds N   refuse (503) to issue from an issuer with less left (default 3600)
  --shutdown-seconds N               stop within this after SIGTERM (default 5)
  --online-root[=true|false]         keep the root key in the CA Secret and renew the
                                     intermediate automatically (default: offline root)
  --root-key-secret-name NAME        where a first start puts the root key (default weft-ca-root)
  --log-level debug|info|warn|error  (default info)
`;

export async function runCaCommand(args: readonly string[]): Promise<number> {
  if (args[0] === 'rotate-root') return runRotateRoot(args.slice(1));
  if (args[0] === 'renew-issuer') return runRenewIssuer(args.slice(1));
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CA_USAGE);
    return 0;
  }
  const config = parseConfig(CaConfigSchema, parseFlags(args, caFlags));
  const log = createLogger({ component: 'ca' }, config.logLevel);
  const registry = withProcessMetrics(createRegistry('ca'));
  const ca = await startCa(config, registry, log);
  onShutdownSignal(log, () => ca.stop());
  await new Promise<never>(() => undefined);
  return 0;
}
