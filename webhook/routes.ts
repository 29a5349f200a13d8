// POST /inject: AdmissionReview in, AdmissionReview out. The route is a thin
// shell around admit(); malformed reviews are 400s from the shared error handler.
import type { Express } from 'express';
import { parseAdmissionReview, reviewResponse } from '../src/k8s/admission.js';
import type { Logger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import { admit } from './admit.js';
import type { InjectionConfig } from './injection-config.js';
import type { WebhookMetrics } from './metrics.js';
import type { NamespaceInfo } from './selection.js';

export interface WebhookDeps {
  readonly config: InjectionConfig;
  readonly namespace: (name: string) => Promise<NamespaceInfo>;
  readonly metrics: WebhookMetrics;
  readonly log: Logger;
}

export function addWebhookRoutes(app: Express, deps: WebhookDeps): void {
  // Anyone who reaches the webhook can have pods refused: one warn line per refusal
  // would let them grow the logs without bound. A burst per namespace, then a count.
  const refusals = limitLogger(deps.log);
  app.post('/inject', async (req, res) => {
    const started = process.hrtime.bigint();
    let request;
    try {
      request = parseAdmissionReview(req.body);
    } catch (err) {
      deps.metrics.badRequests.inc();
      throw err;
    }
    const pod = request.object as
      { metadata?: { name?: string; generateName?: string } } | undefined;
    const nsName = request.namespace ?? 'default';
    const ns = await deps.namespace(nsName);
    const admission = admit(request, deps.config, () => ns);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics.admissions.inc({ result: admission.result });
    deps.metrics.duration.observe({ result: admission.result }, seconds);
    const fields = {
      uid: request.uid,
      namespace: nsName,
      pod: pod?.metadata?.name ?? pod?.metadata?.generateName,
      result: admission.result,
      reason: admission.reason,
      dryRun: request.dryRun ?? false,
    };
    // Refusals at warn (rate-limited); the rest at debug, off the hot path by default.
    if (admission.result === 'refused')
      refusals.warn('refused pod', fields, `refused pod in ${nsName}`);
    else deps.log.debug('admission', fields);
    res.json(reviewResponse(admission.response));
  });
}
