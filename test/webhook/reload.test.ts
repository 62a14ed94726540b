/**
 * Templates and options from mounted ConfigMaps, reloaded without a restart:
 * files are swapped by rename, as the kubelet swaps a ConfigMap volume's
 * `..data` link. A broken template after a reload keeps the last good
 * catalogue, and the failure is logged (DI6007) and counted.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/webhook/metrics.js';
import { applyPatch, type JsonValue } from '../../src/webhook/patch.js';
import type { LogEntry } from '../../src/webhook/server.js';
import { loadSettings, reportReload, SettingsReloader } from '../../src/webhook/settings.js';
import { ROOT, tmp } from '../helpers.js';
import { admissionReview, mutate, startServer, type Running } from './helpers.js';

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'db-', namespace: 'apps' },
  spec: { containers: [{ name: 'db', image: 'postgres:16.4' }] },
} as const;

const dir = tmp('di-webhook-reload-');
const templates = join(dir, 'templates');
const config = join(dir, 'config.yaml');
mkdirSync(templates);

/** Writes a file the way a ConfigMap volume changes: a new file renamed over the old one. */
function swap(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

let srv: Running;
let reloader: SettingsReloader;
const metrics = new Metrics();
const logs: LogEntry[] = [];

beforeAll(async () => {
  swap(config, 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nspec: {}\n');
  const source = { templates: [templates], config };
  const initial = loadSettings(source);
  expect(initial.settings).toBeDefined();
  reloader = new SettingsReloader(source, { ...initial, settings: initial.settings! }, { checkIntervalMs: 0, onReload: reportReload(metrics, (e) => logs.push(e)) });
  srv = await startServer({ settings: () => reloader.get(), metrics });
});
afterAll(async () => {
  reloader.close();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

async function mainContainer(): Promise<{ image: string; securityContext: { runAsUser: number } }> {
  const r = await mutate(srv.port, admissionReview(POD));
  expect(r.status).toBe(200);
  const patched = applyPatch(POD as unknown as JsonValue, r.patch) as unknown as { spec: { containers: { image: string; securityContext: { runAsUser: number } }[] } };
  return patched.spec.containers[0]!;
}

describe('webhook: templates and config reloaded on change', () => {
  const builtin = readFileSync(join(ROOT, 'templates', 'postgres.yaml'), 'utf8');

  it('starts with the built-in templates', async () => {
    expect((await mainContainer()).securityContext.runAsUser).toBe(999);
  });

  it('a template added to the directory is used by the next review', async () => {
    swap(join(templates, 'postgres.yaml'), builtin.replace('uid: 999\n  gid: 999', 'uid: 1001\n  gid: 1001'));
    expect((await mainContainer()).securityContext.runAsUser).toBe(1001);
    expect(metrics.get('config_reloads_total', { result: 'success' })).toBe(1);
  });

  it('a broken template keeps the last good catalogue; the failure is logged (DI6007) and counted', async () => {
    swap(join(templates, 'broken.yaml'), readFileSync(join(ROOT, 'test', 'fixtures', 'templates-invalid', 'broken.yaml'), 'utf8'));
    expect((await mainContainer()).securityContext.runAsUser).toBe(1001);
    expect(metrics.get('config_reloads_total', { result: 'failure' })).toBe(1);
    expect(metrics.get('config_last_reload_success')).toBe(0);
    const entry = logs.find((l) => l.code === 'DI6007');
    expect(entry?.level).toBe('error');
    expect(JSON.stringify(entry?.diagnostics)).toContain('DI2003');
    // not reloaded again until something changes
    await mainContainer();
    expect(metrics.get('config_reloads_total', { result: 'failure' })).toBe(1);
  });

  it('fixing it reloads again', async () => {
    rmSync(join(templates, 'broken.yaml'));
    swap(join(templates, 'postgres.yaml'), builtin.replace('uid: 999\n  gid: 999', 'uid: 1002\n  gid: 1002'));
    expect((await mainContainer()).securityContext.runAsUser).toBe(1002);
    expect(metrics.get('config_last_reload_success')).toBe(1);
  });

  it('the --config file (DistrolessInit) is reloaded too; a bad one keeps the last good settings', async () => {
    swap(config, 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nspec:\n  images:\n    db: registry.example.com/pg:16\n');
    expect((await mainContainer()).image).toBe('registry.example.com/pg:16');
    swap(config, 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nspec:\n  imagez: {}\n');
    expect((await mainContainer()).image).toBe('registry.example.com/pg:16');
    expect(metrics.get('config_last_reload_success')).toBe(0);
    swap(config, 'apiVersion: distroless-init.io/v1alpha1\nkind: DistrolessInit\nspec:\n  images:\n    db: registry.example.com/pg:16.9\n');
    expect((await mainContainer()).image).toBe('registry.example.com/pg:16.9');
  });

  it('a ConfigMap volume as the kubelet writes it (files are links through ..data, which is swapped)', () => {
    const cm = join(dir, 'configmap');
    mkdirSync(cm);
    const generation = (n: number, uid: number): void => {
      const g = `..2026_12_04_00_00_0${n}.000000000`;
      mkdirSync(join(cm, g));
      writeFileSync(join(cm, g, 'postgres.yaml'), builtin.replace('uid: 999\n  gid: 999', `uid: ${uid}\n  gid: ${uid}`));
      symlinkSync(g, join(cm, '..data_tmp'));
      renameSync(join(cm, '..data_tmp'), join(cm, '..data'));
    };
    generation(1, 1101);
    symlinkSync(join('..data', 'postgres.yaml'), join(cm, 'postgres.yaml'));
    const source = { templates: [cm] };
    const initial = loadSettings(source);
    const uidOf = (r: SettingsReloader): number => r.get().catalogue.templates.find((t) => t.template.name === 'postgres')!.template.spec?.uid ?? -1;
    const r = new SettingsReloader(source, { ...initial, settings: initial.settings! }, { checkIntervalMs: 0, watch: false });
    expect(uidOf(r)).toBe(1101);
    generation(2, 1102);
    expect(uidOf(r)).toBe(1102);
    r.close();
  });

  it('with an interval, the files are re-checked at most that often (fs.watch makes it sooner)', () => {
    let now = 0;
    const source = { templates: [templates] };
    const initial = loadSettings(source);
    const r = new SettingsReloader(source, { ...initial, settings: initial.settings! }, { checkIntervalMs: 1000, watch: false, now: () => now });
    const first = r.get();
    swap(join(templates, 'postgres.yaml'), builtin);
    now = 500;
    expect(r.get()).toBe(first);
    now = 1000;
    expect(r.get()).not.toBe(first);
    r.close();
  });
});
