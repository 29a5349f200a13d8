// The certificate agent against the real CA and API server: renewal at half-life
// with a fresh key, the token re-read on every request, backoff while the CA says
// no (the old certificate keeps serving), and a TLS server that swaps certificates
// without dropping an open connection.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { CertificateAgent } from '../../src/cert-agent/agent.js';
import type { WorkloadCertificate } from '../../src/cert-agent/agent.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../support/cluster.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';
import { metricValue } from '../support/metrics.js';

// Node prints a serial as hex without the DER sign byte (00f9… reads f9…), so
// both sides are compared without leading zeros.
const hexSerial = (s: string): string => s.toLowerCase().replace(/^0+(?=.)/, '');

describe('certificate agent', () => {
  let cp: ControlPlane;
  let t: TestCa;
  const ns = uniqueName('agent');
  let tokenFile: string;
  let bundleFile: string;

  async function writeToken(audience = 'weft-ca'): Promise<void> {
    writeFileSync(tokenFile, await createToken(cp, ns, 'default', { audience }));
  }

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    await createNamespace(cp.kubeConfig, ns);
    t = await startTestCa(cp);
    tokenFile = path.join(cp.dir, 'token');
    bundleFile = path.join(cp.dir, 'roots.pem');
    writeFileSync(bundleFile, t.ca.roots());
    await writeToken();
  });
  after(async () => {
    await t?.ca.stop();
    await cp?.stop();
  });

  function agent(registry = createRegistry('agent')): CertificateAgent {
    return new CertificateAgent({
      caUrl: `https://127.0.0.1:${t.ca.port}`,
      tokenFile,
      trustBundleFile: bundleFile,
      ttlSeconds: 4,
      renewFraction: 0.5,
      jitter: 0,
      backoff: { initialMs: 100, maxMs: 400 },
      minDelayMs: 500,
      registry,
      log: createLogger({}, 'error', () => undefined),
    });
  }

  it('renews at half-life with a new key, and servers swap without dropping connections', async () => {
    const a = agent();
    const first = await a.start();
    assert.equal(first.spiffeId, `spiffe://cluster.local/ns/${ns}/sa/default`);
    const server = https.createServer(
      { cert: first.certChainPem, key: first.keyPem },
      (_req, res) => {
        res.end('ok');
      },
    );
    a.on('certificate', (c) => server.setSecureContext({ cert: c.certChainPem, key: c.keyPem }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (
      agentOpt: https.Agent | undefined,
    ): Promise<{ serial: string; socket: TLSSocket }> =>
      new Promise((resolve, reject) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port,
              ca: first.trustBundlePem,
              agent: agentOpt,
              servername: undefined,
              checkServerIdentity: () => undefined,
            },
            (res) => {
              res.resume();
              const socket = res.socket as TLSSocket;
              res.on('end', () =>
                resolve({ serial: hexSerial(socket.getPeerCertificate().serialNumber), socket }),
              );
            },
          )
          .on('error', reject);
      });
    try {
      const before = await get(keepAlive);
      assert.equal(before.serial, hexSerial(first.serial));
      const renewed = await new Promise<WorkloadCertificate>((r) => a.once('certificate', r));
      assert.notEqual(renewed.serial, first.serial);
      assert.notEqual(renewed.keyPem, first.keyPem, 'a fresh key per certificate');
      const again = await get(keepAlive);
      assert.equal(again.socket, before.socket, 'the open connection was kept');
      assert.equal(
        again.serial,
        hexSerial(first.serial),
        'it still speaks with its handshake certificate',
      );
      const fresh = await get(undefined);
      assert.equal(
        fresh.serial,
        hexSerial(a.current()!.serial),
        'a new connection gets the new certificate',
      );
    } finally {
      a.stop();
      keepAlive.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('re-reads the token, backs off while refused, keeps serving, then recovers', async () => {
    const registry = createRegistry('agent');
    const a = agent(registry);
    const first = await a.start();
    try {
      await writeToken('not-weft'); // the CA will refuse this one
      await eventually(
        'a counted failure',
        async () => {
          const failures = await metricValue(
            registry,
            'weft_agent_certificate_renewal_failures_total',
          );
          return failures > 0 ? true : undefined;
        },
        10_000,
      );
      assert.equal(a.current()?.serial, first.serial, 'the old certificate keeps serving');
      await writeToken();
      const recovered = await new Promise<WorkloadCertificate>((r) => a.once('certificate', r));
      assert.notEqual(recovered.serial, first.serial);
      const expiry = await metricValue(registry, 'weft_agent_certificate_expiry_timestamp_seconds');
      assert.equal(expiry, recovered.notAfter.getTime() / 1000);
    } finally {
      a.stop();
    }
  });
});
