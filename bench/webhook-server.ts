// The webhook in its own process for bench:webhook: the same startWebhook() that
// `weft webhook` runs, printing its serving CA (one JSON line) so the bench can
// verify TLS instead of switching verification off.
import { createLogger } from '../src/log.js';
import { createRegistry } from '../src/metrics.js';
import { WebhookConfigSchema } from '../webhook/config.js';
import { localServingTls } from '../webhook/local-tls.js';
import { startWebhook } from '../webhook/main.js';

const [kubeconfig, listen] = process.argv.slice(2);
const tls = await localServingTls([], ['127.0.0.1']);
const config = WebhookConfigSchema.parse({ kubeconfig, listen, logLevel: 'warn' });
const hook = await startWebhook(config, tls, createRegistry('webhook'), createLogger({}, 'warn'));
process.stdout.write(JSON.stringify({ port: hook.port, caPem: tls.caPem }) + '\n');
process.once('SIGTERM', () => void hook.stop().then(() => process.exit(0)));
