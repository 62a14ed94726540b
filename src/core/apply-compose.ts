/**
 * Compose side: read each service of a Compose file into `ContainerInput`,
 * plan it, and write the plan into the Compose document's nodes in place.
 *
 * A split service `db` becomes two services:
 * - `db-init` (new, inserted after `db`): the original image running the
 *   template's init step once (`restart: "no"`), with the environment,
 *   env files, secrets, volumes, networks and profiles of `db`;
 * - `db` (same name, so other services' `depends_on`, links and DNS keep
 *   working): the distroless image running the final binary, numeric `user`,
 *   `depends_on: {db-init: {condition: service_completed_successfully}}`,
 *   init-only env and secrets removed, hardened (see `applyHardening`).
 *
 * Nothing is interpolated: `${VAR}` and `$$` are copied as text. Keys reached
 * through a merge key (`<<: *anchor`) or an alias are overridden on the
 * service itself (the anchor is left as it is, other services still use it).
 * A service whose own node, or a field we must edit, is an anchor used
 * elsewhere is left unchanged (DI3016): editing it would change the services
 * that share it.
 *
 * Idempotence: the main service gets the label `distroless-init.io/split:
 * "true"` and the init service `distroless-init.io/init-of: <service>`; both
 * are skipped by a later run.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Pair,
  Scalar,
  visit,
  type Document,
  type LineCounter,
  type Node,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { describeProbe } from '../catalogue/template.js';
import { diag, type Diagnostic, type DiagnosticCode } from '../shared/diagnostics.js';
import { KEY_PREFIX } from '../shared/names.js';
import { planContainer, type Confinement, type ContainerInput, type MountPlan, type PlanOptions, type ProbeInput, type SplitPlan } from './plan.js';
import { normalCapability, type UserSecurity } from './confinement.js';
import { getMap, keyOf, newNode, setAfter, setScalar } from './yaml-nodes.js';
import { detached, effective, effectiveElsewhere, isMergeKey, own, referencedAnchors, sharedAnchor, toValue } from './yaml-merge.js';

export const COMPOSE_LABEL_PREFIX = KEY_PREFIX;
/** Set on a split main service: a later run leaves it alone. */
export const SPLIT_LABEL = `${COMPOSE_LABEL_PREFIX}split`;
/** Set on the init service this tool adds; the value is the main service's name. */
export const INIT_OF_LABEL = `${COMPOSE_LABEL_PREFIX}init-of`;
/** A user's opt-out: `distroless-init.io/skip: "true"`. */
export const SKIP_LABEL = `${COMPOSE_LABEL_PREFIX}skip`;

export interface ComposeContext {
  doc: Document;
  file?: string;
  lineCounter?: LineCounter;
  options: Omit<PlanOptions, 'annotationImage' | 'takenNames'>;
  /**
   * Names already taken (services and volumes of the whole file, when this
   * document is one window of it); the names this split takes are added.
   */
  reservedNames?: Set<string>;
  /**
   * Whether a blank line comes before the service after this document's last
   * one (the first of the next window): a new init service is spaced like the
   * service it comes before.
   */
  spaceAfterLast?: boolean;
}

/** Keys of the main service this applier may edit. */
const EDITED_KEYS = [
  'image',
  'entrypoint',
  'command',
  'user',
  'environment',
  'secrets',
  'volumes',
  'healthcheck',
  'depends_on',
  'read_only',
  'tmpfs',
  'cap_drop',
  'security_opt',
  'labels',
  'post_start',
  'pre_stop',
];

