/**
 * Kubernetes side: read the containers of one pod spec into `ContainerInput`,
 * plan each, and write the plans back into the pod spec's YAML nodes in place.
 */
import { isMap, isSeq, type Document, type LineCounter, type YAMLMap, type YAMLSeq } from 'yaml';
import { adhocCatalogue } from '../catalogue/adhoc.js';
import type { ProbeSpec } from '../catalogue/template.js';
import { diag, type Diagnostic, type ResourceRef } from '../shared/diagnostics.js';
import { KEY_PREFIX } from '../shared/names.js';
import { planContainer, type AddedMount, type Confinement, type ContainerInput, type PlanOptions, type SplitPlan } from './plan.js';
import { normalCapability, type UserSecurity } from './confinement.js';
import { detached, referencedAnchors, usesMergeOrAlias } from './yaml-merge.js';
import {
  cloneNode,
  ensureMap,
  ensureSeq,
  getIn,
  getMap,
  getSeq,
  keyOf,
  newNode,
  NOT_PLAIN,
  plainToJS,
  setAfter,
  setScalar,
} from './yaml-nodes.js';
import { pathToString, type Path, type WorkloadKind } from './workloads.js';

export const ANNOTATION_PREFIX = KEY_PREFIX;
export const SKIP_ANNOTATION = `${ANNOTATION_PREFIX}skip`;
export const SPLIT_ANNOTATION = `${ANNOTATION_PREFIX}split`;
export const IMAGE_ANNOTATION = `${ANNOTATION_PREFIX}image.`;

export interface WorkloadContext {
  doc: Document;
  /** Path from the document root to the workload (non-empty inside a List). */
  base: Path;
  kind: WorkloadKind;
  resource: ResourceRef;
  file?: string;
  lineCounter?: LineCounter;
  /** Line offset of this document in the file (0-based). */
  lineOffset?: number;
  options: Omit<PlanOptions, 'annotationImage' | 'takenNames'>;
}

