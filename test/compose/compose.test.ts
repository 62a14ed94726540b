/**
 * Compose conversion: golden fixtures (UPDATE_GOLDEN=1 rewrites expected.yaml),
 * behaviour assertions, the corpus, the compose-spec schema and the real
 * `docker-compose config` (Debian's docker-compose 1.29, installed by .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { transformCompose, validateCompose } from '../../src/adapters/compose.js';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { CORPUS, ROOT, cli, codes, spawnCli, tmp } from '../helpers.js';
import { composeTextViolations } from '../trust-invariants.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'compose');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'input.yaml'))).sort();

function args(c: string): string[] {
  const dir = join(FIXTURES, c);
  return existsSync(join(dir, 'templates')) ? ['--templates', join(dir, 'templates')] : [];
}

async function convert(c: string): Promise<{ code: number; stdout: string; stderr: string; input: string }> {
  const input = readFileSync(join(FIXTURES, c, 'input.yaml'), 'utf8');
  const r = await cli(['compose', '-f', '-', ...args(c)], input);
  return { ...r, input };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (text: string): Json => parse(text, { merge: true }) as Json;

/** Runs `docker-compose config -q` on a Compose text in a directory with the files it refers to stubbed. */
function dockerComposeConfig(text: string): { status: number | null; stderr: string } {
  const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('docker-compose is not installed: `apt-get install -y --no-install-recommends docker-compose` (listed in .ci/apt-packages.txt)');
  }
  const dir = tmp('di-compose-');
  writeFileSync(join(dir, 'compose.yaml'), text);
  const data = (parse(text, { merge: true }) ?? {}) as Json;
  const touch = (p: string): void => {
    const f = join(dir, p);
    mkdirSync(dirname(f), { recursive: true });
    if (!existsSync(f)) writeFileSync(f, '');
  };
  for (const svc of Object.values((data.services ?? {}) as Record<string, Json | null>)) {
    if (!svc) continue;
    const ctx = typeof svc.build === 'string' ? svc.build : svc.build?.context;
    if (typeof ctx === 'string' && !/^[a-z]+:\/\//.test(ctx) && !ctx.includes('$')) mkdirSync(join(dir, ctx), { recursive: true });
    const envFiles = ([] as unknown[]).concat(svc.env_file ?? []);
    for (const e of envFiles) if (typeof e === 'string' && !e.includes('$')) touch(e);
  }
  for (const top of ['secrets', 'configs']) {
    for (const s of Object.values((data[top] ?? {}) as Record<string, Json | null>)) if (typeof s?.file === 'string') touch(s.file);
  }
  const r = spawnSync('docker-compose', ['-f', join(dir, 'compose.yaml'), 'config', '-q'], { cwd: dir, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'ditest', POSTGRES_PASSWORD: 'test' } });
  return { status: r.status, stderr: r.stderr };
}

describe('golden fixtures (test/fixtures/compose/<case>)', () => {
  for (const c of cases) {
    it(`${c}: output matches expected.yaml, validates, and a second run changes nothing`, async () => {
      const r = await convert(c);
      expect(r.code, r.stderr).toBe(0);
      const expectedPath = join(FIXTURES, c, 'expected.yaml');
      if (UPDATE) writeFileSync(expectedPath, r.stdout);
      expect(existsSync(expectedPath), `${expectedPath} is missing: run UPDATE_GOLDEN=1 npx vitest run test/compose`).toBe(true);
      expect(r.stdout).toBe(readFileSync(expectedPath, 'utf8'));
      // idempotence: the output is a fixed point, byte for byte
      const again = await cli(['compose', '-f', '-', ...args(c)], r.stdout);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(r.stdout);
      const schema = await validateCompose(r.stdout, { original: r.input });
      expect(schema.filter((d) => d.severity === 'error')).toEqual([]);
      const withDiags = await cli(['compose', '-f', '-', '--output-format', 'json', ...args(c)], r.input);
      const diagnostics = (JSON.parse(withDiags.stderr) as { diagnostics: { code: string; message: string }[] }).diagnostics;
      expect(composeTextViolations(r.input, r.stdout, diagnostics)).toEqual([]);
      if (r.stdout === r.input) return; // nothing split: the file is the user's own (passthrough uses `extends` of a missing file)
      if (/^\s+(post_start|pre_stop):/m.test(r.stdout)) return; // lifecycle hooks are Compose 2.30+: docker-compose 1.29 rejects them
      const dc = dockerComposeConfig(r.stdout);
      expect(dc.stderr).not.toMatch(/ERROR|invalid/i);
      expect(dc.status, dc.stderr).toBe(0);
    });
  }
});