/** Splits every service of a Compose document the catalogue knows. Returns whether the document changed. */
export function splitComposeServices(ctx: ComposeContext): { changed: boolean; diagnostics: Diagnostic[] } {
  const { doc } = ctx;
  const diagnostics: Diagnostic[] = [];
  const root = doc.contents;
  const services = getMap(root, 'services');
  if (!isMap(root) || !services) return { changed: false, diagnostics };

  let all: Record<string, unknown>;
  try {
    all = (toValue(doc, services) ?? {}) as Record<string, unknown>;
  } catch (e) {
    diagnostics.push(diag('DI1004', `services cannot be read: ${(e as Error).message}`, at(ctx, services, 'services')));
    return { changed: false, diagnostics };
  }
  let referenced = referencedAnchors(doc);
  const taken = ctx.reservedNames ?? new Set<string>();
  for (const name of Object.keys(all)) taken.add(name);
  const topVolumes = getMap(root, 'volumes');
  for (const p of topVolumes?.items ?? []) taken.add(String(keyOf(p.key)));

  const healthRemoved: { service: string; node: unknown }[] = [];
  let changed = false;
  // init services are inserted after the loop, each after its service (one splice per service was quadratic).
  // A service that shares an anchor is tried again once the others are split: splitting the services that used
  // its anchor (through an alias or a merge key they now own) may leave it unshared, and a second run must change nothing
  const original = [...services.items];
  const position = new Map<unknown, number>(original.map((p, i) => [p, i]));
  const inits = new Map<Pair, Pair>();
  const deferred: Pair[] = [];
  for (const [round, pairs] of [[0, original], [1, deferred]] as const) {
    if (round === 1) referenced = referencedAnchors(doc);
    for (const pair of pairs) {
      const name = keyOf(pair.key);
      if (typeof name !== 'string') continue;
      const field = `services.${name}`;
      const where = (node: unknown, sub = ''): Partial<Diagnostic> => at(ctx, node ?? pair.key, sub ? `${field}.${sub}` : field, name);
      const raw = all[name];
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) continue;
      const svc = raw as ComposeService;
      const labels = labelMap(svc.labels);
      if (labels[INIT_OF_LABEL] !== undefined) continue;
      if (labels[SKIP_LABEL] === 'true') {
        diagnostics.push(diag('DI3002', `skipped: label ${SKIP_LABEL} is "true"`, where(pair.key)));
        continue;
      }
      if (labels[SPLIT_LABEL] === 'true') {
        diagnostics.push(diag('DI3003', `service "${name}" was already split (label ${SPLIT_LABEL})`, where(pair.key)));
        continue;
      }
      if (svc.extends !== undefined) {
        diagnostics.push(diag('DI3001', `service "${name}" uses extends; its final form is only known to Compose, so it is left unchanged`, where(pair.key)));
        continue;
      }
      if (typeof svc.image !== 'string') {
        const why = svc.build !== undefined ? 'is built (build:) and has no image' : 'has no image';
        diagnostics.push(diag('DI3001', `service "${name}" ${why}; left unchanged`, where(pair.key)));
        continue;
      }
      const input = containerInput(name, svc);
      const result = planContainer(input, { ...ctx.options, takenNames: taken });
      const diags = result.kind === 'split' ? result.plan.diagnostics : result.diagnostics;
      if (result.kind !== 'split') {
        for (const dg of diags) diagnostics.push({ ...dg, ...where(pair.key) });
        continue;
      }
      const plan = result.plan;
      const node = pair.value;
      const shared = sharedAnchor(node, referenced, EDITED_KEYS);
      if (!isMap(node) || shared) {
        if (round === 0 && shared) {
          deferred.push(pair as Pair);
          continue;
        }
        diagnostics.push(
          diag(
            'DI3016',
            `service "${name}"${shared ? ` (${shared})` : ''} is an anchor that other parts of the file reuse; splitting it would change them too, so it is left unchanged. Copy the shared part into the service to split it`,
            where(pair.key),
          ),
        );
        continue;
      }
      for (const dg of diags) diagnostics.push({ ...dg, ...where(pair.key) });
      taken.add(plan.init?.name ?? '');
      if (plan.data.add) taken.add(plan.data.volume);
      for (const s of plan.shared) if (s.add) taken.add(s.volume);

      const healthBefore = svc.healthcheck;
      // the init service is spaced like the service it comes before (the next window's first, after the last one)
      const index = position.get(pair) ?? -2;
      const next = original[index + 1] as Pair | undefined;
      const spaced = next ? isScalar(next.key) && next.key.spaceBefore === true : index === original.length - 1 && ctx.spaceAfterLast === true;
      const out = applyPlan(doc, spaced, pair as Pair<unknown, YAMLMap>, svc, plan);
      if (out.init) inits.set(pair as Pair, out.init);
      for (const [code, message, sub] of out.notes) diagnostics.push(diag(code, message, where(node.get(sub.split('.')[0] ?? '', true), sub)));
      if (out.healthRemoved && healthBefore !== undefined) healthRemoved.push({ service: name, node: node });
      if (out.newVolumes.length) addTopLevelVolumes(doc, root, out.newVolumes);
      changed = true;
    }
  }

  if (inits.size) services.items = original.flatMap((p) => (inits.has(p as Pair) ? [p, inits.get(p as Pair)!] : [p])) as typeof services.items;

  // a removed healthcheck breaks `condition: service_healthy` in the services that wait on it
  // (who waits on whom, read once: a loop over every service per removed healthcheck was quadratic)
  const waiting = new Map<string, string[]>();
  if (healthRemoved.length) {
    for (const [other, raw] of Object.entries(all)) {
      const deps = (raw as ComposeService | undefined)?.depends_on;
      if (!deps || Array.isArray(deps) || typeof deps !== 'object') continue;
      for (const [service, dep] of Object.entries(deps as Record<string, { condition?: unknown } | null>)) {
        if (dep?.condition !== 'service_healthy') continue;
        const list = waiting.get(service);
        if (list) list.push(other);
        else waiting.set(service, [other]);
      }
    }
  }
  for (const { service } of healthRemoved) {
    for (const other of waiting.get(service) ?? []) {
      const otherNode = services.get(other, true);
      const where = at(ctx, getMap(getMap(otherNode, 'depends_on'), service) ?? otherNode, `services.${other}.depends_on.${service}.condition`, other);
      // Compose would wait forever: the dependent waits for the service to start instead, and says so
      const depsNode = isMap(otherNode) ? own(doc, otherNode, 'depends_on') : undefined;
      const entry = isMap(depsNode) ? depsNode.get(service, true) : undefined;
      if (isMap(entry) && !sharedAnchor(otherNode, referenced, ['depends_on'])) {
        setScalar(doc, entry, 'condition', 'service_started');
        changed = true;
        diagnostics.push(
          diag(
            'DI4007',
            `service "${other}" waited for "${service}" with condition: service_healthy, but "${service}" has no shell-free healthcheck (its check needed a shell): changed to service_started, so "${other}" starts once "${service}" has started, not once it is ready. Give "${service}" an exec-form healthcheck with a binary its main image has to wait for readiness`,
            where,
          ),
        );
      } else {
        diagnostics.push({
          ...diag(
            'DI4007',
            `service "${other}" waits for "${service}" with condition: service_healthy, but the healthcheck of "${service}" needed a shell and was removed, and the condition cannot be edited here (an anchor or alias): "${other}" would never start. Change its condition to service_started, or give "${service}" a shell-free check`,
            where,
          ),
          severity: 'error',
        });
      }
    }
  }
  return { changed, diagnostics };
}

