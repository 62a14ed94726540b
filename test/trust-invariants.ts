/**
 * The rules of issue 11, written from the rules (README "Security rules" and
 * "Where the data goes"), not from the planner's code: the test suite runs
 * them on every output it produces (goldens, property tests, corpus, front
 * doors). Each takes the input and the output as plain objects and returns
 * the broken rules as strings (empty: all hold), so a test shows them all.
 */

import { untouchedTextViolations } from './format-invariants.js';

type Obj = Record<string, unknown>;
interface Diag {
  code: string;
  severity?: string;
  message: string;
  resource?: { name?: string };
}

/** Env names only the initialisation reads, per image (the official images' docs), and their `_FILE` forms. */
const INIT_ONLY: Record<string, RegExp> = {
  postgres: /^POSTGRES_(PASSWORD|USER|DB|INITDB_ARGS|INITDB_WALDIR|HOST_AUTH_METHOD)(_FILE)?$/,
  mysql: /^MYSQL_(ROOT_PASSWORD|PASSWORD|USER|DATABASE|ALLOW_EMPTY_PASSWORD|RANDOM_ROOT_PASSWORD|ONETIME_PASSWORD|ROOT_HOST)(_FILE)?$/,
  mariadb: /^(MARIADB|MYSQL)_(ROOT_PASSWORD|PASSWORD|USER|DATABASE|ALLOW_EMPTY_ROOT_PASSWORD|RANDOM_ROOT_PASSWORD|ROOT_HOST)(_HASH)?(_FILE)?$/,
  mongo: /^MONGO_INITDB_[A-Z_]+$/,
};

/** Where each image keeps its data when the workload does not say (official images; postgres ≥ 18 keeps it under /var/lib/postgresql). */
function dataDir(image: string, env: Map<string, string>): string | undefined {
  const name = repo(image);
  if (name === 'postgres') return env.get('PGDATA') ?? (/^(1[89]|[2-9]\d)/.test(tag(image)) ? '/var/lib/postgresql' : '/var/lib/postgresql/data');
  if (name === 'mysql' || name === 'mariadb') return '/var/lib/mysql';
  if (name === 'mongo') return '/data/db';
  if (name === 'redis') return '/data';
  return undefined;
}

function repo(image: string): string {
  const path = image.split('@')[0]!.replace(/:[^/:]*$/, '');
  return path.slice(path.lastIndexOf('/') + 1);
}

function tag(image: string): string {
  const m = /:([^/:@]+)(@|$)/.exec(image);
  return m?.[1] ?? 'latest';
}

const RUNTIME_DEFAULT_CAPS = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];

function capsOf(drop: unknown, add: unknown, privileged: unknown): Set<string> | 'all' {
  if (privileged === true) return 'all';
  const norm = (v: unknown): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).map((x) => String(x).toUpperCase().replace(/^CAP_/, ''));
  const d = new Set(norm(drop));
  const a = norm(add);
  if (a.includes('ALL')) return 'all';
  return new Set([...(d.has('ALL') ? [] : RUNTIME_DEFAULT_CAPS.filter((c) => !d.has(c))), ...a]);
}

function subsetCaps(inner: Set<string> | 'all', outer: Set<string> | 'all'): string[] {
  if (outer === 'all') return [];
  if (inner === 'all') return ['ALL'];
  return [...inner].filter((c) => !outer.has(c));
}

const covers = (mount: string, dir: string): boolean => dir === mount || dir.startsWith(`${mount.replace(/\/$/, '')}/`);

/* ------------------------------------------------------------------ Kubernetes */

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: unknown; valueFrom?: unknown }[];
  envFrom?: unknown[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  ports?: { containerPort?: number }[];
  securityContext?: Obj;
  readinessProbe?: Obj;
  livenessProbe?: Obj;
  startupProbe?: Obj;
}

