// admission.k8s.io/v1 AdmissionReview: the one typed shape the webhook reads and
// writes, with a parser that says exactly what is wrong with a malformed review.
import { ErrorCode, WeftError } from '../errors.js';
import { podShapeProblem } from './pod-shape.js';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly operation: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly object?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly patchType?: 'JSONPatch';
  /** base64 of the JSON Patch (RFC 6902). */
  readonly patch?: string;
  readonly status?: { readonly code: number; readonly message: string; readonly reason?: string };
  readonly warnings?: string[];
}

export interface AdmissionReview {
  readonly apiVersion: 'admission.k8s.io/v1';
  readonly kind: 'AdmissionReview';
  readonly request?: AdmissionRequest;
  readonly response?: AdmissionResponse;
}

const bad = (message: string): WeftError => new WeftError(ErrorCode.BadRequest, message);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const OPTIONAL_TYPES = { namespace: 'string', name: 'string', dryRun: 'boolean' } as const;

/** Optional fields, when present, have their type: the route logs and looks them up. */
function checkOptionalTypes(req: Record<string, unknown>): void {
  for (const [field, type] of Object.entries(OPTIONAL_TYPES)) {
    if (req[field] !== undefined && typeof req[field] !== type) {
      throw bad(`request.${field} must be a ${type}`);
    }
  }
}

function checkRequest(req: Record<string, unknown>): void {
  if (typeof req.uid !== 'string' || req.uid === '') throw bad('request.uid is missing');
  const kind = req.kind;
  if (!isObject(kind) || typeof kind.kind !== 'string' || typeof kind.version !== 'string') {
    throw bad('request.kind is missing or malformed');
  }
  if (typeof req.operation !== 'string') throw bad('request.operation is missing');
  checkOptionalTypes(req);
  if (req.object !== undefined && req.object !== null && !isObject(req.object)) {
    throw bad('request.object must be an object');
  }
  if (isObject(req.object) && isPodKind(kind)) {
    const problem = podShapeProblem(req.object);
    if (problem) throw bad(`request.object.${problem}`);
  }
}

const isPodKind = (kind: Record<string, unknown>): boolean =>
  (kind.group ?? '') === '' && kind.version === 'v1' && kind.kind === 'Pod';

/** A value for an error message: strings as they are, anything else by its type (String() may throw). */
const shown = (v: unknown): string => (typeof v === 'string' ? v : typeof v);

export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw bad('body must be a JSON AdmissionReview object');
  if (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview') {
    throw bad(
      `expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got ${shown(body.apiVersion)}, ${shown(body.kind)}`,
    );
  }
  const req = body.request;
  if (!isObject(req)) throw bad('request is missing');
  checkRequest(req);
  return req as unknown as AdmissionRequest;
}

export function reviewResponse(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