describe('what the split writes', () => {
  it('postgres 16 with a named volume: init and main share it, init-only env stays on the init side', async () => {
    const r = await convert('pg16-named-volume');
    const out = load(r.stdout);
    const { db, 'db-init': init, app } = out.services;
    expect(init.image).toBe('postgres:16');
    expect(init.entrypoint).toEqual(['docker-ensure-initdb.sh']);
    expect(init.restart).toBe('no');
    expect(init.user).toBe('0:0');
    expect(init.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(init.environment).toMatchObject({ POSTGRES_USER: 'shop', POSTGRES_PASSWORD: 'example', POSTGRES_DB: 'shop', TZ: 'Europe/Paris' });
    expect(db.image).toBe('postgres:16-distroless');
    expect(db.entrypoint).toEqual(['/usr/lib/postgresql/16/bin/postgres']);
    expect(db.command).toBeUndefined();
    expect(db.user).toBe('999:999');
    expect(db.restart).toBe('always');
    expect(db.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(db.environment).toEqual({ TZ: 'Europe/Paris', PGDATA: '/var/lib/postgresql/data' });
    expect(db.depends_on).toEqual({ 'db-init': { condition: 'service_completed_successfully' } });
    expect(db.read_only).toBe(true);
    expect(db.tmpfs).toEqual(['/var/run/postgresql', '/tmp']);
    expect(db.cap_drop).toEqual(['ALL']);
    expect(db.security_opt).toEqual(['no-new-privileges:true']);
    expect(db.labels).toEqual({ 'distroless-init.io/split': 'true' });
    expect(out.volumes).toEqual({ pgdata: {} });
    // the other service, the comment and the ${VAR} are untouched
    expect(app.environment.DATABASE_URL).toBe('postgres://shop:${DB_PASSWORD}@db/shop');
    expect(r.stdout).toContain('POSTGRES_PASSWORD: example # only read by initdb');
  });

  it('16-alpine with a bind mount and list env: uid 70, the bind is used by both, list form kept', async () => {
    const out = load((await convert('pg16-alpine-bind')).stdout);
    const { db, 'db-init': init } = out.services;
    expect(db.user).toBe('70:70');
    expect(db.entrypoint).toEqual(['/usr/local/bin/postgres']);
    expect(db.environment).toEqual(['PGPORT=5433', 'PGDATA=/var/lib/postgresql/data']);
    expect(init.environment).toEqual(['POSTGRES_PASSWORD=example', 'PGPORT=5433', 'PGDATA=/var/lib/postgresql/data']);
    expect(init.volumes).toContain('./pgdata:/var/lib/postgresql/data');
    expect(db.volumes).toContain('./pgdata:/var/lib/postgresql/data');
    expect(init.networks).toEqual(['backend']);
    expect(out.volumes).toBeUndefined();
  });

  it('postgres 18: the volume at /var/lib/postgresql is the data volume, PGDATA is the versioned directory', async () => {
    const out = load((await convert('pg18')).stdout);
    const { db, 'db-init': init } = out.services;
    expect(db.entrypoint).toEqual(['/usr/lib/postgresql/18/bin/postgres']);
    expect(db.environment.PGDATA).toBe('/var/lib/postgresql/18/docker');
    expect(init.environment.PGDATA).toBe('/var/lib/postgresql/18/docker');
    expect(db.volumes).toEqual([{ type: 'volume', source: 'pg18', target: '/var/lib/postgresql' }]);
    expect(Object.keys(out.volumes)).toEqual(['pg18']);
  });

  it('no volume: a named volume <svc>-data is added to both and to the top-level volumes, with DI3005', async () => {
    const r = await convert('no-volume');
    const out = load(r.stdout);
    expect(out.services.db.volumes).toEqual(['db-data:/var/lib/postgresql/data']);
    expect(out.services['db-init'].volumes).toEqual(['db-data:/var/lib/postgresql/data']);
    expect(out.volumes).toEqual({ 'db-data': null });
    expect(r.stderr).toContain('DI3005');
  });

  it('secrets with POSTGRES_PASSWORD_FILE: the secret and the _FILE env go to init only; a named user becomes numeric', async () => {
    const out = load((await convert('secrets-file')).stdout);
    const { db, 'db-init': init } = out.services;
    expect(init.secrets).toEqual(['db-password', { source: 'tls-key', target: 'server.key' }]);
    expect(init.environment).toContain('POSTGRES_PASSWORD_FILE=/run/secrets/db-password');
    expect(db.secrets).toEqual([{ source: 'tls-key', target: 'server.key' }]);
    expect(db.environment).toEqual(['PGDATA=/var/lib/postgresql/data']);
    expect(db.user).toBe('999:999');
    expect(init.user).toBe('999:999'); // `user: postgres` asked for no root
    expect(db.command).toEqual(['-c', 'ssl=on', '-c', 'ssl_key_file=/run/secrets/server.key']);
    expect(init.command).toEqual(db.command);
  });

  it('CMD-SHELL healthcheck: replaced by the exec form, other healthcheck fields kept', async () => {
    const r = await convert('healthcheck-cmd-shell');
    const { db, web } = load(r.stdout).services;
    expect(db.healthcheck).toEqual({ test: ['CMD', '/usr/local/bin/pg_isready', '-h', '127.0.0.1'], interval: '5s', retries: 10 });
    expect(web.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(r.stderr).not.toContain('DI4007');
  });

  it('lifecycle hooks: one that needs a shell or a binary main lacks is removed (DI4002), one main can run is kept; merged hooks are overridden', async () => {
    const input = readFileSync(join(FIXTURES, 'lifecycle-hooks', 'input.yaml'), 'utf8');
    const r = await cli(['compose', '-f', '-', '--output-format', 'json'], input);
    expect(r.code).toBe(0);
    const { db, 'db-init': init, reports } = load(r.stdout).services;
    expect(db.post_start).toEqual([{ command: ['/usr/lib/postgresql/16/bin/pg_isready', '-h', '127.0.0.1'] }]);
    expect(init.post_start).toBeUndefined();
    // the pre_stop hook came through a merge key: an empty list overrides it
    expect(reports.pre_stop).toEqual([]);
    const found = (JSON.parse(r.stderr) as { diagnostics: { code: string; message: string; resource?: { name?: string } }[] }).diagnostics.filter((x) => x.code === 'DI4002');
    expect(found.map((x) => [x.resource?.name, x.message.split(' hook ')[0]])).toEqual([
      ['db', 'post_start[0]'],
      ['reports', 'pre_stop[0]'],
    ]);
    expect(found[0]!.message).toContain('chown');
  });

  it('a shell healthcheck with no shell-free form is removed, and a service_healthy dependent gets DI4007', async () => {
    const input = readFileSync(join(FIXTURES, 'healthcheck-removed', 'input.yaml'), 'utf8');
    const r = await cli(['compose', '-f', '-', ...args('healthcheck-removed'), '--output-format', 'json'], input);
    expect(r.code).toBe(0);
    expect(load(r.stdout).services.db.healthcheck).toBeUndefined();
    expect(codes(r.stderr)).toContain('DI4007');
    const d = (JSON.parse(r.stderr) as { diagnostics: { code: string; message: string; resource?: { name?: string } }[] }).diagnostics.find((x) => x.code === 'DI4007')!;
    expect(d.resource?.name).toBe('web');
    expect(d.message).toMatch(/service_started/);
  });

  it('anchors, aliases and merge keys: kept; init-only env reached through a merge key is removed from main', async () => {
    const r = await convert('anchors-merge-keys');
    expect(r.stdout.slice(0, r.stdout.indexOf('services:'))).toBe(r.input.slice(0, r.input.indexOf('services:')));
    expect(r.stdout).toContain('    <<: *logging\n    image: postgres:16-distroless');
    expect(r.stdout).toContain('    environment: *db-env\n    command: ["serve", "--price", "$$5"]');
    const { db, 'db-init': init, api } = load(r.stdout).services;
    expect(db.environment).toEqual({ TZ: 'UTC', PGDATA: '/var/lib/postgresql/data' });
    expect(db.logging.driver).toBe('json-file');
    expect(init.environment.POSTGRES_PASSWORD).toBe('${POSTGRES_PASSWORD:?set it}');
    expect(api.environment.POSTGRES_PASSWORD).toBe('${POSTGRES_PASSWORD:?set it}');
  });

  it('a service that is an anchor reused by another is left unchanged (DI3016)', async () => {
    const r = await convert('shared-anchor');
    expect(r.stderr).toContain('DI3016');
    expect(r.stdout).toContain('  primary: &pg\n    image: postgres:16\n');
  });

  it('string entrypoint/command, short-form depends_on, string tmpfs, list labels', async () => {
    const out = load((await convert('command-args')).stdout);
    const { db, 'db-init': init } = out.services;
    expect(db.command).toEqual(['-c', 'max_connections=200', '-c', 'shared_buffers=256MB']);
    expect(init.command).toEqual(db.command);
    expect(db.depends_on).toEqual({
      'migrations-volume': { condition: 'service_started' },
      'db-init': { condition: 'service_completed_successfully' },
    });
    expect(db.tmpfs).toEqual(['/run/extra', '/var/run/postgresql', '/tmp']);
    expect(db.cap_drop).toEqual(['NET_RAW', 'ALL']);
    expect(db.labels).toEqual(['com.example.team=data', 'distroless-init.io/split=true']);
  });

  it('nothing to split: byte-identical, build/extends/${VAR} images reported as DI3001', async () => {
    const r = await cli(['compose', '-f', '-', '-v'], readFileSync(join(FIXTURES, 'passthrough', 'input.yaml'), 'utf8'));
    expect(r.stdout).toBe(readFileSync(join(FIXTURES, 'passthrough', 'input.yaml'), 'utf8'));
    expect(r.stderr.match(/DI3001/g)?.length).toBe(4);
  });

  it('--security turns a default off', async () => {
    const input = readFileSync(join(FIXTURES, 'no-volume', 'input.yaml'), 'utf8');
    const r = await cli(['compose', '-f', '-', '--security', 'readOnlyRootFilesystem=false', '--image', 'db=registry.example/pg:16'], input);
    const { db } = load(r.stdout).services;
    expect(db.read_only).toBeUndefined();
    expect(db.tmpfs).toBeUndefined();
    expect(db.image).toBe('registry.example/pg:16');
  });
});

describe('the compose command', () => {
  const pg = 'services:\n  db:\n    image: postgres:16\n';

  it('finds compose.yaml like docker compose (also from a subdirectory), and prefers it over docker-compose.yml', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'docker-compose.yml'), 'services: {}\n');
    writeFileSync(join(dir, 'compose.yaml'), pg);
    mkdirSync(join(dir, 'sub'));
    const r = await cli(['compose'], '', join(dir, 'sub'));
    expect(r.code).toBe(0);
    expect(load(r.stdout).services['db-init']).toBeDefined();
  });

  it('exits 2 when no Compose file is found, and on two -f', async () => {
    const r = await cli(['compose'], '', tmp());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no Compose file found/);
    expect((await cli(['compose', '-f', 'a.yaml', '-f', 'b.yaml'])).code).toBe(2);
  });

  it('exits 1 with nothing on stdout for a file that is not Compose, or not YAML', async () => {
    const k = await cli(['compose', '-f', '-'], 'apiVersion: v1\nkind: Pod\n');
    expect([k.code, k.stdout]).toEqual([1, '']);
    expect(k.stderr).toContain('DI1009');
    const y = await cli(['compose', '-f', '-'], 'services: [\n');
    expect([y.code, y.stdout]).toEqual([1, '']);
    expect(y.stderr).toContain('DI1001');
  });

  it('-o writes the file; --check exits 1 when something would change; --diff prints a patch', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'compose.yaml'), pg);
    expect((await cli(['compose', '-o', 'out.yaml'], '', dir)).code).toBe(0);
    const written = readFileSync(join(dir, 'out.yaml'), 'utf8');
    expect(load(written).services.db.image).toBe('postgres:16-distroless');
    expect(readdirSync(dir).sort()).toEqual(['compose.yaml', 'out.yaml']);
    const check = await cli(['compose', '--check'], '', dir);
    expect([check.code, check.stdout]).toEqual([1, '']);
    expect((await cli(['compose', '--check', '-f', 'out.yaml'], '', dir)).code).toBe(0);
    const diff = await cli(['compose', '--diff'], '', dir);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('+  db-init:');
  });

  it('--validate reports a schema problem the rewrite did not cause as a warning, and works from the bundle', async () => {
    const r = await cli(['compose', '-f', '-', '--validate', '--output-format', 'json'], 'services:\n  db:\n    image: postgres:16\n    bogus: 1\n');
    expect(r.code).toBe(0);
    const ds = (JSON.parse(r.stderr) as { diagnostics: { code: string; severity: string }[] }).diagnostics.filter((d) => d.code === 'DI1010');
    expect(ds.map((d) => d.severity)).toEqual(['warning']);
    const dir = tmp();
    writeFileSync(join(dir, 'x.yaml'), pg);
    const b = spawnCli(['compose', '--validate', '-f', 'x.yaml'], '', dir);
    expect(b.stderr).not.toContain('DI1010');
    expect(b.code, b.stderr).toBe(0);
    expect(load(b.stdout).services['db-init'].restart).toBe('no');
  });
});

