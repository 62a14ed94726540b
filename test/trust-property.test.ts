/**
 * Issue 11, "make the whole class impossible": property tests over the shapes
 * real files use, for Kubernetes (every pod-bearing kind) and Compose:
 * explicit securityContexts (container and pod level) and Compose confinement
 * keys, non-default ports, envFrom / env_file, merge keys, floating tags, a
 * user PGDATA inside / outside / without a volume, `_FILE` secrets, shell
 * probes and healthchecks, `depends_on: service_healthy`.
 *
 * Every generated input must come out as either
 * - a correct rewrite: every rule of test/trust-invariants.ts holds, a second
 *   run changes nothing, and every known image left unsplit says why loudly; or
 * - a loud refusal: an error with a code documented in docs/errors.md, and the
 *   CLI writes nothing (exit 1).
 * And no diagnostic that means "this output will not work" is an info.
 *
 * Runs are bounded (NUM_RUNS) and seeded: FC_SEED=<n> reproduces a run, the
 * seed in use is printed. A failure prints the shrunk input: make it a named
 * fixture (test/fixtures/manifests/trust-*, test/fixtures/compose/trust-*).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { transformCompose } from '../src/adapters/compose.js';
import { loadCatalogue } from '../src/catalogue/load.js';
import { transformManifests } from '../src/core/pipeline.js';
import { CODES } from '../src/shared/diagnostics.js';
import { cli, ROOT } from './helpers.js';
import { composeTextViolations, manifestTextViolations } from './trust-invariants.js';

const SEED = Number(process.env.FC_SEED ?? 20261104);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 150);
console.log(`trust properties: fast-check seed ${SEED}, ${NUM_RUNS} runs each (FC_SEED=<n> FC_RUNS=<n> to change)`);

const { catalogue } = loadCatalogue();
const DOCUMENTED = new Set([...readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8').matchAll(/^## (DI\d{4}) /gm)].map((m) => m[1]!));
/** Info codes that say what was done and mean the output works as it is. Any other info is a bug in the severity table. */
const BENIGN_INFO = new Set(['DI3001', 'DI3002', 'DI3003', 'DI3012', 'DI3019', 'DI4001', 'DI6006', 'DI6009']);

/* ------------------------------------------------------------------ image families */

interface Family {
  images: string[];
  /** Where a user mounts the data volume (the image's data path and its neighbours). */
  mounts: string[];
  /** A non-default port and the server arguments that set it. */
  port: number;
  portArgs: string[][];
  /** A shell probe / CMD-SHELL healthcheck as users write them, for a port (undefined: the default). */
  probe: (port: number | undefined) => string;
  initOnly: string[];
  fileEnv?: string;
  pgdata?: string[];
}

