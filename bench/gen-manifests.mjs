#!/usr/bin/env node
// Deterministic generator of realistic Helm-style manifest streams for the benchmark (issue 7).
//
//   node bench/gen-manifests.mjs -n N [--seed S] [--format stream|resourcelist] [-o FILE]
//
// Same N + seed => byte-identical output. No dependencies (node: built-ins only).
//
// Each document is emitted the way `helm template` does it:
//   ---
//   # Source: <chart>/templates/<file>.yaml
//   apiVersion: ...
// in a repeating group of 10: 1 Secret, 2 ConfigMaps, 3 Services, 3 Deployments, 1 StatefulSet
// (Helm's install order inside each group). Every 3rd workload runs an image the tool splits
// (postgres:16, postgres:17-alpine, docker.io/library/postgres:18, mysql:8.4, redis:7.4, in turn);
// the others run app images (ghcr.io/acme/<app>:<version>). Names are unique per kind, so the
// stream is also a valid kustomize resource file. A trailing partial group is cut at N documents.
//
// --format resourcelist writes the same documents as the items of a config.kubernetes.io/v1
// ResourceList (each item keeps its `# Source:` comment).

import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------
// PRNG: mulberry32, seeded from a 32-bit hash of the seed string.

function hashSeed(s) {
  let h = 2166136261 >>> 0;
  for (const ch of String(s)) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

function makeRng(seed) {
  let a = hashSeed(seed);
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    hex: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(next() * 16)];
      return s;
    },
    bytes: (n) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    alnum: (n) => {
      const cs = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
      let s = '';
      for (let i = 0; i < n; i++) s += cs[Math.floor(next() * cs.length)];
      return s;
    },
  };
  return r;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const CHARTS = [
  'shop', 'payments', 'identity', 'catalog', 'analytics', 'messaging', 'platform', 'search',
  'billing', 'media', 'inventory', 'notify', 'reporting', 'gateway', 'ledger', 'scheduler',
];
const COMPONENTS = [
  'api', 'web', 'worker', 'gateway', 'auth', 'search', 'notifier', 'scheduler', 'ingest',
  'reports', 'cart', 'checkout', 'media', 'exporter', 'frontend', 'backend', 'sync', 'events',
];
const STATEFUL_COMPONENTS = ['store', 'queue', 'cache', 'index', 'journal', 'state'];
const APP_VERSIONS = ['1.2.3', '1.4.0', '2.0.1', '2.3.7', '0.9.12', '3.1.0', '1.18.2', '4.0.0-rc.1'];
const DB_IMAGES = [
  { image: 'postgres:16', kind: 'postgres', dataPath: '/var/lib/postgresql/data', port: 5432 },
  { image: 'postgres:17-alpine', kind: 'postgres', dataPath: '/var/lib/postgresql/data', port: 5432 },
  { image: 'docker.io/library/postgres:18', kind: 'postgres', dataPath: '/var/lib/postgresql', port: 5432 },
  { image: 'mysql:8.4', kind: 'mysql', dataPath: '/var/lib/mysql', port: 3306 },
  { image: 'redis:7.4', kind: 'redis', dataPath: '/data', port: 6379 },
];
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

// ---------------------------------------------------------------------------------------------
// Helpers producing YAML text. `ind(n)` = n spaces.

const ind = (n) => ' '.repeat(n);

function labelsBlock(indent, { name, instance, chart, chartVersion, version, component, partOf }) {
  const p = ind(indent);
  return (
    `${p}helm.sh/chart: ${chart}-${chartVersion}\n` +
    `${p}app.kubernetes.io/name: ${name}\n` +
    `${p}app.kubernetes.io/instance: ${instance}\n` +
    `${p}app.kubernetes.io/version: "${version}"\n` +
    `${p}app.kubernetes.io/component: ${component}\n` +
    `${p}app.kubernetes.io/managed-by: Helm\n`
  );
}

function header(chart, file) {
  return `---\n# Source: ${chart}/templates/${file}\n`;
}

