/**
 * Compose in windows (src/core/compose-text.ts) against the whole-file path:
 * wherever the windowed rewrite answers, its text, its changed flag and its
 * diagnostics (the file's own lines) are the whole file's. Windows are made
 * as small as possible here (one service each where nothing joins them), on
 * every Compose fixture and corpus file and on generated files with every
 * kind of reference between services; the CLI runs a file over the size that
 * switches windows on.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { COMPOSE_WINDOW_MIN, transformComposeInWindows, transformComposeWhole } from '../../src/core/compose-text.js';
import type { Diagnostic } from '../../src/shared/diagnostics.js';
import { BIN, CORPUS, HAS_CORPUS, OWN_CORPUS, ROOT, tmp, yamlFiles } from '../helpers.js';
import { composeTextViolations } from '../trust-invariants.js';

const { catalogue } = loadCatalogue();
const sorted = (ds: Diagnostic[]): string[] => ds.map((d) => JSON.stringify(d)).sort();

/** Windowed and whole agree, or windows are refused; returns whether windows were used. */
function agree(text: string, windowBytes = 1, file = 'compose.yaml'): boolean {
  const whole = transformComposeWhole(text, { catalogue, file });
  const win = transformComposeInWindows(text, { catalogue, file }, windowBytes);
  if (!win) return false;
  expect(win.output, file).toBe(whole.output);
  expect(win.changed, file).toBe(whole.changed);
  expect(sorted(win.diagnostics), file).toEqual(sorted(whole.diagnostics));
  // and the rules every rewrite keeps (test/trust-invariants.ts), on the windowed text itself
  expect(composeTextViolations(text, win.output, win.diagnostics), file).toEqual([]);
  return true;
}

/** A generated Compose file: databases and apps that refer to each other in every way Compose has. */
function generated(n: number, volumesKey = true): string {
  let s = '# generated\nx-common: &common\n  restart: unless-stopped\n  logging: {driver: json-file}\n\nservices:\n';
  for (let i = 0; i < n; i++) {
    const kind = i % 7;
    s += `  # service ${i}\n`;
    if (kind === 0) s += `  db${i}:\n    <<: *common\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: example\n    healthcheck:\n      test: ["CMD-SHELL", "pg_isready -U postgres"]\n      interval: 5s\n    volumes:\n      - db${i}:/var/lib/postgresql/data\n`;
    if (kind === 1) s += `  app${i}:\n    image: ghcr.io/acme/api:2.3\n    depends_on:\n      db${i - 1}:\n        condition: service_healthy\n`;
    if (kind === 2) s += `  cache${i}: &cache${i}\n    image: redis:7\n    ports: ["${6000 + i}:6379"]\n`;
    if (kind === 3) s += `  cache${i}:\n    <<: *cache${i - 1}\n    network_mode: "service:db${i - 3}"\n`;
    if (kind === 4) s += `  web${i}:\n    image: nginx:1.27\n    links: ["cache${i - 2}:c"]\n    volumes_from: ["service:db${i - 4}:ro"]\n\n`;
    if (kind === 5) s += `  mysql${i}:\n    image: mysql:8.4\n    environment: {MYSQL_ROOT_PASSWORD: example}\n`;
    if (kind === 6) s += `  job${i}:\n    image: busybox:1\n    depends_on: [mysql${i - 1}]\n`;
  }
  if (volumesKey) {
    s += 'volumes:\n';
    for (let i = 0; i < n; i += 7) s += `  db${i}: {}\n`;
  }
  return s;
}

describe('Compose in windows', () => {
  it('gives the whole-file rewrite on every Compose fixture and corpus file', () => {
    const dirs = [join(ROOT, 'test', 'fixtures', 'compose'), join(OWN_CORPUS, 'compose'), ...(HAS_CORPUS ? [CORPUS] : [])];
    let files = 0;
    let windowed = 0;
    for (const file of dirs.flatMap((d) => yamlFiles(d))) {
      const text = readFileSync(file, 'utf8');
      if (!/^services:/m.test(text)) continue;
      files++;
      if (agree(text, 1, file)) windowed++;
    }
    expect(files).toBeGreaterThan(20);
    // many hold services that all wait on one another: one group, rewritten whole (3 of the project's own, 16 with
    // the shared corpus; the generated files below are cut in windows in every layout)
    expect(windowed).toBeGreaterThan(HAS_CORPUS ? 10 : 2);
  });

  it.each([
    ['with a volumes key', generated(70)],
    ['without a volumes key (the split adds one)', generated(70, false)],
    ['with CRLF line breaks', generated(35).replace(/\n/g, '\r\n')],
    ['with four-space indentation', generated(35).replace(/^( +)/gm, '$1$1')],
    ['with the services last', `volumes:\n  extra: {}\n${generated(35, false)}`],
  ])('gives the whole-file rewrite on a generated file %s', (_, text) => {
    for (const size of [1, 300]) expect(agree(text, size)).toBe(true);
  });

  it.each([
    ['a document marker', `---\n${generated(14)}`],
    ['an anchor on the services key', generated(14).replace('services:', 'services: &all')],
    ['services as a flow map', 'services: {a: {image: "postgres:16"}, b: {image: "redis:7"}}\n'],
    ['an alias after the services to an anchor inside them', `${generated(14)}x-later: *cache2\n`],
    ['a parse error', `${generated(14)}  bad: [\n`],
    ['a service name twice, in two windows', generated(70).replace('  # service 60\n', '  web4:\n    image: busybox:1\n  # service 60\n')],
    ['an anchor of a service redefined around the services', `${generated(14)}x-later: &cache2 {a: 1}\n`],
    ['one group only (every service depends on the first)', generated(14).replace(/image: (?!postgres:16\n    environment)/g, 'depends_on: [db0]\n    image: ')],
  ])('rewrites whole what it cannot cut: %s', (_, text) => {
    expect(transformComposeInWindows(text, { catalogue }, 1)).toBeUndefined();
  });

  it('is how the CLI rewrites a file over the window size, with the whole-file result', () => {
    let text = generated(7);
    while (text.length <= COMPOSE_WINDOW_MIN) text = generated(Math.ceil((COMPOSE_WINDOW_MIN / text.length) * 7 * 1.1));
    const dir = tmp();
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, text);
    const out = join(dir, 'out.yaml');
    // (the run prints ~13,000 warnings: more than spawnSync's default buffer)
    const r = spawnSync(process.execPath, [BIN, 'compose', '-f', file, '-o', out], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const whole = transformComposeWhole(text, { catalogue, file });
    const written = readFileSync(out, 'utf8');
    expect(written).toBe(whole.output);
    expect(composeTextViolations(text, written, whole.diagnostics)).toEqual([]);
    expect(transformComposeInWindows(text, { catalogue, file })).toBeDefined();
    const services = (parse(written, { merge: true, maxAliasCount: -1 }) as { services: Record<string, unknown> }).services;
    expect(Object.keys(services).filter((k) => k.endsWith('-init')).length).toBeGreaterThan(1000);
    // (~1 MB in, ~5 MB out: the whole-file rewrite and the trust checker over ~8,000 services take a minute or two)
  }, 400_000);
});