interface ComposeService {
  image?: unknown;
  build?: unknown;
  extends?: unknown;
  entrypoint?: unknown;
  command?: unknown;
  environment?: unknown;
  env_file?: unknown;
  secrets?: unknown;
  volumes?: unknown;
  healthcheck?: { test?: unknown; disable?: unknown } | null;
  user?: unknown;
  labels?: unknown;
  depends_on?: unknown;
  tmpfs?: unknown;
  privileged?: unknown;
  read_only?: unknown;
  cap_drop?: unknown;
  cap_add?: unknown;
  security_opt?: unknown;
  [k: string]: unknown;
}

/** A Compose service as the planner sees it: `entrypoint` is the command, `command` the args. */
export function containerInput(name: string, svc: ComposeService): ContainerInput {
  const input: ContainerInput = {
    name,
    image: String(svc.image),
    env: envEntries(svc.environment),
    envFromSecrets: envFiles(svc.env_file),
    mounts: [...volumeMounts(svc.volumes).filter((m) => m.volume !== ''), ...tmpfsMounts(svc), ...secretMounts(svc.secrets)],
    probes: healthProbes(svc.healthcheck),
    hooks: hooks(svc),
    requiresNonRoot: false,
    security: userSecurity(svc),
    // host, service:x, container:x: a network namespace that is not the service's own
    ...(typeof svc.network_mode === 'string' && !['bridge', 'none', 'default'].includes(svc.network_mode) ? { hostNetwork: true } : {}),
  };
  const command = argv(svc.entrypoint);
  const args = argv(svc.command);
  if (command) input.command = command;
  if (args) input.args = args;
  const user = parseUser(svc.user);
  if (user.uid !== undefined) input.runAsUser = user.uid;
  if (user.gid !== undefined) input.runAsGroup = user.gid;
  // a named non-root user (`user: postgres`) means the author did not want root
  if (user.name !== undefined && user.name !== 'root') input.requiresNonRoot = true;
  return input;
}

/** The service's own confinement: `privileged`, `read_only`, `cap_drop`, `cap_add`, `security_opt`. */
function userSecurity(svc: ComposeService): UserSecurity {
  const out: UserSecurity = {};
  if (typeof svc.privileged === 'boolean') out.privileged = svc.privileged;
  if (typeof svc.read_only === 'boolean') out.readOnlyRootFilesystem = svc.read_only;
  const caps = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map((x) => normalCapability(String(x))) : typeof v === 'string' ? [normalCapability(v)] : undefined);
  const drop = caps(svc.cap_drop);
  const add = caps(svc.cap_add);
  if (drop) out.capDrop = drop;
  if (add) out.capAdd = add;
  const opts = Array.isArray(svc.security_opt) ? svc.security_opt.map((x) => String(x)) : [];
  for (const o of opts) {
    const nnp = /^no-new-privileges(?:[:=](true|false))?$/.exec(o);
    if (nnp) out.allowPrivilegeEscalation = nnp[1] === 'false';
    if (/^seccomp[:=]/.test(o)) out.seccomp = true;
    if (/^seccomp[:=]unconfined$/.test(o)) out.seccompUnconfined = true;
  }
  return out;
}

/** `entrypoint` / `command`: a list, or a string split the way Compose splits it (shell words, no expansion). */
export function argv(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === 'string') return shellWords(v);
  return undefined;
}

/** Splits a string into words like a POSIX shell would, without any expansion. */
export function shellWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "'") {
      const end = s.indexOf("'", i + 1);
      cur += end < 0 ? s.slice(i + 1) : s.slice(i + 1, end);
      i = end < 0 ? s.length : end;
      inWord = true;
    } else if (ch === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) i++;
        cur += s[i];
        i++;
      }
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function envEntries(v: unknown): ContainerInput['env'] {
  if (Array.isArray(v)) {
    return v
      .filter((e) => typeof e === 'string' || typeof e === 'number')
      .map((e) => {
        const s = String(e);
        const i = s.indexOf('=');
        return i < 0 ? { name: s } : { name: s.slice(0, i), value: s.slice(i + 1) };
      });
  }
  if (v && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).map(([name, value]) =>
      value === null || value === undefined ? { name } : { name, value: String(value) },
    );
  }
  return [];
}

