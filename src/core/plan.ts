/**
 * Planning: one container + the catalogue → a `SplitPlan`, plain data that
 * knows nothing of YAML or of Kubernetes vs Compose. The appliers
 * (apply-kube.ts, apply-compose.ts) write a plan into a pod spec or a Compose
 * service. All image knowledge lives here and in the templates, so both
 * formats behave the same.
 */
import { globMatch } from '../catalogue/safe-regex.js';
import type { TemplateMatch } from '../catalogue/match.js';
import { matchTemplate, mirrorOf, privateRegistryMatch } from '../catalogue/match.js';
import type { Catalogue } from '../catalogue/load.js';
import { defaultMainImage } from '../catalogue/main-image.js';
import { describeProbe, type ProbeSpec, type TemplateSpec } from '../catalogue/template.js';
import { diag, type Diagnostic, type DiagnosticCode } from '../shared/diagnostics.js';
import { parseImageRef, type ImageRef } from '../shared/image-ref.js';
import { isShellCommand } from './lint.js';
import { DEFAULT_HARDENING, type Hardening } from './hardening.js';
import { decideConfinement, type Confinement, type UserSecurity } from './confinement.js';

/** A container as both formats can describe it (Kubernetes semantics: `command` overrides ENTRYPOINT, `args` CMD). */
export interface ContainerInput {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  /** Env entries in order; `value` undefined when it comes from a secret, a field or a file. */
  env: { name: string; value?: string }[];
  /** Names of Secrets imported wholesale (envFrom / env_file). */
  envFromSecrets: string[];
  /** Other wholesale env imports whose keys are unknown here (Kubernetes `envFrom.configMapRef`). */
  envFromOther?: { kind: 'ConfigMap' | 'env file'; name: string }[];
  mounts: MountPlan[];
  probes: ProbeInput[];
  /** Lifecycle hooks; `at` is the hook's position in its phase's list (Compose `post_start` / `pre_stop` are lists), `field` its name in messages. */
  hooks: { phase: 'postStart' | 'preStop'; exec?: string[]; at?: number; field?: string }[];
  /** Ports the container declares (Kubernetes `ports[].containerPort`): a template's network probe must use one of them. */
  ports?: number[];
  /** The container's own runAsUser/runAsGroup, if set. */
  runAsUser?: number;
  runAsGroup?: number;
  /** True when the pod or container requires a non-root user. */
  requiresNonRoot: boolean;
  /** The container's own confinement (securityContext / Compose keys), for the init and main confinement rules. */
  security?: UserSecurity;
  /** The container has no network namespace of its own (Kubernetes `hostNetwork: true`; Compose `network_mode: host`, `service:x`, `container:x`): no namespaced sysctl. */
  hostNetwork?: boolean;
}

export interface ProbeInput {
  role: 'liveness' | 'readiness' | 'startup';
  /** The exec argv, when it is an exec probe (Compose healthchecks are exec probes too). */
  exec?: string[];
  /** For a Compose `CMD-SHELL` or string healthcheck. */
  shellString?: string;
}

export interface MountPlan {
  /** Volume name (Kubernetes volume or volumeClaimTemplate; Compose named volume or bind source). */
  volume: string;
  path: string;
  subPath?: string;
  readOnly?: boolean;
  /** A memory filesystem of this container alone (Compose `tmpfs`): another container, the init included, does not see it. */
  tmpfs?: boolean;
}

export { DEFAULT_HARDENING, type Hardening } from './hardening.js';
export type { Confinement, UserSecurity } from './confinement.js';

/** A mount the applier adds to a container: the data volume, a shared path, or a scratch path (emptyDir / Compose tmpfs). */
export interface AddedMount {
  volume: string;
  path: string;
  kind: 'data' | 'shared' | 'scratch';
}

export interface PlanOptions {
  catalogue: Catalogue;
  /** Main image by container name or template name (`--image`); annotations come in through `annotationImage`. */
  images?: Readonly<Record<string, string>>;
  /** Image chosen by the workload's annotation for this container. */
  annotationImage?: string;
  hardening?: Partial<Hardening>;
  /** Names already taken in the pod/project (containers, init containers, volumes, services). */
  takenNames?: ReadonlySet<string>;
}

