// Authorization policy: Istio's AuthorizationPolicy semantics as pure data and a
// matcher, shared by the sidecar, discovery and the plugin.
export { AUTHORIZATION_POLICY, AuthorizationPolicySpec, DRY_RUN_ANNOTATION } from './schema.js';
export type {
  AuthzRequest,
  CompiledPolicy,
  Decision,
  PolicyAction,
  PolicyObject,
  Problem,
  Workload,
} from './types.js';
export { compilePolicy } from './compile.js';
export { selectPolicies } from './select.js';
export { evaluate } from './evaluate.js';