function podSpec(obj: Obj): Obj | undefined {
  const kind = obj.kind;
  let node: unknown = obj;
  const path = kind === 'Pod' ? ['spec'] : kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
  for (const k of path) node = (node as Obj | undefined)?.[k];
  return node && typeof node === 'object' ? (node as Obj) : undefined;
}

function workloads(obj: unknown): Obj[] {
  if (!obj || typeof obj !== 'object') return [];
  const o = obj as Obj;
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) return o.items.flatMap(workloads);
  return podSpec(o) ? [o] : [];
}

function keyOfWorkload(o: Obj): string {
  const meta = (o.metadata ?? {}) as Obj;
  return `${String(o.kind)}/${String(meta.namespace ?? '')}/${String(meta.name ?? '')}`;
}

export interface KubeCheckOptions {
  /** `--security` switches given to the run (`{ runAsNonRoot: false }`). */
  hardening?: Record<string, boolean>;
}

/** Checks every split container of every workload in `output` against its container in `input`. */
export function kubeTrustViolations(input: unknown[], output: unknown[], diagnostics: readonly Diag[], options: KubeCheckOptions = {}): string[] {
  const problems: string[] = [];
  const before = new Map(input.flatMap(workloads).map((w) => [keyOfWorkload(w), w]));
  const h = { runAsNonRoot: true, readOnlyRootFilesystem: true, noPrivilegeEscalation: true, ...options.hardening };
  for (const w of output.flatMap(workloads)) {
    const src = before.get(keyOfWorkload(w));
    const spec = podSpec(w)!;
    const srcSpec = src ? podSpec(src) : undefined;
    if (!srcSpec) continue;
    const containers = (spec.containers ?? []) as Container[];
    const inits = (spec.initContainers ?? []) as Container[];
    const srcContainers = (srcSpec.containers ?? []) as Container[];
    const srcInits = new Set(((srcSpec.initContainers ?? []) as Container[]).map((c) => c.name));
    const podSec = (spec.securityContext ?? {}) as Obj;
    const claims = new Set(((w.spec as Obj | undefined)?.volumeClaimTemplates as { metadata?: { name?: string } }[] | undefined)?.map((c) => c.metadata?.name) ?? []);
    const pvcs = new Set(((spec.volumes ?? []) as Obj[]).filter((v) => v.persistentVolumeClaim || v.hostPath || v.nfs).map((v) => String(v.name)));
    for (const main of containers) {
      const orig = srcContainers.find((c) => c.name === main.name);
      if (!orig || orig.image === main.image) continue; // not split
      const where = `${keyOfWorkload(w)} container ${main.name}`;
      const init = inits.find((c) => !srcInits.has(c.name) && c.image === orig.image && c.name.startsWith(`${main.name}-init`));
      const family = repo(orig.image);
      const mainEnv = new Map((main.env ?? []).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value as string]));
      // data: on a volume mounted at the same path in init and main, the user's own where they had one
      const dir = dataDir(orig.image, mainEnv);
      if (dir && init) {
        const m = (main.volumeMounts ?? []).filter((x) => !x.readOnly && covers(x.mountPath, dir)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
        if (!m) problems.push(`${where}: data directory ${dir} is on no volume of main`);
        else {
          if (!(init.volumeMounts ?? []).some((x) => x.name === m.name && x.mountPath === m.mountPath)) problems.push(`${where}: data volume ${m.name} at ${m.mountPath} is not mounted at the same path in ${init.name}`);
          const userVolumes = (orig.volumeMounts ?? []).filter((x) => !x.readOnly && (pvcs.has(x.name) || claims.has(x.name)));
          if (userVolumes.length && !userVolumes.some((x) => x.name === m.name)) problems.push(`${where}: data directory ${dir} is on ${m.name}, not on the user's volume (${userVolumes.map((x) => x.name).join(', ')})`);
        }
      }
      // no init-only variable on main, by any route
      const initOnly = INIT_ONLY[family];
      if (initOnly) {
        for (const e of main.env ?? []) if (initOnly.test(e.name)) problems.push(`${where}: init-only ${e.name} reaches main`);
        if ((main.envFrom ?? []).length && !diagnostics.some((d) => d.code === 'DI4005' && d.message.includes(`"${main.name}"`))) {
          problems.push(`${where}: main imports env wholesale (envFrom) and no DI4005 says init-only keys may reach it`);
        }
      }
      // main's securityContext is what the report says
      const sec = (main.securityContext ?? {}) as Obj;
      const reported = diagnostics.find((d) => d.code === 'DI3012' && d.message.includes(`container "${main.name}"`) && d.message.includes(main.image));
      const said = reported && /as (\d+):(\d+)$/.exec(reported.message);
      if (said && (sec.runAsUser !== Number(said[1]) || sec.runAsGroup !== Number(said[2]))) problems.push(`${where}: reported ${said[1]}:${said[2]}, securityContext says ${String(sec.runAsUser)}:${String(sec.runAsGroup)}`);
      if (h.runAsNonRoot && sec.runAsNonRoot !== true) problems.push(`${where}: main runAsNonRoot is ${String(sec.runAsNonRoot)}`);
      if (h.noPrivilegeEscalation && sec.allowPrivilegeEscalation !== false) problems.push(`${where}: main allowPrivilegeEscalation is ${String(sec.allowPrivilegeEscalation)}`);
      if (h.readOnlyRootFilesystem && sec.readOnlyRootFilesystem !== true) problems.push(`${where}: main readOnlyRootFilesystem is ${String(sec.readOnlyRootFilesystem)}`);
      if (sec.privileged === true && sec.allowPrivilegeEscalation === false) problems.push(`${where}: privileged beside allowPrivilegeEscalation: false (the API rejects it)`);
      // rewritten probes target a port the container declares
      const declared = (main.ports ?? []).map((p) => p.containerPort).filter((p): p is number => typeof p === 'number');
      if (declared.length) {
        for (const role of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
          const p = main[role] as Obj | undefined;
          if (!p || JSON.stringify(p) === JSON.stringify(orig[role])) continue;
          const port = (p.tcpSocket as Obj | undefined)?.port ?? (p.httpGet as Obj | undefined)?.port ?? execPort(((p.exec as Obj | undefined)?.command as string[] | undefined) ?? [], family);
          if (port !== undefined && !declared.includes(Number(port))) problems.push(`${where}: ${role} targets port ${String(port)}, the container declares ${declared.join(', ')}`);
        }
      }
      // the init is no less confined than the user's container
      if (init) {
        const own = (orig.securityContext ?? {}) as Obj;
        const is = (init.securityContext ?? {}) as Obj;
        const ownCaps = (own.capabilities ?? {}) as Obj;
        const initCaps = (is.capabilities ?? {}) as Obj;
        const extra = subsetCaps(capsOf(initCaps.drop, initCaps.add, is.privileged), capsOf(ownCaps.drop, ownCaps.add, own.privileged));
        if (extra.length) problems.push(`${where}: ${init.name} has capabilities the container did not: ${extra.join(', ')}`);
        if (is.privileged === true && own.privileged !== true) problems.push(`${where}: ${init.name} is privileged`);
        if (is.allowPrivilegeEscalation !== false && own.allowPrivilegeEscalation === false) problems.push(`${where}: ${init.name} may escalate privileges`);
        if (own.readOnlyRootFilesystem === true && is.readOnlyRootFilesystem !== true) problems.push(`${where}: ${init.name} lost readOnlyRootFilesystem`);
        for (const k of ['seccompProfile', 'seLinuxOptions', 'appArmorProfile', 'windowsOptions', 'procMount']) {
          if (own[k] !== undefined && JSON.stringify(is[k]) !== JSON.stringify(own[k])) problems.push(`${where}: ${init.name} changed ${k}`);
        }
        const nonRoot = own.runAsNonRoot ?? podSec.runAsNonRoot;
        if (nonRoot === true && (is.runAsUser === 0 || is.runAsNonRoot === false)) problems.push(`${where}: ${init.name} runs as root although the container forbids it`);
      }
    }
  }
  return problems;
}

