// The subset of Gateway API v1.6.3 HTTPRoute and GRPCRoute (experimental channel,
// for `retry`) that weft implements, as zod schemas. Field names and bounds follow
// apis/v1/httproute_types.go and grpcroute_types.go; a field the spec has and weft
// does not implement is refused by name in unsupported.ts (UnsupportedValue),
// before these schemas see it, so a route is never half-applied in silence.
import { z } from 'zod';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export const HTTP_ROUTE = {
  group: GATEWAY_GROUP,
  version: 'v1',
  plural: 'httproutes',
  kind: 'HTTPRoute',
} as const;
export const GRPC_ROUTE = {
  group: GATEWAY_GROUP,
  version: 'v1',
  plural: 'grpcroutes',
  kind: 'GRPCRoute',
} as const;
export const REFERENCE_GRANT = {
  group: GATEWAY_GROUP,
  version: 'v1beta1',
  plural: 'referencegrants',
  kind: 'ReferenceGrant',
} as const;

const Name = z.string().min(1).max(253);
const Namespace = z.string().min(1).max(63);
const PortNumber = z.number().int().min(1).max(65535);
const HeaderName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, 'not a valid HTTP header name');
export const Hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'not a valid hostname',
  );
const PreciseHostname = Hostname.regex(/^[^*]*$/, 'a wildcard is not allowed here');
const Duration = z.string().max(32);

export const ParentReference = z.strictObject({
  group: z.string().max(253).optional(),
  kind: z.string().max(63).optional(),
  namespace: Namespace.optional(),
  name: Name,
  sectionName: z.string().max(253).optional(),
  port: PortNumber.optional(),
});
export type ParentReference = z.infer<typeof ParentReference>;

const BackendObjectReference = {
  group: z.string().max(253).optional(),
  kind: z.string().max(63).optional(),
  name: Name,
  namespace: Namespace.optional(),
  port: PortNumber.optional(),
};
export const BackendObjectRef = z.strictObject(BackendObjectReference);
export type BackendObjectRef = z.infer<typeof BackendObjectRef>;

const Header = z.strictObject({ name: HeaderName, value: z.string().max(4096) });
export const HeaderModifier = z.strictObject({
  set: z.array(Header).max(16).optional(),
  add: z.array(Header).max(16).optional(),
  remove: z.array(HeaderName).max(16).optional(),
});
export type HeaderModifier = z.infer<typeof HeaderModifier>;

export const PathModifier = z.strictObject({
  type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
  replaceFullPath: z.string().max(1024).optional(),
  replacePrefixMatch: z.string().max(1024).optional(),
});
export type PathModifier = z.infer<typeof PathModifier>;

export const UrlRewrite = z.strictObject({
  hostname: PreciseHostname.optional(),
  path: PathModifier.optional(),
});
export type UrlRewrite = z.infer<typeof UrlRewrite>;

export const RequestRedirect = z.strictObject({
  scheme: z.enum(['http', 'https']).optional(),
  hostname: PreciseHostname.optional(),
  path: PathModifier.optional(),
  port: PortNumber.optional(),
  statusCode: z.union([301, 302, 303, 307, 308].map((c) => z.literal(c))).optional(),
});
export type RequestRedirect = z.infer<typeof RequestRedirect>;

export const RequestMirror = z.strictObject({
  backendRef: BackendObjectRef,
  percent: z.number().int().min(0).max(100).optional(),
  fraction: z
    .strictObject({
      numerator: z.number().int().min(0),
      denominator: z.number().int().min(1).optional(),
    })
    .optional(),
});
export type RequestMirror = z.infer<typeof RequestMirror>;

export const HttpFilter = z.strictObject({
  type: z.enum([
    'RequestHeaderModifier',
    'ResponseHeaderModifier',
    'URLRewrite',
    'RequestRedirect',
    'RequestMirror',
  ]),
  requestHeaderModifier: HeaderModifier.optional(),
  responseHeaderModifier: HeaderModifier.optional(),
  urlRewrite: UrlRewrite.optional(),
  requestRedirect: RequestRedirect.optional(),
  requestMirror: RequestMirror.optional(),
});
export type HttpFilter = z.infer<typeof HttpFilter>;

/** Filters a backendRef may carry (the same shapes; weft applies the header ones). */
export const BackendFilter = HttpFilter;

