// bench:ca — how fast weft's CA signs. In one run, side by side:
//   baseline   raw WebCrypto ECDSA P-256 signatures (the floor any CA pays per cert)
//   signing    CSR parse + signature check + SAN policy + issue + PEM (TokenReview excluded)
//   https/warm the real CA over HTTPS against the real API server, token cache warm
//   https/cold the same with the token cache off: one TokenReview per request
// "Per core" is operations per CPU-second of this process (the CA is single-threaded;
// for the HTTPS rows the client shares the process, so they are conservative).
import https from 'node:https';
import { checkRequestForIdentity } from '../ca/san-policy.js';
import { issueWorkloadCertificate } from '../ca/authority.js';
import { generateMaterial } from '../ca/ca-material.js';
import { workloadIdentity } from '../src/identity.js';
import { defaultCrypto, generateKeyPair, parseCsr } from '../src/pki/index.js';
import { startControlPlane } from '../test/controlplane/testenv.js';
import { createNamespace, createToken, uniqueName } from '../test/support/cluster.js';
import { makeCsr } from '../test/support/csr.js';
import { request } from '../test/support/https.js';
import { installManifests, startTestCa } from '../test/support/weft-ca.js';
import type { RunResult } from './stats.js';
import { fmt, measure, printTable, writeJson } from './stats.js';

const N = Number(process.env.BENCH_CA_N ?? 2000);
const HTTP_N = Number(process.env.BENCH_CA_HTTP_N ?? 600);
const log = (s: string): void => void process.stderr.write(`[bench:ca] ${s}\n`);

async function offline(): Promise<RunResult[]> {
  log(`generating ${Math.min(N, 500)} CSRs`);
  const csrs = await Promise.all(Array.from({ length: Math.min(N, 500) }, () => makeCsr()));
  const { authority } = await generateMaterial({ trustDomain: 'cluster.local' });
  const identity = workloadIdentity('cluster.local', 'bench', 'client');
  const policy = { defaultLifetimeSeconds: 86400, maxLifetimeSeconds: 86400, backdateSeconds: 60 };
  const keys = await generateKeyPair();
  const tbs = new Uint8Array(300).fill(7);
  const alg = { name: 'ECDSA', hash: 'SHA-256' };

  log('baseline: raw ECDSA P-256 signatures');
  await measure(
    'warm-up',
    200,
    1,
    async () => void (await defaultCrypto.subtle.sign(alg, keys.privateKey, tbs)),
  );
  const baseline = await measure('baseline ECDSA P-256 sign', N, 1, async () => {
    await defaultCrypto.subtle.sign(alg, keys.privateKey, tbs);
  });
  log('signing path (TokenReview excluded)');
  const sign = async (i: number): Promise<void> => {
    const csr = parseCsr(csrs[i % csrs.length]!.pem);
    if (!checkRequestForIdentity(csr.names, identity).allowed) throw new Error('policy');
    const issued = await issueWorkloadCertificate(authority, { identity, spki: csr.spki }, policy);
    if (issued.chainPem.length !== 3) throw new Error('chain');
  };
  await measure('warm-up', 200, 1, sign);
  const signing = await measure('signing (no TokenReview)', N, 1, sign);
  return [baseline, signing];
}

async function online(): Promise<RunResult[]> {
  log('starting the real control plane and the CA');
  const cp = await startControlPlane();
  try {
    await installManifests(cp);
    const ns = uniqueName('bench');
    await createNamespace(cp.kubeConfig, ns);
    const results: RunResult[] = [];
    for (const [label, cacheSeconds] of [
      ['warm token cache', '300'],
      ['cold: TokenReview each', '0'],
    ] as const) {
      const t = await startTestCa(cp, { tokenCacheSeconds: cacheSeconds });
      const tok = await createToken(cp, ns, 'default');
      const csrs = await Promise.all(Array.from({ length: 100 }, () => makeCsr()));
      // Keep-alive, as a long-lived agent would: the numbers are issuance, not TLS handshakes.
      const agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: t.ca.roots() });
      const post = async (i: number): Promise<void> => {
        const res = await request(`https://127.0.0.1:${t.ca.port}/v1/certificates`, {
          ca: t.ca.roots(),
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
          body: JSON.stringify({ csr: csrs[i % csrs.length]!.pem }),
          agent,
        });
        if (res.status !== 201) throw new Error(`CA answered ${res.status}: ${res.body}`);
      };
      await measure('warm-up', 50, 4, post);
      results.push(await measure(`https, ${label}`, HTTP_N, 4, post));
      agent.destroy();
      await t.ca.stop();
    }
    return results;
  } finally {
    await cp.stop();
  }
}

const results = [...(await offline()), ...(await online())];
const base = results[0]!;
printTable(
  ['path', 'ops', 'ops/s (wall)', 'ops per CPU-s', 'vs baseline', 'p50 ms', 'p99 ms', 'max ms'],
  results.map((r) => [
    r.name,
    r.ops,
    r.ops / r.wallSeconds,
    r.ops / r.cpuSeconds,
    `${fmt(r.ops / r.cpuSeconds / (base.ops / base.cpuSeconds))}x`,
    r.p50Ms,
    r.p99Ms,
    r.maxMs,
  ]),
);
log(`results written to ${writeJson('ca', { results })}`);