export interface SplitPlan {
  container: string;
  template: string;
  variants: string[];
  uid: number;
  gid: number;
  hardening: Hardening;
  /** The init step (absent when the image needs no initialisation). */
  init?: {
    name: string;
    image: string;
    command: string[];
    args: string[];
    /** Start as root (the script drops to uid itself) or run as uid:gid. */
    runAsRoot: boolean;
    /** Env set on the init container only. */
    env: Record<string, string>;
    /** Its security settings (see confinement.ts for the rule). */
    confinement: Confinement;
    /** Mounts added to the init container (the container's own are copied). */
    addMounts: AddedMount[];
  };
  main: {
    image: string;
    command: string[];
    args: string[];
    /** Env names to remove from main. */
    removeEnv: string[];
    /** Env to set on both containers unless the workload sets it. */
    setEnv: Record<string, string>;
    /** Mount paths to remove from main (secret files only the init reads). */
    removeMountPaths: string[];
    /** Its security settings: the hardening defaults over the container's own (see confinement.ts). */
    confinement: Confinement;
    /** Mounts added to main. */
    addMounts: AddedMount[];
  };
  /** Volumes the pod / project gains: every added mount's volume, once (Kubernetes: emptyDir; Compose: named volume, scratch as tmpfs). */
  addVolumes: AddedMount[];
  /**
   * The main server listens on a port below 1024 as a non-root uid: the pod
   * (Compose: the service) gets the namespaced sysctl
   * `net.ipv4.ip_unprivileged_port_start=0` (safe since Kubernetes 1.22), so
   * that it can bind it without any capability.
   */
  lowPorts?: number[];
  /** The data volume both containers mount. */
  data: MountPlan & { add?: 'emptyDir' | 'volume' };
  /** Writable scratch paths of main (emptyDir / tmpfs), with a volume name each. */
  scratch: { volume: string; path: string }[];
  /** Paths the init step writes for main: a volume mounted in both (added unless the container mounts one there). */
  shared: (MountPlan & { add: boolean })[];
  /**
   * Probes to set on main (replacing a shell probe of that role, or adding a readiness probe with `periodSeconds`;
   * Compose: healthcheck `interval`). `execForm`: the same check as an exec argv, for a network probe where only
   * exec checks exist (Compose healthchecks), from the template's `probes.healthcheck`.
   */
  probes: { role: ProbeInput['role']; probe: ProbeSpec; replaces: boolean; periodSeconds?: number; execForm?: string[] }[];
  /** Probe roles to remove from main (needs a shell, no replacement). */
  removeProbes: ProbeInput['role'][];
  /** Lifecycle hooks to remove from main (`at` as in ContainerInput.hooks). */
  removeHooks: { phase: 'postStart' | 'preStop'; at?: number }[];
  diagnostics: Diagnostic[];
}

export type PlanResult =
  | { kind: 'split'; plan: SplitPlan }
  | { kind: 'skip'; diagnostics: Diagnostic[] };

/** Diagnostics here carry no location; the caller adds file, resource and field. */
function d(code: DiagnosticCode, message: string): Diagnostic {
  return diag(code, message);
}

