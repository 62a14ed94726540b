/**
 * Kubernetes side: read the containers of one pod spec into `ContainerInput`,
 * plan each, and write the plans back into the pod spec's YAML nodes in place.
 */
import { isMap, isSeq, type Document, type LineCounter, type YAMLMap, type YAMLSeq } from 'yaml';
import { adhocCatalogue } from '../catalogue/adhoc.js';
import type { ProbeSpec } from '../catalogue/template.js';
import { diag, type Diagnostic, type ResourceRef } from './diagnostics.js';
import { planContainer, type ContainerInput, type PlanOptions, type SplitPlan } from './plan.js';
import {
  cloneNode,
  ensureMap,
  ensureSeq,
  getIn,
  getMap,
  getSeq,
  keyOf,
  newNode,
  setAfter,
  setScalar,
} from './yaml-nodes.js';
import { pathToString, type Path, type WorkloadKind } from './workloads.js';

export const ANNOTATION_PREFIX = 'distroless-init.io/';
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
    spec = podSpec.toJS(doc, { maxAliasCount: -1 }) as Record<string, unknown>;
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

  const plans: SplitPlan[] = [];
  (spec.containers as unknown[]).forEach((raw, i) => {
    const node = containers.items[i];
    const field = `containers.[${i}]`;
    if (!raw || typeof raw !== 'object' || typeof (raw as { image?: unknown }).image !== 'string' || typeof (raw as { name?: unknown }).name !== 'string') {
      diagnostics.push(diag('DI1006', `container ${i} has no name or image`, where(node, field)));
      return;
    }
    const c = raw as KubeContainer;
    if (alreadySplit.has(c.name)) {
      diagnostics.push(diag('DI3003', `container "${c.name}" was already split (annotation ${SPLIT_ANNOTATION})`, where(node, field)));
      return;
    }
    const input = containerInput(c, podSec);
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
      applyPlan(doc, podSpec, node as YAMLMap, c, result.plan);
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
  envFrom?: { secretRef?: { name?: string }; configMapRef?: unknown }[];
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

function containerInput(c: KubeContainer, podSec: Record<string, unknown>): ContainerInput {
  const sec = c.securityContext ?? {};
  const input: ContainerInput = {
    name: c.name,
    image: c.image,
    env: (c.env ?? [])
      .filter((e) => typeof e?.name === 'string')
      .map((e) => (e.value !== undefined && e.valueFrom === undefined ? { name: String(e.name), value: String(e.value) } : { name: String(e.name) })),
    envFromSecrets: (c.envFrom ?? []).map((e) => e?.secretRef?.name).filter((n): n is string => typeof n === 'string'),
    mounts: (c.volumeMounts ?? [])
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
  const ports = (c.ports ?? []).map((p) => p?.containerPort).filter((n): n is number => typeof n === 'number');
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
function applyPlan(doc: Document, podSpec: YAMLMap, main: YAMLMap, original: KubeContainer, plan: SplitPlan): void {
  const flow = podSpec.flow ?? false;
  // 1. init container: a copy of the original container's node (scalars, quoting and
  //    comments as written), keeping only what an init container may have and needs
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
    const extraMounts = [
      ...(plan.data.add ? [{ name: plan.data.volume, mountPath: plan.data.path }] : []),
      ...plan.shared.filter((sh) => sh.add).map((sh) => ({ name: sh.volume, mountPath: sh.path })),
    ];
    if (extraMounts.length) {
      const mounts = ensureSeq(doc, init, 'volumeMounts');
      for (const m of extraMounts) mounts.items.push(newNode(doc, m, mounts.flow ?? false));
    }
    const securityContext = plan.init.runAsRoot
      ? {
          runAsUser: 0,
          runAsGroup: 0,
          runAsNonRoot: false,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'] },
        }
      : {
          runAsUser: plan.uid,
          runAsGroup: plan.gid,
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        };
    init.delete('securityContext');
    setAfter(doc, init, 'securityContext', newNode(doc, securityContext, init.flow ?? false));
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
  const addMounts = [
    ...(plan.data.add ? [{ name: plan.data.volume, mountPath: plan.data.path }] : []),
    ...plan.shared.filter((sh) => sh.add).map((sh) => ({ name: sh.volume, mountPath: sh.path })),
    ...plan.scratch.map((s) => ({ name: s.volume, mountPath: s.path })),
  ];
  if (addMounts.length) {
    const seq = ensureSeq(doc, main, 'volumeMounts');
    for (const m of addMounts) seq.items.push(newNode(doc, m, seq.flow ?? false));
  }
  if (mounts && mounts.items.length === 0) main.delete('volumeMounts');

  for (const role of plan.removeProbes) main.delete(`${role}Probe`);
  for (const { role, probe } of plan.probes) {
    const key = `${role}Probe`;
    const existing = getMap(main, key);
    if (existing) {
      for (const h of HANDLERS) existing.delete(h);
      const handler = probeNode(probe);
      const [hk, hv] = Object.entries(handler)[0]!;
      existing.items.unshift(doc.createPair(hk, newNode(doc, hv, existing.flow ?? false)));
    } else {
      setAfter(doc, main, key, newNode(doc, { ...probeNode(probe), periodSeconds: 10 }, main.flow ?? false));
    }
  }
  const lifecycle = getMap(main, 'lifecycle');
  if (lifecycle) {
    for (const h of plan.removeHooks) lifecycle.delete(h.phase);
    if (lifecycle.items.length === 0) main.delete('lifecycle');
  }

  const h = plan.hardening;
  const sec = ensureMap(doc, main, 'securityContext');
  setScalar(doc, sec, 'runAsUser', plan.uid);
  setScalar(doc, sec, 'runAsGroup', plan.gid);
  if (h.runAsNonRoot) setScalar(doc, sec, 'runAsNonRoot', true);
  if (h.noPrivilegeEscalation) setScalar(doc, sec, 'allowPrivilegeEscalation', false);
  if (h.readOnlyRootFilesystem) setScalar(doc, sec, 'readOnlyRootFilesystem', true);
  if (h.dropAllCapabilities) {
    const caps = ensureMap(doc, sec, 'capabilities');
    const drop = getSeq(caps, 'drop');
    const dropped = (drop?.toJSON() as unknown[] | undefined) ?? [];
    if (!dropped.includes('ALL')) setAfter(doc, caps, 'drop', newNode(doc, ['ALL'], caps.flow ?? false));
  }
  if (h.seccompRuntimeDefault && !getMap(sec, 'seccompProfile')) {
    setAfter(doc, sec, 'seccompProfile', newNode(doc, { type: 'RuntimeDefault' }, sec.flow ?? false));
  }

  // 3. volumes
  const newVolumes = [
    ...(plan.data.add ? [plan.data.volume] : []),
    ...plan.shared.filter((sh) => sh.add).map((sh) => sh.volume),
    ...plan.scratch.map((s) => s.volume),
  ];
  if (newVolumes.length) {
    const vols = ensureSeq(doc, podSpec, 'volumes');
    for (const name of newVolumes) vols.items.push(newNode(doc, { name, emptyDir: {} }, vols.flow ?? false));
  }
}

function applyPodSecurity(doc: Document, podSpec: YAMLMap, plans: SplitPlan[], warn: (m: string) => void): void {
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