function pemCert(rng) {
  // ~800 base64 characters once the PEM text itself is base64-encoded.
  const body = rng.bytes(400).toString('base64');
  const lines = body.match(/.{1,64}/g).join('\n');
  const pem = `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
  return Buffer.from(pem).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Documents

function secretDoc(rng, g, ctx) {
  const { chart, fullname, meta } = ctx;
  const b64 = (s) => Buffer.from(s).toString('base64');
  return (
    header(chart, 'secret.yaml') +
    `apiVersion: v1\n` +
    `kind: Secret\n` +
    `metadata:\n` +
    `  name: ${fullname}-secrets\n` +
    `  labels:\n` +
    labelsBlock(4, { ...meta, name: chart, component: 'secrets' }) +
    `type: Opaque\n` +
    `data:\n` +
    `  # generated by the chart unless .Values.existingSecret is set\n` +
    `  postgres-password: ${b64(rng.alnum(24))}\n` +
    `  mysql-root-password: ${b64(rng.alnum(20))}\n` +
    `  redis-password: "${b64(rng.alnum(16))}"\n` +
    `  database-url: ${b64(`postgres://app:${rng.alnum(16)}@${fullname}-store:5432/app?sslmode=require`)}\n` +
    `  api-token: ${b64(rng.hex(40))}\n` +
    `  tls.crt: ${pemCert(rng)}\n`
  );
}

function configMapDoc(rng, g, ctx, which) {
  const { chart, fullname, meta } = ctx;
  const level = rng.pick(LOG_LEVELS);
  if (which === 0) {
    return (
      header(chart, 'configmap.yaml') +
      `apiVersion: v1\n` +
      `kind: ConfigMap\n` +
      `metadata:\n` +
      `  name: ${fullname}-config\n` +
      `  labels:\n` +
      labelsBlock(4, { ...meta, name: chart, component: 'config' }) +
      `data:\n` +
      `  LOG_LEVEL: "${level}"\n` +
      `  LOG_FORMAT: 'json'\n` +
      `  HTTP_PORT: "8080"\n` +
      `  METRICS_ENABLED: "true"\n` +
      `  CACHE_TTL: "300"   # seconds\n` +
      `  BUILD_ID: "${rng.int(1, 9)}${rng.hex(3)}e${rng.int(10000000, 99999999)}"\n` +
        `  FEATURE_FLAGS: 'search-v2,checkout-${rng.hex(4)},dark-mode'\n` +
      `  app.yaml: |\n` +
      `    server:\n` +
      `      port: 8080\n` +
      `      shutdownTimeout: 30s\n` +
      `    # upstreams are resolved through cluster DNS\n` +
      `    upstreams:\n` +
      `      - name: store\n` +
      `        url: http://${fullname}-store:8080\n` +
      `      - name: auth\n` +
      `        url: "http://${fullname}-auth:8080/v1"\n` +
      `    features:\n` +
      `      search: ${rng.chance(0.5)}\n` +
      `      retries: ${rng.int(1, 5)}\n`
    );
  }
  return (
    header(chart, 'configmap-scripts.yaml') +
    `apiVersion: v1\n` +
    `kind: ConfigMap\n` +
    `metadata:\n` +
    `  name: ${fullname}-scripts\n` +
    `  labels:\n` +
    labelsBlock(4, { ...meta, name: chart, component: 'scripts' }) +
    `  annotations:\n` +
    `    description: "Start-up and maintenance scripts"\n` +
    `data:\n` +
    `  entrypoint.sh: |-\n` +
    `    #!/bin/sh\n` +
    `    set -eu\n` +
    `    # wait for the database before starting\n` +
    `    until nc -z "\${DB_HOST:-${fullname}-store}" 5432; do\n` +
    `      echo "waiting for database"; sleep 2\n` +
    `    done\n` +
    `    exec "$@"\n` +
    `  cleanup.sh: |\n` +
    `    #!/bin/sh\n` +
    `    find /tmp -type f -mtime +${rng.int(1, 7)} -delete\n` +
    `  schedule: '*/${rng.int(5, 30)} * * * *'\n` +
    `  retention: "${rng.int(7, 90)}d"\n`
  );
}