const FAMILIES: Record<string, Family> = {
  postgres: {
    images: ['postgres:16.4', 'postgres:14-alpine', 'postgres:17.2-bookworm', 'postgres:18', 'postgres', 'postgres:latest', 'postgres:alpine', `postgres@sha256:${'b'.repeat(64)}`, 'docker.io/library/postgres:15'],
    mounts: ['/var/lib/postgresql/data', '/var/lib/postgresql', '/var/lib/postgresql/data/pgdata'],
    port: 5433,
    portArgs: [['-c', 'port=5433'], ['postgres', '-c', 'port=5433'], ['-p', '5433']],
    probe: (p) => `pg_isready -U app${p ? ` -p ${p}` : ''}`,
    initOnly: ['POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_DB'],
    fileEnv: 'POSTGRES_PASSWORD_FILE',
    pgdata: ['/var/lib/postgresql/data/pgdata', '/pgdata', '/var/lib/postgresql/data', '/var/lib/postgresql/17/docker'],
  },
  redis: {
    images: ['redis:7.2', 'redis:8-alpine', 'redis', 'redis:alpine'],
    mounts: ['/data'],
    port: 6380,
    portArgs: [['--port', '6380'], ['redis-server', '--port', '6380', '--appendonly', 'yes']],
    probe: (p) => `redis-cli${p ? ` -p ${p}` : ''} ping`,
    initOnly: [],
  },
  mariadb: {
    images: ['mariadb:11.4', 'mariadb:lts', 'mariadb:10.11'],
    mounts: ['/var/lib/mysql'],
    port: 3307,
    portArgs: [['--port=3307'], ['mariadbd', '--port', '3307']],
    probe: (p) => `mariadb-admin ping -h 127.0.0.1${p ? ` --port=${p}` : ''}`,
    initOnly: ['MARIADB_ROOT_PASSWORD', 'MARIADB_DATABASE', 'MYSQL_PASSWORD'],
    fileEnv: 'MARIADB_ROOT_PASSWORD_FILE',
  },
  mysql: {
    images: ['mysql:8.4', 'mysql:9.1'],
    mounts: ['/var/lib/mysql'],
    port: 3307,
    portArgs: [['--port=3307']],
    probe: (p) => `mysqladmin ping -h 127.0.0.1${p ? ` --port=${p}` : ''}`,
    initOnly: ['MYSQL_ROOT_PASSWORD', 'MYSQL_DATABASE'],
    fileEnv: 'MYSQL_ROOT_PASSWORD_FILE',
  },
  mongo: {
    images: ['mongo:7.0', 'mongo:8'],
    mounts: ['/data/db'],
    port: 27018,
    portArgs: [['--port', '27018']],
    probe: (p) => `mongosh --quiet${p ? ` --port ${p}` : ''} --eval "db.adminCommand('ping')"`,
    initOnly: ['MONGO_INITDB_ROOT_USERNAME', 'MONGO_INITDB_ROOT_PASSWORD'],
    fileEnv: 'MONGO_INITDB_ROOT_PASSWORD_FILE',
  },
  nginx: {
    images: ['nginx:1.27', 'nginx:alpine', 'nginx:1.27-alpine'],
    mounts: [],
    port: 8080,
    portArgs: [],
    probe: (p) => `curl -fs http://127.0.0.1:${p ?? 80}/`,
    initOnly: [],
  },
};
const FAMILY_NAMES = Object.keys(FAMILIES);

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });

/** One server container as a user writes it, independent of the format. */
const server = fc.constantFrom(...FAMILY_NAMES).chain((family) => {
  const f = FAMILIES[family]!;
  return fc.record({
    family: fc.constant(family),
    image: fc.constantFrom(...f.images),
    /** index into portArgs, or -1: the default port */
    portArgs: f.portArgs.length ? fc.integer({ min: -1, max: f.portArgs.length - 1 }) : fc.constant(-1),
    /** postgres: the port set by PGPORT instead of an argument */
    portEnv: fc.boolean().map((b) => b && family === 'postgres'),
    /** how the server is started: args only, the entrypoint named in command, or the server named in command */
    commandStyle: fc.constantFrom('args', 'entrypoint', 'server'),
    /** the data volume: none, or at one of the family's paths */
    mount: f.mounts.length ? fc.option(fc.constantFrom(...f.mounts), { nil: undefined }) : fc.constant(undefined),
    pgdata: f.pgdata ? opt(fc.constantFrom(...f.pgdata)) : fc.constant(undefined),
    initOnly: fc.subarray(f.initOnly),
    fileSecret: fc.boolean().map((b) => b && f.fileEnv !== undefined),
    extraEnv: fc.subarray(['TZ=UTC', 'LANG=C.UTF-8']),
    probe: fc.constantFrom('none', 'shell', 'exec-shell', 'tcp'),
    envMerge: fc.boolean(),
    envFrom: fc.subarray(['secret', 'configMap'] as const),
    /** Kubernetes ports / Compose ports */
    declarePort: fc.boolean(),
    extraPort: fc.boolean(),
  });
});
type Server = typeof server extends fc.Arbitrary<infer T> ? T : never;

const portOf = (s: Server): number | undefined => (s.portArgs >= 0 || s.portEnv ? FAMILIES[s.family]!.port : undefined);
const SERVER_BIN: Record<string, string> = { postgres: 'postgres', redis: 'redis-server', mariadb: 'mariadbd', mysql: 'mysqld', mongo: 'mongod', nginx: 'nginx' };

/** The server's argv as `command` and `args` (Kubernetes) / `entrypoint` and `command` (Compose). */
function invocation(s: Server): { command?: string[]; args?: string[] } {
  const f = FAMILIES[s.family]!;
  const args = s.portArgs >= 0 ? f.portArgs[s.portArgs]!.filter((a) => a !== SERVER_BIN[s.family]) : [];
  if (s.commandStyle === 'entrypoint') return { command: ['docker-entrypoint.sh'], args: [SERVER_BIN[s.family]!, ...args] };
  if (s.commandStyle === 'server' && s.family !== 'nginx') return { command: [SERVER_BIN[s.family]!], ...(args.length ? { args } : {}) };
  return s.portArgs >= 0 ? { args: f.portArgs[s.portArgs]! } : {};
}
const DEFAULT_PORT: Record<string, number> = { postgres: 5432, redis: 6379, mariadb: 3306, mysql: 3306, mongo: 27017, nginx: 80 };