function envFiles(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list
    .map((e) => (typeof e === 'string' ? e : e && typeof e === 'object' ? (e as { path?: unknown }).path : undefined))
    .filter((e): e is string => typeof e === 'string');
}

interface ComposeMount extends MountPlan {
  /** Index in the service's `volumes` list. */
  index: number;
  kind: 'volume' | 'bind' | 'tmpfs' | 'anonymous' | 'other';
}

/** `volumes` of a service: short (`src:dst[:mode]`) and long forms. Anonymous volumes have volume "". */
function volumeMounts(v: unknown): ComposeMount[] {
  if (!Array.isArray(v)) return [];
  const out: ComposeMount[] = [];
  v.forEach((e, index) => {
    if (typeof e === 'string') {
      const parts = splitVolume(e);
      if (parts.length === 1) {
        out.push({ volume: '', path: parts[0]!, index, kind: 'anonymous' });
        return;
      }
      const [source, target, mode] = parts as [string, string, string | undefined];
      const m: ComposeMount = { volume: source, path: target, index, kind: isBindSource(source) ? 'bind' : 'volume' };
      if (mode && mode.split(',').includes('ro')) m.readOnly = true;
      out.push(m);
    } else if (e && typeof e === 'object') {
      const o = e as { type?: unknown; source?: unknown; target?: unknown; read_only?: unknown; volume?: { subpath?: unknown } };
      if (typeof o.target !== 'string') return;
      const type = typeof o.type === 'string' ? o.type : 'volume';
      const source = typeof o.source === 'string' ? o.source : '';
      const kind: ComposeMount['kind'] =
        type === 'tmpfs' ? 'tmpfs' : type === 'bind' ? 'bind' : type === 'volume' ? (source ? 'volume' : 'anonymous') : 'other';
      const m: ComposeMount = { volume: kind === 'tmpfs' ? '' : source, path: o.target, index, kind };
      if (o.read_only === true) m.readOnly = true;
      if (typeof o.volume?.subpath === 'string') m.subPath = o.volume.subpath;
      out.push(m);
    }
  });
  return out;
}

/** The service's tmpfs mounts: the `tmpfs` key (`/path[:options]`, a string or a list) and `type: tmpfs` volumes. */
function tmpfsMounts(svc: ComposeService): MountPlan[] {
  const list = Array.isArray(svc.tmpfs) ? svc.tmpfs : typeof svc.tmpfs === 'string' ? [svc.tmpfs] : [];
  const paths = list.filter((t): t is string => typeof t === 'string').map((t) => t.split(':')[0]!);
  for (const m of volumeMounts(svc.volumes)) if (m.kind === 'tmpfs') paths.push(m.path);
  return paths.map((path) => ({ volume: '', path, tmpfs: true }));
}

/** `a:b:ro` → [a, b, ro]; a Windows drive letter (`C:\x:/y`) stays in one piece. */
function splitVolume(s: string): string[] {
  const parts = s.split(':');
  if (parts.length > 1 && /^[A-Za-z]$/.test(parts[0]!) && /^[\\/]/.test(parts[1] ?? '')) {
    parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
  }
  return parts;
}

function isBindSource(s: string): boolean {
  return /^[./~$]/.test(s) || /^[A-Za-z]:[\\/]/.test(s);
}

/** Secrets are files under /run/secrets (or the long form's absolute `target`). */
function secretMounts(v: unknown): MountPlan[] {
  if (!Array.isArray(v)) return [];
  return v
    .map((e) => {
      if (typeof e === 'string') return { volume: `secret:${e}`, path: `/run/secrets/${e}`, readOnly: true };
      if (e && typeof e === 'object' && typeof (e as { source?: unknown }).source === 'string') {
        const o = e as { source: string; target?: unknown };
        const target = typeof o.target === 'string' ? o.target : o.source;
        return { volume: `secret:${o.source}`, path: target.startsWith('/') ? target : `/run/secrets/${target}`, readOnly: true };
      }
      return undefined;
    })
    .filter((m): m is MountPlan & { readOnly: boolean } => m !== undefined);
}

/** Compose lifecycle hooks (`post_start`, `pre_stop`: lists of `{command, user, ...}`); a string command is split like `command`. */
const HOOK_KEYS = [
  ['postStart', 'post_start'],
  ['preStop', 'pre_stop'],
] as const;

function hooks(svc: ComposeService): ContainerInput['hooks'] {
  const out: ContainerInput['hooks'] = [];
  for (const [phase, key] of HOOK_KEYS) {
    const list = svc[key];
    if (!Array.isArray(list)) continue;
    list.forEach((h: unknown, at) => {
      const exec = h && typeof h === 'object' ? argv((h as { command?: unknown }).command) : undefined;
      const field = `${key}[${at}]`;
      out.push(exec ? { phase, exec, at, field } : { phase, at, field });
    });
  }
  return out;
}