describe('corpus: every Compose file is rewritten (valid, accepted by docker-compose, idempotent) or returned byte for byte', () => {
  const { catalogue } = loadCatalogue();
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name) && /^services:/m.test(readFileSync(p, 'utf8'))) files.push(p);
    }
  };
  walk(CORPUS);

  it('finds the Compose files of the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  for (const f of files) {
    it(f.slice(CORPUS.length + 1), async () => {
      const text = readFileSync(f, 'utf8');
      const r = transformCompose(text, { catalogue, file: f });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      if (!r.changed) {
        expect(r.output).toBe(text);
        return;
      }
      expect(transformCompose(r.output, { catalogue }).changed).toBe(false);
      expect(composeTextViolations(text, r.output, r.diagnostics)).toEqual([]);
      const schema = await validateCompose(r.output, { original: text });
      expect(schema.filter((d) => d.severity === 'error')).toEqual([]);
      // docker-compose 1.29 must accept the output whenever it accepts the input (some inputs use newer keys)
      const before = dockerComposeConfig(text);
      const after = dockerComposeConfig(r.output);
      if (before.status === 0) expect(after.status, after.stderr).toBe(0);
      else expect(after.stderr.replace(/\/tmp\/\S+/g, '')).toBe(before.stderr.replace(/\/tmp\/\S+/g, ''));
    });
  }
});
