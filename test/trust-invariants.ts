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

/**
 * The postgres series an image runs: its tag's major version; a floating tag
 * (`postgres`, `:latest`, `:alpine`, a digest only) is today's latest, 18.
 */
function pgMajor(image: string): number {
  const m = /^(\d+)/.exec(tag(image));
  return m ? Number(m[1]) : 18;
}

/** The image's own data path (its VOLUME; official images; postgres ≥ 18 keeps it under /var/lib/postgresql). */
function imageDataPath(image: string): string | undefined {
  const name = repo(image);
  if (name === 'postgres') return pgMajor(image) >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
  if (name === 'mysql' || name === 'mariadb') return '/var/lib/mysql';
  if (name === 'mongo') return '/data/db';
  if (name === 'redis') return '/data';
  return undefined;
}

/** Where each image keeps its data: the workload's PGDATA, else the image's own default. */
function dataDir(image: string, env: Map<string, string>): string | undefined {
  if (repo(image) === 'postgres') return env.get('PGDATA') ?? (pgMajor(image) >= 18 ? `/var/lib/postgresql/${pgMajor(image)}/docker` : '/var/lib/postgresql/data');
  return imageDataPath(image);
}

function repo(image: string): string {
  const path = image.split('@')[0]!.replace(/:[^/:]*$/, '');
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The tag (`latest` when there is none; a digest is not a tag). */
function tag(image: string): string {
  const m = /:([^/:@]+)$/.exec(image.split('@')[0]!);
  return m?.[1] ?? 'latest';
}

/**
 * The port the server listens on when its arguments or environment set one
 * (the servers' own documentation: postgres `-c port=N`, `-p N`, `PGPORT`;
 * redis `--port N`; mysqld/mariadbd `--port=N`, `-P N`, `MYSQL_TCP_PORT`; mongod `--port N`).
 */
function serverPort(family: string, argv: readonly string[], env: Map<string, string>): number | undefined {
  const num = (v: string | undefined): number | undefined => (v !== undefined && /^\s*\d{1,5}\s*$/.test(v) ? Number(v) : undefined);
  let port: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (family === 'postgres') {
      if (a === '-c' && next && /^port\s*=/.test(next)) port = num(next.split('=')[1]) ?? port;
      else if (a.startsWith('-cport=')) port = num(a.slice(7)) ?? port;
      else if (a === '-p') port = num(next) ?? port;
      else if (a.startsWith('--port=')) port = num(a.slice(7)) ?? port;
    } else if (family === 'redis' || family === 'mongo') {
      if (a === '--port') port = num(next) ?? port;
      else if (a.startsWith('--port=')) port = num(a.slice(7)) ?? port;
    } else if (family === 'mysql' || family === 'mariadb') {
      if (a === '--port' || a === '-P') port = num(next) ?? port;
      else if (a.startsWith('--port=')) port = num(a.slice(7)) ?? port;
    }
  }
  if (port !== undefined) return port;
  if (family === 'postgres') return num(env.get('PGPORT'));
  if (family === 'mysql' || family === 'mariadb') return num(env.get('MYSQL_TCP_PORT'));
  return undefined;
}

/** The server's arguments as written: Kubernetes `command` + `args`, minus an entrypoint and the server's own name. */
function serverArgv(command: unknown, args: unknown): string[] {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : []);
  const all = [...list(command), ...list(args)];
  return all.filter((a) => !/(^|\/)(docker-entrypoint(\.sh)?|postgres|redis-server|mysqld|mariadbd|mongod)$/.test(a));
}