/** A Compose healthcheck as a readiness probe: `CMD` → exec; `CMD-SHELL` or a string → shellString. */
function healthProbes(h: ComposeService['healthcheck']): ProbeInput[] {
  if (!h || typeof h !== 'object' || h.disable === true) return [];
  const test = h.test;
  if (typeof test === 'string') return [{ role: 'readiness', shellString: test }];
  if (!Array.isArray(test) || test.length === 0) return [];
  const [kind, ...rest] = test.map((x) => String(x));
  if (kind === 'CMD') return [{ role: 'readiness', exec: rest }];
  if (kind === 'CMD-SHELL') return [{ role: 'readiness', shellString: rest.join(' ') }];
  return []; // NONE
}

function parseUser(v: unknown): { uid?: number; gid?: number; name?: string } {
  if (typeof v === 'number') return { uid: v };
  if (typeof v !== 'string' || v === '') return {};
  const [u = '', g] = v.split(':');
  const out: { uid?: number; gid?: number; name?: string } = {};
  if (/^\d+$/.test(u)) out.uid = Number(u);
  else if (u === 'root') out.uid = 0; // uid 0 by definition
  else out.name = u;
  if (g !== undefined && /^\d+$/.test(g)) out.gid = Number(g);
  return out;
}

function labelMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const e of v) {
      const s = String(e);
      const i = s.indexOf('=');
      out[i < 0 ? s : s.slice(0, i)] = i < 0 ? '' : s.slice(i + 1);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = String(val);
  }
  return out;
}

type Note = [DiagnosticCode, string, string];