/** The port an exec check aims at (`-p 5433`, `--port=3307`), or the client's default, or undefined. */
function execPort(argv: readonly string[], family: string): number | undefined {
  const bin = (argv[0] ?? '').slice((argv[0] ?? '').lastIndexOf('/') + 1);
  const defaults: Record<string, number> = { pg_isready: 5432, 'redis-cli': 6379, mysqladmin: 3306, 'mariadb-admin': 3306 };
  if (!(bin in defaults)) return undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-p' || a === '--port' || a === '-P') && argv[i + 1]) return Number(argv[i + 1]);
    if (a.startsWith('--port=')) return Number(a.slice(7));
  }
  void family;
  return defaults[bin];
}

/* ------------------------------------------------------------------ Compose */

/** Checks a rewritten Compose project against its input. */
export function composeTrustViolations(input: Obj, output: Obj, diagnostics: readonly Diag[]): string[] {
  const problems: string[] = [];
  const services = (output.services ?? {}) as Record<string, Obj>;
  const srcServices = (input.services ?? {}) as Record<string, Obj>;
  // every service_healthy dependency points at a service with a healthcheck
  for (const [name, svc] of Object.entries(services)) {
    const deps = svc.depends_on;
    if (!deps || Array.isArray(deps) || typeof deps !== 'object') continue;
    for (const [dep, cond] of Object.entries(deps as Record<string, Obj | null>)) {
      if (cond?.condition !== 'service_healthy') continue;
      const hc = services[dep]?.healthcheck as Obj | undefined;
      if (!hc || hc.disable === true || (Array.isArray(hc.test) && hc.test[0] === 'NONE')) problems.push(`service ${name} waits for ${dep} to be healthy, and ${dep} has no healthcheck`);
      else if (Array.isArray(hc.test) && hc.test[0] === 'CMD-SHELL' && services[dep]?.labels) problems.push(`service ${dep}'s healthcheck needs a shell`);
    }
  }
  for (const [name, main] of Object.entries(services)) {
    const orig = srcServices[name];
    const initName = Object.keys(services).find((n) => labelsOf(services[n]!)['distroless-init.io/init-of'] === name);
    if (!orig || !initName || orig.image === main.image) continue;
    const init = services[initName]!;
    const where = `service ${name}`;
    // init-only env
    const initOnly = INIT_ONLY[repo(String(orig.image))];
    if (initOnly) for (const k of envNames(main.environment)) if (initOnly.test(k)) problems.push(`${where}: init-only ${k} reaches main`);
    // the init no less confined than the service
    const extra = subsetCaps(capsOf(init.cap_drop, init.cap_add, init.privileged), capsOf(orig.cap_drop, orig.cap_add, orig.privileged));
    if (extra.length) problems.push(`${where}: ${initName} has capabilities the service did not: ${extra.join(', ')}`);
    if (init.privileged === true && orig.privileged !== true) problems.push(`${where}: ${initName} is privileged`);
    const opts = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
    for (const o of opts(orig.security_opt)) if (!/^no-new-privileges/.test(o) && !opts(init.security_opt).includes(o)) problems.push(`${where}: ${initName} lost security_opt ${o}`);
    if (opts(orig.security_opt).some((o) => /^no-new-privileges(:true)?$/.test(o)) && !opts(init.security_opt).some((o) => /^no-new-privileges(:true)?$/.test(o))) problems.push(`${where}: ${initName} lost no-new-privileges`);
    if (orig.read_only === true && init.read_only !== true) problems.push(`${where}: ${initName} lost read_only`);
    if (orig.pids_limit !== undefined && init.pids_limit !== orig.pids_limit) problems.push(`${where}: ${initName} lost pids_limit`);
    // main as reported
    const reported = diagnostics.find((d) => d.code === 'DI3012' && d.message.includes(`container "${name}"`));
    const said = reported && /as (\d+):(\d+)$/.exec(reported.message);
    if (said && String(main.user) !== `${said[1]}:${said[2]}`) problems.push(`${where}: reported ${said[1]}:${said[2]}, user is ${String(main.user)}`);
    if (main.privileged === true) problems.push(`${where}: main is privileged`);
    // data on a volume both mount
    const env = new Map(envEntries(main.environment));
    const dir = dataDir(String(orig.image), env);
    if (dir) {
      const mounts = (svc: Obj): [string, string][] => (Array.isArray(svc.volumes) ? svc.volumes : []).map((v) => (typeof v === 'string' ? (v.split(':') as [string, string]) : [String((v as Obj).source ?? ''), String((v as Obj).target ?? '')]));
      const m = mounts(main).filter(([, t]) => covers(t, dir)).sort((a, b) => b[1].length - a[1].length)[0];
      if (!m) problems.push(`${where}: data directory ${dir} is on no volume of main`);
      else if (!mounts(init).some(([s, t]) => s === m[0] && t === m[1])) problems.push(`${where}: data volume ${m[0]} is not mounted at ${m[1]} in ${initName}`);
      const userVols = mounts(orig).filter(([s]) => s !== '');
      if (userVols.length && m && !userVols.some(([s]) => s === m[0])) problems.push(`${where}: data is on ${m[0]}, not on the user's volume`);
    }
  }
  return problems;
}