/** The default port of each family's server. */
const DEFAULT_PORT: Record<string, number> = { postgres: 5432, redis: 6379, mysql: 3306, mariadb: 3306, mongo: 27017, nginx: 80, httpd: 80, memcached: 11211 };

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
  command?: unknown;
  args?: unknown;
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
  const h = { runAsNonRoot: true, readOnlyRootFilesystem: true, noPrivilegeEscalation: true, dropAllCapabilities: true, seccompRuntimeDefault: true, ...options.hardening };
  const loud = (d: Diag): boolean => d.severity === 'warning' || d.severity === 'error';
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
    const srcPodSec = (srcSpec.securityContext ?? {}) as Obj;
    // a container's effective setting: its own, else the pod's (Kubernetes: runAsUser, runAsGroup, runAsNonRoot, seccompProfile, seLinuxOptions, appArmorProfile)
    const eff = (c: Container, pod: Obj, k: string): unknown => ((c.securityContext ?? {}) as Obj)[k] ?? pod[k];
    // the user's volumes that can hold data (a ConfigMap, Secret, downward API or projected volume is read-only)
    const readOnlyKinds = ['configMap', 'secret', 'downwardAPI', 'projected'];
    const writableVolumes = new Set([
      ...((srcSpec.volumes ?? []) as Obj[]).filter((v) => !readOnlyKinds.some((k) => v[k] !== undefined)).map((v) => String(v.name)),
      ...(((src!.spec as Obj | undefined)?.volumeClaimTemplates as { metadata?: { name?: string } }[] | undefined) ?? []).map((c) => String(c.metadata?.name)),
    ]);
    for (const main of containers) {
      const orig = srcContainers.find((c) => c.name === main.name);
      if (!orig || orig.image === main.image) continue; // not split
      const where = `${keyOfWorkload(w)} container ${main.name}`;
      const init = inits.find((c) => !srcInits.has(c.name) && c.image === orig.image && c.name.startsWith(`${main.name}-init`));
      const family = repo(orig.image);
      const said = (code: string | string[], ...words: string[]): boolean =>
        diagnostics.some((d) => loud(d) && ([] as string[]).concat(code).includes(d.code) && d.message.includes(`"${main.name}"`) && words.every((x) => x.split('|').some((alt) => d.message.includes(alt))));
      const values = (c: Container): Map<string, string> => new Map((c.env ?? []).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value as string]));
      const mainEnv = values(main);
      const origEnv = values(orig);
      // data: on a volume mounted at the same path in init and main, the user's own where they had one
      const dir = dataDir(orig.image, mainEnv);
      if (dir) {
        const m = (main.volumeMounts ?? []).filter((x) => !x.readOnly && covers(x.mountPath, dir)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
        if (!m) problems.push(`${where}: data directory ${dir} is on no volume of main`);
        else {
          if (init && !(init.volumeMounts ?? []).some((x) => x.name === m.name && x.mountPath === m.mountPath)) problems.push(`${where}: data volume ${m.name} at ${m.mountPath} is not mounted at the same path in ${init.name}`);
          // the user's data volume: one at or above the data directory they name (or the image's), or at or inside the image's data path
          const origDir = dataDir(orig.image, origEnv)!;
          const imagePath = imageDataPath(orig.image)!;
          const userData = (orig.volumeMounts ?? []).filter(
            (x) => !x.readOnly && writableVolumes.has(x.name) && (covers(x.mountPath, origDir) || covers(x.mountPath, imagePath) || covers(imagePath, x.mountPath)),
          );
          if (userData.length && !userData.some((x) => x.name === m.name)) problems.push(`${where}: data directory ${dir} is on ${m.name}, not on the user's volume (${userData.map((x) => x.name).join(', ')})`);
        }
        // init and main agree on the data directory
        if (init && family === 'postgres') {
          const initDir = dataDir(orig.image, values(init));
          if (initDir !== dir) problems.push(`${where}: ${init.name} initialises ${initDir}, main serves ${dir}`);
        }
      }
      // one mount per path (the API rejects two volumeMounts at one mountPath)
      for (const c of [main, ...(init ? [init] : [])]) {
        const paths = (c.volumeMounts ?? []).map((x) => x.mountPath.replace(/\/$/, ''));
        const twice = paths.filter((x, i) => paths.indexOf(x) !== i);
        if (twice.length) problems.push(`${where}: ${c.name} mounts two volumes at ${twice.join(', ')}`);
      }
      // no init-only variable on main, by any route
      const initOnly = INIT_ONLY[family];
      if (initOnly) {
        for (const e of main.env ?? []) if (initOnly.test(e.name)) problems.push(`${where}: init-only ${e.name} reaches main`);
        if ((main.envFrom ?? []).length && !said('DI4005')) {
          problems.push(`${where}: main imports env wholesale (envFrom) and no DI4005 says init-only keys may reach it`);
        }
        // the file an init-only `_FILE` variable names is not mounted on main (unless it is on the data volume)
        for (const e of orig.env ?? []) {
          if (!e.name.endsWith('_FILE') || !initOnly.test(e.name) || typeof e.value !== 'string') continue;
          const m = (main.volumeMounts ?? []).find((x) => covers(x.mountPath, e.value as string) && !(dir && covers(x.mountPath, dir)));
          if (m) problems.push(`${where}: the file of init-only ${e.name} (${e.value}) is still mounted on main (${m.name} at ${m.mountPath})`);
        }
      }
      // main's securityContext is what the report says, and the hardening defaults hold on main (pod-level values count)
      const sec = (main.securityContext ?? {}) as Obj;
      const reported = diagnostics.find((d) => d.code === 'DI3012' && d.message.includes(`container "${main.name}"`) && d.message.includes(main.image));
      const as = reported && /as (\d+):(\d+)$/.exec(reported.message);
      if (as && (eff(main, podSec, 'runAsUser') !== Number(as[1]) || eff(main, podSec, 'runAsGroup') !== Number(as[2]))) {
        problems.push(`${where}: reported ${as[1]}:${as[2]}, securityContext says ${String(eff(main, podSec, 'runAsUser'))}:${String(eff(main, podSec, 'runAsGroup'))}`);
      }
      if (h.runAsNonRoot && eff(main, podSec, 'runAsNonRoot') !== true) problems.push(`${where}: main runAsNonRoot is ${String(eff(main, podSec, 'runAsNonRoot'))}`);
      if (h.runAsNonRoot && (eff(main, podSec, 'runAsUser') === 0 || eff(main, podSec, 'runAsUser') === undefined)) problems.push(`${where}: main runs as uid ${String(eff(main, podSec, 'runAsUser'))}`);
      if (h.noPrivilegeEscalation && sec.allowPrivilegeEscalation !== false) problems.push(`${where}: main allowPrivilegeEscalation is ${String(sec.allowPrivilegeEscalation)}`);
      if (h.readOnlyRootFilesystem && sec.readOnlyRootFilesystem !== true) problems.push(`${where}: main readOnlyRootFilesystem is ${String(sec.readOnlyRootFilesystem)}`);
      if (sec.privileged === true && sec.allowPrivilegeEscalation === false) problems.push(`${where}: privileged beside allowPrivilegeEscalation: false (the API rejects it)`);
      if (h.noPrivilegeEscalation && sec.privileged === true) problems.push(`${where}: main is privileged`);
      const mainCaps = (sec.capabilities ?? {}) as Obj;
      if (h.dropAllCapabilities && !capsList(mainCaps.drop).includes('ALL')) problems.push(`${where}: main does not drop all capabilities`);
      const seccomp = (c: Container, pod: Obj): string | undefined => ((eff(c, pod, 'seccompProfile') ?? undefined) as Obj | undefined)?.type as string | undefined;
      if (h.seccompRuntimeDefault && !['RuntimeDefault', 'Localhost'].includes(seccomp(main, podSec) ?? '')) problems.push(`${where}: main seccomp profile is ${String(seccomp(main, podSec))}`);
      // the user's stricter profiles are kept on main
      for (const k of ['seLinuxOptions', 'appArmorProfile', 'seccompProfile']) {
        const theirs = eff(orig, srcPodSec, k);
        if (theirs === undefined || (k === 'seccompProfile' && (theirs as Obj).type === 'Unconfined') || (k === 'appArmorProfile' && (theirs as Obj).type === 'Unconfined')) continue;
        if (JSON.stringify(eff(main, podSec, k)) !== JSON.stringify(theirs)) problems.push(`${where}: main changed the user's ${k} ${JSON.stringify(theirs)} to ${JSON.stringify(eff(main, podSec, k))}`);
      }
      // every looser value of the user's that main overrides is a warning naming it
      const overridden: [boolean, string][] = [
        [eff(orig, srcPodSec, 'runAsNonRoot') === false && eff(main, podSec, 'runAsNonRoot') === true, 'runAsNonRoot'],
        [((orig.securityContext ?? {}) as Obj).allowPrivilegeEscalation === true && sec.allowPrivilegeEscalation === false, 'allowPrivilegeEscalation'],
        [((orig.securityContext ?? {}) as Obj).readOnlyRootFilesystem === false && sec.readOnlyRootFilesystem === true, 'readOnlyRootFilesystem'],
        [((orig.securityContext ?? {}) as Obj).privileged === true && sec.privileged !== true, 'privileged'],
        [typeof eff(orig, srcPodSec, 'runAsUser') === 'number' && eff(orig, srcPodSec, 'runAsUser') !== eff(main, podSec, 'runAsUser'), 'runAsUser'],
        [seccomp(orig, srcPodSec) === 'Unconfined' && seccomp(main, podSec) !== 'Unconfined', 'seccomp'],
      ];
      for (const [happened, field] of overridden) if (happened && !said(['DI3017', 'DI3013'], field)) problems.push(`${where}: main overrides the container's ${field} and no warning names it`);
      // rewritten probes target the port the server listens on (its configured port, else one the container declares, else the default)
      const declared = (main.ports ?? []).map((p) => p.containerPort).filter((p): p is number => typeof p === 'number');
      const configured = serverPort(family, serverArgv(orig.command, orig.args), origEnv);
      for (const role of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const p = main[role] as Obj | undefined;
        if (!p || JSON.stringify(p) === JSON.stringify(orig[role])) continue;
        const port = (p.tcpSocket as Obj | undefined)?.port ?? (p.httpGet as Obj | undefined)?.port ?? execPort(((p.exec as Obj | undefined)?.command as string[] | undefined) ?? [], mainEnv);
        if (port === undefined) continue;
        const ok = configured !== undefined ? [configured] : declared.length ? declared : DEFAULT_PORT[family] !== undefined ? [DEFAULT_PORT[family]!] : [];
        if (ok.length && !ok.includes(Number(port))) problems.push(`${where}: ${role} targets port ${String(port)}, the server listens on ${ok.join(', ')}`);
      }
      // a non-root main can bind the server's port: above 1023, or the pod's unprivileged-port sysctl, or NET_BIND_SERVICE, or a warning says it cannot
      const listens = configured !== undefined ? [configured] : declared.length ? declared : DEFAULT_PORT[family] !== undefined ? [DEFAULT_PORT[family]!] : [];
      const low = listens.filter((p) => p < 1024);
      if (low.length && eff(main, podSec, 'runAsUser') !== 0) {
        const start = ((podSec.sysctls ?? []) as { name?: string; value?: unknown }[]).find((x) => x.name === 'net.ipv4.ip_unprivileged_port_start');
        const bind = capsList(mainCaps.add).includes('NET_BIND_SERVICE');
        const ok = bind || (start !== undefined && low.every((p) => Number(start.value) <= p));
        if (!ok && !said('DI3014', String(low[0]))) problems.push(`${where}: main runs as uid ${String(eff(main, podSec, 'runAsUser'))} on port ${low.join(', ')} with no way to bind it and no warning`);
      }
      // the init is no less confined than the user's container
      if (init) {
        const own = (orig.securityContext ?? {}) as Obj;
        const is = (init.securityContext ?? {}) as Obj;
        const ownCaps = (own.capabilities ?? {}) as Obj;
        const initCaps = (is.capabilities ?? {}) as Obj;
        const extra = subsetCaps(capsOf(initCaps.drop, initCaps.add, is.privileged), capsOf(ownCaps.drop, ownCaps.add, own.privileged));
        if (extra.length) problems.push(`${where}: ${init.name} has capabilities the container did not: ${extra.join(', ')}`);
        if (is.privileged === true) problems.push(`${where}: ${init.name} is privileged`);
        if (is.allowPrivilegeEscalation !== false) problems.push(`${where}: ${init.name} may escalate privileges`);
        if (own.readOnlyRootFilesystem === true && is.readOnlyRootFilesystem !== true) problems.push(`${where}: ${init.name} lost readOnlyRootFilesystem`);
        for (const k of ['seLinuxOptions', 'appArmorProfile', 'windowsOptions', 'procMount']) {
          const theirs = k === 'windowsOptions' || k === 'procMount' ? own[k] : eff(orig, srcPodSec, k);
          const ours = k === 'windowsOptions' || k === 'procMount' ? is[k] : eff(init, podSec, k);
          if (theirs !== undefined && JSON.stringify(ours) !== JSON.stringify(theirs)) problems.push(`${where}: ${init.name} changed ${k}`);
        }
        // seccomp: the user's profile, or RuntimeDefault when they set none
        const theirSeccomp = eff(orig, srcPodSec, 'seccompProfile');
        const initSeccomp = eff(init, podSec, 'seccompProfile');
        if (theirSeccomp !== undefined ? JSON.stringify(initSeccomp) !== JSON.stringify(theirSeccomp) && (theirSeccomp as Obj).type !== 'Unconfined' : (initSeccomp as Obj | undefined)?.type !== 'RuntimeDefault') {
          problems.push(`${where}: ${init.name} seccomp profile is ${JSON.stringify(initSeccomp)}, the container's ${JSON.stringify(theirSeccomp)}`);
        }
        // root only when nothing forbids it: runAsNonRoot, a non-zero runAsUser (the container's, else the pod's)
        const nonRoot = eff(orig, srcPodSec, 'runAsNonRoot') === true;
        const theirUid = eff(orig, srcPodSec, 'runAsUser');
        const initRoot = eff(init, podSec, 'runAsUser') === 0 || eff(init, podSec, 'runAsUser') === undefined;
        if (nonRoot && (initRoot || eff(init, podSec, 'runAsNonRoot') === false)) problems.push(`${where}: ${init.name} runs as root although the container forbids it`);
        if (typeof theirUid === 'number' && theirUid !== 0 && initRoot) problems.push(`${where}: ${init.name} runs as root although the container runs as ${theirUid}`);
      }
    }
  }
  return problems;
}