/** Writes one plan: the init service after the main one (`spaced`: with a blank line before it), then the main service's edits. */
function applyPlan(
  doc: Document,
  spaced: boolean,
  pair: Pair<unknown, YAMLMap>,
  svc: ComposeService,
  plan: SplitPlan,
): { newVolumes: string[]; healthRemoved: boolean; notes: Note[]; init?: Pair } {
  const main = pair.value!;
  let initPair: Pair | undefined;
  const name = String(keyOf(pair.key));
  const flow = main.flow ?? false;
  const notes: Note[] = [];
  // Compose interpolates `$`: strings from the template are escaped (`$$`), strings from the file are kept as written
  const written = new Set([...(argv(svc.entrypoint) ?? []), ...(argv(svc.command) ?? [])]);
  const fromInput = (a: string): string => (written.has(a) ? a : literal(a));
  const mounts = volumeMounts(svc.volumes);
  // named volumes (data, shared) are `volumes` entries; scratch paths are tmpfs
  const addedMounts = plan.main.addMounts.filter((m) => m.kind !== 'scratch');
  // an anonymous volume at a path we mount a named volume on would be a second mount there
  const anonymousAt = new Set(mounts.filter((m) => m.kind === 'anonymous' && addedMounts.some((a) => a.path === m.path)).map((m) => m.index));

  // 1. init service, built from the original service before we edit it
  if (plan.init) {
    const init = doc.createNode({}) as YAMLMap;
    init.flow = flow;
    const add = (key: string, value: unknown): void => {
      init.items.push(doc.createPair(key, isNodeLike(value) ? value : newNode(doc, value, flow)));
    };
    add('image', plan.init.image);
    for (const key of ['platform', 'pull_policy', 'profiles']) {
      const v = effective(doc, main, key);
      if (v) add(key, detached(doc, v));
    }
    add('entrypoint', newNode(doc, plan.init.command.map(literal), true));
    if (plan.init.args.length) add('command', newNode(doc, plan.init.args.map(fromInput), true));
    const env = effective(doc, main, 'environment');
    const extraEnv = { ...plan.main.setEnv, ...plan.init.env };
    const own = new Set(envEntries(svc.environment).map((e) => e.name));
    const missing = Object.entries(extraEnv).filter(([k]) => !own.has(k));
    if (env || missing.length) {
      const node = env ? (detached(doc, env) as Node) : (newNode(doc, {}, flow) as Node);
      addEnv(doc, node, missing);
      add('environment', node);
    }
    for (const key of ['env_file', 'secrets']) {
      const v = effective(doc, main, key);
      if (v) add(key, detached(doc, v));
    }
    const vols = effective(doc, main, 'volumes');
    const volNode = vols ? (detached(doc, vols) as YAMLSeq) : undefined;
    if (volNode && isSeq(volNode)) volNode.items = volNode.items.filter((_, i) => !anonymousAt.has(i));
    if (addedMounts.length || (volNode && isSeq(volNode) && volNode.items.length)) {
      const seq = volNode && isSeq(volNode) ? volNode : (newNode(doc, [], flow) as YAMLSeq);
      for (const m of addedMounts) seq.items.push(newNode(doc, `${m.volume}:${m.path}`));
      add('volumes', seq);
    }
    add('user', quoted(`${plan.init.confinement.runAsUser}:${plan.init.confinement.runAsGroup}`));
    // the init starts from the service's own confinement (see confinement.ts)
    for (const key of ['read_only', 'tmpfs', 'cap_drop', 'cap_add', 'security_opt', 'pids_limit']) {
      const v = effective(doc, main, key);
      if (v) add(key, detached(doc, v));
    }
    writeConfinement(doc, init, plan.init.confinement, plan.init.addMounts.filter((m) => m.kind === 'scratch').map((m) => m.path));
    add('restart', quoted('no'));
    for (const key of ['network_mode', 'networks']) {
      const v = effective(doc, main, key);
      if (v) add(key, detached(doc, v));
    }
    add('labels', newNode(doc, { [INIT_OF_LABEL]: name }, flow));
    const key = newNode(doc, plan.init.name) as Scalar;
    if (spaced) key.spaceBefore = true;
    initPair = new Pair(key, init);
  }

  // 2. main service
  setScalar(doc, main, 'image', plan.main.image);
  const entryFlow = !(isSeq(main.get('entrypoint', true)) && !(main.get('entrypoint', true) as unknown as YAMLSeq).flow);
  setAfter(doc, main, 'entrypoint', newNode(doc, plan.main.command.map(literal), entryFlow), 'image');
  const cmdNode = main.get('command', true);
  if (plan.main.args.length) {
    const cmdFlow = !(isSeq(cmdNode) && !cmdNode.flow);
    setAfter(doc, main, 'command', newNode(doc, plan.main.args.map(fromInput), cmdFlow), 'entrypoint');
  } else {
    main.delete('command');
    if (effective(doc, main, 'command')) setAfter(doc, main, 'command', newNode(doc, [], true), 'entrypoint');
  }
  setAfter(doc, main, 'user', quoted(`${plan.main.confinement.runAsUser}:${plan.main.confinement.runAsGroup}`), has(main, 'command') ? 'command' : 'entrypoint');

  // env: init-only names removed, the template's env added
  if (plan.main.removeEnv.length || Object.keys(plan.main.setEnv).length) {
    const env = own(doc, main, 'environment');
    const own2 = new Set(envEntries(svc.environment).map((e) => e.name));
    const missing = Object.entries(plan.main.setEnv).filter(([k]) => !own2.has(k));
    if (isMap(env) && env.items.some((p) => isMergeKey(p.key))) {
      // a name that comes through a merge key cannot be removed in place: write the service's environment out in full
      const resolved = (svc.environment ?? {}) as Record<string, unknown>;
      const flat = Object.fromEntries(Object.entries(resolved).filter(([k]) => !plan.main.removeEnv.includes(k)));
      const fresh = newNode(doc, flat, env.flow ?? false);
      addEnv(doc, fresh, missing);
      setAfter(doc, main, 'environment', fresh);
    } else if (env) {
      removeEnv(env, plan.main.removeEnv);
      addEnv(doc, env, missing);
    } else if (missing.length) {
      setAfter(doc, main, 'environment', newNode(doc, Object.fromEntries(missing.map(([k, v]) => [k, literal(v)])), flow));
    }
  }

  // secrets only the init step reads
  if (plan.main.removeMountPaths.length) {
    const secrets = own(doc, main, 'secrets');
    const paths = secretMounts(svc.secrets).map((m) => m.path);
    if (isSeq(secrets)) {
      const keep = secrets.items.filter((_, i) => !plan.main.removeMountPaths.includes(paths[i] ?? ''));
      secrets.items = keep;
      if (keep.length === 0 && main.has('secrets')) main.delete('secrets');
    }
  }

  // volumes: the data volume (when added) and shared volumes
  if (addedMounts.length || anonymousAt.size) {
    let vols = own(doc, main, 'volumes');
    if (!isSeq(vols)) {
      setAfter(doc, main, 'volumes', newNode(doc, [], flow));
      vols = main.get('volumes', true) as unknown as YAMLSeq;
    }
    const seq = vols as YAMLSeq;
    seq.items = seq.items.filter((_, i) => !anonymousAt.has(i));
    for (const m of addedMounts) seq.items.push(newNode(doc, `${m.volume}:${m.path}`));
  }

  // healthcheck: an exec check (the template's exec probe, or its exec form of a network probe)
  let healthRemoved = false;
  const replacement = plan.probes.find((p) => p.role === 'readiness');
  const exec = replacement ? ('exec' in replacement.probe ? replacement.probe.exec : replacement.execForm) : undefined;
  if (plan.removeProbes.includes('readiness') || (replacement?.replaces && !exec)) {
    healthRemoved = true;
    main.delete('healthcheck');
    if (effective(doc, main, 'healthcheck')) setAfter(doc, main, 'healthcheck', newNode(doc, { disable: true }, flow));
    if (replacement) {
      notes.push(['DI4006', `healthcheck of "${name}" needs a shell and the template's check (${describeProbe(replacement.probe)}) has no Compose form; removed`, 'healthcheck']);
    }
  } else if (replacement && exec) {
    const test = newNode(doc, ['CMD', ...exec.map(literal)], true);
    if (replacement.replaces) {
      const h = own(doc, main, 'healthcheck');
      if (isMap(h)) setAfter(doc, h, 'test', test);
    } else if (!has(main, 'healthcheck') && !effective(doc, main, 'healthcheck')) {
      setAfter(doc, main, 'healthcheck', newNode(doc, { test: ['CMD', ...exec.map(literal)], interval: `${replacement.periodSeconds ?? 10}s` }, flow));
      const h = getMap(main, 'healthcheck')!;
      const t = h.get('test', true);
      if (isSeq(t)) t.flow = true;
    }
  }

  // lifecycle hooks that need a shell or a binary the main image lacks (the plan says which)
  for (const [phase, key] of HOOK_KEYS) {
    const drop = new Set(plan.removeHooks.filter((h) => h.phase === phase).map((h) => h.at));
    if (drop.size === 0) continue;
    const list = own(doc, main, key);
    if (!isSeq(list)) continue;
    list.items = list.items.filter((_, i) => !drop.has(i));
    // an empty list stays when the hooks came from a merge key: it overrides them
    if (list.items.length === 0 && !effectiveElsewhere(doc, main, key)) main.delete(key);
  }

  // depends_on: long form, with the init service
  if (plan.init) {
    const deps = main.get('depends_on', true);
    let depMap: YAMLMap;
    if (isMap(deps) && !isAlias(deps)) depMap = deps;
    else {
      const resolved = dependsOnLong(svc.depends_on);
      depMap = newNode(doc, resolved, flow) as YAMLMap;
      if (isSeq(deps) && deps.flow) depMap.flow = true;
      setAfter(doc, main, 'depends_on', depMap);
    }
    // `required: true` is the default; docker-compose 1.29 rejects the key
    setAfter(doc, depMap, plan.init.name, newNode(doc, { condition: 'service_completed_successfully' }, depMap.flow ?? false));
  }

  // a non-root server on a port below 1024: the namespaced sysctl (not with the host's network)
  if (plan.lowPorts?.length) {
    const sysctls = own(doc, main, 'sysctls');
    const key = 'net.ipv4.ip_unprivileged_port_start';
    if (isMap(sysctls)) {
      if (!sysctls.has(key)) sysctls.items.push(doc.createPair(key, newNode(doc, 0)));
    } else if (isSeq(sysctls)) {
      if (!sysctls.items.some((i) => String(keyOf(i)).startsWith(`${key}=`))) sysctls.items.push(newNode(doc, `${key}=0`));
    } else setAfter(doc, main, 'sysctls', newNode(doc, { [key]: 0 }, flow));
  }

  // hardening: the plan's confinement of main
  writeConfinement(doc, main, plan.main.confinement, plan.main.addMounts.filter((m) => m.kind === 'scratch').map((m) => m.path));

  // label: a later run leaves this service alone
  const labels = own(doc, main, 'labels');
  if (isSeq(labels)) labels.items.push(newNode(doc, `${SPLIT_LABEL}=true`));
  else if (isMap(labels)) setScalar(doc, labels, SPLIT_LABEL, 'true');
  else setAfter(doc, main, 'labels', newNode(doc, { [SPLIT_LABEL]: 'true' }, flow));

  const newVolumes = addedMounts.map((m) => m.volume);
  return { newVolumes, healthRemoved, notes, ...(initPair ? { init: initPair } : {}) };
}