const StringMatch = <T extends string>(types: readonly [T, ...T[]]) =>
  z.strictObject({
    type: z.enum(types).optional(),
    name: HeaderName,
    value: z.string().max(4096),
  });

export const HttpHeaderMatch = StringMatch(['Exact', 'RegularExpression']);
export const QueryParamMatch = z.strictObject({
  type: z.enum(['Exact', 'RegularExpression']).optional(),
  name: z.string().min(1).max(256),
  value: z.string().max(1024),
});
export const HttpPathMatch = z.strictObject({
  type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).optional(),
  value: z.string().max(1024).optional(),
});
export const HttpMethod = z.enum([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

export const HttpRouteMatch = z.strictObject({
  path: HttpPathMatch.optional(),
  headers: z.array(HttpHeaderMatch).max(16).optional(),
  queryParams: z.array(QueryParamMatch).max(16).optional(),
  method: HttpMethod.optional(),
});
export type HttpRouteMatch = z.infer<typeof HttpRouteMatch>;

export const HttpBackendRef = z.strictObject({
  ...BackendObjectReference,
  weight: z.number().int().min(0).max(1_000_000).optional(),
  filters: z.array(BackendFilter).max(16).optional(),
});
export type HttpBackendRef = z.infer<typeof HttpBackendRef>;

export const Timeouts = z.strictObject({
  request: Duration.optional(),
  backendRequest: Duration.optional(),
});

export const Retry = z.strictObject({
  codes: z.array(z.number().int().min(400).max(599)).max(100).optional(),
  attempts: z.number().int().min(0).max(100).optional(),
  backoff: Duration.optional(),
});
export type Retry = z.infer<typeof Retry>;

const RuleName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'not a valid name');

export const HttpRouteRule = z.strictObject({
  name: RuleName.optional(),
  matches: z.array(HttpRouteMatch).max(64).optional(),
  filters: z.array(HttpFilter).max(16).optional(),
  backendRefs: z.array(HttpBackendRef).max(16).optional(),
  timeouts: Timeouts.optional(),
  retry: Retry.optional(),
});
export type HttpRouteRule = z.infer<typeof HttpRouteRule>;

export const HttpRouteSpec = z.strictObject({
  parentRefs: z.array(ParentReference).max(32).optional(),
  hostnames: z.array(Hostname).max(16).optional(),
  rules: z.array(HttpRouteRule).max(16).optional(),
});
export type HttpRouteSpec = z.infer<typeof HttpRouteSpec>;

export const GrpcMethodMatch = z.strictObject({
  type: z.enum(['Exact', 'RegularExpression']).optional(),
  service: z.string().max(1024).optional(),
  method: z.string().max(1024).optional(),
});
export const GrpcRouteMatch = z.strictObject({
  method: GrpcMethodMatch.optional(),
  headers: z
    .array(StringMatch(['Exact', 'RegularExpression']))
    .max(16)
    .optional(),
});
export type GrpcRouteMatch = z.infer<typeof GrpcRouteMatch>;

export const GrpcFilter = z.strictObject({
  type: z.enum(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror']),
  requestHeaderModifier: HeaderModifier.optional(),
  responseHeaderModifier: HeaderModifier.optional(),
  requestMirror: RequestMirror.optional(),
});
export type GrpcFilter = z.infer<typeof GrpcFilter>;

export const GrpcBackendRef = z.strictObject({
  ...BackendObjectReference,
  weight: z.number().int().min(0).max(1_000_000).optional(),
  filters: z.array(GrpcFilter).max(16).optional(),
});

export const GrpcRouteRule = z.strictObject({
  name: RuleName.optional(),
  matches: z.array(GrpcRouteMatch).max(64).optional(),
  filters: z.array(GrpcFilter).max(16).optional(),
  backendRefs: z.array(GrpcBackendRef).max(16).optional(),
});
export type GrpcRouteRule = z.infer<typeof GrpcRouteRule>;

export const GrpcRouteSpec = z.strictObject({
  parentRefs: z.array(ParentReference).max(32).optional(),
  hostnames: z.array(Hostname).max(16).optional(),
  rules: z.array(GrpcRouteRule).max(16).optional(),
});
export type GrpcRouteSpec = z.infer<typeof GrpcRouteSpec>;