function capsList(v: unknown): string[] {
  return (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).map((x) => String(x).toUpperCase().replace(/^CAP_/, ''));
}

/** The port an exec check aims at (each client's own port flag: `pg_isready -p`, `redis-cli -p`, `mysqladmin -P / --port`, `mongosh --port`), or the client's default, or undefined. */
function execPort(argv: readonly string[], env: Map<string, string>): number | undefined {
  const bin = (argv[0] ?? '').slice((argv[0] ?? '').lastIndexOf('/') + 1);
  const clients: Record<string, { flags: string[]; port: number; env?: string }> = {
    pg_isready: { flags: ['-p', '--port'], port: 5432, env: 'PGPORT' },
    'redis-cli': { flags: ['-p'], port: 6379 },
    mysqladmin: { flags: ['-P', '--port'], port: 3306, env: 'MYSQL_TCP_PORT' },
    'mariadb-admin': { flags: ['-P', '--port'], port: 3306, env: 'MYSQL_TCP_PORT' },
    mongosh: { flags: ['--port'], port: 27017 },
  };
  const client = clients[bin];
  if (!client) return undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (client.flags.includes(a) && argv[i + 1]) return Number(argv[i + 1]);
    for (const f of client.flags) if (f.startsWith('--') && a.startsWith(`${f}=`)) return Number(a.slice(f.length + 1));
  }
  const fromEnv = client.env ? env.get(client.env) : undefined;
  return fromEnv && /^\d+$/.test(fromEnv) ? Number(fromEnv) : client.port;
}