function serviceDoc(rng, g, ctx, comp, i) {
  const { chart, fullname, meta } = ctx;
  const headless = i === 2 && rng.chance(0.3);
  return (
    header(chart, `${comp}-service.yaml`) +
    `apiVersion: v1\n` +
    `kind: Service\n` +
    `metadata:\n` +
    `  name: ${fullname}-${comp}\n` +
    `  labels:\n` +
    labelsBlock(4, { ...meta, name: comp, component: comp }) +
    (rng.chance(0.25)
      ? `  annotations:\n    prometheus.io/scrape: "true"\n    prometheus.io/port: "9090"\n`
      : '') +
    `spec:\n` +
    (headless ? `  clusterIP: None   # headless\n` : `  type: ClusterIP\n`) +
    `  ports:\n` +
    `    - name: http\n` +
    `      port: 80\n` +
    `      targetPort: http\n` +
    `    # metrics are scraped from a separate port\n` +
    `    - name: metrics\n` +
    `      port: 9090\n` +
    `      targetPort: metrics\n` +
    `  selector:\n` +
    `    app.kubernetes.io/name: ${comp}\n` +
    `    app.kubernetes.io/instance: ${meta.instance}\n`
  );
}

function probe(p, kind, what, db) {
  // p = indent of the probe key
  const q = ind(p + 2);
  let s = `${ind(p)}${kind}:\n`;
  if (db) {
    if (db.kind === 'postgres') s += `${q}exec:\n${q}  command: ["pg_isready", "-U", "app", "-d", "app"]\n`;
    else if (db.kind === 'mysql') s += `${q}exec:\n${q}  command: ['mysqladmin', 'ping', '-h', '127.0.0.1']\n`;
    else s += `${q}exec:\n${q}  command: ["redis-cli", "ping"]\n`;
  } else if (what === 'tcp') {
    s += `${q}tcpSocket:\n${q}  port: http\n`;
  } else {
    s += `${q}httpGet:\n${q}  path: ${kind === 'livenessProbe' ? '/healthz' : '/readyz'}\n${q}  port: http\n`;
  }
  s +=
    kind === 'livenessProbe'
      ? `${q}initialDelaySeconds: ${db ? 30 : 10}\n${q}periodSeconds: 10\n`
      : `${q}periodSeconds: 5\n`;
  return s;
}

function resources(p, rng, big) {
  const q = ind(p + 2);
  const cpuL = big ? rng.pick(['1', '2', '1500m']) : rng.pick(['250m', '500m', '1']);
  const memL = big ? rng.pick(['1Gi', '2Gi', '4Gi']) : rng.pick(['256Mi', '512Mi', '1Gi']);
  const cpuR = big ? rng.pick(['250m', '500m']) : rng.pick(['50m', '100m', '200m']);
  const memR = big ? rng.pick(['512Mi', '1Gi']) : rng.pick(['64Mi', '128Mi', '256Mi']);
  return (
    `${ind(p)}resources:\n` +
    `${q}limits:\n${q}  cpu: ${cpuL}\n${q}  memory: ${memL}\n` +
    `${q}requests:\n${q}  cpu: ${cpuR}\n${q}  memory: ${memR}\n`
  );
}

function containerSecurity(p, readOnly) {
  const q = ind(p + 2);
  return (
    `${ind(p)}securityContext:\n` +
    `${q}allowPrivilegeEscalation: false\n` +
    (readOnly ? `${q}readOnlyRootFilesystem: true\n` : `${q}readOnlyRootFilesystem: false   # the server writes its socket to /var/run\n`) +
    `${q}capabilities:\n` +
    `${q}  drop: ["ALL"]\n`
  );
}