/** Plans the split of one container. */
export function planContainer(c: ContainerInput, options: PlanOptions): PlanResult {
  const found = templateFor(c, options);
  if (found.kind === 'skip') return found;
  const { match, spec } = found;

  const server = serverArgs(c, spec);
  if (!server.ok) return { kind: 'skip', diagnostics: [server.diagnostic] };

  const diagnostics: Diagnostic[] = found.assumed ? [found.assumed] : [];
  const hardening: Hardening = { ...DEFAULT_HARDENING, ...options.hardening };
  // the caller's names plus this container's, without copying the caller's set (4,000 Compose services: quadratic)
  const ownNames = new Set<string>();
  const taken = { has: (n: string): boolean => ownNames.has(n) || (options.takenNames?.has(n) ?? false), add: (n: string): void => void ownNames.add(n) };
  const unique = (base: string): string => {
    let name = base.slice(0, 63).replace(/-+$/, '');
    for (let i = 2; taken.has(name); i++) name = `${base.slice(0, 60)}-${i}`;
    taken.add(name);
    return name;
  };

  // the data first: a refusal here (DI3021) needs no main image
  const env = planEnv(c, spec);
  const data = planData(c, spec, env, unique, diagnostics);
  if (!data) return { kind: 'skip', diagnostics };
  const mainImage = chooseMainImage(c, found.ref, match, spec, options, diagnostics);
  if (!mainImage) return { kind: 'skip', diagnostics };

  if (match.defaulted) {
    const series = Object.entries(match.vars).map(([k, v]) => `${k} ${v}`).join(', ');
    diagnostics.push(
      d('DI3007', `image "${c.image}" does not pin a version; the split assumes ${series} (the template's default series: paths, uid and binaries of that series). If the tag now means a newer series the init and main may not agree: pin the tag`),
    );
  }


  // secret files that only the init reads (`*_FILE` of init-only env) are not mounted on main
  const removeMountPaths: string[] = [];
  for (const e of c.env) {
    if (!e.name.endsWith('_FILE') || !isInitOnly(e.name, env.initOnly) || !e.value) continue;
    const m = c.mounts.find((mt) => e.value === mt.path || e.value!.startsWith(`${mt.path.replace(/\/$/, '')}/`));
    if (m && m.path !== data.path && !removeMountPaths.includes(m.path)) removeMountPaths.push(m.path);
  }
  for (const s of c.envFromSecrets) {
    diagnostics.push(d('DI4005', `"${c.name}" imports all of Secret/env file "${s}"; init-only keys in it (${env.initOnly.join(', ')}) stay visible to the main container`));
  }
  for (const s of c.envFromOther ?? []) {
    diagnostics.push(d('DI4005', `"${c.name}" imports all of ${s.kind} "${s.name}"; if it holds init-only keys (${env.initOnly.join(', ')}) they reach the main container. Move them to the init container or to a Secret read through env`));
  }

  const shared = (spec.shared ?? []).map((path) => {
    const m = c.mounts.find((mt) => mt.path === path && !mt.tmpfs);
    return m ? { ...m, add: false } : { volume: unique(`${c.name}-${slug(path)}`), path, add: true };
  });
  const scratch = hardening.readOnlyRootFilesystem || c.security?.readOnlyRootFilesystem
    ? (spec.main.writablePaths ?? [])
        .filter((p) => !c.mounts.some((m) => m.path === p) && p !== data.path && !shared.some((sh) => sh.path === p))
        .map((p) => ({ volume: unique(`${c.name}-${slug(p)}`), path: p }))
    : [];

  const checks = planChecks(c, spec, server.args, diagnostics);

  let runAsRoot = spec.init?.runAs === 'root';
  if (runAsRoot && (c.requiresNonRoot || (c.runAsUser !== undefined && c.runAsUser !== 0))) {
    runAsRoot = false;
    diagnostics.push(d('DI3008', `the pod or container of "${c.name}" forbids root, so its init step runs as ${spec.uid}:${spec.gid}; the data directory must already be writable by that uid`));
  }
  // root too: main never runs as root (its uid is the data's), and a value of the user's that main overrides is always a warning
  if (c.runAsUser !== undefined && c.runAsUser !== spec.uid) {
    const what = c.runAsUser === 0 ? 'runAsUser 0 (root)' : `runAsUser ${c.runAsUser}`;
    diagnostics.push(d('DI3013', `"${c.name}" sets ${what}, but "${match.template.name}" data is owned by ${spec.uid}; the split uses ${spec.uid}${c.runAsUser === 0 && spec.init?.runAs === 'root' ? ' for main (the init step still starts as root)' : ''}`));
  }
  // a template whose root init step gives the data to uid itself may turn the pod fsGroup off
  if (spec.fsGroup === false && runAsRoot && options.hardening?.fsGroup === undefined) hardening.fsGroup = false;
  const confinement = decideConfinement({
    uid: spec.uid,
    gid: spec.gid,
    hardening,
    user: c.security,
    ...(c.runAsUser !== undefined ? { runAsUser: c.runAsUser } : {}),
    ...(spec.init ? { init: { runAsRoot } } : {}),
  });
  for (const o of confinement.overridden) {
    if (o.key === 'uid') continue; // DI3013 above
    diagnostics.push(d('DI3017', `"${c.name}" sets ${o.field}: ${o.theirs}; main gets ${o.field}: ${o.ours} (hardening default). Pass --security ${o.key}=false to keep the container's own value`));
  }
  if (confinement.missingForInit.length) {
    diagnostics.push(
      d('DI3018', `the init step of "${c.name}" starts as root and needs ${confinement.missingForInit.join(', ')}, which the container's own securityContext does not grant; the init gets only what the container had (${confinement.init?.capabilities?.add?.join(', ') || 'none'}): add them to the container's capabilities if the init step fails`),
    );
  }

  for (const w of spec.warnings ?? []) diagnostics.push(d('DI3014', `"${c.name}" (template "${match.template.name}"): ${w}`));

  const dataMount: AddedMount[] = data.add ? [{ volume: data.volume, path: data.path, kind: 'data' }] : [];
  const sharedMounts: AddedMount[] = shared.filter((sh) => sh.add).map((sh) => ({ volume: sh.volume, path: sh.path, kind: 'shared' }));
  const scratchMounts: AddedMount[] = scratch.map((sc) => ({ volume: sc.volume, path: sc.path, kind: 'scratch' }));
  const args = withExtraArgs(server.args, spec, c);
  let lowPorts = spec.uid !== 0 ? listenPorts(c, spec, server.args).filter((p) => p < 1024) : [];
  if (lowPorts.length && c.hostNetwork) {
    diagnostics.push(
      d('DI3014', `"${c.name}" runs as ${spec.uid} on port ${lowPorts.join(', ')} without a network namespace of its own (host network or another container's), where the sysctl net.ipv4.ip_unprivileged_port_start cannot be set for it: configure the server to listen on a port above 1023`),
    );
    lowPorts = [];
  }
  const plan: SplitPlan = {
    container: c.name,
    template: match.template.name,
    variants: match.variants,
    uid: spec.uid,
    gid: spec.gid,
    hardening,
    main: {
      image: mainImage,
      command: spec.main.command,
      args,
      removeEnv: env.removeEnv,
      setEnv: env.setEnv,
      removeMountPaths,
      confinement: confinement.main,
      addMounts: [...dataMount, ...sharedMounts, ...scratchMounts],
    },
    addVolumes: [...dataMount, ...sharedMounts, ...scratchMounts],
    ...(lowPorts.length ? { lowPorts } : {}),
    data,
    scratch,
    shared,
    ...checks,
    diagnostics,
  };
  if (spec.init && confinement.init) {
    const initArgs = spec.init.args === 'server' ? server.args : (spec.init.args ?? []);
    // a read-only root filesystem (the container's own) needs the scratch paths in the init step too
    const initScratch = c.security?.readOnlyRootFilesystem ? scratchMounts : [];
    plan.init = {
      name: unique(`${c.name}-init`),
      image: c.image,
      command: spec.init.command,
      args: initArgs,
      runAsRoot,
      env: spec.init.env ?? {},
      confinement: confinement.init,
      addMounts: [...dataMount, ...sharedMounts, ...initScratch],
    };
    const caps = confinement.init.capabilities?.add ?? [];
    diagnostics.push(
      d('DI3019', `init "${plan.init.name}" keeps the container's own security settings and runs as ${confinement.init.runAsUser}:${confinement.init.runAsGroup}${runAsRoot ? ` (its entrypoint drops to ${spec.uid}:${spec.gid} itself)` : ''}, with capabilities dropped except ${caps.length ? caps.join(', ') : 'none'}, no privilege escalation${confinement.initAdded.length ? `; beyond the container's own: ${confinement.initAdded.join(', ')}` : ''}`),
    );
  }
  diagnostics.unshift(
    d('DI3012', `container "${c.name}" split with template "${match.template.name}"${match.variants.length ? ` (${match.variants.join(', ')})` : ''}: ${plan.init ? `init "${plan.init.name}" runs ${plan.init.command.map((a) => (a.includes('\n') ? '<script>' : a)).join(' ')}, ` : ''}main runs ${mainImage} as ${spec.uid}:${spec.gid}`),
  );
  return { kind: 'split', plan };
}

/** The template and spec for the container's image, or why it is not split. */
function templateFor(
  c: ContainerInput,
  options: PlanOptions,
): { kind: 'found'; ref: ImageRef; match: TemplateMatch; spec: TemplateSpec; assumed?: Diagnostic } | { kind: 'skip'; diagnostics: Diagnostic[] } {
  const ref = parseImageRef(c.image);
  if (!ref) return { kind: 'skip', diagnostics: [d('DI3001', `image "${c.image}" is not a plain image reference; container "${c.name}" left unchanged`)] };
  let match = matchTemplate(options.catalogue, ref);
  // a private or local registry's copy of a catalogue image (localhost/postgres:16,
  // registry.example.com/team/postgres:16): split when the user named the main image,
  // else left unchanged; a warning either way (issue 12)
  let assumed: Diagnostic | undefined;
  if (!match) {
    const priv = privateRegistryMatch(options.catalogue, ref);
    if (!priv) return { kind: 'skip', diagnostics: [d('DI3001', `no template for image "${c.image}"; container "${c.name}" left unchanged`)] };
    const as = `${ref.path.split('/').pop()}:${ref.tag ?? 'latest'}`;
    const named =
      options.images?.[c.name] !== undefined
        ? `--image ${c.name}=...`
        : options.annotationImage !== undefined
          ? `the annotation distroless-init.io/image.${c.name}`
          : options.images?.[priv.match.template.name] !== undefined
            ? `--image ${priv.match.template.name}=...`
            : undefined;
    if (!named) {
      return {
        kind: 'skip',
        diagnostics: [
          d('DI3041', `image "${c.image}" looks like ${as} from a private registry; container "${c.name}" left unchanged. To split it with template "${priv.match.template.name}", pass --mirror ${priv.mirror} (that registry serves Docker Hub's images), or name its main image with --image ${c.name}=REF or the annotation distroless-init.io/image.${c.name}`),
        ],
      };
    }
    match = priv.match;
    assumed = d('DI3040', `image "${c.image}" treated as ${as} from a private registry (template "${match.template.name}"), because ${named} names its main image; pass --mirror ${priv.mirror} to confirm`);
  }
  const decline = match.template.decline ?? (match.spec as TemplateSpec | undefined)?.decline;
  if (decline) {
    const needs = decline.needs ? ` A user template would have to provide: ${decline.needs}` : '';
    const variants = match.template.decline ? '' : ` (${match.variants.join(', ')})`;
    return {
      kind: 'skip',
      diagnostics: [d('DI3009', `image "${c.image}"${variants} is declined by template "${match.template.name}": ${decline.reason}; container "${c.name}" left unchanged, with its shell.${needs}`)],
    };
  }
  if (match.unsupported) {
    return { kind: 'skip', diagnostics: [d('DI3004', `image "${c.image}": ${match.unsupported}; container "${c.name}" left unchanged`)] };
  }
  return { kind: 'found', ref, match, spec: match.spec as TemplateSpec, ...(assumed ? { assumed } : {}) };
}

interface EnvPlan {
  own: Map<string, string | undefined>;
  initOnly: string[];
  setEnv: Record<string, string>;
  removeEnv: string[];
}

/** Env: values the template sets unless the workload does; init-only env removed from main. */
function planEnv(c: ContainerInput, spec: TemplateSpec): EnvPlan {
  const own = new Map(c.env.map((e) => [e.name, e.value]));
  const setEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env ?? {})) if (!own.has(k)) setEnv[k] = v;
  const initOnly = spec.initOnlyEnv ?? [];
  const removeEnv = c.env.map((e) => e.name).filter((n) => isInitOnly(n, initOnly));
  return { own, initOnly, setEnv, removeEnv };
}

