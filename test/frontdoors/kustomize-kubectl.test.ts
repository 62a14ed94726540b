/**
 * kustomize legacy exec plugin and kubectl plugin, through the real kubectl:
 * `distroless-init install …` (the built bin) writes the plugin, then kubectl
 * finds and runs it. Exit codes prove nothing here (kubectl kustomize skips
 * what it cannot run), so the output is compared with the example's expected
 * file and the split is checked field by field. UPDATE_EXPECTED=1 rewrites the
 * expected files.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmp } from '../helpers.js';
import { builtBin, docs, EXAMPLES, pod, run, tool } from './tools.js';

const update = process.env.UPDATE_EXPECTED === '1';

function expectExample(file: string, actual: string): void {
  if (update) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('kustomize legacy exec plugin (kubectl kustomize --enable-alpha-plugins)', () => {
  const kubectl = tool('kubectl');

  it('install kustomize-plugin writes the executable where kustomize looks for kind DistrolessInit', () => {
    const xdg = tmp('di-xdg-');
    const r = run(process.execPath, [builtBin(), 'install', 'kustomize-plugin'], { env: { XDG_CONFIG_HOME: xdg, KUSTOMIZE_PLUGIN_HOME: '' } });
    expect(r.status, r.stderr).toBe(0);
    const file = join(xdg, 'kustomize', 'plugin', 'distroless-init.io', 'v1alpha1', 'distrolessinit', 'DistrolessInit');
    expect(r.stdout.trim()).toBe(file);
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('--config "$1"');
  });

  it('kubectl kustomize examples/kustomize splits the StatefulSet (expected.yaml)', () => {
    const xdg = tmp('di-xdg-');
    expect(run(process.execPath, [builtBin(), 'install', 'kustomize-plugin'], { env: { XDG_CONFIG_HOME: xdg, KUSTOMIZE_PLUGIN_HOME: '' } }).status).toBe(0);
    const r = run(kubectl, ['kustomize', '--enable-alpha-plugins', join(EXAMPLES, 'kustomize')], { env: { XDG_CONFIG_HOME: xdg, KUSTOMIZE_PLUGIN_HOME: '' } });
    expect(r.status, r.stderr).toBe(0);
    const sts = docs(r.stdout).find((o) => o.kind === 'StatefulSet')!;
    expect(pod(sts).initContainers.map((c) => `${c.name} ${c.image}`)).toEqual(['postgres-init postgres:16.4']);
    expect(pod(sts).containers.map((c) => `${c.name} ${c.image}`)).toEqual(['postgres registry.example.com/postgres:16-distroless']);
    expectExample(join(EXAMPLES, 'kustomize', 'expected.yaml'), r.stdout);
  });

  it('without the plugin installed kubectl kustomize fails instead of skipping it', () => {
    const r = run(kubectl, ['kustomize', '--enable-alpha-plugins', join(EXAMPLES, 'kustomize')], { env: { XDG_CONFIG_HOME: tmp('di-xdg-'), KUSTOMIZE_PLUGIN_HOME: '' } });
    expect(r.status).not.toBe(0);
  });
});

describe('kubectl plugin (kubectl distroless-init)', () => {
  const kubectl = tool('kubectl');

  it('is found by kubectl plugin discovery and prints the split (expected.yaml)', () => {
    const dir = tmp('di-kbin-');
    const inst = run(process.execPath, [builtBin(), 'install', 'kubectl-plugin', '--dir', dir]);
    expect(inst.status, inst.stderr).toBe(0);
    expect(existsSync(join(dir, 'kubectl-distroless_init'))).toBe(true);
    const env = { PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` };
    const list = run(kubectl, ['plugin', 'list'], { env });
    expect(list.stdout).toContain(join(dir, 'kubectl-distroless_init'));
    const r = run(kubectl, ['distroless-init', '-f', 'examples/kubectl/deployment.yaml'], { env });
    expect(r.status, r.stderr).toBe(0);
    const dep = docs(r.stdout)[0]!;
    expect(pod(dep).initContainers.map((c) => c.name)).toEqual(['postgres-init']);
    expect(pod(dep).containers[0]!.image).toBe('registry.example.com/postgres:17-distroless');
    expectExample(join(EXAMPLES, 'kubectl', 'expected.yaml'), r.stdout);
  });
});
