/**
 * One AdmissionReview (admission.k8s.io/v1) in, one out. The pod in
 * `request.object` goes through the pipe filter's own split walk as a value
 * (core/transform-object.ts: no YAML text is written or parsed); the JSON
 * Patch is the difference between the pod the API server sent and the edited
 * pod, so a pod admitted here ends up identical to the same pod run through
 * `distroless-init`.
 *
 * Only what the review itself gets wrong is a failure (HTTP 400): a pod that
 * cannot be split is allowed unchanged, with warnings. Library code: never
 * throws on input, never prints.
 */
import type { Catalogue } from '../catalogue/load.js';
import type { Diagnostic, DiagnosticCode } from '../shared/diagnostics.js';
import type { Hardening } from '../core/hardening.js';
import { transformObject } from '../core/transform-object.js';
import { diff, type JsonValue, type PatchOperation } from './patch.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** What the pipeline needs, as loaded from the flags, the config file and the template directories. */
export interface WebhookSettings {
  catalogue: Catalogue;
  images?: Readonly<Record<string, string>>;
  hardening?: Partial<Hardening>;
}

/** How a review ended, for the response, the log line and the metrics. */
export type ReviewOutcome =
  /** the pod was split: the response carries a patch */
  | 'patched'
  /** nothing to do (no template for its images, already split, skipped, not a pod, not a CREATE) */
  | 'unchanged'
  /** the split reported an error: allowed unchanged, with warnings */
  | 'declined'
  /** the review was malformed: HTTP 400 */
  | 'bad-request';

export interface ReviewResult {
  /** HTTP status: 200, or 400 for a malformed review. */
  status: number;
  /** The response body: an AdmissionReview (200) or the reason (400). */
  body: string;
  contentType: string;
  outcome: ReviewOutcome;
  /** A webhook code (DI60xx) saying why, for a 400, a decline or a skipped request. */
  code?: WebhookCode;
  reason?: string;
  uid?: string;
  dryRun: boolean;
  namespace?: string;
  /** The pod's name, or its generateName followed by `*`. */
  pod?: string;
  operation?: string;
  patch?: PatchOperation[];
  diagnostics: Diagnostic[];
  warnings: string[];
}

/** The webhook's own codes (DI6xxx, in src/core/diagnostics.ts and docs/errors.md). */
export type WebhookCode = Extract<DiagnosticCode, `DI6${string}`>;

/** Kubernetes recommends warnings of at most 120 characters; the API server keeps at most 4 KiB of them in all. */
export const WARNING_MAX = 120;
const MAX_WARNINGS = 20;

/** Reviews one request body. Never throws. */
export function review(body: string, settings: WebhookSettings): ReviewResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    return badRequest(`request body is not JSON: ${(e as Error).message}`);
  }
  const problem = reviewProblem(parsed);
  if (problem) {
    const uid = uidOf(parsed);
    return badRequest(problem, typeof uid === 'string' ? uid : undefined);
  }
  const request = (parsed as { request: AdmissionRequest }).request;
  const uid = request.uid;
  const dryRun = request.dryRun === true;
  const namespace = typeof request.namespace === 'string' ? request.namespace : undefined;
  const base = { uid, dryRun, ...(namespace ? { namespace } : {}), operation: request.operation };

  const pod = request.object;
  const isPodCreate =
    request.operation === 'CREATE' &&
    request.kind.kind === 'Pod' &&
    (request.kind.group ?? '') === '' &&
    request.subResource === undefined &&
    isObject(pod);
  if (!isPodCreate) {
    const reason = `not a pod CREATE (${request.operation} ${request.kind.kind}${request.subResource ? `/${request.subResource}` : ''}): allowed unchanged`;
    return { ...respond(uid, [], []), ...base, outcome: 'unchanged', code: 'DI6006', reason, diagnostics: [] };
  }
  const podName = nameOf(pod as Record<string, unknown>);
  const withPod = { ...base, ...(podName ? { pod: podName } : {}) };
  try {
    const input = { ...(pod as Record<string, JsonValue>) };
    // the API server always sends both; a hand-made review may not (they are the same on both sides of the diff)
    input.apiVersion ??= 'v1';
    input.kind ??= 'Pod';
    // the cache key: the pod as JSON (the same pod text gives the same answer)
    const text = JSON.stringify(input);
    const c = cached(settings, text) ?? remember(settings, text, split(input, settings));
    if (c.outcome === 'declined') {
      return { ...respond(uid, [], c.warnings), ...withPod, outcome: 'declined', code: 'DI6003', reason: DECLINED, diagnostics: c.diagnostics };
    }
    return { ...respond(uid, c.patch, c.warnings), ...withPod, outcome: c.outcome, ...(c.patch.length ? { patch: c.patch } : {}), diagnostics: c.diagnostics };
  } catch (e) {
    const reason = `internal error while reviewing the pod: ${(e as Error).message}; admitted unchanged`;
    const warnings = formatWarnings([{ code: 'DI6004', message: reason }]);
    return { ...respond(uid, [], warnings), ...withPod, outcome: 'declined', code: 'DI6004', reason, diagnostics: [] };
  }
}