/** Splits every container of one workload the catalogue knows. Returns whether the document changed. */
export function splitWorkload(ctx: WorkloadContext): { changed: boolean; diagnostics: Diagnostic[] } {
  const { doc, base, kind } = ctx;
  const diagnostics: Diagnostic[] = [];
  const root = getIn(doc.contents, base);
  const podSpec = getIn(root, kind.podSpec);
  const where = (node: unknown, field: string): Partial<Diagnostic> => ({
    ...position(ctx, node),
    resource: ctx.resource,
    field: pathToString([...kind.podSpec, ...field.split('.')].filter(Boolean) as string[]).replace(/\.\[/g, '['),
  });
  if (!isMap(podSpec)) {
    diagnostics.push(diag('DI1006', `${ctx.resource.kind} has no pod spec at ${pathToString(kind.podSpec)}`, { ...position(ctx, root), resource: ctx.resource }));
    return { changed: false, diagnostics };
  }
  const workloadAnn = annotations(getIn(root, ['metadata']));
  const podMeta = getIn(root, kind.podMetadata);
  const podAnn = annotations(podMeta);
  if (workloadAnn[SKIP_ANNOTATION] === 'true' || podAnn[SKIP_ANNOTATION] === 'true') {
    diagnostics.push(diag('DI3002', `skipped: annotation ${SKIP_ANNOTATION} is "true"`, { ...position(ctx, root), resource: ctx.resource }));
    return { changed: false, diagnostics };
  }
  const alreadySplit = new Set((podAnn[SPLIT_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter(Boolean));

  let spec: Record<string, unknown>;
  try {
    const plain = plainToJS(podSpec);
    spec = (plain === NOT_PLAIN ? podSpec.toJS(doc, { maxAliasCount: -1 }) : plain) as Record<string, unknown>;
  } catch (e) {
    diagnostics.push(diag('DI1004', `pod spec cannot be read: ${(e as Error).message}`, { ...position(ctx, podSpec), resource: ctx.resource }));
    return { changed: false, diagnostics };
  }
  const containers = getSeq(podSpec, 'containers');
  if (!containers || !Array.isArray(spec.containers)) {
    diagnostics.push(diag('DI1006', `${ctx.resource.kind} pod spec has no containers list`, { ...position(ctx, podSpec), resource: ctx.resource }));
    return { changed: false, diagnostics };
  }
  const taken = new Set<string>();
  for (const list of ['containers', 'initContainers', 'ephemeralContainers', 'volumes']) {
    for (const c of (spec[list] as { name?: unknown }[] | undefined) ?? []) if (typeof c?.name === 'string') taken.add(c.name);
  }
  for (const t of (getIn(root, ['spec', 'volumeClaimTemplates']) ? (getIn(root, ['spec', 'volumeClaimTemplates']) as YAMLSeq).toJSON() : []) as { metadata?: { name?: string } }[]) {
    if (t?.metadata?.name) taken.add(t.metadata.name);
  }
  const podSec = (spec.securityContext ?? {}) as Record<string, unknown>;
  const podSeccomp = isObj(podSec.seccompProfile);

  const plans: SplitPlan[] = [];
  (spec.containers as unknown[]).forEach((raw, i) => {
    const field = `containers.[${i}]`;
    if (!raw || typeof raw !== 'object' || typeof (raw as { image?: unknown }).image !== 'string' || typeof (raw as { name?: unknown }).name !== 'string') {
      diagnostics.push(diag('DI1006', `container ${i} has no name or image`, where(containers.items[i], field)));
      return;
    }
    const c = raw as KubeContainer;
    let node = containers.items[i] as YAMLMap;
    if (alreadySplit.has(c.name)) {
      diagnostics.push(diag('DI3003', `container "${c.name}" was already split (annotation ${SPLIT_ANNOTATION})`, where(node, field)));
      return;
    }
    const input = containerInput(c, podSec);
    if (spec.hostNetwork === true) input.hostNetwork = true;
    if (usesMergeOrAlias(node)) {
      // kubectl reads merge keys and aliases: the container is edited as the merged copy kubectl sees
      const anchor = isMap(node) ? node.anchor : undefined;
      if (anchor && referencedAnchors(doc).has(anchor)) {
        diagnostics.push(diag('DI3016', `container "${c.name}" is an anchor (&${anchor}) that other parts of the document reuse; splitting it would change them too, so it is left unchanged`, where(node, field)));
        return;
      }
      const flat = detached(doc, node) as YAMLMap;
      containers.items[i] = flat;
      node = flat;
    }
    const names = (spec.containers as { name?: unknown }[]).map((x) => String(x?.name));
    const adhoc = adhocCatalogue({ ...workloadAnn, ...podAnn }, c, names);
    for (const dg of adhoc.diagnostics) diagnostics.push({ ...dg, ...where(node, field) });
    if (adhoc.diagnostics.length) return;
    const result = planContainer(input, {
      ...ctx.options,
      ...(adhoc.catalogue ? { catalogue: adhoc.catalogue } : {}),
      annotationImage: workloadAnn[`${IMAGE_ANNOTATION}${c.name}`] ?? podAnn[`${IMAGE_ANNOTATION}${c.name}`],
      takenNames: taken,
    });
    const diags = result.kind === 'split' ? result.plan.diagnostics : result.diagnostics;
    for (const dg of diags) diagnostics.push({ ...dg, ...where(node, field) });
    if (result.kind === 'split') {
      taken.add(result.plan.init?.name ?? '');
      for (const s of [...result.plan.scratch, ...result.plan.shared]) taken.add(s.volume);
      if (result.plan.data.add) taken.add(result.plan.data.volume);
      plans.push(result.plan);
      applyPlan(doc, podSpec, node, result.plan, podSeccomp);
    }
  });
  if (plans.length === 0) return { changed: false, diagnostics };

  applyPodSecurity(doc, podSpec, plans, (msg) => diagnostics.push(diag('DI3013', msg, where(getMap(podSpec, 'securityContext'), 'securityContext'))));
  // record the split on the pod template so that a second run changes nothing
  const metaParent = getIn(root, kind.podMetadata.slice(0, -1));
  if (isMap(metaParent)) {
    const meta = ensureMap(doc, metaParent, 'metadata', undefined);
    const ann = ensureMap(doc, meta, 'annotations');
    const all = [...alreadySplit, ...plans.map((p) => p.container)];
    setScalar(doc, ann, SPLIT_ANNOTATION, all.join(','));
  }
  return { changed: true, diagnostics };
}

interface KubeContainer {
  name: string;
  image: string;
  command?: unknown;
  args?: unknown;
  env?: { name?: unknown; value?: unknown; valueFrom?: unknown }[];
  envFrom?: { secretRef?: { name?: unknown }; configMapRef?: { name?: unknown } }[];
  volumeMounts?: { name?: unknown; mountPath?: unknown; subPath?: unknown; readOnly?: unknown }[];
  livenessProbe?: { exec?: { command?: unknown } };
  readinessProbe?: { exec?: { command?: unknown } };
  startupProbe?: { exec?: { command?: unknown } };
  lifecycle?: Record<string, { exec?: { command?: unknown } } | undefined>;
  ports?: { containerPort?: unknown }[];
  securityContext?: Record<string, unknown>;
  [k: string]: unknown;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => String(x)) : undefined;
}

/** A list field as written, or empty when it is absent or not a list (`env: 0` is reported by the schema check, not a crash). */
function list<T>(v: T[] | undefined): T[] {
  return Array.isArray(v) ? v : [];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The container's own confinement: its securityContext over the pod's (the pod's has no capabilities or privileged). */
function userSecurity(sec: Record<string, unknown>, podSec: Record<string, unknown>): UserSecurity {
  const out: UserSecurity = {};
  const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
  const nonRoot = bool(sec.runAsNonRoot) ?? bool(podSec.runAsNonRoot);
  if (nonRoot !== undefined) out.runAsNonRoot = nonRoot;
  for (const k of ['privileged', 'allowPrivilegeEscalation', 'readOnlyRootFilesystem'] as const) {
    const v = bool(sec[k]);
    if (v !== undefined) out[k] = v;
  }
  const caps = isObj(sec.capabilities) ? sec.capabilities : {};
  if (Array.isArray(caps.drop)) out.capDrop = caps.drop.map((x) => normalCapability(String(x)));
  if (Array.isArray(caps.add)) out.capAdd = caps.add.map((x) => normalCapability(String(x)));
  const seccomp = isObj(sec.seccompProfile) ? sec.seccompProfile : isObj(podSec.seccompProfile) ? podSec.seccompProfile : undefined;
  if (seccomp) out.seccomp = true;
  if (seccomp?.type === 'Unconfined') out.seccompUnconfined = true;
  return out;
}

function containerInput(c: KubeContainer, podSec: Record<string, unknown>): ContainerInput {
  const sec = isObj(c.securityContext) ? c.securityContext : {};
  const input: ContainerInput = {
    name: c.name,
    image: c.image,
    env: list(c.env)
      .filter((e) => typeof e?.name === 'string')
      .map((e) => (e.value !== undefined && e.valueFrom === undefined ? { name: String(e.name), value: String(e.value) } : { name: String(e.name) })),
    envFromSecrets: list(c.envFrom).map((e) => e?.secretRef?.name).filter((n): n is string => typeof n === 'string'),
    envFromOther: list(c.envFrom)
      .map((e) => e?.configMapRef?.name)
      .filter((n): n is string => typeof n === 'string')
      .map((name) => ({ kind: 'ConfigMap' as const, name })),
    security: userSecurity(sec, podSec),
    mounts: list(c.volumeMounts)
      .filter((m) => typeof m?.name === 'string' && typeof m.mountPath === 'string')
      .map((m) => ({
        volume: String(m.name),
        path: String(m.mountPath),
        ...(typeof m.subPath === 'string' ? { subPath: m.subPath } : {}),
        ...(m.readOnly === true ? { readOnly: true } : {}),
      })),
    probes: [],
    hooks: [],
    requiresNonRoot: sec.runAsNonRoot === true || (sec.runAsNonRoot === undefined && podSec.runAsNonRoot === true),
  };
  const cmd = strings(c.command);
  const args = strings(c.args);
  if (cmd) input.command = cmd;
  if (args) input.args = args;
  for (const role of ['liveness', 'readiness', 'startup'] as const) {
    const p = c[`${role}Probe`] as { exec?: { command?: unknown } } | undefined;
    if (p && typeof p === 'object') {
      const exec = p.exec ? (strings(p.exec.command) ?? []) : undefined;
      input.probes.push(exec ? { role, exec } : { role });
    }
  }
  for (const phase of ['postStart', 'preStop'] as const) {
    const h = c.lifecycle?.[phase];
    if (h && typeof h === 'object') {
      const exec = h.exec ? (strings(h.exec.command) ?? []) : undefined;
      input.hooks.push(exec ? { phase, exec } : { phase });
    }
  }
  const ports = list(c.ports).map((p) => p?.containerPort).filter((n): n is number => typeof n === 'number');
  if (ports.length) input.ports = [...new Set(ports)];
  const uid = sec.runAsUser ?? podSec.runAsUser;
  const gid = sec.runAsGroup ?? podSec.runAsGroup;
  if (typeof uid === 'number') input.runAsUser = uid;
  if (typeof gid === 'number') input.runAsGroup = gid;
  return input;
}

function probeNode(p: ProbeSpec): Record<string, unknown> {
  if ('exec' in p) return { exec: { command: p.exec } };
  if ('tcpSocket' in p) return { tcpSocket: { port: p.tcpSocket.port } };
  return { httpGet: { path: p.httpGet.path, port: p.httpGet.port } };
}

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

/** What an init container keeps of the container it was copied from (no probes, lifecycle, ports). */
const INIT_KEYS = new Set(['name', 'image', 'imagePullPolicy', 'command', 'args', 'workingDir', 'env', 'envFrom', 'volumeMounts', 'volumeDevices', 'resources', 'securityContext']);

/** Writes one plan: the init container, then the main container's edits, then volumes. */
function applyPlan(doc: Document, podSpec: YAMLMap, main: YAMLMap, plan: SplitPlan, podSeccomp: boolean): void {
  const flow = podSpec.flow ?? false;
  // 1. init container: a copy of the original container's node (scalars, quoting and
  //    comments as written; its own securityContext too), keeping only what an init container may have and needs
  if (plan.init) {
    const init = cloneNode(main);
    for (const pair of [...init.items]) {
      const key = String(keyOf(pair.key));
      if (!INIT_KEYS.has(key)) init.delete(key);
    }
    setScalar(doc, init, 'name', plan.init.name);
    setExec(doc, init, plan.init.image, plan.init.command, plan.init.args);
    const extraEnv = Object.entries({ ...plan.main.setEnv, ...plan.init.env });
    if (extraEnv.length) {
      const env = ensureSeq(doc, init, 'env', 'args', 'volumeMounts');
      const have = new Set(env.items.map((i) => (isMap(i) ? String(i.get('name')) : '')));
      for (const [name, value] of extraEnv) if (!have.has(name)) env.items.push(newNode(doc, { name, value }, env.flow ?? false));
    }
    addMounts(doc, init, plan.init.addMounts);
    writeSecurityContext(doc, init, plan.init.confinement, podSeccomp);
    const inits = ensureSeq(doc, podSpec, 'initContainers', undefined, 'containers');
    if (inits.flow || flow) {
      init.flow = true;
    }
    inits.items.push(init);
  }

  // 2. main container
  setExec(doc, main, plan.main.image, plan.main.command, plan.main.args);

  const env = getSeq(main, 'env');
  if (env) {
    env.items = env.items.filter((item) => !(isMap(item) && plan.main.removeEnv.includes(String(item.get('name')))));
  }
  const envNames = new Set((env?.items ?? []).map((i) => (isMap(i) ? String(i.get('name')) : '')));
  const toSet = Object.entries(plan.main.setEnv).filter(([k]) => !envNames.has(k));
  if (toSet.length) {
    const seq = ensureSeq(doc, main, 'env', 'args', 'volumeMounts');
    for (const [name, value] of toSet) seq.items.push(newNode(doc, { name, value }, seq.flow ?? false));
  }
  if (env && env.items.length === 0) main.delete('env');

  const mounts = getSeq(main, 'volumeMounts');
  if (mounts && plan.main.removeMountPaths.length) {
    mounts.items = mounts.items.filter((m) => !(isMap(m) && plan.main.removeMountPaths.includes(String(m.get('mountPath')))));
  }
  addMounts(doc, main, plan.main.addMounts);
  if (mounts && mounts.items.length === 0) main.delete('volumeMounts');

  for (const role of plan.removeProbes) main.delete(`${role}Probe`);
  for (const { role, probe, periodSeconds } of plan.probes) {
    const key = `${role}Probe`;
    const existing = getMap(main, key);
    if (existing) {
      for (const h of HANDLERS) existing.delete(h);
      const handler = probeNode(probe);
      const [hk, hv] = Object.entries(handler)[0]!;
      existing.items.unshift(doc.createPair(hk, newNode(doc, hv, existing.flow ?? false)));
    } else {
      setAfter(doc, main, key, newNode(doc, { ...probeNode(probe), ...(periodSeconds ? { periodSeconds } : {}) }, main.flow ?? false));
    }
  }
  const lifecycle = getMap(main, 'lifecycle');
  if (lifecycle) {
    for (const h of plan.removeHooks) lifecycle.delete(h.phase);
    if (lifecycle.items.length === 0) main.delete('lifecycle');
  }
  writeSecurityContext(doc, main, plan.main.confinement, podSeccomp);

  // 3. volumes
  if (plan.addVolumes.length) {
    const vols = ensureSeq(doc, podSpec, 'volumes');
    for (const v of plan.addVolumes) vols.items.push(newNode(doc, { name: v.volume, emptyDir: {} }, vols.flow ?? false));
  }
}

function addMounts(doc: Document, container: YAMLMap, add: readonly AddedMount[]): void {
  if (!add.length) return;
  const seq = ensureSeq(doc, container, 'volumeMounts');
  for (const m of add) seq.items.push(newNode(doc, { name: m.volume, mountPath: m.path }, seq.flow ?? false));
}

/** Writes a planned confinement into a container's securityContext; values the plan leaves open stay as the container has them. */
function writeSecurityContext(doc: Document, container: YAMLMap, conf: Confinement, podSeccomp: boolean): void {
  const sec = ensureMap(doc, container, 'securityContext');
  if (conf.unprivileged && sec.has('privileged')) sec.delete('privileged');
  setScalar(doc, sec, 'runAsUser', conf.runAsUser);
  setScalar(doc, sec, 'runAsGroup', conf.runAsGroup);
  if (conf.runAsNonRoot !== undefined) setScalar(doc, sec, 'runAsNonRoot', conf.runAsNonRoot);
  if (conf.noNewPrivileges) setScalar(doc, sec, 'allowPrivilegeEscalation', false);
  if (conf.readOnlyRootFilesystem) setScalar(doc, sec, 'readOnlyRootFilesystem', true);
  if (conf.capabilities) {
    const caps = ensureMap(doc, sec, 'capabilities');
    const drop = getSeq(caps, 'drop');
    const dropped = ((drop?.toJSON() as unknown[] | undefined) ?? []).map((x) => normalCapability(String(x)));
    if (!dropped.includes('ALL')) setAfter(doc, caps, 'drop', newNode(doc, ['ALL'], caps.flow ?? false));
    const add = conf.capabilities.add;
    if (add !== undefined) {
      const current = ((getSeq(caps, 'add')?.toJSON() as unknown[] | undefined) ?? []).map((x) => normalCapability(String(x)));
      const same = current.length === add.length && add.every((c) => current.includes(c));
      if (add.length === 0) caps.delete('add');
      else if (!same) setAfter(doc, caps, 'add', newNode(doc, add, caps.flow ?? false), 'drop');
    }
  }
  if (conf.seccompRuntimeDefault && (conf.seccompReplaceUnconfined || (!podSeccomp && !getMap(sec, 'seccompProfile')))) {
    setAfter(doc, sec, 'seccompProfile', newNode(doc, { type: 'RuntimeDefault' }, sec.flow ?? false));
  }
}

/** The sysctl that lets a non-root server bind a port below 1024 (namespaced, on Kubernetes' safe list since 1.22). */
export const UNPRIVILEGED_PORT_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';

function applyPodSecurity(doc: Document, podSpec: YAMLMap, plans: SplitPlan[], warn: (m: string) => void): void {
  if (plans.some((p) => p.lowPorts?.length)) {
    const sec = ensureMap(doc, podSpec, 'securityContext');
    const sysctls = ensureSeq(doc, sec, 'sysctls');
    const have = sysctls.items.some((i) => isMap(i) && i.get('name') === UNPRIVILEGED_PORT_SYSCTL);
    if (!have) sysctls.items.push(newNode(doc, { name: UNPRIVILEGED_PORT_SYSCTL, value: '0' }, sysctls.flow ?? false));
  }
  const first = plans[0]!;
  if (!first.hardening.fsGroup) return;
  const sec = ensureMap(doc, podSpec, 'securityContext');
  const current = sec.get('fsGroup');
  if (current === undefined) setScalar(doc, sec, 'fsGroup', first.gid);
  else if (current !== first.gid) warn(`pod fsGroup ${String(current)} differs from the data gid ${first.gid}; left as it is`);
  if (plans.some((p) => p.gid !== first.gid)) warn(`containers split in one pod use different gids (${plans.map((p) => p.gid).join(', ')}); fsGroup is ${first.gid}`);
  if (sec.get('fsGroupChangePolicy') === undefined) setScalar(doc, sec, 'fsGroupChangePolicy', 'OnRootMismatch');
}

/** Sets image, command and args of a container; a command or args list equal to the planned one is kept as written. */
function setExec(doc: Document, container: YAMLMap, image: string, command: readonly string[], args: readonly string[]): void {
  setScalar(doc, container, 'image', image);
  if (!sameList(container.get('command', true), command)) {
    setAfter(doc, container, 'command', newNode(doc, command, flowOf(container, 'command')), 'image');
  }
  if (!args.length) container.delete('args');
  else if (!sameList(container.get('args', true), args)) {
    setAfter(doc, container, 'args', newNode(doc, args, flowOf(container, 'args')), 'command');
  }
}

/** True when a node is a sequence with exactly these strings (then it is kept as written). */
function sameList(node: unknown, list: readonly string[]): boolean {
  if (!isSeq(node)) return false;
  const values = node.toJSON() as unknown[];
  return values.length === list.length && values.every((v, i) => String(v) === list[i]);
}

function flowOf(map: YAMLMap, key: string): boolean {
  const v = map.get(key, true);
  return (isSeq(v) && (v.flow ?? false)) || (map.flow ?? false);
}

function annotations(meta: unknown): Record<string, string> {
  const ann = getMap(meta, 'annotations');
  const out: Record<string, string> = {};
  for (const p of ann?.items ?? []) {
    const k = keyOf(p.key);
    const v = keyOf(p.value);
    if (typeof k === 'string') out[k] = String(v);
  }
  return out;
}

function position(ctx: WorkloadContext, node: unknown): { file?: string; line?: number; column?: number } {
  const out: { file?: string; line?: number; column?: number } = {};
  if (ctx.file) out.file = ctx.file;
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (range && ctx.lineCounter) {
    const pos = ctx.lineCounter.linePos(range[0]);
    out.line = pos.line + (ctx.lineOffset ?? 0);
    out.column = pos.col;
  }
  return out;
}
