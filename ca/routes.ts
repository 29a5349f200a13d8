// The CA's HTTP surface: issue a certificate, publish the trust bundle.
import type { Express, Request } from 'express';
import { CERTIFICATES_PATH, TRUST_BUNDLE_PATH } from '../src/ca-api.js';
import { joinPem } from '../src/pki/index.js';
import type { IssuingDeps } from './issuing-service.js';
import { handleCertificateRequest } from './issuing-service.js';

function bearer(req: Request): string {
  const header = req.get('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1] ?? '';
}

export function addCaRoutes(app: Express, deps: IssuingDeps): void {
  app.post(CERTIFICATES_PATH, async (req, res) => {
    const peer = req.socket.remoteAddress ?? '';
    const response = await handleCertificateRequest(deps, { token: bearer(req), peer }, req.body);
    res.status(201).json(response);
  });
  app.get(TRUST_BUNDLE_PATH, (_req, res) => {
    res.type('application/x-pem-file').send(joinPem(deps.authority().roots));
  });
}
