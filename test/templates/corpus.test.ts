/**
 * Every Kubernetes file in the shared corpus that runs one of the catalogue's
 * images (mysql, mariadb, mongo, redis, nginx, httpd, memcached, wordpress,
 * bitnami/postgresql, rabbitmq, elasticsearch, opensearch) goes through the
 * real CLI: no crash, no error diagnostic, the output parses, a second run
 * changes nothing, and every such container is either split (recorded in the
 * split annotation) or left as it was with a diagnostic that says why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { findTemplate } from '../../src/catalogue/match.js';
import { parseImageRef } from '../../src/shared/image-ref.js';
import { cli, CORPUS } from '../helpers.js';

const { catalogue } = loadCatalogue();
const OURS = new Set(['mysql', 'mariadb', 'mongo', 'redis', 'nginx', 'httpd', 'memcached', 'wordpress', 'bitnami-postgresql', 'rabbitmq', 'elasticsearch', 'opensearch']);

interface Found {
  file: string;
  containers: { name: string; image: string; template?: string }[];
}

/** Containers (name + image) anywhere in a parsed document. */
function containersOf(value: unknown, out: { name: string; image: string }[] = []): { name: string; image: string }[] {
  if (Array.isArray(value)) for (const v of value) containersOf(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.name === 'string' && typeof o.image === 'string') out.push({ name: o.name, image: o.image });
    // init containers are never split (the planner only looks at `containers`)
    for (const [k, v] of Object.entries(o)) if (k !== 'initContainers') containersOf(v, out);
  }
  return out;
}

/** Repository paths that look like one of our images (also when no template claims them, e.g. another registry). */
const LOOKS_LIKE = /(^|\/)(mysql|mariadb|mongo|redis|nginx|httpd|memcached|wordpress|postgresql|rabbitmq|elasticsearch|opensearch)$/;

function corpusFiles(): Found[] {
  const found: Found[] = [];
  for (const dir of readdirSync(CORPUS, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(CORPUS, dir.name))) {
      if (!/\.(ya?ml|json)$/.test(f)) continue;
      const text = readFileSync(join(CORPUS, dir.name, f), 'utf8');
      if (/^services:/m.test(text)) continue; // Compose files: the Compose converter's tests
      const containers: Found['containers'] = [];
      for (const doc of parseAllDocuments(text)) {
        let js: unknown;
        try {
          js = doc.toJS({ maxAliasCount: 100 });
        } catch {
          continue;
        }
        if (!js || typeof js !== 'object' || typeof (js as { kind?: unknown }).kind !== 'string') continue;
        for (const c of containersOf(js)) {
          const ref = parseImageRef(c.image);
          if (!ref || !LOOKS_LIKE.test(ref.path)) continue;
          const t = findTemplate(catalogue, ref)?.template.name;
          containers.push({ ...c, ...(t ? { template: t } : {}) });
        }
      }
      if (containers.length) found.push({ file: join(dir.name, f), containers });
    }
  }
  return found.sort((a, b) => a.file.localeCompare(b.file));
}

const FOUND = corpusFiles();

describe('corpus files running catalogue images', () => {
  it('finds them (mysql, redis, mongo, rabbitmq at least)', () => {
    const templates = new Set(FOUND.flatMap((f) => f.containers.map((c) => c.template)).filter(Boolean));
    expect(FOUND.length).toBeGreaterThanOrEqual(8);
    for (const t of ['mysql', 'redis', 'mongo', 'rabbitmq']) expect(templates).toContain(t);
    for (const t of templates) expect(OURS.has(t!)).toBe(true);
  });

  for (const { file, containers } of FOUND) {
    it(`${file}: ${containers.map((c) => c.image).join(', ')}`, async () => {
      const input = readFileSync(join(CORPUS, file), 'utf8');
      const r = await cli(['--output-format', 'json', '-v'], input);
      const diags = (JSON.parse(r.stderr) as { diagnostics: { code: string; severity: string; message: string }[] }).diagnostics;
      expect(diags.filter((d) => d.severity === 'error' || d.code === 'DI9001')).toEqual([]);
      expect(r.code).toBe(0);
      for (const doc of parseAllDocuments(r.stdout)) expect(doc.errors).toEqual([]);
      const split = new Set(r.stdout.match(/distroless-init\.io\/split: *"?([^"\n]+)/g)?.flatMap((m) => m.replace(/.*split: *"?/, '').split(',')) ?? []);
      for (const c of containers) {
        if (split.has(c.name)) continue;
        // not split: a diagnostic names the container or its image and says why
        const why = diags.filter((d) => ['DI3001', 'DI3004', 'DI3009', 'DI3010', 'DI4003'].includes(d.code) && (d.message.includes(c.image) || d.message.includes(`"${c.name}"`)));
        expect(why.length, `${c.name} (${c.image}) neither split nor explained`).toBeGreaterThan(0);
        if (c.template && ['rabbitmq', 'elasticsearch', 'opensearch'].includes(c.template)) expect(why.map((d) => d.code)).toContain('DI3009');
      }
      const again = await cli(['--output-format', 'json'], r.stdout);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(r.stdout);
    });
  }
});
