/** Shared by the webhook tests: TLS material, a real server on 127.0.0.1, AdmissionReviews built from pods. */
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { createWebhookServer, type LogEntry, type WebhookServer, type WebhookServerOptions } from '../../src/webhook/server.js';
import { ensureTls, type TlsMaterial } from '../../src/webhook/tls.js';
import type { JsonValue, PatchOperation } from '../../src/webhook/patch.js';
import { tmp } from '../helpers.js';

let material: TlsMaterial | undefined;

/** A CA and a serving certificate for 127.0.0.1 and localhost (made once per test file, by openssl). */
export function testTls(): TlsMaterial {
  material ??= ensureTls({ dir: join(tmp('di-webhook-tls-'), 'tls'), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  return material;
}

export interface Running {
  webhook: WebhookServer;
  port: number;
  logs: LogEntry[];
  close(): Promise<void>;
}

/** Starts the real HTTPS server on 127.0.0.1 (a free port). */
export async function startServer(options: Partial<WebhookServerOptions> = {}): Promise<Running> {
  const tls = testTls();
  const logs: LogEntry[] = [];
  const { catalogue } = loadCatalogue();
  const webhook = createWebhookServer({
    cert: tls.cert,
    key: tls.key,
    settings: () => ({ catalogue }),
    log: (e) => logs.push(e),
    ...options,
  });
  const address = await webhook.listen(0, '127.0.0.1');
  return { webhook, port: address.port, logs, close: () => webhook.close() };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to the server (the CA is trusted; no connection reuse). */
export function send(port: number, path: string, body?: string | Buffer, method = body === undefined ? 'GET' : 'POST', headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method, ca: testTls().caCert, agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: string;
  patch?: string;
  warnings?: string[];
}

export function admissionReview(pod: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const meta = (pod as { metadata?: { name?: string; namespace?: string } }).metadata ?? {};
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${Math.random().toString(16).slice(2)}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      ...(meta.name ? { name: meta.name } : {}),
      namespace: meta.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...extra,
    },
  };
}

/** Sends a review; returns the response and the decoded patch. */
export async function mutate(port: number, review: unknown): Promise<{ status: number; response: AdmissionResponse; patch: PatchOperation[]; raw: HttpAnswer }> {
  const raw = await send(port, '/mutate', JSON.stringify(review));
  if (raw.status !== 200) return { status: raw.status, response: undefined as never, patch: [], raw };
  const parsed = JSON.parse(raw.body) as { apiVersion: string; kind: string; response: AdmissionResponse };
  if (parsed.apiVersion !== 'admission.k8s.io/v1' || parsed.kind !== 'AdmissionReview') throw new Error(`not an AdmissionReview: ${raw.body}`);
  const r = parsed.response;
  const patch = r.patch ? (JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8')) as PatchOperation[]) : [];
  return { status: raw.status, response: r, patch, raw };
}

const POD_TEMPLATE: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/**
 * The pods a cluster would create from a manifest stream: each Pod as it is,
 * each workload's pod template as a Pod named by generateName (controllers
 * give pods no name), in the workload's namespace.
 */
export function podsOf(text: string): { label: string; pod: Record<string, JsonValue> }[] {
  const out: { label: string; pod: Record<string, JsonValue> }[] = [];
  let docs;
  try {
    docs = parseAllDocuments(text, { merge: true }); // merge keys resolved, as kubectl does
  } catch {
    return out;
  }
  if (!Array.isArray(docs)) return out;
  const visit = (v: unknown): void => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    const o = v as Record<string, unknown>;
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) return o.items.forEach(visit);
    const meta = (o.metadata ?? {}) as Record<string, JsonValue>;
    if (o.kind === 'Pod' && o.apiVersion === 'v1') {
      out.push({ label: `Pod/${String(meta.name)}`, pod: o as Record<string, JsonValue> });
      return;
    }
    const path = typeof o.kind === 'string' ? POD_TEMPLATE[o.kind] : undefined;
    if (!path) return;
    let t: unknown = o;
    for (const k of path) t = t && typeof t === 'object' ? (t as Record<string, unknown>)[k] : undefined;
    if (!t || typeof t !== 'object') return;
    const template = t as { metadata?: Record<string, JsonValue>; spec?: JsonValue };
    const pod: Record<string, JsonValue> = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...(template.metadata ?? {}),
        generateName: `${String(meta.name ?? 'x')}-`,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
      },
      ...(template.spec !== undefined ? { spec: template.spec } : {}),
    };
    out.push({ label: `${o.kind}/${String(meta.name)}`, pod });
  };
  for (const d of docs) {
    if (d.errors.length) continue;
    try {
      visit(d.toJS({ maxAliasCount: 100 }));
    } catch {
      // an alias bomb or the like: not a pod source
    }
  }
  return out;
}

/** Files under a directory, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

export function readText(p: string): string {
  return readFileSync(p, 'utf8');
}

/** A raw TLS connection (for slow-client tests). */
export function rawTls(port: number): ReturnType<typeof tlsConnect> {
  return tlsConnect({ host: '127.0.0.1', port, ca: testTls().caCert, servername: 'localhost' });
}
