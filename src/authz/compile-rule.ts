// One rule of the spec → matchers. Fields in a source or operation are ANDed
// (one check each), entries of from/to are ORed, conditions are ANDed.
import { ATTRIBUTES as A, headerAttribute } from './attributes.js';
import type { Builder } from './compile-fields.js';
import {
  ipCheck,
  pathCheck,
  portCheck,
  principalCheck,
  serviceAccountCheck,
  stringCheck,
} from './compile-fields.js';
import type { Condition, Operation, Rule, Source } from './schema.js';
import type { Check, Clause, CompiledRule } from './types.js';

const present = (c: Check | undefined): c is Check => c !== undefined;
const pos = <T>(field: string, attr: T, values: readonly string[] | undefined) => ({
  field,
  attr,
  values,
  negate: false,
});
const neg = <T>(field: string, attr: T, values: readonly string[] | undefined) => ({
  field,
  attr,
  values,
  negate: true,
});

function noJwt(b: Builder, at: string, s: Source): void {
  for (const f of ['requestPrincipals', 'notRequestPrincipals'] as const) {
    if (s[f]?.length) {
      b.problems.push({
        field: `${at}.${f}`,
        reason: 'needs request authentication (JWT), which weft does not support',
      });
    }
  }
}

function serviceAccountsAlone(b: Builder, at: string, s: Source): void {
  const sa = s.serviceAccounts?.length || s.notServiceAccounts?.length;
  const others = s.principals?.length || s.notPrincipals?.length;
  const ns = s.namespaces?.length || s.notNamespaces?.length;
  if (sa && (others || ns)) {
    b.problems.push({
      field: `${at}.serviceAccounts`,
      reason: 'cannot be set together with principals or namespaces (Istio rule)',
    });
  }
}

export function compileSource(b: Builder, at: string, s: Source | undefined): Clause {
  if (!s || Object.values(s).every((v) => !v?.length)) {
    b.problems.push({
      field: `${at}`,
      reason: 'a from entry must set source with at least one field',
    });
    return [];
  }
  noJwt(b, at, s);
  serviceAccountsAlone(b, at, s);
  const f = (name: string): string => `${at}.${name}`;
  return [
    principalCheck(b, pos(f('principals'), A.principal, s.principals)),
    principalCheck(b, neg(f('notPrincipals'), A.principal, s.notPrincipals)),
    stringCheck(b, pos(f('namespaces'), A.namespace, s.namespaces)),
    stringCheck(b, neg(f('notNamespaces'), A.namespace, s.notNamespaces)),
    serviceAccountCheck(b, pos(f('serviceAccounts'), A.serviceAccount, s.serviceAccounts)),
    serviceAccountCheck(b, neg(f('notServiceAccounts'), A.serviceAccount, s.notServiceAccounts)),
    ipCheck(b, pos(f('ipBlocks'), A.sourceIp, s.ipBlocks)),
    ipCheck(b, neg(f('notIpBlocks'), A.sourceIp, s.notIpBlocks)),
    ipCheck(b, pos(f('remoteIpBlocks'), A.remoteIp, s.remoteIpBlocks)),
    ipCheck(b, neg(f('notRemoteIpBlocks'), A.remoteIp, s.notRemoteIpBlocks)),
  ].filter(present);
}

export function compileOperation(b: Builder, at: string, o: Operation | undefined): Clause {
  if (!o || Object.values(o).every((v) => !v?.length)) {
    b.problems.push({ field: at, reason: 'a to entry must set operation with at least one field' });
    return [];
  }
  const f = (name: string): string => `${at}.${name}`;
  return [
    stringCheck(b, pos(f('hosts'), A.host, o.hosts), true),
    stringCheck(b, neg(f('notHosts'), A.host, o.notHosts), true),
    portCheck(b, pos(f('ports'), A.port, o.ports)),
    portCheck(b, neg(f('notPorts'), A.port, o.notPorts)),
    stringCheck(b, pos(f('methods'), A.method, o.methods)),
    stringCheck(b, neg(f('notMethods'), A.method, o.notMethods)),
    pathCheck(b, pos(f('paths'), A.path, o.paths)),
    pathCheck(b, neg(f('notPaths'), A.path, o.notPaths)),
  ].filter(present);
}

