/**
 * What `distroless-init webhook manifests` prints: everything needed to run the
 * admission webhook in a cluster, as plain objects (the command writes them as
 * YAML). The webhook mutates **Pods** only, at CREATE: a Deployment, a
 * StatefulSet or a CronJob stays exactly as Git (Argo CD, Flux) and Helm wrote
 * it, so GitOps tools see no drift and do not fight the webhook; the split
 * happens on the pods their controllers create, whoever owns the chart.
 *
 * Opt-in: only namespaces labelled `distroless-init.io/webhook: enabled` are
 * sent to the webhook; a pod labelled `distroless-init.io/webhook: disabled`
 * is not sent (the `distroless-init.io/skip: "true"` annotation also works, it
 * is read by the pipeline itself). `failurePolicy: Ignore` by default: if the
 * webhook is down, pods are created unchanged rather than not at all.
 */
import { serviceDnsNames } from './tls.js';

export const OPT_IN_LABEL = 'distroless-init.io/webhook';
export const WEBHOOK_NAME = 'pods.webhook.distroless-init.io';
const TEMPLATES_DIR = '/etc/distroless-init/templates';
const CONFIG_DIR = '/etc/distroless-init/config';
const TLS_DIR = '/etc/distroless-init/tls';

export interface ManifestOptions {
  namespace: string;
  /** The image that runs `distroless-init` (its entrypoint must be the distroless-init command). */
  image: string;
  /** Base name of every object. Default `distroless-init-webhook`. */
  name?: string;
  replicas?: number;
  failurePolicy?: 'Ignore' | 'Fail';
  /** The API server's timeout for one call, 1–30 s. Default 10. */
  timeoutSeconds?: number;
  /** TLS: cert-manager objects, or a CA + serving certificate made by the caller. */
  tls: { certManager: true } | { certManager: false; caCert: string; cert: string; key: string };
}

type Obj = Record<string, unknown>;

export function webhookManifests(o: ManifestOptions): Obj[] {
  const name = o.name ?? 'distroless-init-webhook';
  const ns = o.namespace;
  const labels = { 'app.kubernetes.io/name': 'distroless-init-webhook', 'app.kubernetes.io/instance': name };
  const meta = (n: string, extra: Obj = {}): Obj => ({ name: n, namespace: ns, labels, ...extra });
  const secretName = `${name}-tls`;
  const timeoutSeconds = o.timeoutSeconds ?? 10;
  // the server's budget: a little under the API server's, so that the answer (or a 408) arrives first
  const serverTimeoutMs = Math.max(500, timeoutSeconds * 1000 - 1000);
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const out: Obj[] = [];

  out.push({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns,
      labels: {
        ...labels,
        // the webhook's own pods are never sent to it: this namespace has no opt-in label
        'pod-security.kubernetes.io/enforce': 'restricted',
      },
    },
  });
  out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name), automountServiceAccountToken: false });
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(`${name}-templates`),
    // one key per template file (`<name>.yaml`), as `--templates DIR` reads them; edits are picked up without a restart
    data: {},
  });
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(`${name}-config`),
    data: {
      'config.yaml': [
        'apiVersion: distroless-init.io/v1alpha1',
        'kind: DistrolessInit',
        'metadata:',
        '  name: webhook',
        'spec: {}',
        '# spec:',
        '#   images: {postgres: registry.example.com/postgres:16-distroless}',
        '#   security: {readOnlyRootFilesystem: false}',
        '#   mirrors: [harbor.example.com/dockerhub]',
        '',
      ].join('\n'),
    },
  });

  if (o.tls.certManager) {
    out.push({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: meta(`${name}-selfsigned`), spec: { selfSigned: {} } });
    out.push({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: meta(secretName),
      spec: {
        secretName,
        dnsNames: serviceDnsNames(name, ns),
        issuerRef: { kind: 'Issuer', name: `${name}-selfsigned` },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        duration: '8760h',
        renewBefore: '720h',
      },
    });
  } else {
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(secretName),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(o.tls.cert), 'tls.key': b64(o.tls.key), 'ca.crt': b64(o.tls.caCert) },
    });
  }

  out.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      replicas: o.replicas ?? 2,
      revisionHistoryLimit: 5,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: { 'distroless-init.io/skip': 'true' } },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            // the TLS Secret's files (mode 0440) belong to this group
            fsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } },
          ],
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'webhook',
              image: o.image,
              args: [
                'webhook', 'serve',
                '--tls-cert', `${TLS_DIR}/tls.crt`,
                '--tls-key', `${TLS_DIR}/tls.key`,
                '--port', '8443',
                '--templates', TEMPLATES_DIR,
                '--config', `${CONFIG_DIR}/config.yaml`,
                '--timeout-ms', String(serverTimeoutMs),
              ],
              ports: [{ name: 'https', containerPort: 8443, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' }, periodSeconds: 5, failureThreshold: 2 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'https', scheme: 'HTTPS' }, periodSeconds: 10, failureThreshold: 3 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'tls', mountPath: TLS_DIR, readOnly: true },
                { name: 'templates', mountPath: TEMPLATES_DIR, readOnly: true },
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'tls', secret: { secretName, defaultMode: 0o440 } },
            { name: 'templates', configMap: { name: `${name}-templates` } },
            { name: 'config', configMap: { name: `${name}-config` } },
          ],
        },
      },
    },
  });
  out.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }] },
  });
  out.push({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(name), spec: { minAvailable: 1, selector: { matchLabels: labels } } });
  out.push({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name,
      labels,
      ...(o.tls.certManager ? { annotations: { 'cert-manager.io/inject-ca-from': `${ns}/${secretName}` } } : {}),
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        clientConfig: {
          service: { namespace: ns, name, path: '/mutate', port: 443 },
          ...(o.tls.certManager ? {} : { caBundle: b64(o.tls.caCert) }),
        },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        failurePolicy: o.failurePolicy ?? 'Ignore',
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        timeoutSeconds,
        reinvocationPolicy: 'IfNeeded',
        namespaceSelector: {
          matchLabels: { [OPT_IN_LABEL]: 'enabled' },
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set([ns, 'kube-system'])] }],
        },
        objectSelector: { matchExpressions: [{ key: OPT_IN_LABEL, operator: 'NotIn', values: ['disabled'] }] },
      },
    ],
  });
  return out;
}
