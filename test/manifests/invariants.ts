/** The invariants every split pod spec holds, checked on plain objects. */
import { expect } from 'vitest';

interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  env?: { name: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean };
}
interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: { name: string }[];
  securityContext?: { fsGroup?: number };
}

const PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export function podSpecOf(obj: Record<string, unknown>): PodSpec {
  let node: unknown = obj;
  for (const k of PATHS[obj.kind as string] ?? ['spec', 'template', 'spec']) node = (node as Record<string, unknown>)[k];
  return node as PodSpec;
}

export function podAnnotationsOf(obj: Record<string, unknown>): Record<string, string> {
  const path = (PATHS[obj.kind as string] ?? ['spec', 'template', 'spec']).slice(0, -1);
  let node: unknown = obj;
  for (const k of path) node = (node as Record<string, unknown>)[k];
  const meta = obj.kind === 'Pod' ? (obj.metadata as Record<string, unknown>) : ((node as Record<string, unknown>).metadata as Record<string, unknown>);
  return (meta?.annotations ?? {}) as Record<string, string>;
}

/** For every container named in the split annotation: its init container comes first, shares a data volume, and the uids match. */
export function checkSplitInvariants(obj: Record<string, unknown>): number {
  const split = (podAnnotationsOf(obj)['distroless-init.io/split'] ?? '').split(',').filter(Boolean);
  const spec = podSpecOf(obj);
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  const claims = new Set(((obj.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] })?.volumeClaimTemplates ?? []).map((c) => c.metadata.name));
  for (const name of split) {
    const main = spec.containers.find((c) => c.name === name);
    expect(main, `main container ${name}`).toBeDefined();
    const init = (spec.initContainers ?? []).find((c) => c.name.startsWith(`${name}-init`));
    if (!init) continue; // templates without an init step
    expect(init.restartPolicy).toBeUndefined();
    const shared = (init.volumeMounts ?? []).filter((m) => (main!.volumeMounts ?? []).some((n) => n.name === m.name && n.mountPath === m.mountPath));
    expect(shared.length, `${name} and ${init.name} share a volume`).toBeGreaterThan(0);
    for (const m of shared) expect(volumes.has(m.name) || claims.has(m.name), `volume ${m.name} exists`).toBe(true);
    const uid = main!.securityContext?.runAsUser;
    expect(typeof uid).toBe('number');
    expect(main!.securityContext?.runAsNonRoot).toBe(true);
    const initUid = init.securityContext?.runAsUser;
    expect(initUid === 0 || initUid === uid, 'init runs as root (and drops to the uid) or as the uid').toBe(true);
  }
  return split.length;
}