/** Env entries as name → value (undefined: from a secret). */
function envOf(s: Server): [string, string | undefined][] {
  const f = FAMILIES[s.family]!;
  const out: [string, string | undefined][] = [];
  for (const n of s.initOnly) out.push([n, n.includes('PASSWORD') ? undefined : 'app']);
  if (s.fileSecret) out.push([f.fileEnv!, '/run/secrets/db-password']);
  if (s.pgdata !== undefined) out.push(['PGDATA', s.pgdata]);
  if (s.portEnv) out.push(['PGPORT', String(f.port)]);
  for (const e of s.extraEnv) out.push(e.split('=') as [string, string]);
  return out;
}

/* ------------------------------------------------------------------ Kubernetes */

const capList = fc.constantFrom(['ALL'], ['all'], ['NET_RAW'], ['ALL', 'NET_RAW']);
const addList = fc.constantFrom(['CHOWN', 'SETUID', 'SETGID'], ['NET_BIND_SERVICE'], ['cap_chown', 'CAP_FOWNER'], ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);
const seccomp = fc.constantFrom({ type: 'RuntimeDefault' }, { type: 'Localhost', localhostProfile: 'profiles/db.json' }, { type: 'Unconfined' });
const appArmor = fc.constantFrom({ type: 'RuntimeDefault' }, { type: 'Localhost', localhostProfile: 'k8s-db' });
const seLinux = fc.constant({ level: 's0:c123,c456' });

const containerSec = fc
  .record(
    {
      runAsUser: fc.constantFrom(0, 999, 1000, 70),
      runAsGroup: fc.constantFrom(0, 999, 1000),
      runAsNonRoot: fc.boolean(),
      allowPrivilegeEscalation: fc.boolean(),
      readOnlyRootFilesystem: fc.boolean(),
      privileged: fc.boolean(),
      capabilities: fc.record({ drop: capList, add: addList }, { requiredKeys: [] }),
      seccompProfile: seccomp,
      seLinuxOptions: seLinux,
      appArmorProfile: appArmor,
    },
    { requiredKeys: [] },
  )
  // what the API server accepts: not privileged beside allowPrivilegeEscalation: false
  .map((s) => (s.privileged && s.allowPrivilegeEscalation === false ? { ...s, allowPrivilegeEscalation: true } : s));

const podSec = fc.record(
  {
    runAsUser: fc.constantFrom(0, 999, 1000),
    runAsGroup: fc.constantFrom(999, 1000),
    runAsNonRoot: fc.boolean(),
    fsGroup: fc.constantFrom(999, 2000),
    seccompProfile: seccomp,
    seLinuxOptions: seLinux,
    appArmorProfile: appArmor,
  },
  { requiredKeys: [] },
);

const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];
const API: Record<string, string> = { Pod: 'v1', ReplicationController: 'v1', Job: 'batch/v1', CronJob: 'batch/v1' };

const kubeWorkload = fc.record({
  kind: fc.constantFrom(...KINDS),
  server,
  sec: opt(containerSec),
  podSec: opt(podSec),
  /** the whole container through `<<: *base` (image and name in the anchor) */
  containerMerge: fc.boolean(),
  /** StatefulSet: the data volume as a volumeClaimTemplate */
  claimTemplate: fc.boolean(),
  volumeKind: fc.constantFrom('pvc', 'emptyDir', 'hostPath'),
  sidecar: fc.boolean(),
  hostNetwork: fc.boolean(),
  /** an init container of the user's own, maybe with the name the split would take */
  userInit: opt(fc.constantFrom('db-init', 'migrate')),
  preStop: fc.boolean(),
  /** the workload inside a `kind: List` (kubectl get -o yaml) */
  list: fc.boolean(),
});
type KubeWorkload = typeof kubeWorkload extends fc.Arbitrary<infer T> ? T : never;

const MERGE = '__merge__';