/**
 * The data directory's volume. Rules (README "Where the data goes"):
 * 1. the directory is the workload's own (`PGDATA`) when it sets the template's
 *    `dataEnv`, else the template's default for the planned series;
 * 2. a writable mount at or above that directory holds it;
 * 3. else, when the user mounts a volume *inside* the image's data path (a
 *    pre-18 postgres claim at /var/lib/postgresql/data planned as 18), the
 *    data directory is moved onto that volume (`dataEnv` set in both
 *    containers; DI3020): data never leaves the user's volume;
 * 4. else a new volume is added at the directory itself (DI3005).
 * A workload whose `dataEnv` names a directory no volume covers while it has
 * a volume at, above or inside the template's data path is refused (DI3021):
 * the data would land beside the user's volume.
 */
function planData(
  c: ContainerInput,
  spec: TemplateSpec,
  env: EnvPlan,
  unique: (base: string) => string,
  diagnostics: Diagnostic[],
): SplitPlan['data'] | undefined {
  const userDir = spec.dataEnv ? env.own.get(spec.dataEnv) : undefined;
  const dataDir = userDir || (spec.dataEnv && spec.env?.[spec.dataEnv]) || spec.dataPath;
  const covers = (m: MountPlan, dir: string): boolean => dir === m.path || dir.startsWith(`${m.path.replace(/\/$/, '')}/`);
  // a tmpfs holds the data of one container only: the init would initialise its own copy, main start on an empty one
  const memory = c.mounts.find((m) => m.tmpfs && covers(m, dataDir));
  if (memory) {
    diagnostics.push(
      d('DI3023', `"${c.name}" keeps its data directory ${dataDir} on a tmpfs (${memory.path}), which the init cannot share with main: left unchanged. Use a named volume there to split it`),
    );
    return undefined;
  }
  const writable = c.mounts.filter((m) => !m.readOnly && !m.tmpfs);
  const existing = writable.filter((m) => covers(m, dataDir)).sort((a, b) => b.path.length - a.path.length)[0];
  if (existing) return { ...existing };
  const inside = writable.filter((m) => covers({ ...m, path: spec.dataPath }, m.path) && m.path !== spec.dataPath).sort((a, b) => a.path.length - b.path.length)[0];
  // a volume at or above the image's data path (`/var/lib/postgresql` for a postgres 16 image) holds that path too
  const atOrAbove = writable.filter((m) => covers(m, spec.dataPath)).sort((a, b) => b.path.length - a.path.length)[0];
  if (userDir && (inside || atOrAbove)) {
    const theirs = inside?.path ?? atOrAbove!.path;
    diagnostics.push(
      d('DI3021', `"${c.name}" sets ${spec.dataEnv}=${userDir}, which no volume covers, while its volume is mounted at ${theirs}: the data would be written beside that volume and lost. Set ${spec.dataEnv} to a directory inside ${theirs}, or mount the volume at ${userDir}; container left unchanged`),
    );
    return undefined;
  }
  if (inside && spec.dataEnv && !userDir) {
    diagnostics.push(
      d('DI3020', `"${c.name}" mounts its volume at ${inside.path}, inside the image's data path ${spec.dataPath} (the planned series keeps its data at ${dataDir}): ${spec.dataEnv}=${inside.path} is set in both containers so that the data stays on that volume. Pin the image tag and set ${spec.dataEnv} yourself to silence this`),
    );
    env.setEnv[spec.dataEnv] = inside.path;
    return { ...inside };
  }
  if (inside && !spec.dataEnv) {
    diagnostics.push(
      d('DI3021', `"${c.name}" mounts its volume at ${inside.path}, inside the image's data path ${spec.dataPath}, and the template has no variable to move the data there: the data would not be on that volume. Mount the volume at ${spec.dataPath}; container left unchanged`),
    );
    return undefined;
  }
  const data: SplitPlan['data'] = { volume: unique(`${c.name}-data`), path: dataDir, add: 'emptyDir' };
  if (spec.persistent !== false) {
    diagnostics.push(
      d('DI3005', `container "${c.name}" has no volume at ${dataDir}; added "${data.volume}" for the data. Kubernetes: an emptyDir, lost with the pod; mount a PersistentVolumeClaim there to keep it. Compose: a named volume`),
    );
  }
  return data;
}

