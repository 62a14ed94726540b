/**
 * The catalogue as data: every built-in template parses with no diagnostic,
 * the JSON Schema and the TypeScript types name the same fields, and
 * `templates validate` rejects a broken template naming file, line and field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../src/catalogue/load.js';
import type { Template, TemplateInit, TemplateMain, TemplateSpec, RuntimeSpec } from '../../src/catalogue/template.js';
import { cli, ROOT } from '../helpers.js';

const TEMPLATES = join(ROOT, 'templates');
const INVALID = join(ROOT, 'test', 'fixtures', 'templates-invalid');
const schema = JSON.parse(readFileSync(join(ROOT, 'src', 'catalogue', 'template.schema.json'), 'utf8')) as {
  properties: Record<string, unknown>;
  definitions: Record<string, { properties: Record<string, unknown> }>;
};

describe('built-in templates', () => {
  const files = readdirSync(TEMPLATES).filter((f) => f.endsWith('.yaml')).sort();

  it('include the issue-3 catalogue', () => {
    for (const n of ['mysql', 'mariadb', 'mongo', 'redis', 'nginx', 'httpd', 'memcached', 'wordpress', 'bitnami-postgresql', 'rabbitmq', 'elasticsearch', 'opensearch', 'postgres']) {
      expect(files).toContain(`${n}.yaml`);
    }
  });

  it('point at the project\'s own docs/images.md (shipped in the package), which has a section for each', () => {
    const sections = (readFileSync(join(ROOT, 'docs', 'images.md'), 'utf8').match(/^## .+$/gm) ?? []).join('\n');
    for (const f of files) {
      const text = readFileSync(join(TEMPLATES, f), 'utf8');
      expect(text, f).toMatch(/Facts[^\n]*\n?[^\n]*docs\/images\.md/);
      expect(sections, f).toContain(f.replace(/\.yaml$/, '').replace('-', '/'));
    }
  });

  for (const f of files) {
    it(`${f} parses with no diagnostic, its name matches the file, and it points editors at the schema`, () => {
      const text = readFileSync(join(TEMPLATES, f), 'utf8');
      const r = parseTemplate(text, f);
      expect(r.diagnostics).toEqual([]);
      expect(r.template?.name).toBe(f.replace(/\.yaml$/, ''));
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../src/catalogue/template.schema.json');
      expect(r.template?.sources?.length ?? 0).toBeGreaterThan(0);
    });
  }
});

// Exhaustive key lists: tsc fails when the type gains or loses a field, the test when the schema does.
const TEMPLATE_KEYS: Record<keyof Template, true> = { name: true, description: true, images: true, sources: true, versions: true, decline: true, spec: true, variants: true };
const SPEC_KEYS: Record<keyof TemplateSpec, true> = {
  uid: true, gid: true, dataPath: true, env: true, dataEnv: true, init: true, main: true, initOnlyEnv: true, probes: true,
  runtime: true, mainImage: true, shared: true, decline: true, persistent: true, warnings: true, fsGroup: true,
};
const INIT_KEYS: Record<keyof TemplateInit, true> = { command: true, args: true, runAs: true, env: true };
const MAIN_KEYS: Record<keyof TemplateMain, true> = { serverNames: true, command: true, extraArgs: true, writablePaths: true, ignoreArgs: true };
const RUNTIME_KEYS: Record<keyof RuntimeSpec, true> = { binaries: true, modules: true, files: true, moduleData: true, directories: true, stopSignal: true, env: true, notes: true };

describe('schema and TypeScript types agree', () => {
  const keys = (o: object): string[] => Object.keys(o).sort();
  it('Template', () => expect(keys(schema.properties)).toEqual(keys(TEMPLATE_KEYS)));
  it('TemplateSpec (and the partial spec of variants)', () => {
    expect(keys(schema.definitions.spec!.properties)).toEqual(keys(SPEC_KEYS));
    expect(keys(schema.definitions.partialSpec!.properties)).toEqual(keys(SPEC_KEYS));
  });
  it('TemplateInit', () => expect(keys(schema.definitions.init!.properties)).toEqual(keys(INIT_KEYS)));
  it('TemplateMain', () => expect(keys(schema.definitions.main!.properties)).toEqual(keys(MAIN_KEYS)));
  it('RuntimeSpec', () => expect(keys(schema.definitions.runtime!.properties)).toEqual(keys(RUNTIME_KEYS)));
});

describe('templates validate', () => {
  it('accepts every built-in template', async () => {
    const files = readdirSync(TEMPLATES).filter((f) => f.endsWith('.yaml')).map((f) => join('templates', f));
    const r = await cli(['templates', 'validate', ...files]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(files.length);
  });

  it('rejects a schema error with file:line:column and the JSON path of the field', async () => {
    const r = await cli(['templates', 'validate', 'test/fixtures/templates-invalid/broken.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // writablePaths: [tmp] is on line 11, the item at column 21
    expect(r.stderr).toMatch(/^test\/fixtures\/templates-invalid\/broken\.yaml:11:21: error DI2003: \/spec\/main\/writablePaths\/0 must match pattern "\^\/"/m);
  });

  it('rejects a rule violation (a variant over an unknown variable) with its line and field', async () => {
    const r = await cli(['templates', 'validate', 'test/fixtures/templates-invalid/bad-rule.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^test\/fixtures\/templates-invalid\/bad-rule\.yaml:16:\d+: error DI2004: \/variants\/0\/when\/minor: .*\[rule when-vars\]/m);
  });

  it('rejects YAML that does not parse (DI2002 with a line), and still reports the good files', async () => {
    const r = await cli(['templates', 'validate', 'test/fixtures/templates-invalid/not-yaml.yaml', 'templates/redis.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^test\/fixtures\/templates-invalid\/not-yaml\.yaml:\d+:\d+: error DI2002/m);
    expect(r.stdout).toBe('templates/redis.yaml: ok (redis)\n');
  });

  it('the invalid fixtures break the pipe filter too when loaded with --templates (nothing on stdout)', async () => {
    const r = await cli(['--templates', INVALID], 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - {name: a, image: redis:8}\n');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('broken.yaml');
  });
});

describe('docs/templates.md', () => {
  it('its worked example is a valid template', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'templates.md'), 'utf8');
    const example = /```yaml\n(# yaml-language-server[\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const r = parseTemplate(example!, 'docs/templates.md');
    expect(r.diagnostics).toEqual([]);
    expect(r.template?.name).toBe('kv');
  });

  it('documents every spec field', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'templates.md'), 'utf8');
    for (const k of [...Object.keys(SPEC_KEYS), ...Object.keys(MAIN_KEYS).map((m) => `main.${m}`), ...Object.keys(INIT_KEYS).map((m) => `init.${m}`)]) {
      expect(doc.includes(`\`${k}\``) || doc.includes(`\`${k}.`), k).toBe(true);
    }
  });
});

describe('templates list / show / explain', () => {
  it('list names every template with its images and variants', async () => {
    const r = await cli(['templates', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^redis\tredis\tvariants: redis7, alpine$/m);
    expect(r.stdout).toMatch(/^rabbitmq\trabbitmq\tdeclined$/m);
    expect(r.stdout).toMatch(/^bitnami-postgresql\tbitnami\/postgresql, bitnamilegacy\/postgresql\t/m);
  });

  it('show prints the file', async () => {
    const r = await cli(['templates', 'show', 'mongo']);
    expect(r.stdout).toBe(readFileSync(join(TEMPLATES, 'mongo.yaml'), 'utf8'));
  });

  it('explain says what happens to a container and why', async () => {
    const r = await cli(['explain', 'mariadb:11.4-ubi9']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('template "mariadb"');
    expect(r.stdout).toContain('variants: ubi');
    expect(r.stdout).toMatch(/init container: mariadb:11\.4-ubi9 runs bash -c <script of \d+ lines: templates show mariadb> mariadb-init as root/);
    expect(r.stdout).toContain('main container: mariadb:11.4-ubi9-distroless runs /usr/sbin/mariadbd as 999:999');
    const d = await cli(['explain', 'docker.elastic.co/elasticsearch/elasticsearch:9.1.0']);
    expect(d.stdout).toContain('DI3009');
  });
});
