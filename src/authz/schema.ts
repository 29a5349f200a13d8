// The spec of AuthorizationPolicy (weft.dev/v1alpha1): Istio's
// security.istio.io/v1 AuthorizationPolicy spec, field for field, so a policy
// moves across by changing its apiVersion. The shape is checked here; what the
// shape cannot say (CUSTOM, targetRef, IP syntax, condition keys...) is checked
// by compile.ts, which reports each problem with its field.
import { z } from 'zod';

export const AUTHORIZATION_POLICY = {
  group: 'weft.dev',
  version: 'v1alpha1',
  plural: 'authorizationpolicies',
  kind: 'AuthorizationPolicy',
} as const;

/** The annotation that makes a policy report without enforcing (Istio: istio.io/dry-run). */
export const DRY_RUN_ANNOTATION = 'weft.dev/dry-run';

const Strings = z.array(z.string());

export const Source = z.strictObject({
  principals: Strings.optional(),
  notPrincipals: Strings.optional(),
  requestPrincipals: Strings.optional(),
  notRequestPrincipals: Strings.optional(),
  namespaces: Strings.optional(),
  notNamespaces: Strings.optional(),
  serviceAccounts: Strings.optional(),
  notServiceAccounts: Strings.optional(),
  ipBlocks: Strings.optional(),
  notIpBlocks: Strings.optional(),
  remoteIpBlocks: Strings.optional(),
  notRemoteIpBlocks: Strings.optional(),
});
export type Source = z.infer<typeof Source>;

export const Operation = z.strictObject({
  hosts: Strings.optional(),
  notHosts: Strings.optional(),
  ports: Strings.optional(),
  notPorts: Strings.optional(),
  methods: Strings.optional(),
  notMethods: Strings.optional(),
  paths: Strings.optional(),
  notPaths: Strings.optional(),
});
export type Operation = z.infer<typeof Operation>;

export const Condition = z.strictObject({
  key: z.string(),
  values: Strings.optional(),
  notValues: Strings.optional(),
});
export type Condition = z.infer<typeof Condition>;

export const Rule = z.strictObject({
  from: z.array(z.strictObject({ source: Source.optional() })).optional(),
  to: z.array(z.strictObject({ operation: Operation.optional() })).optional(),
  when: z.array(Condition).optional(),
});
export type Rule = z.infer<typeof Rule>;

const PolicyTargetReference = z.strictObject({
  group: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
});

export const AuthorizationPolicySpec = z.strictObject({
  selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()).optional() }).optional(),
  targetRef: PolicyTargetReference.optional(),
  targetRefs: z.array(PolicyTargetReference).optional(),
  rules: z.array(Rule).optional(),
  action: z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']).optional(),
  provider: z.strictObject({ name: z.string() }).optional(),
});
export type AuthorizationPolicySpec = z.infer<typeof AuthorizationPolicySpec>;