/** Probes and hooks: anything that needs a shell or a binary the main image does not have. */
function planChecks(
  c: ContainerInput,
  spec: TemplateSpec,
  serverArgv: readonly string[],
  diagnostics: Diagnostic[],
): Pick<SplitPlan, 'probes' | 'removeProbes' | 'removeHooks'> {
  const runtimeBins = runtimeBinaries(spec);
  const probes: SplitPlan['probes'] = [];
  const removeProbes: SplitPlan['removeProbes'] = [];
  for (const p of c.probes) {
    if (p.exec === undefined && p.shellString === undefined) continue; // tcp/http/grpc need no shell
    if (p.exec && !isShellCommand(p.exec) && runtimeBins.has(basename(p.exec[0] ?? ''))) continue;
    const what = p.shellString !== undefined ? `"${p.shellString}"` : JSON.stringify(p.exec);
    // the user's own check, without its shell: `sh -c "pg_isready -p 5433"` keeps its port, user and database
    const unwrapped = unwrapShell(p, runtimeBins, spec);
    if (unwrapped) {
      probes.push({ role: p.role, probe: { exec: unwrapped }, replaces: true });
      diagnostics.push(d('DI4001', `${p.role} check ${what} of "${c.name}" needs a shell; replaced by the same command without it: ${JSON.stringify(unwrapped)}`));
      continue;
    }
    const template = (p.role === 'liveness' ? spec.probes?.liveness : undefined) ?? spec.probes?.readiness ?? spec.probes?.liveness;
    const replacement = template && atServerPort(atDeclaredPort(template, c.ports), serverArgv, c);
    if (replacement) {
      probes.push(withExecForm({ role: p.role, probe: replacement, replaces: true }, spec, serverArgv, c));
      diagnostics.push(d('DI4001', `${p.role} check ${what} of "${c.name}" needs a shell or a binary the distroless image lacks; replaced by ${describeProbe(replacement)}`));
    } else {
      removeProbes.push(p.role);
      const why = template ? `the template's ${describeProbe(template)} is not one of the ports the container declares (${c.ports?.join(', ')})` : 'the template has no shell-free form';
      diagnostics.push(d('DI4002', `${p.role} check ${what} of "${c.name}" needs a shell or a binary the distroless image lacks and ${why}; removed`));
    }
  }
  const readiness = spec.probes?.readiness && atServerPort(atDeclaredPort(spec.probes.readiness, c.ports), serverArgv, c);
  if (readiness && !c.probes.some((p) => p.role === 'readiness')) probes.push(withExecForm({ role: 'readiness', probe: readiness, replaces: false, periodSeconds: 10 }, spec, serverArgv, c));
  const removeHooks: SplitPlan['removeHooks'] = [];
  for (const h of c.hooks) {
    if (!h.exec) continue;
    if (!isShellCommand(h.exec) && runtimeBins.has(basename(h.exec[0] ?? ''))) continue;
    removeHooks.push(h.at === undefined ? { phase: h.phase } : { phase: h.phase, at: h.at });
    diagnostics.push(d('DI4002', `${h.field ?? h.phase} hook ${JSON.stringify(h.exec)} of "${c.name}" needs a shell or a binary the distroless image lacks; removed`));
  }
  shellDependentSettings(c, serverArgv, diagnostics);
  return { probes, removeProbes, removeHooks };
}

