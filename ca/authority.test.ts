import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workloadIdentity } from '../src/identity.js';
import { x509 } from '../src/pki/index.js';
import { FIXED, loadFixtures } from '../test/fixtures/pki/fixtures.js';
import { grantedLifetime, issueWorkloadCertificate } from './authority.js';

const identity = workloadIdentity('cluster.local', 'shop', 'cart');
const deps = { clock: { now: () => FIXED.now }, serial: () => FIXED.serial };

describe('issueWorkloadCertificate', () => {
  it('with a fixed clock, key and serial, gives the byte-exact expected certificate', async () => {
    const f = await loadFixtures();
    const issued = await issueWorkloadCertificate(
      f.authority,
      { identity, spki: f.leafSpki },
      FIXED.policy,
      deps,
    );
    // expected-leaf.pem was built by @peculiar/x509 from the same inputs (generate.ts).
    assert.equal(issued.leafPem, f.expectedLeafPem());
  });

  it('writes only the identity’s URI, the validity and the usages a workload needs', async () => {
    const f = await loadFixtures();
    const issued = await issueWorkloadCertificate(
      f.authority,
      { identity, spki: f.leafSpki, requestedLifetimeSeconds: 3600 },
      FIXED.policy,
      deps,
    );
    const c = new x509.X509Certificate(issued.leafPem);
    const chain = issued.chainPem.map((p) => new x509.X509Certificate(p));
    assert.equal(c.serialNumber, FIXED.serial);
    assert.equal(c.subject, '');
    assert.equal(c.issuer, 'CN=weft fixture issuer');
    assert.equal(c.notBefore.toISOString(), '2026-03-01T11:59:00.000Z');
    assert.equal(c.notAfter.toISOString(), '2026-03-01T13:00:00.000Z');
    const san = c.getExtension(x509.SubjectAlternativeNameExtension)!;
    assert.equal(san.critical, true, 'SAN is critical when the subject is empty (RFC 5280)');
    assert.deepEqual(
      san.names.items.map((n) => [n.type, n.value]),
      [['url', 'spiffe://cluster.local/ns/shop/sa/cart']],
    );
    assert.equal(c.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.deepEqual(
      [...(c.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])],
      ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
    );
    assert.deepEqual(
      chain.map((x) => x.subject),
      ['', 'CN=weft fixture issuer'],
    );
    assert.ok(await c.verify({ publicKey: f.authority.issuer.publicKey, signatureOnly: true }));
  });
});

describe('grantedLifetime', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const far = new Date('2030-01-01T00:00:00Z');
  const policy = FIXED.policy;
  it('defaults when nothing is asked', () =>
    assert.equal(grantedLifetime(undefined, policy, now, far), 86400));
  it('honours a shorter request', () => assert.equal(grantedLifetime(600, policy, now, far), 600));
  it('caps at the maximum', () => assert.equal(grantedLifetime(10 ** 9, policy, now, far), 172800));
  it('never outlives the issuer', () =>
    assert.equal(grantedLifetime(86400, policy, now, new Date('2026-01-01T01:00:00Z')), 3600));
});

describe('an issuer at or near its end', () => {
  const at = (iso: string) => ({ clock: { now: () => new Date(iso) }, serial: () => FIXED.serial });
  const policy = { ...FIXED.policy, minIssuerRemainingSeconds: 3600 };

  it('refuses (503 issuer_unusable) to issue from an expired issuer instead of a zero-lifetime certificate', async () => {
    const f = await loadFixtures();
    await assert.rejects(
      issueWorkloadCertificate(
        f.authority,
        { identity, spki: f.leafSpki },
        policy,
        at('2027-01-02T00:00:00Z'),
      ),
      (e: { code: string; status: number; message: string }) =>
        e.code === 'issuer_unusable' && e.status === 503 && /expired at 2027-01-01/.test(e.message),
    );
  });

  it('refuses to issue from an issuer with less than the minimum useful lifetime left', async () => {
    const f = await loadFixtures();
    await assert.rejects(
      issueWorkloadCertificate(
        f.authority,
        { identity, spki: f.leafSpki },
        policy,
        at('2026-12-31T23:30:00Z'),
      ),
      /expires at 2027-01-01T00:00:00.000Z, within 3600 s/,
    );
  });

  it('still issues, capped to the issuer, with more than the minimum left', async () => {
    const f = await loadFixtures();
    const issued = await issueWorkloadCertificate(
      f.authority,
      { identity, spki: f.leafSpki },
      policy,
      at('2026-12-31T22:00:00Z'),
    );
    assert.equal(issued.notAfter.toISOString(), '2027-01-01T00:00:00.000Z');
  });
});
