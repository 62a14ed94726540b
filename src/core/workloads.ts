/**
 * Kubernetes knowledge is a table: where the pod spec and the pod template's
 * metadata sit for each workload kind.
 */

export type Path = readonly (string | number)[];

export interface WorkloadKind {
  /** Path from the document root to the PodSpec. */
  podSpec: Path;
  /** Path to the metadata that carries the pod's annotations. */
  podMetadata: Path;
}

export const WORKLOAD_KINDS: Readonly<Record<string, WorkloadKind>> = {
  Pod: { podSpec: ['spec'], podMetadata: ['metadata'] },
  Deployment: { podSpec: ['spec', 'template', 'spec'], podMetadata: ['spec', 'template', 'metadata'] },
  StatefulSet: { podSpec: ['spec', 'template', 'spec'], podMetadata: ['spec', 'template', 'metadata'] },
  DaemonSet: { podSpec: ['spec', 'template', 'spec'], podMetadata: ['spec', 'template', 'metadata'] },
  ReplicaSet: { podSpec: ['spec', 'template', 'spec'], podMetadata: ['spec', 'template', 'metadata'] },
  ReplicationController: { podSpec: ['spec', 'template', 'spec'], podMetadata: ['spec', 'template', 'metadata'] },
  Job: { podSpec: ['spec', 'template', 'spec'], podMetadata: ['spec', 'template', 'metadata'] },
  CronJob: {
    podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    podMetadata: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
  },
};

/** API groups a workload kind may come from; a CRD that reuses a kind name is not ours. */
const CORE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['v1'],
  ReplicationController: ['v1'],
  Deployment: ['apps/v1', 'apps/v1beta1', 'apps/v1beta2', 'extensions/v1beta1'],
  StatefulSet: ['apps/v1', 'apps/v1beta1', 'apps/v1beta2'],
  DaemonSet: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'],
  ReplicaSet: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'],
  Job: ['batch/v1'],
  CronJob: ['batch/v1', 'batch/v1beta1'],
};

/** The workload entry for `apiVersion`/`kind`, or undefined for every other resource (CRDs included). */
export function workloadKind(apiVersion: unknown, kind: unknown): WorkloadKind | undefined {
  if (typeof kind !== 'string' || !Object.hasOwn(WORKLOAD_KINDS, kind)) return undefined;
  if (typeof apiVersion === 'string' && !CORE_GROUPS[kind]?.includes(apiVersion)) return undefined;
  return WORKLOAD_KINDS[kind];
}

/** Kinds whose documents may hold workloads: the workloads and the list wrappers. */
export function mayHoldWorkloads(kind: string): boolean {
  return Object.hasOwn(WORKLOAD_KINDS, kind) || kind === 'List' || kind.endsWith('List');
}

export function pathToString(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