const DECLINED = 'the split reported an error: the pod is admitted unchanged';

/** What a pod's text gives: the same for every pod with the same text (the pods of one ReplicaSet). */
interface Split {
  outcome: 'patched' | 'unchanged' | 'declined';
  patch: PatchOperation[];
  warnings: string[];
  diagnostics: Diagnostic[];
}

function split(input: JsonValue, settings: WebhookSettings): Split {
  const r = transformObject(input, settings);
  const problems = r.diagnostics.filter((d) => d.severity !== 'info');
  if (r.diagnostics.some((d) => d.severity === 'error')) {
    return { outcome: 'declined', patch: [], warnings: formatWarnings([{ code: 'DI6003', message: DECLINED }, ...problems]), diagnostics: r.diagnostics };
  }
  const warnings = formatWarnings(problems);
  if (!r.changed) return { outcome: 'unchanged', patch: [], warnings, diagnostics: r.diagnostics };
  const patch = diff(input, r.value as JsonValue);
  return { outcome: patch.length ? 'patched' : 'unchanged', patch, warnings, diagnostics: r.diagnostics };
}

/**
 * Answers per settings and pod text, for the pods a controller creates from
 * one template (a ReplicaSet scaling up sends the same pod many times). The
 * settings object changes on every reload, which drops its entries.
 */
const CACHE = new WeakMap<WebhookSettings, Map<string, Split>>();
const CACHE_ENTRIES = 128;
const CACHE_MAX_TEXT = 64 * 1024;

function cached(settings: WebhookSettings, text: string): Split | undefined {
  return CACHE.get(settings)?.get(text);
}

function remember(settings: WebhookSettings, text: string, value: Split): Split {
  if (text.length > CACHE_MAX_TEXT) return value;
  let m = CACHE.get(settings);
  if (!m) CACHE.set(settings, (m = new Map()));
  if (m.size >= CACHE_ENTRIES) m.delete(m.keys().next().value!);
  m.set(text, value);
  return value;
}

interface AdmissionRequest {
  uid: string;
  kind: { group?: string; version?: string; kind: string };
  operation: string;
  namespace?: string;
  subResource?: string;
  dryRun?: boolean;
  object?: unknown;
}

