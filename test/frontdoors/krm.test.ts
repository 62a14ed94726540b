/**
 * The KRM exec function: ResourceList in, ResourceList out. In-process through
 * the real CLI on a ResourceList as kpt sends it, then through the real
 * `kpt fn eval --exec` on a copy of examples/kustomize.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { cli, fixture, tmp } from '../helpers.js';
import { builtBin, copyExample, docs, pod, run, tool } from './tools.js';

interface Result {
  message: string;
  severity: string;
  resourceRef?: { kind?: string; name?: string };
  field?: { path: string };
  file?: { path: string; index?: number };
  tags?: { code: string };
}
interface ResourceList {
  apiVersion: string;
  kind: string;
  items: { kind: string; metadata: { name: string; annotations?: Record<string, string> } }[];
  results?: Result[];
}

const input = fixture('krm', 'resourcelist.yaml');

describe('KRM function (ResourceList on stdin, no arguments)', () => {
  it('answers with a ResourceList whose workloads are split, items in order, annotations and untouched text kept', async () => {
    const r = await cli([], input);
    expect(r.code).toBe(0);
    const out = parseDocument(r.stdout).toJS() as ResourceList;
    expect(out.apiVersion).toBe('config.kubernetes.io/v1');
    expect(out.kind).toBe('ResourceList');
    expect(out.items.map((i) => `${i.kind}/${i.metadata.name}`)).toEqual(['Deployment/db', 'ConfigMap/cm', 'DistrolessInit/split']);
    const db = out.items[0] as unknown as Parameters<typeof pod>[0];
    expect(pod(db).initContainers.map((c) => c.name)).toEqual(['db-init']);
    // the functionConfig's spec.images was used
    expect(pod(db).containers[0]!.image).toBe('postgres:16-distroless');
    const inAnn = (parseDocument(input).toJS() as ResourceList).items[0]!.metadata.annotations!;
    for (const [k, v] of Object.entries(inAnn)) expect(out.items[0]!.metadata.annotations![k]).toBe(v);
    expect(Object.keys(inAnn)).toEqual(expect.arrayContaining(['config.kubernetes.io/path', 'internal.config.kubernetes.io/path', 'config.k8s.io/id', 'internal.config.kubernetes.io/id']));
    // the comment before the changed item stays where it was, once
    expect(r.stdout.match(/# Source: chart\/templates\/db\.yaml/g)).toHaveLength(1);
    expect(r.stdout).toContain('- # Source: chart/templates/db.yaml\n  apiVersion: apps/v1\n');
    // the untouched items are copied as their exact text
    const cm = input.slice(input.indexOf('- apiVersion: v1\n  kind: ConfigMap'), input.indexOf('- apiVersion: distroless-init.io'));
    expect(r.stdout).toContain(cm);
  });

  it('reports diagnostics as results with severity, resourceRef, field and file', async () => {
    const out = parseDocument((await cli([], input)).stdout).toJS() as ResourceList;
    const split = out.results!.find((x) => x.tags?.code === 'DI3012')!;
    expect(split).toMatchObject({
      severity: 'info',
      resourceRef: { kind: 'Deployment', name: 'db' },
      field: { path: 'spec.template.spec.containers[0]' },
      file: { path: 'deploy.yaml', index: 0 },
    });
  });

  it('exits 1 with an error result and the items unchanged when the functionConfig is wrong', async () => {
    const bad = input.replace(/functionConfig:[\s\S]*$/, 'functionConfig:\n  apiVersion: distroless-init.io/v1alpha1\n  kind: DistrolessInit\n  spec:\n    imagez: {db: x}\n');
    const r = await cli([], bad);
    expect(r.code).toBe(1);
    const out = parseDocument(r.stdout).toJS() as ResourceList;
    expect(out.results!.filter((x) => x.severity === 'error').map((x) => x.tags?.code)).toEqual(['DI1008']);
    expect(r.stdout).not.toContain('initContainers');
    expect(r.stderr).toContain('DI1008');
  });

  it('accepts a ConfigMap functionConfig (kpt fn eval -- images=NAME=REF)', async () => {
    const cm = input.replace(/functionConfig:[\s\S]*$/, 'functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fn}\n  data:\n    images: db=registry.example.com/pg:16-distroless\n    security: readOnlyRootFilesystem=false\n');
    const r = await cli([], cm);
    expect(r.code).toBe(0);
    const out = parseDocument(r.stdout).toJS() as ResourceList;
    const main = pod(out.items[0] as unknown as Parameters<typeof pod>[0]).containers[0] as unknown as { image: string; securityContext: Record<string, unknown> };
    expect(main.image).toBe('registry.example.com/pg:16-distroless');
    expect(main.securityContext.readOnlyRootFilesystem).toBeUndefined();
  });
});

describe('mirrors in the function config', () => {
  const mirrored = input.replace('image: postgres:16', 'image: harbor.example.com/dockerhub/postgres:16');
  it('spec.mirrors and ConfigMap data.mirrors make PREFIX/postgres:16 the postgres image; without them it is left alone', async () => {
    const viaSpec = await cli([], mirrored.replace(/functionConfig:[\s\S]*$/, 'functionConfig:\n  apiVersion: distroless-init.io/v1alpha1\n  kind: DistrolessInit\n  spec:\n    mirrors: [harbor.example.com/dockerhub]\n'));
    expect(viaSpec.code, viaSpec.stderr).toBe(0);
    const db = (parseDocument(viaSpec.stdout).toJS() as ResourceList).items[0] as unknown as Parameters<typeof pod>[0];
    expect(pod(db).initContainers.map((c) => (c as unknown as { image: string }).image)).toEqual(['harbor.example.com/dockerhub/postgres:16']);
    expect((pod(db).containers[0] as unknown as { image: string }).image).toBe('harbor.example.com/dockerhub/postgres:16-distroless');
    const viaCm = await cli([], mirrored.replace(/functionConfig:[\s\S]*$/, 'functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fn}\n  data:\n    mirrors: harbor.example.com/dockerhub\n'));
    expect(viaCm.code, viaCm.stderr).toBe(0);
    expect(viaCm.stdout).toContain('image: harbor.example.com/dockerhub/postgres:16-distroless');
    const without = await cli([], mirrored.replace(/functionConfig:[\s\S]*$/, ''));
    expect(without.stdout).not.toContain('initContainers');
  });
  it('a mirror that is not a registry prefix is a DI1008 error', async () => {
    const r = await cli([], mirrored.replace(/functionConfig:[\s\S]*$/, 'functionConfig:\n  apiVersion: distroless-init.io/v1alpha1\n  kind: DistrolessInit\n  spec:\n    mirrors: ["https://harbor.example.com"]\n'));
    expect(r.code).toBe(1);
    expect((parseDocument(r.stdout).toJS() as ResourceList).results!.filter((x) => x.severity === 'error').map((x) => [x.tags?.code, x.field?.path])).toEqual([['DI1008', 'spec.mirrors']]);
  });
});

describe('kustomize build --enable-alpha-plugins --enable-exec (its ResourceList, reproduced)', () => {
  it('keeps kustomize.config.k8s.io/id (a block scalar) and every other annotation, and splits the StatefulSet', async () => {
    const text = fixture('krm', 'kustomize-resourcelist.yaml');
    const r = await cli([], text);
    expect(r.code, r.stderr).toBe(0);
    const out = parseDocument(r.stdout).toJS() as ResourceList;
    const before = parseDocument(text).toJS() as ResourceList;
    expect(out.items.map((i) => i.metadata.annotations)).toEqual(before.items.map((i) => i.metadata.annotations));
    expect(out.items[1]!.metadata.annotations!['kustomize.config.k8s.io/id']).toBe('group: apps\nkind: StatefulSet\nname: postgres\nversion: v1\n');
    const sts = pod(out.items[1] as unknown as Parameters<typeof pod>[0]);
    expect(sts.initContainers.map((c) => c.name)).toEqual(['postgres-init']);
    expect(sts.containers[0]!.image).toBe('registry.example.com/postgres:16-distroless');
    // the function config is not an item: nothing is added or removed
    expect(out.items).toHaveLength(2);
  });
});

describe('kpt fn eval --exec (the real kpt)', () => {
  const kpt = tool('kpt');
  const script = (): string => {
    const f = join(tmp('di-kpt-fn-'), 'distroless-init');
    writeFileSync(f, `#!/bin/sh\nexec '${process.execPath}' '${builtBin()}' "$@"\n`);
    chmodSync(f, 0o755);
    return f;
  };

  it('splits the workloads of examples/kustomize in place', () => {
    const dir = copyExample('kustomize');
    const r = run(kpt, ['fn', 'eval', dir, '--exec', script(), '--fn-config', join(dir, 'distroless-init.yaml')]);
    expect(r.status, r.stderr).toBe(0);
    const objs = docs(readFileSync(join(dir, 'postgres.yaml'), 'utf8'));
    const sts = objs.find((o) => o.kind === 'StatefulSet')!;
    expect(pod(sts).initContainers.map((c) => c.name)).toEqual(['postgres-init']);
    expect(pod(sts).initContainers[0]!.image).toBe('postgres:16.4');
    expect(pod(sts).containers[0]!.image).toBe('registry.example.com/postgres:16-distroless');
    expect(pod(sts).containers[0]!.command).toEqual(['/usr/lib/postgresql/16/bin/postgres']);
    expect(objs.find((o) => o.kind === 'Service')).toBeDefined();
    // kpt printed our results
    expect(r.stderr).toContain('container "postgres" split with template "postgres"');
  });

  it('prints the ResourceList with -o stdout and fails, showing our stderr, on a bad config', () => {
    const dir = copyExample('kustomize');
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nmetadata: {name: bad}\nspec:\n  images: [postgres]\n');
    const r = run(kpt, ['fn', 'eval', dir, '--exec', script(), '--fn-config', join(dir, 'bad.yaml'), '-o', 'stdout']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('DI1008');
    expect(readFileSync(join(dir, 'postgres.yaml'), 'utf8')).toBe(readFileSync(join(copyExample('kustomize'), 'postgres.yaml'), 'utf8'));
  });
});