function kubeText(w: KubeWorkload): string {
  const s = w.server;
  const f = FAMILIES[s.family]!;
  const port = portOf(s);
  const c: Record<string, unknown> = {};
  if (!w.containerMerge) Object.assign(c, { name: 'db', image: s.image });
  else c[MERGE] = '*base';
  Object.assign(c, invocation(s));
  const env = envOf(s).map(([name, value]) => (value === undefined ? { name, valueFrom: { secretKeyRef: { name: 'db', key: name.toLowerCase() } } } : { name, value }));
  if (env.length) {
    c.env = env;
    // an env item written through a merge key (kubectl reads it)
    if (s.envMerge) (c.env as Record<string, unknown>[])[0] = { [MERGE]: `{name: ${env[0]!.name}}`, ...Object.fromEntries(Object.entries(env[0]!).filter(([k]) => k !== 'name')) };
  }
  if (s.envFrom.length) c.envFrom = s.envFrom.map((k) => (k === 'secret' ? { secretRef: { name: 'db-env' } } : { configMapRef: { name: 'db-settings' } }));
  // the server's port, and maybe a metrics port beside it
  if (s.declarePort) c.ports = [{ containerPort: port ?? DEFAULT_PORT[s.family]!, name: 'server' }, ...(s.extraPort ? [{ containerPort: 9187, name: 'metrics' }] : [])];
  const mounts: Record<string, unknown>[] = [];
  if (s.mount) mounts.push({ name: 'data', mountPath: s.mount });
  if (s.fileSecret) mounts.push({ name: 'db-secret', mountPath: '/run/secrets', readOnly: true });
  if (mounts.length) c.volumeMounts = mounts;
  const probe = s.probe;
  if (probe === 'shell') c.readinessProbe = { exec: { command: ['sh', '-c', f.probe(port)] }, periodSeconds: 5 };
  if (probe === 'exec-shell') c.livenessProbe = { exec: { command: ['/bin/bash', '-ec', f.probe(port)] }, failureThreshold: 3 };
  if (probe === 'tcp') c.livenessProbe = { tcpSocket: { port: port ?? DEFAULT_PORT[s.family]! } };
  if (w.sec) c.securityContext = w.sec;
  if (w.preStop) c.lifecycle = { preStop: { exec: { command: ['sh', '-c', 'sleep 5'] } } };
  const spec: Record<string, unknown> = { containers: [c] };
  if (w.userInit) spec.initContainers = [{ name: w.userInit, image: 'busybox:1.36', command: ['sh', '-c', 'chown -R 999 /data'], ...(s.mount ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}) }];
  if (w.sidecar) (spec.containers as unknown[]).push({ name: 'exporter', image: 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0' });
  if (w.podSec) spec.securityContext = w.podSec;
  if (w.hostNetwork) spec.hostNetwork = true;
  const volumes: Record<string, unknown>[] = [];
  const claim = w.kind === 'StatefulSet' && w.claimTemplate && s.mount;
  if (s.mount && !claim) {
    volumes.push(
      w.volumeKind === 'pvc' ? { name: 'data', persistentVolumeClaim: { claimName: 'db-data' } } : w.volumeKind === 'hostPath' ? { name: 'data', hostPath: { path: '/srv/db' } } : { name: 'data', emptyDir: {} },
    );
  }
  if (s.fileSecret) volumes.push({ name: 'db-secret', secret: { secretName: 'db' } });
  if (volumes.length) spec.volumes = volumes;
  const meta = { name: 'db' };
  const template = { metadata: { labels: { app: 'db' } }, spec };
  let obj: Record<string, unknown>;
  if (w.kind === 'Pod') obj = { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
  else if (w.kind === 'CronJob') obj = { apiVersion: API.CronJob, kind: w.kind, metadata: meta, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } } };
  else {
    obj = { apiVersion: API[w.kind] ?? 'apps/v1', kind: w.kind, metadata: meta, spec: { selector: { matchLabels: { app: 'db' } }, template } };
    if (claim) (obj.spec as Record<string, unknown>).volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }];
  }
  const base = w.containerMerge ? `x-base: &base {name: db, image: "${s.image}"}\n` : '';
  if (w.list && !w.containerMerge) obj = { apiVersion: 'v1', kind: 'List', items: [obj] };
  return base + withMergeKeys(stringify(obj, { lineWidth: 0 }));
}

/** `__merge__: "*base"` → `<<: *base`, `__merge__: "{name: X}"` → `<<: {name: X}`. */
function withMergeKeys(text: string): string {
  return text.replace(new RegExp(`${MERGE}: (?:"|')?([^"'\\n]+)(?:"|')?`, 'g'), '<<: $1');
}