/** The ports the server listens on: the container's declared ports, else the server's configured port, else the template probe's. */
function listenPorts(c: ContainerInput, spec: TemplateSpec, serverArgv: readonly string[]): number[] {
  if (c.ports?.length) return c.ports;
  const configured = serverPort(serverArgv, c);
  if (configured !== undefined) return [configured];
  const p = spec.probes?.readiness;
  return p && !('exec' in p) ? ['tcpSocket' in p ? p.tcpSocket.port : p.httpGet.port] : [];
}

/** A network probe gets the template's exec-form check (aimed at the server's port) for formats that only have exec checks. */
function withExecForm(p: SplitPlan['probes'][number], spec: TemplateSpec, serverArgv: readonly string[], c: ContainerInput): SplitPlan['probes'][number] {
  if ('exec' in p.probe || !spec.probes?.healthcheck) return p;
  const port = 'tcpSocket' in p.probe ? p.probe.tcpSocket.port : p.probe.httpGet.port;
  const check = atServerPort({ exec: spec.probes.healthcheck.exec }, serverArgv, c);
  const exec = check && 'exec' in check ? check.exec : spec.probes.healthcheck.exec;
  const flag = CLIENT_PORT_FLAGS[basename(exec[0] ?? '')];
  // the network probe's port (declared or configured) when the check names no port of its own
  const tpl = spec.probes.readiness;
  const defaultPort = tpl && !('exec' in tpl) ? ('tcpSocket' in tpl ? tpl.tcpSocket.port : tpl.httpGet.port) : undefined;
  const named = exec.some((a) => a === flag || a.startsWith(`${flag}=`));
  const withPort = flag && !named && port !== defaultPort ? [exec[0]!, flag, String(port), ...exec.slice(1)] : exec;
  return { ...p, execForm: withPort };
}

/**
 * `sh -c "pg_isready -p 5433 -U app"` → `[/usr/lib/postgresql/16/bin/pg_isready, -p, 5433, -U, app]`
 * when the inner command is one plain command (no shell syntax, no variables)
 * of a binary the runtime image has. Undefined otherwise.
 */