const HEADER_KEY = /^request\.headers\[([!#$%&'*+.^_`|~0-9A-Za-z-]+)\]$/;

/** A condition key → the checks for its values and notValues. */
function conditionChecks(b: Builder, at: string, c: Condition): (Check | undefined)[] {
  const v = `${at}.values`;
  const nv = `${at}.notValues`;
  const header = HEADER_KEY.exec(c.key)?.[1];
  if (header !== undefined) {
    const attr = headerAttribute(header);
    return [stringCheck(b, pos(v, attr, c.values)), stringCheck(b, neg(nv, attr, c.notValues))];
  }
  switch (c.key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip': {
      const attr =
        c.key === 'source.ip' ? A.sourceIp : c.key === 'remote.ip' ? A.remoteIp : A.destinationIp;
      return [ipCheck(b, pos(v, attr, c.values)), ipCheck(b, neg(nv, attr, c.notValues))];
    }
    case 'source.namespace':
    case 'connection.sni': {
      const attr = c.key === 'source.namespace' ? A.namespace : A.sni;
      return [stringCheck(b, pos(v, attr, c.values)), stringCheck(b, neg(nv, attr, c.notValues))];
    }
    case 'source.principal':
      return [
        principalCheck(b, pos(v, A.principal, c.values)),
        principalCheck(b, neg(nv, A.principal, c.notValues)),
      ];
    case 'destination.port':
      return [portCheck(b, pos(v, A.port, c.values)), portCheck(b, neg(nv, A.port, c.notValues))];
  }
  const reason = c.key.startsWith('request.auth.')
    ? `"${c.key}" needs request authentication (JWT), which weft does not support`
    : `"${c.key}" is not a condition key weft supports (request.headers[...], source.ip, remote.ip, source.namespace, source.principal, destination.ip, destination.port, connection.sni)`;
  b.problems.push({ field: `${at}.key`, reason });
  return [];
}

export function compileCondition(b: Builder, at: string, c: Condition): Clause {
  if (!c.values?.length && !c.notValues?.length) {
    b.problems.push({ field: at, reason: 'a condition must set values or notValues' });
  }
  return conditionChecks(b, at, c).filter(present);
}

function tcpWarning(b: Builder, at: string, rule: CompiledRule): void {
  if (!rule.httpOnly) return;
  const fields = [...rule.from, ...rule.to, rule.when]
    .flat()
    .filter((c) => c.httpOnly)
    .map((c) => c.field.slice(at.length + 1));
  const list = [...new Set(fields)].join(', ');
  b.warnings.push(
    b.action === 'ALLOW'
      ? `${at} uses HTTP-only fields (${list}): on TCP traffic the rule is ignored, so it allows no TCP connection`
      : `${at} uses HTTP-only fields (${list}): on TCP traffic they are not checked, so the rule ${b.action === 'DENY' ? 'denies' : 'audits'} every TCP connection its other fields match`,
  );
}

export function compileRule(b: Builder, at: string, r: Rule): CompiledRule {
  const from = (r.from ?? []).map((e, j) => compileSource(b, `${at}.from[${j}].source`, e.source));
  const to = (r.to ?? []).map((e, j) =>
    compileOperation(b, `${at}.to[${j}].operation`, e.operation),
  );
  const when = (r.when ?? []).flatMap((c, k) => compileCondition(b, `${at}.when[${k}]`, c));
  const httpOnly = [...from, ...to, when].some((clause) => clause.some((c) => c.httpOnly));
  const rule = { from, to, when, httpOnly };
  tcpWarning(b, at, rule);
  return rule;
}
