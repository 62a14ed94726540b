/**
 * Type checks of the fields the planner reads, done on the YAML nodes before
 * any planning: a wrongly typed field (`env: 0`, `containers: 5`, `ports: x`)
 * is the input's mistake and gets a coded error (DI1006, with the field path),
 * never an internal error. Only the types are checked, the way the Kubernetes
 * API server's schema would refuse them; values are the planner's business.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type YAMLMap } from 'yaml';
import { resolveAlias } from './alias-index.js';

export interface ShapeProblem {
  field: string;
  message: string;
  /** The offending node's start offset in the document text, when known. */
  offset?: number;
}

type Want = 'map' | 'seq' | 'string' | 'seq-of-maps' | 'seq-of-strings' | 'scalar';

const POD_FIELDS: Readonly<Record<string, Want>> = {
  containers: 'seq-of-maps',
  initContainers: 'seq-of-maps',
  ephemeralContainers: 'seq-of-maps',
  volumes: 'seq-of-maps',
  securityContext: 'map',
  imagePullSecrets: 'seq-of-maps',
};

const CONTAINER_FIELDS: Readonly<Record<string, Want>> = {
  name: 'scalar',
  image: 'scalar',
  command: 'seq-of-strings',
  args: 'seq-of-strings',
  workingDir: 'scalar',
  env: 'seq-of-maps',
  envFrom: 'seq-of-maps',
  ports: 'seq-of-maps',
  volumeMounts: 'seq-of-maps',
  volumeDevices: 'seq-of-maps',
  securityContext: 'map',
  resources: 'map',
  livenessProbe: 'map',
  readinessProbe: 'map',
  startupProbe: 'map',
  lifecycle: 'map',
};

const VOLUME_FIELDS: Readonly<Record<string, Want>> = { name: 'scalar', persistentVolumeClaim: 'map', emptyDir: 'map', secret: 'map', configMap: 'map' };
const MOUNT_FIELDS: Readonly<Record<string, Want>> = { name: 'scalar', mountPath: 'scalar', subPath: 'scalar' };
const ENV_FIELDS: Readonly<Record<string, Want>> = { name: 'scalar', value: 'scalar', valueFrom: 'map' };
const PROBE_FIELDS: Readonly<Record<string, Want>> = { exec: 'map', httpGet: 'map', tcpSocket: 'map', grpc: 'map' };
const LIFECYCLE_FIELDS: Readonly<Record<string, Want>> = { postStart: 'map', preStop: 'map' };
const EXEC_FIELDS: Readonly<Record<string, Want>> = { command: 'seq-of-strings' };

/** Type problems of a pod spec node (`at` is its field path, e.g. `spec.template.spec`). */
export function podSpecShape(doc: Document, podSpec: unknown, at: string): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  const node = resolve(doc, podSpec);
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return out;
  if (!isMap(node)) return [problem(at, 'must be a mapping', node)];
  fields(doc, node, at, POD_FIELDS, out);
  for (const key of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    eachItem(doc, node, key, at, (c, f) => {
      fields(doc, c, f, CONTAINER_FIELDS, out);
      eachItem(doc, c, 'env', f, (e, ef) => fields(doc, e, ef, ENV_FIELDS, out));
      eachItem(doc, c, 'volumeMounts', f, (m, mf) => fields(doc, m, mf, MOUNT_FIELDS, out));
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const p = resolve(doc, c.get(probe, true));
        if (isMap(p)) {
          fields(doc, p, `${f}.${probe}`, PROBE_FIELDS, out);
          const exec = resolve(doc, p.get('exec', true));
          if (isMap(exec)) fields(doc, exec, `${f}.${probe}.exec`, EXEC_FIELDS, out);
        }
      }
      const lc = resolve(doc, c.get('lifecycle', true));
      if (isMap(lc)) {
        fields(doc, lc, `${f}.lifecycle`, LIFECYCLE_FIELDS, out);
        for (const hook of ['postStart', 'preStop']) {
          const h = resolve(doc, lc.get(hook, true));
          const exec = isMap(h) ? resolve(doc, h.get('exec', true)) : undefined;
          if (isMap(h)) fields(doc, h, `${f}.lifecycle.${hook}`, { exec: 'map' }, out);
          if (isMap(exec)) fields(doc, exec, `${f}.lifecycle.${hook}.exec`, EXEC_FIELDS, out);
        }
      }
    });
  }
  eachItem(doc, node, 'volumes', at, (v, vf) => fields(doc, v, vf, VOLUME_FIELDS, out));
  return out;
}

function eachItem(doc: Document, parent: YAMLMap, key: string, at: string, visit: (item: YAMLMap, field: string) => void): void {
  const seq = resolve(doc, parent.get(key, true));
  if (!isSeq(seq)) return;
  seq.items.forEach((it, i) => {
    const item = resolve(doc, it);
    if (isMap(item)) visit(item, `${at}.${key}[${i}]`);
  });
}

function fields(doc: Document, map: YAMLMap, at: string, want: Readonly<Record<string, Want>>, out: ShapeProblem[]): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if (typeof key !== 'string' || !Object.hasOwn(want, key)) continue;
    const value = resolve(doc, pair.value);
    if (value === null || value === undefined || (isScalar(value) && value.value === null)) continue; // null: absent
    const field = `${at}.${key}`;
    const w = want[key]!;
    if ((w === 'scalar' || w === 'string') && !isScalar(value)) out.push(problem(field, 'must be a string', value));
    else if (w === 'map' && !isMap(value)) out.push(problem(field, 'must be a mapping', value));
    else if (w === 'seq' || w === 'seq-of-maps' || w === 'seq-of-strings') {
      if (!isSeq(value)) {
        out.push(problem(field, 'must be a list', value));
        continue;
      }
      value.items.forEach((it, i) => {
        const item = resolve(doc, it);
        if (w === 'seq-of-maps' && !isMap(item)) out.push(problem(`${field}[${i}]`, 'must be a mapping', item));
        if (w === 'seq-of-strings' && !isScalar(item)) out.push(problem(`${field}[${i}]`, 'must be a string', item));
      });
    }
  }
}

function resolve(doc: Document, node: unknown): unknown {
  // an alias stands for its anchor (depth was bounded by the caller)
  for (let i = 0; i < 64 && isAlias(node); i++) node = resolveAlias(doc, node);
  return node;
}

function problem(field: string, message: string, node: unknown): ShapeProblem {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return { field, message: `${field} ${message}`, ...(range ? { offset: range[0] } : {}) };
}
