// The sidecar's half of "kubectl weft authz check agrees with the sidecar": a
// row of the authorization table (src/authz/cases.ts) taken the way a real policy
// goes, from the API objects through discovery's per-pod selection
// (build-authz), a view message the sidecar applies, the sidecar's compile, to
// the authorize layer answering a request built the way the sidecar builds it
// (HTTP) or the TCP path's decision. Used by the sidecar's unit test and by the
// integration test that drives the real CLI on the same rows.
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { AuthzCase } from '../../src/authz/cases.js';
import type { Decision } from '../../src/authz/index.js';
import { limitLogger } from '../../src/log-limit.js';
import { createLogger } from '../../src/log.js';
import { authzResourcesFor, buildAuthzCatalog } from '../../src/mesh/build-authz.js';
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import { compileMesh } from '../../src/mesh/mesh-index.js';
import { applyMessage } from '../../src/mesh/view-apply.js';
import { diffView } from '../../src/mesh/view-diff.js';
import { viewVersion } from '../../src/mesh/view.js';
import { ServerMessage } from '../../src/mesh/wire.js';
import { Authorizer } from '../../sidecar/authz.js';
import type {
  ConnectionInfo,
  Exchange,
  ProxyRequest,
  ProxyResponse,
} from '../../sidecar/exchange.js';
import { newExchange } from '../../sidecar/exchange.js';
import { authorize, connectionRequest } from '../../sidecar/layers/authorize.js';
import { rescue } from '../../sidecar/layers/rescue.js';
import { compose } from '../../sidecar/stacks.js';

const ROOT = 'weft-system';
const quiet = limitLogger(createLogger({}, 'error', () => undefined));

/** The sidecar of the case's workload, configured by discovery as in a cluster. */
function sidecarFor(c: AuthzCase): MeshIndex {
  const catalog = buildAuthzCatalog(c.policies);
  const pod = { metadata: { namespace: c.workload.namespace, labels: c.workload.labels } };
  const desired = authzResourcesFor(catalog, pod, ROOT);
  const d = diffView(new Map(), desired);
  const applied = applyMessage(
    new Map(),
    ServerMessage.parse({
      type: 'snapshot',
      nonce: 'n',
      version: viewVersion(desired),
      resources: d.resources,
      removed: [],
    }),
    'cluster.local',
  );
  if (!applied.ok) assert.fail(`${c.name}: the sidecar refused its view: ${applied.error}`);
  return compileMesh(applied.config, c.workload.namespace);
}

function connectionOf(c: AuthzCase): ConnectionInfo {
  const { source, destination, sni } = c.request;
  return {
    direction: 'inbound',
    destination: { address: destination.ip, port: destination.port },
    // IPv4 peers as Node reports them on a dual-stack listener.
    remoteAddress: source.ip.includes(':') ? source.ip : `::ffff:${source.ip}`,
    peerIdentity: source.principal,
    mtls: source.principal !== undefined,
    ...(sni ? { sni } : {}),
  };
}

/** The parts of a response the rescue layer writes, recorded. */
function recorder(): ProxyResponse & { status?: number; body?: string } {
  const r = {
    headersSent: false,
    writableFinished: false,
    status: undefined as number | undefined,
    body: undefined as string | undefined,
    writeHead(status: number) {
      r.headersSent = true;
      r.status = status;
      return r;
    },
    end(body: string) {
      r.body = body;
      r.writableFinished = true;
    },
  };
  return r as unknown as ProxyResponse & { status?: number; body?: string };
}

/** An HTTP request through rescue → authorize → (the app: 200). */
async function httpDecision(
  c: AuthzCase,
  mesh: MeshIndex,
  authorizer: Authorizer,
): Promise<Decision> {
  const h = c.request.http!;
  const req = {
    method: h.method,
    url: h.path,
    headers: { host: h.host, ...h.headers },
  } as unknown as ProxyRequest;
  const res = recorder();
  const ex: Exchange = newExchange(req, res, connectionOf(c));
  let reached = false;
  const app = (): Promise<void> => {
    reached = true;
    return Promise.resolve();
  };
  await compose([rescue(quiet), authorize(authorizer, () => mesh), () => app])(ex);
  const d = ex.authz!;
  assert.equal(reached, d.allow, `${c.name}: the app was${reached ? '' : ' not'} reached`);
  if (!d.allow) assert.deepEqual([res.status, res.body], [403, 'RBAC: access denied'], c.name);
  return d;
}

/** The sidecar's decision on one row of the table. */
export async function sidecarDecision(
  c: AuthzCase,
  authorizer: Authorizer = new Authorizer(new Registry(), quiet),
): Promise<Decision> {
  const mesh = sidecarFor(c);
  const summary = { peer: c.request.source.principal, source: c.request.source.ip, port: 0 };
  if (c.request.source.remoteIp !== undefined) {
    // The sidecar trusts no forwarded address (Istio's default of no trusted
    // proxies: remote.ip is the peer's), so this row's request cannot be built
    // from a connection; its decision still comes from the sidecar's Authorizer.
    return authorizer.decide(mesh.authz, c.request, summary);
  }
  if (c.request.http) return httpDecision(c, mesh, authorizer);
  return authorizer.decide(mesh.authz, connectionRequest(connectionOf(c)), summary);
}

/** A decision in the table's terms: what a row's `expect` says (audit, dry run if it names them). */
export function asExpected(
  d: Pick<Decision, 'allow' | 'reason' | 'policy' | 'rule' | 'audit' | 'dryRun'>,
  expect: AuthzCase['expect'],
): AuthzCase['expect'] {
  return {
    allow: d.allow,
    reason: d.reason,
    ...(d.policy !== undefined ? { policy: d.policy, rule: d.rule } : {}),
    ...('audit' in expect ? { audit: d.audit } : {}),
    ...('dryRun' in expect ? { dryRun: d.dryRun } : {}),
  };
}
