/**
 * Plan-level tables: every split decision is made in `planContainer`, from a
 * format-neutral `ContainerInput` (no YAML). Then: one plan, written by both
 * appliers, gives the same init confinement, mounts and probe timing.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalogue } from '../src/catalogue/load.js';
import { transformCompose } from '../src/adapters/compose.js';
import { transformManifests } from '../src/core/pipeline.js';
import { planContainer, type ContainerInput, type SplitPlan } from '../src/core/plan.js';

const { catalogue } = loadCatalogue();

function input(over: Partial<ContainerInput> = {}): ContainerInput {
  return {
    name: 'db',
    image: 'postgres:16.4',
    env: [],
    envFromSecrets: [],
    mounts: [{ volume: 'data', path: '/var/lib/postgresql/data' }],
    probes: [],
    hooks: [],
    requiresNonRoot: false,
    ...over,
  };
}

function plan(over: Partial<ContainerInput> = {}, hardening = {}): { plan?: SplitPlan; codes: string[] } {
  const r = planContainer(input(over), { catalogue, hardening });
  return r.kind === 'split' ? { plan: r.plan, codes: r.plan.diagnostics.map((d) => d.code) } : { codes: r.diagnostics.map((d) => d.code) };
}

describe('main confinement: the hardening defaults win, and say so', () => {
  it.each([
    ['nothing set', {}, { runAsUser: 999, runAsNonRoot: true, noNewPrivileges: true, readOnlyRootFilesystem: true }, []],
    ['runAsNonRoot: false', { security: { runAsNonRoot: false } }, { runAsNonRoot: true }, ['DI3017']],
    ['allowPrivilegeEscalation: true', { security: { allowPrivilegeEscalation: true } }, { noNewPrivileges: true }, ['DI3017']],
    ['readOnlyRootFilesystem: false', { security: { readOnlyRootFilesystem: false } }, { readOnlyRootFilesystem: true }, ['DI3017']],
    ['privileged', { security: { privileged: true } }, { unprivileged: true }, ['DI3017']],
    ['runAsUser 1001', { runAsUser: 1001 }, { runAsUser: 999 }, ['DI3013']],
  ] as const)('%s', (_what, over, expected, codes) => {
    const r = plan(over as Partial<ContainerInput>);
    expect(r.plan!.main.confinement).toMatchObject(expected);
    for (const c of codes) expect(r.codes).toContain(c);
    if (!codes.length) expect(r.codes).not.toContain('DI3017');
  });

  it('--security runAsNonRoot=false leaves the container its own value, with no warning', () => {
    const r = plan({ security: { runAsNonRoot: false } }, { runAsNonRoot: false });
    expect(r.plan!.main.confinement.runAsNonRoot).toBeUndefined();
    expect(r.codes).not.toContain('DI3017');
  });
});

describe('init confinement: the container own, plus only what the init step needs and the container had', () => {
  it.each([
    ['runtime defaults', {}, 0, ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'], []],
    ['drop ALL, add CHOWN SETGID SETUID', { security: { capDrop: ['ALL'], capAdd: ['CHOWN', 'SETGID', 'SETUID'] } }, 0, ['CHOWN', 'SETGID', 'SETUID'], ['DI3018']],
    ['drop DAC_OVERRIDE', { security: { capDrop: ['DAC_OVERRIDE'] } }, 0, ['CHOWN', 'FOWNER', 'SETGID', 'SETUID'], ['DI3018']],
    ['privileged', { security: { privileged: true } }, 0, ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'], []],
    ['runAsNonRoot pod', { requiresNonRoot: true }, 999, [], ['DI3008']],
  ] as const)('%s', (_what, over, uid, caps, codes) => {
    const r = plan(over as Partial<ContainerInput>);
    const init = r.plan!.init!.confinement;
    expect(init.runAsUser).toBe(uid);
    expect(init.noNewPrivileges).toBe(true);
    expect(init.unprivileged).toBe(true);
    expect(init.capabilities).toEqual({ drop: ['ALL'], add: caps });
    for (const c of codes) expect(r.codes).toContain(c);
    expect(r.codes).toContain('DI3019');
  });

  it('a read-only root filesystem of the container gives the init the scratch paths', () => {
    const r = plan({ security: { readOnlyRootFilesystem: true } });
    expect(r.plan!.init!.addMounts.filter((m) => m.kind === 'scratch').map((m) => m.path)).toEqual(['/var/run/postgresql', '/tmp']);
  });
});

describe('data directory', () => {
  it.each([
    ['a volume at PGDATA', {}, '/var/lib/postgresql/data', 'data', undefined, []],
    ['PGDATA of its own, no volume: the added volume covers it', { env: [{ name: 'PGDATA', value: '/srv/pg' }], mounts: [] }, '/srv/pg', 'db-data', 'emptyDir', ['DI3005']],
    ['floating tag, volume at the pre-18 path: PGDATA moves onto it', { image: 'postgres' }, '/var/lib/postgresql/data', 'data', undefined, ['DI3007', 'DI3020']],
    ['pinned 18, volume at /var/lib/postgresql: the versioned directory inside it', { image: 'postgres:18.1', mounts: [{ volume: 'data', path: '/var/lib/postgresql' }] }, '/var/lib/postgresql', 'data', undefined, []],
  ] as const)('%s', (_what, over, path, volume, add, codes) => {
    const r = plan(over as Partial<ContainerInput>);
    expect(r.plan!.data).toMatchObject({ path, volume });
    expect(r.plan!.data.add).toBe(add);
    for (const c of codes) expect(r.codes).toContain(c);
  });

  it('PGDATA beside the only volume is refused (DI3021)', () => {
    const r = plan({ env: [{ name: 'PGDATA', value: '/srv/pg' }] });
    expect(r.plan).toBeUndefined();
    expect(r.codes).toEqual(['DI3021']);
  });

  it('the floating tag sets PGDATA on both containers', () => {
    expect(plan({ image: 'postgres:alpine' }).plan!.main.setEnv.PGDATA).toBe('/var/lib/postgresql/data');
  });
});

describe('env routes', () => {
  it('init-only env leaves main; wholesale imports are reported', () => {
    const r = plan({
      env: [{ name: 'POSTGRES_PASSWORD' }, { name: 'POSTGRES_DB', value: 'app' }, { name: 'TZ', value: 'UTC' }],
      envFromSecrets: ['db'],
      envFromOther: [{ kind: 'ConfigMap', name: 'settings' }],
    });
    expect(r.plan!.main.removeEnv).toEqual(['POSTGRES_PASSWORD', 'POSTGRES_DB']);
    expect(r.codes.filter((c) => c === 'DI4005')).toHaveLength(2);
  });
});

describe('probes', () => {
  it.each([
    ['sh -c of a runtime binary keeps its own arguments', { probes: [{ role: 'readiness', exec: ['sh', '-c', 'pg_isready -p 5433 -U app'] }] }, ['/usr/lib/postgresql/16/bin/pg_isready', '-p', '5433', '-U', 'app']],
    ['a shell expression gets the template probe at the server port', { args: ['-c', 'port=5433'], probes: [{ role: 'readiness', exec: ['sh', '-c', 'pg_isready -U "$POSTGRES_USER"'] }] }, ['/usr/lib/postgresql/16/bin/pg_isready', '-p', '5433', '-h', '127.0.0.1']],
    ['an added readiness probe follows the server port', { args: ['-p', '5434'] }, ['/usr/lib/postgresql/16/bin/pg_isready', '-p', '5434', '-h', '127.0.0.1']],
  ] as const)('%s', (_what, over, exec) => {
    const r = plan(over as unknown as Partial<ContainerInput>);
    expect(r.plan!.probes[0]!.probe).toEqual({ exec });
  });

  it('an added probe has its timing in the plan; a network probe carries the template exec form', () => {
    expect(plan().plan!.probes[0]!.periodSeconds).toBe(10);
    const redis = planContainer(input({ image: 'redis:7.4', mounts: [{ volume: 'd', path: '/data' }], args: ['--port', '6380'] }), { catalogue });
    const p = redis.kind === 'split' ? redis.plan.probes[0]! : undefined;
    expect(p?.probe).toEqual({ tcpSocket: { port: 6380 } });
    expect(p?.execForm).toEqual(['/usr/local/bin/redis-cli', '-p', '6380', '-h', '127.0.0.1', 'ping']);
  });

  it('server settings that run a shell are reported (DI4008)', () => {
    expect(plan({ args: ['-c', 'archive_command=cp %p /a/%f'] }).codes).toContain('DI4008');
    expect(plan({ args: ['-c', "archive_command=''"] }).codes).not.toContain('DI4008');
  });
});

describe('one plan, both formats', () => {
  const kube = `apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  containers:
    - name: db
      image: postgres:16.4
      securityContext:
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL], add: [CHOWN, SETGID, SETUID, FOWNER]}
      volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: d}}]
`;
  const compose = `services:
  db:
    image: postgres:16.4
    read_only: true
    cap_drop: [ALL]
    cap_add: [CHOWN, SETGID, SETUID, FOWNER]
    volumes: [data:/var/lib/postgresql/data]
volumes: {data: {}}
`;
  it('gives the same init confinement, mounts and probe timing', () => {
    type C = { name: string; securityContext: Record<string, unknown>; volumeMounts: { mountPath: string }[]; readinessProbe?: { periodSeconds: number } };
    const k = parse(transformManifests(kube, { catalogue }).output) as { spec: { initContainers: C[]; containers: C[] } };
    const c = parse(transformCompose(compose, { catalogue }).output) as { services: Record<string, Record<string, unknown>> };
    const ki = k.spec.initContainers[0]!;
    const ci = c.services['db-init']!;
    // init: user, capabilities, privilege escalation, read-only root
    expect(`${String(ki.securityContext.runAsUser)}:${String(ki.securityContext.runAsGroup)}`).toBe(ci.user);
    const kcaps = ki.securityContext.capabilities as { drop: string[]; add: string[] };
    expect(kcaps.drop).toEqual(['ALL']);
    expect(ci.cap_drop).toEqual(['ALL']);
    expect(kcaps.add).toEqual(ci.cap_add);
    expect(ki.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(ci.security_opt).toContain('no-new-privileges:true');
    expect(ki.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(ci.read_only).toBe(true);
    // mounts: the data volume and, under a read-only root, the scratch paths (Compose: tmpfs)
    expect(ki.volumeMounts.map((m) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
    expect([...(ci.volumes as string[]).map((v) => v.split(':')[1]), ...(ci.tmpfs as string[])].sort()).toEqual(['/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
    // main: the same user and probe timing
    const km = k.spec.containers[0]!;
    const cm = c.services.db!;
    expect(`${String(km.securityContext.runAsUser)}:${String(km.securityContext.runAsGroup)}`).toBe(cm.user);
    expect(`${km.readinessProbe!.periodSeconds}s`).toBe((cm.healthcheck as { interval: string }).interval);
  });
});