/**
 * Writes a planned confinement into a service (main, or the init being built):
 * `user`, `read_only` + tmpfs scratch paths, `cap_drop: [ALL]` and the planned
 * `cap_add`, `no-new-privileges:true` (replacing a `:false`), no `privileged`.
 * `seccompRuntimeDefault` has no Compose form: Docker and Podman apply their
 * default profile unless `security_opt` says otherwise.
 */
function writeConfinement(doc: Document, svc: YAMLMap, conf: Confinement, scratch: readonly string[], userAfter?: string): void {
  const flow = svc.flow ?? false;
  if (userAfter !== undefined) setAfter(doc, svc, 'user', quoted(`${conf.runAsUser}:${conf.runAsGroup}`), userAfter);
  if (conf.unprivileged && (has(svc, 'privileged') || effective(doc, svc, 'privileged'))) {
    svc.delete('privileged');
    if (effective(doc, svc, 'privileged')) setAfter(doc, svc, 'privileged', false);
  }
  if (conf.readOnlyRootFilesystem) setScalar(doc, svc, 'read_only', true);
  if (scratch.length) {
    let t = own(doc, svc, 'tmpfs');
    if (isScalar(t)) {
      setAfter(doc, svc, 'tmpfs', newNode(doc, [String(t.value)], flow));
      t = svc.get('tmpfs', true) as unknown as YAMLSeq;
    }
    if (!isSeq(t)) {
      setAfter(doc, svc, 'tmpfs', newNode(doc, [], flow), 'read_only');
      t = svc.get('tmpfs', true) as unknown as YAMLSeq;
    }
    const seq = t as YAMLSeq;
    const present = new Set(seq.items.map((i) => String(keyOf(i)).split(':')[0]));
    for (const p of scratch) if (!present.has(p)) seq.items.push(newNode(doc, p));
  }
  if (conf.capabilities) {
    ensureListValue(doc, svc, 'cap_drop', 'ALL', (v) => normalCapability(v) === 'ALL');
    const add = conf.capabilities.add;
    if (add !== undefined) {
      if (add.length === 0) {
        svc.delete('cap_add');
        if (effective(doc, svc, 'cap_add')) setAfter(doc, svc, 'cap_add', newNode(doc, [], true));
      } else {
        const current = own(doc, svc, 'cap_add');
        const have = isSeq(current) ? current.items.map((i) => normalCapability(String(keyOf(i)))) : [];
        if (!(have.length === add.length && add.every((c) => have.includes(c)))) setAfter(doc, svc, 'cap_add', newNode(doc, add, true), 'cap_drop');
      }
    }
  }
  if (conf.seccompReplaceUnconfined) {
    const opts = own(doc, svc, 'security_opt');
    if (isSeq(opts)) opts.items = opts.items.filter((i) => !/^seccomp[:=]unconfined$/.test(String(keyOf(i))));
  }
  if (conf.noNewPrivileges) {
    const opts = own(doc, svc, 'security_opt');
    if (isSeq(opts)) opts.items = opts.items.filter((i) => !/^no-new-privileges[:=]false$/.test(String(keyOf(i))));
    ensureListValue(doc, svc, 'security_opt', 'no-new-privileges:true', (v) => /^no-new-privileges(?:[:=]true)?$/.test(v));
  }
}