function unwrapShell(p: ProbeInput, runtimeBins: Set<string>, spec: TemplateSpec): string[] | undefined {
  let inner: string | undefined = p.shellString;
  if (inner === undefined && p.exec && isShellCommand(p.exec)) {
    const i = p.exec.findIndex((a) => a === '-c' || /^-[a-z]*c$/.test(a));
    if (i > 0 && i === p.exec.length - 2) inner = p.exec[i + 1];
  }
  if (inner === undefined || /[|&;<>()$`\\"'*?[\]{}~#\n]/.test(inner)) return undefined;
  const words = inner.trim().split(/\s+/).filter(Boolean);
  const bin = words[0];
  if (!bin || !runtimeBins.has(basename(bin))) return undefined;
  const full = [...(spec.runtime?.binaries ?? []), ...spec.main.command.slice(0, 1)].find((b) => basename(b) === basename(bin));
  return full ? [full, ...words.slice(1)] : undefined;
}

/**
 * The template's probe aimed at the server's configured port when the server
 * arguments set one the template's probe does not (postgres `-c port=5433` or
 * `-p 5433`; redis `--port 6380`; mysqld `--port=3307`): exec probes of known
 * clients get the port flag, network probes the port.
 */
function atServerPort(p: ProbeSpec | undefined, serverArgv: readonly string[], c: ContainerInput): ProbeSpec | undefined {
  if (!p) return p;
  const port = serverPort(serverArgv, c);
  if (port === undefined) return p;
  if ('exec' in p) {
    const bin = basename(p.exec[0] ?? '');
    const flag = CLIENT_PORT_FLAGS[bin];
    if (!flag || p.exec.some((a) => a === flag || a.startsWith(`${flag}=`) || (flag.startsWith('--') ? false : a.startsWith(flag) && a.length > flag.length))) return p;
    return { exec: [p.exec[0]!, flag, String(port), ...p.exec.slice(1)] }; // options before a redis-cli command word
  }
  if (c.ports?.length) return p; // the declared port already decided
  return 'tcpSocket' in p ? { tcpSocket: { port } } : { httpGet: { ...p.httpGet, port } };
}

/** Port flags of the clients the templates use as probes. */
const CLIENT_PORT_FLAGS: Record<string, string> = {
  pg_isready: '-p',
  'redis-cli': '-p',
  'mariadb-admin': '--port',
  mysqladmin: '--port',
  mongosh: '--port',
};

/** The port a server's arguments set, if any (`-c port=N`, `-p N`, `--port N`, `--port=N`), else the container's PGPORT-like env. */
function serverPort(argv: readonly string[], c: ContainerInput): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    let v: string | undefined;
    if (a === '-c' && next && /^port\s*=/.test(next)) v = next.split('=')[1];
    else if (/^-cport=/.test(a)) v = a.slice('-cport='.length);
    else if ((a === '-p' || a === '--port') && next) v = next;
    else if (a.startsWith('--port=')) v = a.slice('--port='.length);
    if (v !== undefined && /^\s*\d{1,5}\s*$/.test(v)) return Number(v);
  }
  const env = c.env.find((e) => e.name === 'PGPORT')?.value;
  return env && /^\d{1,5}$/.test(env) ? Number(env) : undefined;
}

/**
 * Server settings that make the server itself run a shell (`archive_command`,
 * `restore_command`, redis' piped logfile, ...): they fail in a shell-free main.
 */
const SHELL_SETTINGS: readonly { re: RegExp; what: string }[] = [
  { re: /^(archive_command|restore_command|archive_cleanup_command|recovery_end_command|ssl_passphrase_command)\s*=\s*(.+)$/i, what: 'runs its value with /bin/sh' },
  { re: /^(--?)?(logfile|log-error|general[-_]log[-_]file|slow[-_]query[-_]log[-_]file)[\s=]+["']?\|/i, what: 'pipes its output to a command through a shell' },
  { re: /^(error_log|access_log|ErrorLog|CustomLog|TransferLog)\s+["']?\|/i, what: 'pipes its log to a command through a shell' },
];

function shellDependentSettings(c: ContainerInput, argv: readonly string[], diagnostics: Diagnostic[]): void {
  const candidates: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-c' || a === '-g') && argv[i + 1] !== undefined) candidates.push(argv[++i]!);
    else if (a.startsWith('-c') && a.length > 2) candidates.push(a.slice(2));
    else if (a.startsWith('--') && !a.includes('=') && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) candidates.push(`${a} ${argv[++i]}`);
    else candidates.push(a);
  }
  for (const text of candidates) {
    for (const part of text.split(';').map((x) => x.trim())) {
      for (const s of SHELL_SETTINGS) {
        const m = s.re.exec(part);
        if (!m) continue;
        const value = m[2] ?? '';
        if (/^(''|""|)$/.test(value.trim())) continue; // an empty command runs nothing
        diagnostics.push(
          d('DI4008', `"${c.name}" sets ${part}: the server ${s.what}, and the shell-free main image has none, so it fails at run time (exit 127). Use a setting that needs no shell (e.g. postgres archive_library, a log file), or keep this container unsplit`),
        );
      }
    }
  }
}
/** The server's arguments, from the container's command/args and the image's entrypoint convention. */
function serverArgs(c: ContainerInput, spec: TemplateSpec): { ok: true; args: string[] } | { ok: false; diagnostic: Diagnostic } {
  if (spec.main.ignoreArgs) return { ok: true, args: [] };
  const names = new Set(spec.main.serverNames);
  let argv: string[];
  if (c.command && c.command.length) {
    const first = basename(c.command[0] ?? '');
    if (/^docker-entrypoint(\.sh)?$/.test(first)) argv = [...c.command.slice(1), ...(c.args ?? [])];
    else if (names.has(first)) argv = [...c.command, ...(c.args ?? [])];
    else if (isShellCommand(c.command)) {
      return { ok: false, diagnostic: d('DI4003', `container "${c.name}" starts a shell (${JSON.stringify(c.command)}); its final binary cannot be known, so it is left unchanged`) };
    } else {
      return { ok: false, diagnostic: d('DI3010', `container "${c.name}" replaces the image entrypoint with ${JSON.stringify(c.command)}; not a server invocation the template knows, so it is left unchanged`) };
    }
  } else {
    argv = c.args ?? [];
  }
  if (argv.length === 0) return { ok: true, args: [] };
  const first = argv[0] ?? '';
  if (first.startsWith('-')) return { ok: true, args: argv };
  if (names.has(basename(first))) return { ok: true, args: argv.slice(1) };
  if (isShellCommand(argv)) {
    return { ok: false, diagnostic: d('DI4003', `container "${c.name}" runs a shell (${JSON.stringify(argv)}); its final binary cannot be known, so it is left unchanged`) };
  }
  return { ok: false, diagnostic: d('DI3010', `container "${c.name}" runs ${JSON.stringify(argv)}, not the server; left unchanged`) };
}

function withExtraArgs(args: string[], spec: TemplateSpec, c: ContainerInput): string[] {
  const out = [...args];
  const envSet = new Set(c.env.map((e) => e.name));
  for (const extra of spec.main.extraArgs ?? []) {
    if (extra.unlessArg?.some((prefix) => out.some((a) => a === prefix || a.startsWith(`${prefix}=`) || a.startsWith(prefix)))) continue;
    if (extra.whenEnv && !extra.whenEnv.every((n) => envSet.has(n) || envSet.has(`${n}_FILE`))) continue;
    // a group (`--loadmodule X`) is added unless that exact sequence is already there
    if (!containsSequence(out, extra.args)) out.push(...extra.args);
  }
  return out;
}

function chooseMainImage(
  c: ContainerInput,
  ref: ImageRef,
  match: TemplateMatch,
  spec: TemplateSpec,
  options: PlanOptions,
  diagnostics: Diagnostic[],
): string | undefined {
  const chosen = options.images?.[c.name] ?? options.annotationImage ?? options.images?.[match.template.name];
  if (chosen !== undefined) {
    if (!parseImageRef(chosen)) {
      diagnostics.push(d('DI3011', `"${chosen}" is not a valid image reference for container "${c.name}"`));
      return undefined;
    }
    return chosen;
  }
  const derived = defaultMainImage(ref, spec);
  const mirror = mirrorOf(options.catalogue, ref);
  diagnostics.push(
    d('DI3006', `main image "${derived}" for "${c.name}" is built from "${c.image}": run \`distroless-init image ${mirror ? `--mirror ${mirror} ` : ''}${c.image} | docker build -t ${derived} -\`, or choose one with --image ${c.name}=REF`),
  );
  return derived;
}

