/**
 * `distroless-init webhook manifests` (schema-valid objects, accepted by
 * `kubectl apply --dry-run=client`, TLS material that a client verifies with
 * the Service's name) and `distroless-init webhook serve` as a real process.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { request as httpsRequest } from 'node:https';
import { createWebhookServer } from '../../src/webhook/server.js';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { BIN, cli, ROOT, tmp } from '../helpers.js';
import { startKubeStub } from './kube-stub.js';
import { admissionReview, testTls } from './helpers.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown };
type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace as unknown as Model,
  'v1/ServiceAccount': ServiceAccount as unknown as Model,
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'v1/Secret': Secret as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'apps/v1/Deployment': Deployment as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration as unknown as Model,
};

function objects(yaml: string): Obj[] {
  return parseAllDocuments(yaml).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });
}

function byKind(objs: Obj[], kind: string): Obj {
  const o = objs.find((x) => x.kind === kind);
  if (!o) throw new Error(`no ${kind}`);
  return o;
}

const KUBECTL = existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : undefined;

async function kubectlDryRun(yaml: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const stub = await startKubeStub();
  try {
    // no cluster here: discovery comes from the stub; --validate=false because validation downloads the
    // server's OpenAPI document (the kubernetes-models checks above stand in for it)
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(KUBECTL!, ['apply', '--dry-run=client', '--validate=false', '--server', stub.url, '-f', '-'], { env: { ...process.env, KUBECONFIG: '/dev/null' } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (status) => resolve({ status, stdout, stderr }));
      p.stdin.end(yaml);
    });
    return r;
  } finally {
    await stub.close();
  }
}

describe('webhook manifests (self-signed TLS)', () => {
  const dir = join(tmp('di-webhook-manifests-'), 'tls');
  let first: string;

  it('prints every object, each valid against the Kubernetes schema', async () => {
    const r = await cli(['webhook', 'manifests', '--namespace', 'di-system', '--image', 'ghcr.io/example/distroless-init:0.1.0', '--tls-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('written to');
    first = r.stdout;
    const objs = objects(r.stdout);
    expect(objs.map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ConfigMap', 'ConfigMap', 'Secret', 'Deployment', 'Service', 'PodDisruptionBudget', 'MutatingWebhookConfiguration']);
    for (const o of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion}/${o.kind}`).toBeDefined();
      new Model!(o as never).validate();
      if (o.kind !== 'Namespace' && o.kind !== 'MutatingWebhookConfiguration') expect(o.metadata.namespace).toBe('di-system');
    }
  });

  it('the Deployment: 2 replicas, hardened, readiness on /readyz over HTTPS, the TLS Secret mounted', () => {
    const objs = objects(first);
    const d = byKind(objs, 'Deployment') as unknown as { spec: { replicas: number; template: { metadata: { annotations: Record<string, string> }; spec: Record<string, any> } } };
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(c.args.slice(0, 2)).toEqual(['webhook', 'serve']);
    const tlsMount = c.volumeMounts.find((m: { name: string }) => m.name === 'tls');
    expect(c.args[c.args.indexOf('--tls-cert') + 1]).toBe(`${tlsMount.mountPath}/tls.crt`);
    expect(pod.volumes.find((v: { name: string }) => v.name === 'tls').secret.secretName).toBe(byKind(objs, 'Secret').metadata.name);
    // the webhook's own pods are never split
    expect(d.spec.template.metadata.annotations['distroless-init.io/skip']).toBe('true');
    const pdb = byKind(objs, 'PodDisruptionBudget') as unknown as { spec: { minAvailable: number } };
    expect(pdb.spec.minAvailable).toBe(1);
  });

  it('the MutatingWebhookConfiguration: pods at CREATE, Ignore, None, IfNeeded, opt-in selectors, v1, the CA bundle', () => {
    const objs = objects(first);
    const m = byKind(objs, 'MutatingWebhookConfiguration') as unknown as { webhooks: Record<string, any>[] };
    const w = m.webhooks[0]!;
    expect(w).toMatchObject({
      admissionReviewVersions: ['v1'],
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      reinvocationPolicy: 'IfNeeded',
      timeoutSeconds: 10,
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      namespaceSelector: { matchLabels: { 'distroless-init.io/webhook': 'enabled' } },
      objectSelector: { matchExpressions: [{ key: 'distroless-init.io/webhook', operator: 'NotIn', values: ['disabled'] }] },
    });
    const svc = byKind(objs, 'Service');
    expect(w.clientConfig.service).toEqual({ namespace: 'di-system', name: svc.metadata.name, path: '/mutate', port: 443 });
    expect(Buffer.from(w.clientConfig.caBundle, 'base64').toString()).toBe(readFileSync(join(dir, 'ca.crt'), 'utf8'));
    // the webhook's namespace is excluded even if someone labels it
    expect(w.namespaceSelector.matchExpressions[0].values).toContain('di-system');
  });

  it('the serving certificate is valid for the Service name, signed by the CA bundle', async () => {
    const objs = objects(first);
    const secret = byKind(objs, 'Secret') as unknown as { data: Record<string, string> };
    const d = (k: string): string => Buffer.from(secret.data[k]!, 'base64').toString();
    const { catalogue } = loadCatalogue();
    const server = createWebhookServer({ cert: d('tls.crt'), key: d('tls.key'), settings: () => ({ catalogue }) });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      for (const servername of ['distroless-init-webhook.di-system.svc', 'distroless-init-webhook.di-system.svc.cluster.local']) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port, path: '/readyz', servername, ca: d('ca.crt'), agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
        expect(status).toBe(200);
      }
    } finally {
      await server.close();
    }
  });

  it('running it again reuses the TLS material (no rotation under a running webhook)', async () => {
    const r = await cli(['webhook', 'manifests', '--namespace', 'di-system', '--image', 'ghcr.io/example/distroless-init:0.1.0', '--tls-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('reused from');
    expect(r.stdout).toBe(first);
    // another service name does not match the certificate: a clear error, nothing overwritten
    const other = await cli(['webhook', 'manifests', '--namespace', 'elsewhere', '--image', 'x:1', '--tls-dir', dir]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/does not name DNS:distroless-init-webhook\.elsewhere\.svc/);
  });

  it.skipIf(!KUBECTL)('is accepted by kubectl apply --dry-run=client', async () => {
    const r = await kubectlDryRun(first);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(9);
    expect(r.stdout).toContain('mutatingwebhookconfiguration.admissionregistration.k8s.io/distroless-init-webhook created (dry run)');
  });
});

describe('webhook manifests --cert-manager', () => {
  it('prints an Issuer and a Certificate, and lets cert-manager inject the CA', async () => {
    const r = await cli(['webhook', 'manifests', '--image', 'ghcr.io/example/distroless-init:0.1.0', '--cert-manager', '--failure-policy', 'Fail', '--timeout-seconds', '5']);
    expect(r.code, r.stderr).toBe(0);
    const objs = objects(r.stdout);
    expect(objs.some((o) => o.kind === 'Secret')).toBe(false);
    const cert = byKind(objs, 'Certificate') as unknown as { metadata: { name: string; namespace: string }; spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string; kind: string } } };
    const issuer = byKind(objs, 'Issuer') as unknown as { apiVersion: string; metadata: { name: string }; spec: unknown };
    expect(issuer.apiVersion).toBe('cert-manager.io/v1');
    expect(issuer.spec).toEqual({ selfSigned: {} });
    expect(cert.spec.issuerRef).toEqual({ kind: 'Issuer', name: issuer.metadata.name });
    expect(cert.spec.dnsNames).toContain('distroless-init-webhook.distroless-init.svc');
    const m = byKind(objs, 'MutatingWebhookConfiguration') as unknown as { metadata: { annotations: Record<string, string> }; webhooks: Record<string, any>[] };
    expect(m.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(`${cert.metadata.namespace}/${cert.metadata.name}`);
    expect(m.webhooks[0]!.clientConfig.caBundle).toBeUndefined();
    expect(m.webhooks[0]!).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 5 });
    const d = byKind(objs, 'Deployment') as unknown as { spec: { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[] } } } };
    expect(d.spec.template.spec.volumes.find((v) => v.name === 'tls')!.secret!.secretName).toBe(cert.spec.secretName);
    for (const o of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (Model) new Model(o as never).validate();
    }
    if (KUBECTL) {
      const k = await kubectlDryRun(r.stdout);
      expect(k.status, k.stderr).toBe(0);
      expect(k.stdout).toContain('certificate.cert-manager.io/distroless-init-webhook-tls created (dry run)');
    }
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['--image', 'x:1'],
      ['--image', 'x:1', '--cert-manager', '--tls-dir', '/tmp/x'],
      ['--image', 'x:1', '--cert-manager', '--namespace', 'Bad_NS'],
      ['--image', 'x:1', '--cert-manager', '--failure-policy', 'Sometimes'],
      ['--image', 'x:1', '--cert-manager', '--timeout-seconds', '31'],
      ['--cert-manager'],
    ]) {
      const r = await cli(['webhook', 'manifests', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
  });
});

describe('webhook serve (the bundled command, as a process)', () => {
  const built = existsSync(join(ROOT, 'dist', 'cli.cjs'));
  if (!built) console.log('webhook serve process test skipped: dist/cli.cjs is missing (npm run build; npm test builds first)');

  it.skipIf(!built)('listens, answers a review, logs JSON lines on stderr, and stops on SIGTERM with exit 0', async () => {
    const tls = testTls();
    const p = spawn(process.execPath, [BIN, 'webhook', 'serve', '--tls-cert', join(tls.dir, 'tls.crt'), '--tls-key', join(tls.dir, 'tls.key'), '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      p.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /"msg":"listening".*?"port":(\d+)/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      p.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    const body = JSON.stringify(admissionReview({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'db-' }, spec: { containers: [{ name: 'db', image: 'postgres:16.4' }] } }));
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/mutate', method: 'POST', ca: tls.caCert, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        let s = '';
        res.on('data', (d: Buffer) => (s += d.toString()));
        res.on('end', () => resolve(s));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(JSON.parse(answer).response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
    const code = await new Promise<number | null>((resolve) => {
      p.on('exit', (c) => resolve(c));
      p.kill('SIGTERM');
    });
    expect(code).toBe(0);
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.outcome === 'patched' && l.pod === 'db-*')).toBe(true);
    expect(lines.at(-1)?.msg).toBe('stopped');
  });

  it('refuses to start on a broken template directory or unreadable TLS files (exit 1, reason on stderr)', async () => {
    const tls = testTls();
    const bad = await cli(['webhook', 'serve', '--tls-cert', join(tls.dir, 'tls.crt'), '--tls-key', join(tls.dir, 'tls.key'), '--port', '0', '--host', '127.0.0.1', '--templates', join(ROOT, 'test', 'fixtures', 'templates-invalid')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('DI2003');
    const noCert = await cli(['webhook', 'serve', '--tls-cert', '/nonexistent/tls.crt', '--tls-key', join(tls.dir, 'tls.key')]);
    expect(noCert.code).toBe(1);
    expect(noCert.stderr).toMatch(/cannot read --tls-cert/);
    const notPem = await cli(['webhook', 'serve', '--tls-cert', join(ROOT, 'package.json'), '--tls-key', join(ROOT, 'package.json'), '--port', '0', '--host', '127.0.0.1']);
    expect(notPem.code).toBe(1);
    expect(notPem.stderr).toMatch(/cannot use the TLS certificate and key/);
    const usage = await cli(['webhook', 'serve', '--tls-cert', 'a', '--tls-key', 'b', '--port', 'http']);
    expect(usage.code).toBe(2);
  });
});