// A container as a sequence item; p = indent of the `- ` dash.
function mainContainer(rng, p, ctx, w) {
  const { fullname } = ctx;
  const d = ind(p);
  const q = ind(p + 2);
  const db = w.db;
  let s = '';
  if (db) {
    s += `${d}- name: ${db.kind}\n`;
    s += `${q}image: ${rng.chance(0.5) ? db.image : `"${db.image}"`}\n`;
    s += `${q}imagePullPolicy: IfNotPresent\n`;
    if (db.kind === 'redis') s += `${q}args: ["--appendonly", "yes", "--requirepass", "$(REDIS_PASSWORD)"]\n`;
    s += `${q}ports:\n`;
    s += `${q}  - name: tcp-${db.kind}\n${q}    containerPort: ${db.port}\n${q}    protocol: TCP\n`;
    s += `${q}env:\n`;
    if (db.kind === 'postgres') {
      s += `${q}  - name: POSTGRES_USER\n${q}    value: app\n`;
      s += `${q}  - name: POSTGRES_DB\n${q}    value: 'app'\n`;
      s += `${q}  # the password comes from the chart's Secret\n`;
      s += `${q}  - name: POSTGRES_PASSWORD\n${q}    valueFrom:\n${q}      secretKeyRef:\n${q}        name: ${fullname}-secrets\n${q}        key: postgres-password\n`;
      if (db.dataPath.endsWith('/data')) s += `${q}  - name: PGDATA\n${q}    value: "${db.dataPath}/pgdata"\n`;
    } else if (db.kind === 'mysql') {
      s += `${q}  - name: MYSQL_DATABASE\n${q}    value: "app"\n`;
      s += `${q}  - name: MYSQL_ROOT_PASSWORD\n${q}    valueFrom:\n${q}      secretKeyRef:\n${q}        name: ${fullname}-secrets\n${q}        key: mysql-root-password\n`;
    } else {
      s += `${q}  - name: REDIS_PASSWORD\n${q}    valueFrom:\n${q}      secretKeyRef:\n${q}        name: ${fullname}-secrets\n${q}        key: redis-password\n`;
    }
    s += `${q}  - name: TZ\n${q}    value: UTC   # keep logs in UTC\n`;
    s += resources(p + 2, rng, true);
    s += probe(p + 2, 'livenessProbe', 'exec', db);
    s += probe(p + 2, 'readinessProbe', 'exec', db);
    s += containerSecurity(p + 2, false);
    s += `${q}volumeMounts:\n`;
    s += `${q}  - name: data\n${q}    mountPath: ${db.dataPath}\n`;
    s += `${q}  - name: run\n${q}    mountPath: /var/run\n`;
    return s;
  }
  const app = w.component;
  const version = w.version;
  s += `${d}- name: ${app}\n`;
  s += `${q}image: "ghcr.io/acme/${app}:${version}"\n`;
  if (rng.chance(0.3)) s += `${q}args: ["--port=8080", "--metrics-port=9090", "--log-format=json"]\n`;
  s += `${q}ports:\n`;
  s += `${q}  - name: http\n${q}    containerPort: 8080\n`;
  s += `${q}  - name: metrics   # Prometheus\n${q}    containerPort: 9090\n`;
  s += `${q}env:\n`;
  s += `${q}  - name: LOG_LEVEL\n${q}    value: "${rng.pick(LOG_LEVELS)}"\n`;
  s += `${q}  - name: DATABASE_URL\n${q}    valueFrom:\n${q}      secretKeyRef:\n${q}        name: ${fullname}-secrets\n${q}        key: database-url\n`;
  s += `${q}  - name: API_TOKEN\n${q}    valueFrom:\n${q}      secretKeyRef:\n${q}        name: ${fullname}-secrets\n${q}        key: api-token\n${q}        optional: true\n`;
  s += `${q}  # feature flags come from the ConfigMap below\n`;
  s += `${q}envFrom:\n`;
  s += `${q}  - configMapRef:\n${q}      name: ${fullname}-config\n`;
  s += `${q}  - secretRef:\n${q}      name: ${fullname}-secrets\n${q}      optional: true\n`;
  s += resources(p + 2, rng, false);
  s += probe(p + 2, 'livenessProbe', 'http');
  s += probe(p + 2, 'readinessProbe', rng.chance(0.3) ? 'tcp' : 'http');
  s += containerSecurity(p + 2, true);
  s += `${q}volumeMounts:\n`;
  s += `${q}  - name: config\n${q}    mountPath: /etc/${app}\n${q}    readOnly: true\n`;
  s += `${q}  - name: tmp\n${q}    mountPath: /tmp\n`;
  if (w.stateful) s += `${q}  - name: data\n${q}    mountPath: /var/lib/${app}\n`;
  if (w.sidecar) s += `${q}  - name: logs\n${q}    mountPath: /var/log/${app}\n`;
  return s;
}

function sidecarContainer(rng, p, w) {
  const d = ind(p);
  const q = ind(p + 2);
  return (
    `${d}# ships the application's log files\n` +
    `${d}- name: log-shipper\n` +
    `${q}image: 'fluent/fluent-bit:3.1.9'\n` +
    `${q}args: ['-c', '/fluent-bit/etc/fluent-bit.conf']\n` +
    `${q}resources:\n${q}  limits:\n${q}    memory: 64Mi\n${q}  requests:\n${q}    cpu: 10m\n${q}    memory: 32Mi\n` +
    containerSecurity(p + 2, true) +
    `${q}volumeMounts:\n` +
    `${q}  - name: logs\n${q}    mountPath: /var/log/${w.db ? w.db.kind : w.component}\n${q}    readOnly: true\n`
  );
}