/** The containers of a pod-bearing document (kubectl's view: merge keys resolved). */
function containersOf(text: string): Record<string, unknown>[] {
  let obj = parseAllDocuments(text, { merge: true }).map((d) => d.toJS() as Record<string, unknown>).find((o) => o && typeof o.kind === 'string')!;
  if (obj.kind === 'List') obj = (obj.items as Record<string, unknown>[])[0]!;
  let node: unknown = obj;
  const path = obj.kind === 'Pod' ? ['spec'] : obj.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
  for (const k of path) node = (node as Record<string, unknown>)[k];
  return ((node as Record<string, unknown>).containers ?? []) as Record<string, unknown>[];
}

interface Diag {
  code: string;
  severity: string;
  message: string;
}

/** The properties every run holds, whatever the format. */
function commonChecks(diagnostics: readonly Diag[]): void {
  for (const d of diagnostics) {
    expect(DOCUMENTED.has(d.code), `${d.code} is documented in docs/errors.md`).toBe(true);
    // a diagnostic may be raised above its table severity (DI4007 that cannot be fixed is an error), never lowered to info
    if (CODES[d.code as keyof typeof CODES].severity !== 'info') expect(d.severity, `${d.code} is not lowered to info`).not.toBe('info');
    if (d.severity === 'info') expect(BENIGN_INFO.has(d.code), `info ${d.code} (${d.message}) must say nothing is wrong`).toBe(true);
  }
}