/** What is wrong with an AdmissionReview, or undefined. */
export function reviewProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'an AdmissionReview must be a JSON object';
  if (v.apiVersion !== ADMISSION_API_VERSION) return `apiVersion must be ${ADMISSION_API_VERSION} (got ${short(v.apiVersion)})`;
  if (v.kind !== 'AdmissionReview') return `kind must be AdmissionReview (got ${short(v.kind)})`;
  const r = v.request;
  if (!isObject(r)) return 'request is missing or not an object';
  if (typeof r.uid !== 'string' || r.uid === '') return 'request.uid must be a non-empty string';
  if (r.uid.length > 256) return 'request.uid is longer than 256 characters';
  if (!isObject(r.kind) || typeof r.kind.kind !== 'string') return 'request.kind.kind must be a string';
  if (r.kind.group !== undefined && typeof r.kind.group !== 'string') return 'request.kind.group must be a string';
  if (typeof r.operation !== 'string') return 'request.operation must be a string';
  if (r.namespace !== undefined && typeof r.namespace !== 'string') return 'request.namespace must be a string';
  if (r.subResource !== undefined && typeof r.subResource !== 'string') return 'request.subResource must be a string';
  if (r.dryRun !== undefined && typeof r.dryRun !== 'boolean') return 'request.dryRun must be a boolean';
  if (r.operation === 'CREATE' && r.kind.kind === 'Pod' && !isObject(r.object)) return 'request.object must be the pod (an object) for a CREATE';
  return undefined;
}

function uidOf(v: unknown): unknown {
  return isObject(v) && isObject(v.request) ? v.request.uid : undefined;
}

function nameOf(pod: Record<string, unknown>): string | undefined {
  const meta = pod.metadata;
  if (!isObject(meta)) return undefined;
  if (typeof meta.name === 'string' && meta.name) return meta.name;
  if (typeof meta.generateName === 'string' && meta.generateName) return `${meta.generateName}*`;
  return undefined;
}

function respond(uid: string, patch: PatchOperation[], warnings: string[]): Pick<ReviewResult, 'status' | 'body' | 'contentType' | 'warnings'> {
  const response: Record<string, unknown> = { uid, allowed: true };
  if (patch.length) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  if (warnings.length) response.warnings = warnings;
  return {
    status: 200,
    body: JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response }),
    contentType: 'application/json',
    warnings,
  };
}

function badRequest(reason: string, uid?: string): ReviewResult {
  return {
    status: 400,
    body: `DI6001: malformed AdmissionReview: ${reason}\n`,
    contentType: 'text/plain; charset=utf-8',
    outcome: 'bad-request',
    code: 'DI6001',
    reason,
    ...(uid ? { uid } : {}),
    dryRun: false,
    diagnostics: [],
    warnings: [],
  };
}

/**
 * Diagnostics as admission warnings: `DI3006 containers[0]: message`, one line,
 * at most WARNING_MAX characters (cut with `…`), at most MAX_WARNINGS of them
 * (then one line saying how many were left out).
 */
export function formatWarnings(diagnostics: readonly Pick<Diagnostic, 'code' | 'message' | 'field'>[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const d of diagnostics) {
    const field = d.field && !d.message.startsWith(d.field) ? ` ${d.field.replace(/^spec\./, '')}` : '';
    const line = fitWarning(`${d.code}${field}: ${d.message.replace(/\s+/g, ' ').trim()}`);
    if (!seen.has(line)) {
      seen.add(line);
      out.push(line);
    }
  }
  if (out.length <= MAX_WARNINGS) return out;
  const left = out.length - (MAX_WARNINGS - 1);
  return [...out.slice(0, MAX_WARNINGS - 1), `DI6009: ${left} more warnings left out; run the pod through distroless-init -v to see them all`];
}

function fitWarning(s: string): string {
  const chars = [...s];
  return chars.length <= WARNING_MAX ? s : `${chars.slice(0, WARNING_MAX - 1).join('')}…`;
}

function short(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reviews a typical pod once, answer unused: loads the catalogue and warms the
 * pipeline's code, so that the first pod the API server sends is not the slow one.
 */
export function warmUp(settings: WebhookSettings): void {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'warm-up-' }, spec: { containers: [{ name: 'db', image: 'postgres:16.4' }] } };
  const body = JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', request: { uid: 'warm-up', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'default', object: pod } });
  for (let i = 0; i < 20; i++) review(body, settings);
}