function containsSequence(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0) return true;
  for (let i = 0; i + needle.length <= haystack.length; i++) if (needle.every((n, j) => haystack[i + j] === n)) return true;
  return false;
}

/** True for the template's init-only names (globs allowed) and their `_FILE` forms. */
export function isInitOnly(name: string, patterns: readonly string[]): boolean {
  const base = name.endsWith('_FILE') ? name.slice(0, -5) : name;
  // a linear matcher: a glob turned into a backtracking regex is polynomial in its stars
  return patterns.some((p) => globMatch(p, name) || globMatch(p, base));
}

function runtimeBinaries(spec: TemplateSpec): Set<string> {
  const bins = new Set<string>();
  for (const b of spec.runtime?.binaries ?? []) bins.add(basename(b));
  for (const b of spec.main.command.slice(0, 1)) bins.add(basename(b));
  return bins;
}

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function slug(path: string): string {
  return path.replace(/^\/+/, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase().replace(/^-|-$/g, '') || 'root';
}

/**
 * A template's network probe on the port the container declares: the template
 * knows the image's default port (nginx 80), the workload may listen elsewhere
 * (8080: a non-root nginx cannot bind 80). Unchanged when the container declares
 * no port or declares the template's; moved to the one port it declares;
 * undefined when it declares several others (which one serves is unknown).
 */
function atDeclaredPort(p: ProbeSpec, ports: readonly number[] | undefined): ProbeSpec | undefined {
  if ('exec' in p || !ports?.length) return p;
  const port = 'tcpSocket' in p ? p.tcpSocket.port : p.httpGet.port;
  if (ports.includes(port)) return p;
  if (ports.length > 1) return undefined;
  return 'tcpSocket' in p ? { tcpSocket: { port: ports[0]! } } : { httpGet: { ...p.httpGet, port: ports[0]! } };
}