function initContainer(rng, p, ctx, w) {
  const d = ind(p);
  const q = ind(p + 2);
  const target = w.db ? `${ctx.fullname}-backup` : `${ctx.fullname}-store`;
  return (
    `${d}- name: wait-for-deps\n` +
    `${q}image: "busybox:1.36"\n` +
    `${q}command: ['sh', '-c', 'until nc -z ${target} 8080; do echo waiting; sleep 2; done']\n` +
    `${q}resources:\n${q}  limits:\n${q}    cpu: 50m\n${q}    memory: 32Mi\n` +
    containerSecurity(p + 2, true)
  );
}

function workloadDoc(rng, g, ctx, w) {
  const { chart, fullname, meta } = ctx;
  const kind = w.stateful ? 'StatefulSet' : 'Deployment';
  const name = `${fullname}-${w.component}`;
  const labelName = w.component;
  let s =
    header(chart, `${w.component}-${w.stateful ? 'statefulset' : 'deployment'}.yaml`) +
    `apiVersion: apps/v1\n` +
    `kind: ${kind}\n` +
    `metadata:\n` +
    `  name: ${name}\n` +
    `  labels:\n` +
    labelsBlock(4, { ...meta, name: labelName, component: w.component, version: w.version }) +
    `spec:\n`;
  if (w.stateful) s += `  serviceName: ${name}-headless\n`;
  s += `  replicas: ${w.stateful ? rng.pick([1, 3]) : rng.int(1, 4)}\n`;
  s += `  selector:\n    matchLabels:\n      app.kubernetes.io/name: ${labelName}\n      app.kubernetes.io/instance: ${meta.instance}\n`;
  if (w.stateful) {
    s += `  updateStrategy:\n    type: RollingUpdate\n`;
  } else {
    s += `  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0   # never go below the desired count\n`;
  }
  s += `  template:\n`;
  s += `    metadata:\n`;
  s += `      annotations:\n`;
  s += `        checksum/config: ${rng.hex(64)}\n`;
  s += `        checksum/secret: ${rng.hex(64)}\n`;
  s += `      labels:\n`;
  s += `        app.kubernetes.io/name: ${labelName}\n`;
  s += `        app.kubernetes.io/instance: ${meta.instance}\n`;
  s += `        app.kubernetes.io/component: ${w.component}\n`;
  s += `    spec:\n`;
  s += `      serviceAccountName: ${fullname}\n`;
  s += `      securityContext:\n`;
  s += `        runAsNonRoot: true\n`;
  s += `        runAsUser: ${w.db ? 999 : 10001}\n`;
  s += `        fsGroup: ${w.db ? 999 : 10001}\n`;
  s += `        seccompProfile:\n          type: RuntimeDefault\n`;
  if (rng.chance(0.2)) {
    s += `      # spread replicas over nodes\n`;
    s += `      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n`;
    s += `            - weight: 100\n              podAffinityTerm:\n                topologyKey: kubernetes.io/hostname\n`;
    s += `                labelSelector:\n                  matchLabels:\n                    app.kubernetes.io/name: ${labelName}\n`;
  }
  if (w.init) {
    s += `      initContainers:\n`;
    s += initContainer(rng, 8, ctx, w);
  }
  s += `      containers:\n`;
  s += mainContainer(rng, 8, ctx, w);
  if (w.sidecar) s += sidecarContainer(rng, 8, w);
  s += `      volumes:\n`;
  if (w.db) {
    s += `        - name: run\n          emptyDir: {}\n`;
    if (!w.stateful) s += `        - name: data\n          persistentVolumeClaim:\n            claimName: ${name}-data\n`;
  } else {
    s += `        - name: config\n          configMap:\n            name: ${fullname}-config\n            defaultMode: 420\n`;
    s += `        - name: tmp\n          emptyDir:\n            sizeLimit: 256Mi\n`;
  }
  if (w.sidecar) s += `        - name: logs\n          emptyDir: {}\n`;
  if (w.stateful) {
    s += `  volumeClaimTemplates:\n`;
    s += `    - metadata:\n        name: data\n        labels:\n          app.kubernetes.io/name: ${labelName}\n`;
    s += `      spec:\n        accessModes: ["ReadWriteOnce"]\n`;
    s += `        storageClassName: "standard"\n`;
    s += `        resources:\n          requests:\n            storage: ${rng.pick(['1Gi', '8Gi', '20Gi', '100Gi'])}\n`;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------

export function generateDocuments(n, seed = '1') {
  const rng = makeRng(seed);
  const docs = [];
  let workloadIndex = 0;
  let dbIndex = 0;
  for (let g = 0; docs.length < n; g++) {
    const chart = CHARTS[g % CHARTS.length];
    const fullname = `${chart}-${String(g).padStart(4, '0')}`;
    const meta = {
      instance: fullname,
      chart,
      chartVersion: `${rng.int(0, 3)}.${rng.int(0, 20)}.${rng.int(0, 9)}`,
      version: rng.pick(APP_VERSIONS),
      partOf: chart,
    };
    const ctx = { chart, fullname, meta };
    // three distinct components for the Deployments, one for the StatefulSet
    const comps = [];
    while (comps.length < 3) {
      const c = rng.pick(COMPONENTS);
      if (!comps.includes(c)) comps.push(c);
    }
    const workloads = [];
    for (let i = 0; i < 4; i++) {
      const stateful = i === 3;
      const isDb = workloadIndex++ % 3 === 2;
      const db = isDb ? DB_IMAGES[dbIndex++ % DB_IMAGES.length] : null;
      const component = stateful ? (db ? db.kind : rng.pick(STATEFUL_COMPONENTS)) : comps[i];
      workloads.push({
        stateful,
        db,
        component: db && !stateful ? `${comps[i]}-${db.kind}` : component,
        version: rng.pick(APP_VERSIONS),
        init: rng.chance(0.25),
        sidecar: rng.chance(0.3),
      });
    }
    const group = [
      () => secretDoc(rng, g, ctx),
      () => configMapDoc(rng, g, ctx, 0),
      () => configMapDoc(rng, g, ctx, 1),
      () => serviceDoc(rng, g, ctx, comps[0], 0),
      () => serviceDoc(rng, g, ctx, comps[1], 1),
      () => serviceDoc(rng, g, ctx, comps[2], 2),
      () => workloadDoc(rng, g, ctx, workloads[0]),
      () => workloadDoc(rng, g, ctx, workloads[1]),
      () => workloadDoc(rng, g, ctx, workloads[2]),
      () => workloadDoc(rng, g, ctx, workloads[3]),
    ];
    for (const make of group) {
      if (docs.length >= n) break;
      docs.push(make());
    }
  }
  return docs;
}

export function generate(n, { seed = '1', format = 'stream' } = {}) {
  const docs = generateDocuments(n, seed);
  if (format === 'stream') return docs.join('');
  if (format === 'resourcelist') {
    let out = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n';
    if (docs.length === 0) return out.replace('items:\n', 'items: []\n');
    for (const d of docs) {
      // drop the leading `---\n`, indent each line by 2 and put the first one behind `- `.
      const body = d.slice(4).replace(/\n$/, '');
      out += body
        .split('\n')
        .map((line, i) => (i === 0 ? `- ${line}` : line === '' ? '' : `  ${line}`))
        .join('\n');
      out += '\n';
    }
    return out;
  }
  throw new Error(`unknown --format ${format} (stream|resourcelist)`);
}

function usage(code) {
  const msg =
    'usage: node bench/gen-manifests.mjs -n N [--seed S] [--format stream|resourcelist] [-o FILE]\n';
  (code ? process.stderr : process.stdout).write(msg);
  process.exit(code);
}

function main(argv) {
  let n = 100;
  let seed = '1';
  let format = 'stream';
  let out = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(2);
      return argv[++i];
    };
    if (a === '-n' || a === '--count') n = Number(val());
    else if (a === '--seed') seed = val();
    else if (a === '--format') format = val();
    else if (a === '-o' || a === '--output') out = val();
    else if (a === '-h' || a === '--help') usage(0);
    else usage(2);
  }
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`gen-manifests: -n must be a non-negative integer\n`);
    process.exit(2);
  }
  if (format !== 'stream' && format !== 'resourcelist') usage(2);
  const text = generate(n, { seed, format });
  if (out && out !== '-') writeFileSync(out, text);
  else {
    process.stdout.on('error', (e) => {
      if (e.code === 'EPIPE') process.exit(0); // reader went away (e.g. `| head`)
      throw e;
    });
    process.stdout.write(text);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