/* ------------------------------------------------------------------ Compose */

/** Checks a rewritten Compose project against its input. */
export function composeTrustViolations(input: Obj, output: Obj, diagnostics: readonly Diag[]): string[] {
  const problems: string[] = [];
  const services = (output.services ?? {}) as Record<string, Obj>;
  const srcServices = (input.services ?? {}) as Record<string, Obj>;
  const loud = (d: Diag): boolean => d.severity === 'warning' || d.severity === 'error';
  // every service_healthy dependency points at a service with a healthcheck
  for (const [name, svc] of Object.entries(services)) {
    const deps = svc.depends_on;
    if (!deps || Array.isArray(deps) || typeof deps !== 'object') continue;
    for (const [dep, cond] of Object.entries(deps as Record<string, Obj | null>)) {
      if (cond?.condition !== 'service_healthy') continue;
      const hc = services[dep]?.healthcheck as Obj | undefined;
      const split = labelsOf(services[dep] ?? {})['distroless-init.io/split'] === 'true';
      if (!hc || hc.disable === true || (Array.isArray(hc.test) && hc.test[0] === 'NONE')) problems.push(`service ${name} waits for ${dep} to be healthy, and ${dep} has no healthcheck`);
      else if (split && (typeof hc.test === 'string' || (Array.isArray(hc.test) && hc.test[0] === 'CMD-SHELL'))) problems.push(`service ${dep}'s healthcheck needs a shell`);
    }
  }
  for (const [name, main] of Object.entries(services)) {
    const orig = srcServices[name];
    if (!orig || orig.image === main.image || labelsOf(main)['distroless-init.io/split'] !== 'true') continue;
    const initName = Object.keys(services).find((n) => labelsOf(services[n]!)['distroless-init.io/init-of'] === name);
    const init = initName ? services[initName]! : undefined;
    const where = `service ${name}`;
    const family = repo(String(orig.image));
    const said = (code: string | string[], ...words: string[]): boolean =>
      diagnostics.some((d) => loud(d) && ([] as string[]).concat(code).includes(d.code) && d.message.includes(`"${name}"`) && words.every((x) => x.split('|').some((alt) => d.message.includes(alt))));
    const opts = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
    const nnp = (v: unknown): boolean => opts(v).some((o) => /^no-new-privileges([:=]true)?$/.test(o)) && !opts(v).some((o) => /^no-new-privileges[:=]false$/.test(o));
    const origEnv = new Map(envEntries(orig.environment));
    const mainEnv = new Map(envEntries(main.environment));
    // init-only env, by any route: environment, env_file, `_FILE` secrets
    const initOnly = INIT_ONLY[family];
    if (initOnly) {
      for (const k of envNames(main.environment)) if (initOnly.test(k)) problems.push(`${where}: init-only ${k} reaches main`);
      if (main.env_file !== undefined && !said('DI4005')) problems.push(`${where}: main reads an env_file and no DI4005 says init-only keys may reach it`);
      const mainSecrets = secretPaths(main.secrets);
      for (const [k, v] of origEnv) {
        if (k.endsWith('_FILE') && initOnly.test(k) && mainSecrets.includes(v)) problems.push(`${where}: the secret of init-only ${k} (${v}) is still given to main`);
      }
    }
    // main: as reported, and hardened (README "Security rules"; `--security` switches are not used by the Compose tests)
    const reported = diagnostics.find((d) => d.code === 'DI3012' && d.message.includes(`container "${name}"`));
    const as = reported && /as (\d+):(\d+)$/.exec(reported.message);
    if (as && String(main.user) !== `${as[1]}:${as[2]}`) problems.push(`${where}: reported ${as[1]}:${as[2]}, user is ${String(main.user)}`);
    const uid = (u: unknown): string => String(u ?? '').split(':')[0]!;
    if (['', '0', 'root'].includes(uid(main.user))) problems.push(`${where}: main runs as root (user ${String(main.user)})`);
    if (main.privileged === true) problems.push(`${where}: main is privileged`);
    if (main.read_only !== true) problems.push(`${where}: main read_only is ${String(main.read_only)}`);
    if (!capsList(main.cap_drop).includes('ALL')) problems.push(`${where}: main does not drop all capabilities`);
    if (!nnp(main.security_opt)) problems.push(`${where}: main may gain privileges (no no-new-privileges:true)`);
    if (opts(main.security_opt).some((o) => /^seccomp[:=]unconfined$/.test(o))) problems.push(`${where}: main runs without seccomp (seccomp=unconfined)`);
    for (const o of opts(orig.security_opt)) if (/^(seccomp|apparmor|label)[:=]/.test(o) && !/unconfined$/.test(o) && !opts(main.security_opt).includes(o)) problems.push(`${where}: main lost the service's security_opt ${o}`);
    // (the plan names the fields as Kubernetes does or as Compose does: either is a warning naming the value)
    const theirUid = uid(orig.user);
    const overridden: [boolean, string][] = [
      [orig.read_only === false, 'read_only|readOnlyRootFilesystem'],
      [orig.privileged === true, 'privileged'],
      [opts(orig.security_opt).some((o) => /^no-new-privileges[:=]false$/.test(o)), 'no-new-privileges|allowPrivilegeEscalation'],
      [opts(orig.security_opt).some((o) => /^seccomp[:=]unconfined$/.test(o)), 'seccomp'],
      // root, or another numeric uid (a named user such as `postgres` may be the same one)
      [(theirUid === 'root' || /^\d+$/.test(theirUid)) && (theirUid === 'root' ? '0' : theirUid) !== uid(main.user), 'user|runAsUser'],
    ];
    for (const [happened, field] of overridden) if (happened && !said(['DI3017', 'DI3013'], field)) problems.push(`${where}: main overrides the service's ${field} and no warning names it`);
    // a rewritten healthcheck aims at the port the server listens on
    const hc = main.healthcheck as Obj | undefined;
    if (hc && Array.isArray(hc.test) && hc.test[0] === 'CMD' && JSON.stringify(hc) !== JSON.stringify(orig.healthcheck)) {
      const port = execPort(hc.test.slice(1).map(String), mainEnv);
      const configured = serverPort(family, serverArgv(orig.entrypoint, orig.command), origEnv);
      const ok = configured ?? DEFAULT_PORT[family];
      if (port !== undefined && ok !== undefined && port !== ok) problems.push(`${where}: healthcheck targets port ${port}, the server listens on ${ok}`);
    }
    // a non-root main can bind the server's port (the unprivileged-port sysctl, NET_BIND_SERVICE, or a warning)
    const listen = serverPort(family, serverArgv(orig.entrypoint, orig.command), origEnv) ?? DEFAULT_PORT[family];
    if (listen !== undefined && listen < 1024) {
      const sysctls = main.sysctls;
      const start = Array.isArray(sysctls)
        ? sysctls.map(String).find((x) => x.startsWith('net.ipv4.ip_unprivileged_port_start='))?.split('=')[1]
        : (sysctls as Obj | undefined)?.['net.ipv4.ip_unprivileged_port_start'];
      const ok = capsList(main.cap_add).includes('NET_BIND_SERVICE') || (start !== undefined && Number(start) <= listen);
      if (!ok && !said('DI3014', String(listen))) problems.push(`${where}: main runs as ${String(main.user)} on port ${listen} with no way to bind it and no warning`);
    }
    // data on a volume both mount, the user's own where they had one
    const dir = dataDir(String(orig.image), mainEnv);
    const mounts = (svc: Obj): [string, string][] =>
      (Array.isArray(svc.volumes) ? svc.volumes : [])
        .map((v): [string, string, boolean] => {
          if (typeof v === 'string') {
            const p = v.split(':');
            return p.length === 1 ? ['', p[0]!, false] : [p[0]!, p[1]!, (p[2] ?? '').split(',').includes('ro')];
          }
          const o = v as Obj;
          return [String(o.source ?? ''), String(o.target ?? ''), o.read_only === true || o.type === 'tmpfs'];
        })
        .filter(([, , ro]) => !ro)
        .map(([s, t]) => [s, t]);
    // one mount per path (Docker refuses a duplicate mount point: volumes, tmpfs and secrets together)
    for (const [svcName, svc] of [[name, main], ...(init ? [[initName!, init]] : [])] as [string, Obj][]) {
      const targets = [
        ...(Array.isArray(svc.volumes) ? svc.volumes : []).map((v) => (typeof v === 'string' ? (v.split(':').length === 1 ? v : v.split(':')[1]!) : String((v as Obj).target ?? ''))),
        ...opts(svc.tmpfs).map((t) => t.split(':')[0]!),
        ...secretPaths(svc.secrets),
      ].map((t) => t.replace(/\/$/, ''));
      const twice = targets.filter((x, i) => targets.indexOf(x) !== i);
      if (twice.length) problems.push(`${where}: ${svcName} mounts twice at ${twice.join(', ')}`);
    }
    if (dir) {
      // a tmpfs is the service's own: another container does not see it
      const tmpfsAt = opts(main.tmpfs).map((t) => t.split(':')[0]!).find((t) => covers(t, dir));
      if (tmpfsAt) problems.push(`${where}: data directory ${dir} is on a tmpfs of main (${tmpfsAt}), which ${initName ?? 'no init'} cannot write`);
      const m = mounts(main).filter(([, t]) => covers(t, dir)).sort((a, b) => b[1].length - a[1].length)[0];
      if (!m) problems.push(`${where}: data directory ${dir} is on no volume of main`);
      else {
        if (init && !mounts(init).some(([s, t]) => s === m[0] && t === m[1])) problems.push(`${where}: data volume ${m[0]} is not mounted at ${m[1]} in ${initName}`);
        const origDir = dataDir(String(orig.image), origEnv)!;
        const imagePath = imageDataPath(String(orig.image))!;
        const userData = mounts(orig).filter(([s, t]) => s !== '' && (covers(t, origDir) || covers(t, imagePath) || covers(imagePath, t)));
        if (userData.length && !userData.some(([s]) => s === m[0])) problems.push(`${where}: data is on ${m[0]}, not on the user's volume (${userData.map(([s]) => s).join(', ')})`);
      }
      if (init && family === 'postgres') {
        const initDir = dataDir(String(orig.image), new Map(envEntries(init.environment)));
        if (initDir !== dir) problems.push(`${where}: ${initName} initialises ${initDir}, main serves ${dir}`);
      }
    }
    if (!init) continue;
    // the init no less confined than the service
    const extra = subsetCaps(capsOf(init.cap_drop, init.cap_add, init.privileged), capsOf(orig.cap_drop, orig.cap_add, orig.privileged));
    if (extra.length) problems.push(`${where}: ${initName} has capabilities the service did not: ${extra.join(', ')}`);
    if (init.privileged === true) problems.push(`${where}: ${initName} is privileged`);
    for (const o of opts(orig.security_opt)) if (!/^no-new-privileges/.test(o) && !opts(init.security_opt).includes(o)) problems.push(`${where}: ${initName} lost security_opt ${o}`);
    if (!nnp(init.security_opt)) problems.push(`${where}: ${initName} may gain privileges (no no-new-privileges:true)`);
    if (orig.read_only === true && init.read_only !== true) problems.push(`${where}: ${initName} lost read_only`);
    if (orig.pids_limit !== undefined && init.pids_limit !== orig.pids_limit) problems.push(`${where}: ${initName} lost pids_limit`);
    // root only when nothing forbids it: a non-root `user` (numeric or named)
    const theirs = uid(orig.user);
    if (theirs !== '' && theirs !== '0' && theirs !== 'root' && ['', '0', 'root'].includes(uid(init.user))) problems.push(`${where}: ${initName} runs as root although the service runs as ${String(orig.user)}`);
  }
  return problems;
}

function secretPaths(v: unknown): string[] {
  return (Array.isArray(v) ? v : []).map((e) => {
    if (typeof e === 'string') return `/run/secrets/${e}`;
    const o = (e ?? {}) as Obj;
    const t = String(o.target ?? o.source ?? '');
    return t.startsWith('/') ? t : `/run/secrets/${t}`;
  });
}

function labelsOf(svc: Obj): Record<string, string> {
  const l = svc.labels;
  if (Array.isArray(l)) return Object.fromEntries(l.map((s) => String(s).split('=') as [string, string]));
  return (l ?? {}) as Record<string, string>;
}

/** Environment entries with a value (`NAME` alone in a list, or `NAME:` with no value, passes the host's value through: no value here). */
function envEntries(v: unknown): [string, string][] {
  if (Array.isArray(v)) return v.map((s) => String(s)).filter((s) => s.includes('=')).map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]);
  if (v && typeof v === 'object') return Object.entries(v as Obj).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, String(x)]);
  return [];
}

function envNames(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((s) => String(s).split('=')[0]!);
  if (v && typeof v === 'object') return Object.keys(v as Obj);
  return [];
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
