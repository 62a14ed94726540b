/**
 * Planning: one container + the catalogue → a `SplitPlan`, plain data that
 * knows nothing of YAML or of Kubernetes vs Compose. The appliers
 * (apply-kube.ts, apply-compose.ts) write a plan into a pod spec or a Compose
 * service. All image knowledge lives here and in the templates, so both
 * formats behave the same.
 */
import { globMatch } from '../catalogue/safe-regex.js';
import type { TemplateMatch } from '../catalogue/match.js';
import { matchTemplate, mirrorOf } from '../catalogue/match.js';
import type { Catalogue } from '../catalogue/load.js';
import type { ProbeSpec, TemplateSpec } from '../catalogue/template.js';
import { diag, type Diagnostic, type DiagnosticCode } from './diagnostics.js';
import { formatImageRef, parseImageRef, type ImageRef } from './image-ref.js';
import { isShellCommand } from './lint.js';
import { DEFAULT_HARDENING, type Hardening } from './hardening.js';

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
}

export { DEFAULT_HARDENING, type Hardening } from './hardening.js';

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
  };
  /** The data volume both containers mount. */
  data: MountPlan & { add?: 'emptyDir' | 'volume' };
  /** Writable scratch paths of main (emptyDir / tmpfs), with a volume name each. */
  scratch: { volume: string; path: string }[];
  /** Paths the init step writes for main: a volume mounted in both (added unless the container mounts one there). */
  shared: (MountPlan & { add: boolean })[];
  /** Probes to set on main (replacing a shell probe of that role, or adding a readiness probe). */
  probes: { role: ProbeInput['role']; probe: ProbeSpec; replaces: boolean }[];
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
  const ref = parseImageRef(c.image);
  if (!ref) return { kind: 'skip', diagnostics: [d('DI3001', `image "${c.image}" is not a plain image reference; container "${c.name}" left unchanged`)] };
  const match = matchTemplate(options.catalogue, ref);
  if (!match) {
    return { kind: 'skip', diagnostics: [d('DI3001', `no template for image "${c.image}"; container "${c.name}" left unchanged`)] };
  }
  if (match.template.decline) {
    const needs = match.template.decline.needs ? ` A user template would have to provide: ${match.template.decline.needs}` : '';
    return {
      kind: 'skip',
      diagnostics: [d('DI3009', `image "${c.image}" is declined by template "${match.template.name}": ${match.template.decline.reason}.${needs}`)],
    };
  }
  const spec = match.spec as TemplateSpec;
  if (spec.decline) {
    const needs = spec.decline.needs ? ` A user template would have to provide: ${spec.decline.needs}` : '';
    return {
      kind: 'skip',
      diagnostics: [d('DI3009', `image "${c.image}" (${match.variants.join(', ')}) is declined by template "${match.template.name}": ${spec.decline.reason}.${needs}`)],
    };
  }
  const diagnostics: Diagnostic[] = [];
  if (match.unsupported) {
    diagnostics.push(d('DI3004', `image "${c.image}": ${match.unsupported}; container "${c.name}" left unchanged`));
    return { kind: 'skip', diagnostics };
  }

  const server = serverArgs(c, spec);
  if (!server.ok) return { kind: 'skip', diagnostics: [server.diagnostic] };

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

  const mainImage = chooseMainImage(c, ref, match, spec, options, diagnostics);
  if (!mainImage) return { kind: 'skip', diagnostics };

  if (match.defaulted) {
    diagnostics.push(
      d('DI3007', `image "${c.image}" does not pin a version; planned for ${Object.entries(match.vars).map(([k, v]) => `${k} ${v}`).join(', ')}. Pin the tag so that init and main stay on the same version`),
    );
  }

  // env: values the template sets unless the workload does; init-only env removed from main
  const own = new Map(c.env.map((e) => [e.name, e.value]));
  const setEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env ?? {})) if (!own.has(k)) setEnv[k] = v;
  const initOnly = spec.initOnlyEnv ?? [];
  const removeEnv = c.env.map((e) => e.name).filter((n) => isInitOnly(n, initOnly));

  // data: the mount that holds the data directory, else a new one
  const dataDir = (spec.dataEnv && own.get(spec.dataEnv)) || spec.dataPath;
  const existing = c.mounts
    .filter((m) => !m.readOnly && (dataDir === m.path || dataDir.startsWith(`${m.path.replace(/\/$/, '')}/`) || m.path === spec.dataPath))
    .sort((a, b) => b.path.length - a.path.length)[0];
  let data: SplitPlan['data'];
  if (existing) {
    data = { ...existing };
  } else {
    data = { volume: unique(`${c.name}-data`), path: spec.dataPath, add: 'emptyDir' };
    if (spec.persistent !== false) diagnostics.push(
      d('DI3005', `container "${c.name}" has no volume at ${spec.dataPath}; added "${data.volume}" for the data. Kubernetes: an emptyDir, lost with the pod; mount a PersistentVolumeClaim there to keep it. Compose: a named volume`),
    );
  }

  // secret files that only the init reads (`*_FILE` of init-only env) are not mounted on main
  const removeMountPaths: string[] = [];
  for (const e of c.env) {
    if (!e.name.endsWith('_FILE') || !isInitOnly(e.name, initOnly) || !e.value) continue;
    const m = c.mounts.find((mt) => e.value === mt.path || e.value!.startsWith(`${mt.path.replace(/\/$/, '')}/`));
    if (m && m !== existing && !removeMountPaths.includes(m.path)) removeMountPaths.push(m.path);
  }

  const shared = (spec.shared ?? []).map((path) => {
    const m = c.mounts.find((mt) => mt.path === path);
    return m ? { ...m, add: false } : { volume: unique(`${c.name}-${slug(path)}`), path, add: true };
  });
  const scratch = hardening.readOnlyRootFilesystem
    ? (spec.main.writablePaths ?? [])
        .filter((p) => !c.mounts.some((m) => m.path === p) && p !== data.path && !shared.some((sh) => sh.path === p))
        .map((p) => ({ volume: unique(`${c.name}-${slug(p)}`), path: p }))
    : [];

  // probes and hooks: anything that needs a binary main does not have
  const runtimeBins = runtimeBinaries(spec);
  const probes: SplitPlan['probes'] = [];
  const removeProbes: SplitPlan['removeProbes'] = [];
  for (const p of c.probes) {
    if (p.exec === undefined && p.shellString === undefined) continue; // tcp/http/grpc need no shell
    if (p.exec && !isShellCommand(p.exec) && runtimeBins.has(basename(p.exec[0] ?? ''))) continue;
    const template = (p.role === 'liveness' ? spec.probes?.liveness : undefined) ?? spec.probes?.readiness ?? spec.probes?.liveness;
    const replacement = template && atDeclaredPort(template, c.ports);
    const what = p.shellString !== undefined ? `"${p.shellString}"` : JSON.stringify(p.exec);
    if (replacement) {
      probes.push({ role: p.role, probe: replacement, replaces: true });
      diagnostics.push(d('DI4001', `${p.role} check ${what} of "${c.name}" needs a shell or a binary the distroless image lacks; replaced by ${describeProbe(replacement)}`));
    } else {
      removeProbes.push(p.role);
      const why = template ? `the template's ${describeProbe(template)} is not one of the ports the container declares (${c.ports?.join(', ')})` : 'the template has no shell-free form';
      diagnostics.push(d('DI4002', `${p.role} check ${what} of "${c.name}" needs a shell or a binary the distroless image lacks and ${why}; removed`));
    }
  }
  const readiness = spec.probes?.readiness && atDeclaredPort(spec.probes.readiness, c.ports);
  if (readiness && !c.probes.some((p) => p.role === 'readiness')) probes.push({ role: 'readiness', probe: readiness, replaces: false });
  const removeHooks: SplitPlan['removeHooks'] = [];
  for (const h of c.hooks) {
    if (!h.exec) continue;
    if (!isShellCommand(h.exec) && runtimeBins.has(basename(h.exec[0] ?? ''))) continue;
    removeHooks.push(h.at === undefined ? { phase: h.phase } : { phase: h.phase, at: h.at });
    diagnostics.push(d('DI4002', `${h.field ?? h.phase} hook ${JSON.stringify(h.exec)} of "${c.name}" needs a shell or a binary the distroless image lacks; removed`));
  }
  for (const s of c.envFromSecrets) {
    diagnostics.push(d('DI4005', `"${c.name}" imports all of Secret/env file "${s}"; init-only keys in it stay visible to the main container`));
  }

  let runAsRoot = spec.init?.runAs === 'root';
  if (runAsRoot && (c.requiresNonRoot || (c.runAsUser !== undefined && c.runAsUser !== 0))) {
    runAsRoot = false;
    diagnostics.push(d('DI3008', `the pod or container of "${c.name}" forbids root, so its init step runs as ${spec.uid}:${spec.gid}; the data directory must already be writable by that uid`));
  }
  if (c.runAsUser !== undefined && c.runAsUser !== 0 && c.runAsUser !== spec.uid) {
    diagnostics.push(d('DI3013', `"${c.name}" sets runAsUser ${c.runAsUser}, but "${match.template.name}" data is owned by ${spec.uid}; the split uses ${spec.uid}`));
  }

  for (const w of spec.warnings ?? []) diagnostics.push(d('DI3014', `"${c.name}" (template "${match.template.name}"): ${w}`));
  // a template whose root init step gives the data to uid itself may turn the pod fsGroup off
  if (spec.fsGroup === false && runAsRoot && options.hardening?.fsGroup === undefined) hardening.fsGroup = false;

  const args = withExtraArgs(server.args, spec, c);
  const plan: SplitPlan = {
    container: c.name,
    template: match.template.name,
    variants: match.variants,
    uid: spec.uid,
    gid: spec.gid,
    hardening,
    main: { image: mainImage, command: spec.main.command, args, removeEnv, setEnv, removeMountPaths },
    data,
    scratch,
    shared,
    probes,
    removeProbes,
    removeHooks,
    diagnostics,
  };
  if (spec.init) {
    const initArgs = spec.init.args === 'server' ? server.args : (spec.init.args ?? []);
    plan.init = { name: unique(`${c.name}-init`), image: c.image, command: spec.init.command, args: initArgs, runAsRoot, env: spec.init.env ?? {} };
  }
  diagnostics.unshift(
    d('DI3012', `container "${c.name}" split with template "${match.template.name}"${match.variants.length ? ` (${match.variants.join(', ')})` : ''}: ${plan.init ? `init "${plan.init.name}" runs ${plan.init.command.map((a) => (a.includes('\n') ? '<script>' : a)).join(' ')}, ` : ''}main runs ${mainImage} as ${spec.uid}:${spec.gid}`),
  );
  return { kind: 'split', plan };
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
  const derived = spec.mainImage ?? formatImageRef({ ...ref, tag: `${ref.tag ?? 'latest'}-distroless`, digest: undefined });
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

function describeProbe(p: ProbeSpec): string {
  if ('exec' in p) return `exec ${JSON.stringify(p.exec)}`;
  if ('tcpSocket' in p) return `tcpSocket :${p.tcpSocket.port}`;
  return `httpGet :${p.httpGet.port}${p.httpGet.path}`;
}