function labelsOf(svc: Obj): Record<string, string> {
  const l = svc.labels;
  if (Array.isArray(l)) return Object.fromEntries(l.map((s) => String(s).split('=') as [string, string]));
  return (l ?? {}) as Record<string, string>;
}

function envEntries(v: unknown): [string, string][] {
  if (Array.isArray(v)) return v.map((s) => String(s)).map((s) => [s.split('=')[0]!, s.slice(s.indexOf('=') + 1)]);
  if (v && typeof v === 'object') return Object.entries(v as Obj).map(([k, x]) => [k, String(x ?? '')]);
  return [];
}

function envNames(v: unknown): string[] {
  return envEntries(v).map(([k]) => k);
}

/* ------------------------------------------------------------------ text front */

import { parseAllDocuments } from 'yaml';

function docsOf(text: string): unknown[] {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return [JSON.parse(text)];
    } catch {
      return [];
    }
  }
  return parseAllDocuments(text, { merge: true }).map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);
}

/** The `--security KEY=false` switches of a command line. */
export function hardeningOf(args: readonly string[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  args.forEach((a, i) => {
    const v = a === '--security' ? args[i + 1] : a.startsWith('--security=') ? a.slice(11) : undefined;
    const m = v && /^\s*(\w+)\s*=\s*(true|false)\s*$/.exec(v);
    if (m) out[m[1]!] = m[2] === 'true';
  });
  return out;
}

/** The rules over a pipe-filter run: its input and output texts and its `--output-format json` diagnostics. */
export function manifestTextViolations(input: string, output: string, diagnostics: readonly Diag[], args: readonly string[] = []): string[] {
  if (!output) return [];
  return [...kubeTrustViolations(docsOf(input), docsOf(output), diagnostics, { hardening: hardeningOf(args) }), ...untouchedTextViolations(input, output)];
}

/** The rules over a Compose run. */
export function composeTextViolations(input: string, output: string, diagnostics: readonly Diag[]): string[] {
  if (!output || output === input) return [];
  const [a] = docsOf(input);
  const [b] = docsOf(output);
  return [...composeTrustViolations((a ?? {}) as Obj, (b ?? {}) as Obj, diagnostics), ...untouchedTextViolations(input, output)];
}