describe('trust properties: Kubernetes shapes', () => {
  it('every generated workload is a correct rewrite or a loud refusal', async () => {
    await fc.assert(
      fc.asyncProperty(kubeWorkload, async (w) => {
        const input = kubeText(w);
        const r = transformManifests(input, { catalogue });
        commonChecks(r.diagnostics);
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length) {
          // a refusal: the CLI writes nothing and exits 1
          const run = await cli(['--output-format', 'json'], input);
          expect(run.code).toBe(1);
          expect(run.stdout).toBe('');
          return;
        }
        expect(manifestTextViolations(input, r.output, r.diagnostics)).toEqual([]);
        for (const d of parseAllDocuments(r.output)) expect(d.errors).toEqual([]);
        const again = transformManifests(r.output, { catalogue });
        expect(again.output).toBe(r.output);
        // a catalogue image left unsplit says why, loudly
        const after = containersOf(r.output).find((c) => c.name === 'db');
        if (after?.image === w.server.image) {
          const why = r.diagnostics.filter((d) => d.severity !== 'info' && d.message.includes('"db"'));
          expect(why.map((d) => d.code), 'a loud reason for leaving db unsplit').not.toEqual([]);
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});

/* ------------------------------------------------------------------ Compose */

const composeService = fc.record({
  server,
  user: opt(fc.constantFrom('0', 'root', '999:999', '1000', 'postgres', '70:70')),
  capDrop: opt(fc.constantFrom<unknown>(['ALL'], ['all'], 'ALL', ['NET_RAW'])),
  capAdd: opt(fc.constantFrom(['CHOWN', 'SETUID', 'SETGID'], ['NET_BIND_SERVICE'], ['cap_chown'], ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'])),
  securityOpt: opt(fc.subarray(['no-new-privileges:true', 'no-new-privileges:false', 'seccomp=unconfined', 'seccomp=./db-seccomp.json', 'label=type:container_t', 'apparmor=docker-default'], { minLength: 1 })),
  readOnly: opt(fc.boolean()),
  privileged: opt(fc.boolean()),
  tmpfs: opt(fc.constantFrom<unknown>(['/tmp'], '/tmp', ['/var/run/postgresql'], 'data')),
  /** these keys are written in the `<<: *common` part instead of the service */
  inCommon: fc.subarray(['user', 'cap_drop', 'cap_add', 'security_opt', 'read_only', 'privileged', 'environment', 'healthcheck', 'volumes'] as const),
  /** a second service written the same way (both split: names must not collide) */
  twin: fc.boolean(),
  /** names the split would take are already used: a service `db-init`, a volume `db-data` */
  taken: fc.boolean(),
  stringCommand: fc.boolean(),
  networkMode: opt(fc.constantFrom('host', 'bridge', 'service:vpn')),
  sysctls: opt(fc.constantFrom<unknown>({ 'net.core.somaxconn': 1024 }, ['net.core.somaxconn=1024'])),
  envList: fc.boolean(),
  envFile: opt(fc.constantFrom<unknown>('.env', ['db.env'])),
  volumeForm: fc.constantFrom('named', 'bind', 'long'),
  healthcheck: fc.constantFrom('none', 'cmd-shell', 'string', 'cmd-exec'),
  dependent: fc.constantFrom('none', 'service_healthy', 'service_started', 'list'),
  /** the service's common keys through `<<: *common` */
  serviceMerge: fc.boolean(),
  ports: fc.boolean(),
});
type ComposeService = typeof composeService extends fc.Arbitrary<infer T> ? T : never;

function composeText(g: ComposeService): string {
  const s = g.server;
  const f = FAMILIES[s.family]!;
  const port = portOf(s);
  const svc: Record<string, unknown> = {};
  if (g.serviceMerge) svc[MERGE] = '*common';
  svc.image = s.image;
  const inv = invocation(s);
  if (inv.command) svc.entrypoint = inv.command;
  if (inv.args) svc.command = g.stringCommand ? inv.args.join(' ') : inv.args;
  if (!g.serviceMerge) svc.restart = 'unless-stopped';
  if (g.user !== undefined) svc.user = g.user;
  if (g.capDrop !== undefined) svc.cap_drop = g.capDrop;
  if (g.capAdd !== undefined) svc.cap_add = g.capAdd;
  if (g.securityOpt !== undefined) svc.security_opt = g.securityOpt;
  if (g.readOnly !== undefined) svc.read_only = g.readOnly;
  if (g.privileged !== undefined) svc.privileged = g.privileged;
  // CI files keep a throw-away database on a tmpfs at the data path
  // (not beside a volume at the same path: Docker refuses the user's file then)
  if (g.networkMode !== undefined) svc.network_mode = g.networkMode;
  if (g.sysctls !== undefined) svc.sysctls = g.sysctls;
  if (g.tmpfs !== undefined) svc.tmpfs = g.tmpfs === 'data' ? [(!s.mount && FAMILIES[s.family]!.mounts[0]) || '/tmp'] : g.tmpfs;
  const env = envOf(s).map(([k, v]) => [k, v ?? 'example'] as const);
  const envMerge = s.envMerge && env.length > 0;
  if (env.length) {
    if (g.envList && !envMerge) svc.environment = env.map(([k, v]) => `${k}=${v}`);
    else svc.environment = Object.fromEntries(envMerge ? env.slice(1) : env);
    if (envMerge) svc.environment = { [MERGE]: '*env', ...(svc.environment as Record<string, string>) };
  }
  if (g.envFile !== undefined) svc.env_file = g.envFile;
  if (s.fileSecret) svc.secrets = ['db-password'];
  if (s.mount) {
    svc.volumes = [g.volumeForm === 'named' ? `dbdata:${s.mount}` : g.volumeForm === 'bind' ? `./data:${s.mount}` : { type: 'volume', source: 'dbdata', target: s.mount }];
  }
  if (g.ports) svc.ports = [`${port ?? DEFAULT_PORT[s.family]}:${port ?? DEFAULT_PORT[s.family]}`];
  if (g.healthcheck === 'cmd-shell') svc.healthcheck = { test: ['CMD-SHELL', f.probe(port)], interval: '5s' };
  if (g.healthcheck === 'string') svc.healthcheck = { test: f.probe(port), interval: '5s' };
  if (g.healthcheck === 'cmd-exec') svc.healthcheck = { test: ['CMD', ...f.probe(port).split(' ')], interval: '5s' };
  const app: Record<string, unknown> = { image: 'ghcr.io/acme/app:1.0' };
  if (g.dependent === 'list') app.depends_on = ['db'];
  // (a dependent waits for health only where there is a healthcheck: the input works)
  else if (g.dependent !== 'none') app.depends_on = { db: { condition: g.healthcheck === 'none' ? 'service_started' : g.dependent } };
  const services: Record<string, unknown> = { app, db: svc };
  if (g.twin) services.replica = { ...svc, ...(Array.isArray(svc.volumes) ? { volumes: (svc.volumes as unknown[]).map((v) => (typeof v === 'string' ? v.replace(/^(dbdata|\.\/data):/, '$1-replica:') : { ...(v as object), source: 'dbdata-replica' })) } : {}) };
  if (g.taken) services['db-init'] = { image: 'ghcr.io/acme/migrate:1.0', volumes: ['db-data:/srv'] };
  const root: Record<string, unknown> = { services };
  const top: Record<string, unknown> = {};
  if (g.taken) top['db-data'] = {};
  if (g.twin && s.mount && g.volumeForm !== 'bind') top['dbdata-replica'] = {};
  if (s.mount && g.volumeForm !== 'bind') top.dbdata = {};
  if (Object.keys(top).length) root.volumes = top;
  if (s.fileSecret) root.secrets = { 'db-password': { file: './db-password.txt' } };
  // keys that live in the merged part (the service's own keys win over them, as Compose reads it)
  const common: Record<string, unknown> = { restart: 'unless-stopped', logging: { driver: 'json-file' } };
  if (g.serviceMerge) {
    for (const k of g.inCommon) {
      if (svc[k] === undefined || (k === 'environment' && envMerge)) continue;
      common[k] = svc[k];
      delete svc[k];
    }
  }
  const head = [
    g.serviceMerge ? `x-common: &common\n${stringify(common, { lineWidth: 0 }).replace(/^/gm, '  ').trimEnd()}\n` : '',
    envMerge ? `x-env: &env\n  ${env[0]![0]}: "${env[0]![1]}"\n` : '',
  ].join('');
  return head + withMergeKeys(stringify(root, { lineWidth: 0 }));
}

describe('trust properties: Compose shapes', () => {
  it('every generated project is a correct rewrite or a loud refusal', async () => {
    await fc.assert(
      fc.asyncProperty(composeService, async (g) => {
        const input = composeText(g);
        const r = transformCompose(input, { catalogue });
        commonChecks(r.diagnostics);
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length) {
          const run = await cli(['compose', '-f', '-', '--output-format', 'json'], input);
          expect(run.code).toBe(1);
          expect(run.stdout).toBe('');
          return;
        }
        expect(composeTextViolations(input, r.output, r.diagnostics)).toEqual([]);
        const again = transformCompose(r.output, { catalogue });
        expect(again.output).toBe(r.output);
        const after = (parseAllDocuments(r.output, { merge: true })[0]!.toJS() as { services: Record<string, { image?: string }> }).services;
        if (after.db?.image === g.server.image) {
          const why = r.diagnostics.filter((d) => d.severity !== 'info' && d.message.includes('"db"'));
          expect(why.map((d) => d.code), 'a loud reason for leaving db unsplit').not.toEqual([]);
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});

/* ------------------------------------------------------------------ the shapes the properties found */

describe('shapes the properties found (named fixtures; the Kubernetes ones are goldens too)', () => {
  const compose = (name: string): string => readFileSync(join(ROOT, 'test', 'fixtures', 'compose', name, 'input.yaml'), 'utf8');
  it('Compose: a data directory on a tmpfs is left unchanged, loudly (DI3023), and the rest is split', () => {
    const r = transformCompose(compose('trust-data-on-tmpfs'), { catalogue });
    expect(r.diagnostics.filter((d) => d.code === 'DI3023').map((d) => d.severity)).toEqual(['warning', 'warning']);
    const out = parseAllDocuments(r.output, { merge: true })[0]!.toJS() as { services: Record<string, { image: string }> };
    expect(out.services.db!.image).toBe('postgres:16.4');
    expect(out.services['test-db']!.image).toBe('mariadb:11.4');
    expect(out.services.cache!.image).toBe('redis:7.2-distroless');
  });
  it('Compose: seccomp=unconfined and user: root are overridden on main with warnings naming them', () => {
    const r = transformCompose(compose('trust-seccomp-unconfined'), { catalogue });
    expect(r.diagnostics.some((d) => d.code === 'DI3017' && d.severity === 'warning' && d.message.includes('Unconfined'))).toBe(true);
    expect(r.diagnostics.some((d) => d.code === 'DI3013' && d.severity === 'warning' && d.message.includes('root'))).toBe(true);
    const out = parseAllDocuments(r.output)[0]!.toJS() as { services: Record<string, { security_opt: string[]; user: string }> };
    expect(out.services.db!.security_opt).toEqual(['apparmor=docker-default', 'no-new-privileges:true']);
    expect(out.services.db!.user).toBe('999:999');
    expect(out.services['db-init']!.security_opt).toContain('seccomp=unconfined');
  });
});