function dependsOnLong(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((s) => [String(s), { condition: 'service_started' }]));
  if (v && typeof v === 'object') return { ...(v as Record<string, unknown>) };
  return {};
}

/** Adds `value` to the list at `key` (a string is turned into a list) unless an item already matches. */
function ensureListValue(doc: Document, main: YAMLMap, key: string, value: string, matches: (v: string) => boolean): void {
  let node = own(doc, main, key);
  if (isScalar(node) && node.value !== null) {
    setAfter(doc, main, key, newNode(doc, [String(node.value)], main.flow ?? false));
    node = main.get(key, true) as unknown as YAMLSeq;
  }
  if (!isSeq(node)) {
    setAfter(doc, main, key, newNode(doc, [value], true));
    return;
  }
  if (node.items.some((i) => matches(String(keyOf(i))))) return;
  node.items.push(newNode(doc, value));
}

function removeEnv(env: Node, names: readonly string[]): void {
  if (names.length === 0) return;
  if (isMap(env)) {
    env.items = env.items.filter((p) => !names.includes(String(keyOf(p.key))));
  } else if (isSeq(env)) {
    env.items = env.items.filter((i) => {
      const s = String(keyOf(i));
      const n = s.includes('=') ? s.slice(0, s.indexOf('=')) : s;
      return !names.includes(n);
    });
  }
}

function addEnv(doc: Document, env: Node, entries: readonly [string, string][]): void {
  for (const [k, v] of entries) {
    if (isMap(env)) env.items.push(doc.createPair(k, newNode(doc, literal(v))));
    else if (isSeq(env)) env.items.push(newNode(doc, `${k}=${literal(v)}`));
  }
}

/** A literal string as Compose text: `$` escaped as `$$` so that Compose does not interpolate it. */
export function literal(s: string): string {
  return s.replace(/\$/g, '$$$$');
}

function quoted(s: string): Scalar {
  const n = new Scalar(s);
  n.type = Scalar.QUOTE_DOUBLE;
  return n;
}

function has(map: YAMLMap, key: string): boolean {
  return map.items.some((p) => keyOf(p.key) === key);
}

function isNodeLike(v: unknown): v is Node {
  return isMap(v) || isSeq(v) || isScalar(v) || isAlias(v);
}

function addTopLevelVolumes(doc: Document, root: YAMLMap, names: readonly string[]): void {
  let vols: unknown = root.get('volumes', true);
  if (!isMap(vols)) {
    setAfter(doc, root, 'volumes', newNode(doc, {}, root.flow ?? false));
    vols = root.get('volumes', true) as unknown as YAMLMap;
  }
  const map = vols as YAMLMap;
  // a blank line after a last `name:` with no value belongs to the empty value: move it past the new entries
  const last = map.items[map.items.length - 1];
  if (last && isScalar(last.value) && last.value.value === null && last.value.spaceBefore) {
    delete last.value.spaceBefore;
    const next = root.items[root.items.findIndex((p) => keyOf(p.key) === 'volumes') + 1];
    if (next && isScalar(next.key)) next.key.spaceBefore = true;
  }
  // YAMLMap.has scans the map: the keys are kept in a set across calls (one call per service: linear)
  let known = volumeKeys.get(map);
  if (!known || known.size !== map.items.length) volumeKeys.set(map, (known = new Set(map.items.map((p) => keyOf(p.key)))));
  for (const n of names) {
    if (known.has(n)) continue;
    if (map.flow) map.items.push(doc.createPair(n, newNode(doc, {}, true)));
    else {
      const empty = new Scalar(null);
      empty.source = '';
      map.items.push(new Pair(newNode(doc, n), empty));
    }
    known.add(n);
  }
}

const volumeKeys = new WeakMap<YAMLMap, Set<unknown>>();

function at(ctx: ComposeContext, node: unknown, field: string, service?: string): Partial<Diagnostic> {
  const out: Partial<Diagnostic> = { field };
  if (ctx.file) out.file = ctx.file;
  if (service !== undefined) out.resource = { kind: 'Service', name: service };
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (range && ctx.lineCounter) {
    const pos = ctx.lineCounter.linePos(range[0]);
    out.line = pos.line;
    out.column = pos.col;
  }
  return out;
}
