/** The pipe filter as users run it: flags, files, exit codes, the bundled binary. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CODES } from '../../src/shared/diagnostics.js';
import { VERSION } from '../../src/shared/version.js';
import { cli, codes, ROOT, spawnCli, tmp } from '../helpers.js';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: db
spec:
  containers:
  - name: db
    image: postgres:16
`;

describe('inputs and outputs', () => {
  it('reads files and directories (-f, -R) like kubectl and joins them into one stream', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.yaml'), POD);
    writeFileSync(join(dir, 'sub', 'b.yml'), POD.replace('name: db\nspec', 'name: db2\nspec'));
    writeFileSync(join(dir, 'notes.txt'), 'not yaml');
    const flat = await cli(['-f', dir], '', dir);
    expect(flat.code).toBe(0);
    expect(parseAllDocuments(flat.stdout)).toHaveLength(1);
    const deep = await cli(['-f', dir, '-R'], '', dir);
    const docs = parseAllDocuments(deep.stdout).map((d) => d.toJS() as { metadata: { name: string } });
    expect(docs.map((d) => d.metadata.name)).toEqual(['db', 'db2']);
  });

  it('writes -o FILE atomically and leaves an existing file untouched on error', async () => {
    const dir = tmp();
    const out = join(dir, 'out.yaml');
    const ok = await cli(['-o', out], POD, dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('db-init');
    const bad = await cli(['-o', out], 'kind: Pod\nmetadata: [\n', dir);
    expect(bad.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toContain('db-init');
    expect(readdirSync(dir)).toEqual(['out.yaml']);
  });

  it('prints nothing on stdout when any document has an error', async () => {
    const r = await cli([], `${POD}---\nkind: Pod\nmetadata: {name: x\n`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/<stdin>:\d+:\d+: error DI1001/);
  });

  it('--check exits 1 when something would change and 0 when nothing would', async () => {
    const r = await cli(['--check'], POD);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const split = await cli([], POD);
    expect((await cli(['--check'], split.stdout)).code).toBe(0);
  });

  it('--diff prints a unified diff', async () => {
    const r = await cli(['--diff', 'examples/postgres/pod.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Index: examples\/postgres\/pod.yaml/m);
    expect(r.stdout).toMatch(/^\+ {4}image: postgres:17-distroless$/m);
    expect(r.stdout).toMatch(/^\+ {2}- name: db-init$/m);
  });

  it('reads a missing file as DI1002 and exits 1', async () => {
    const r = await cli(['--output-format', 'json', 'no/such/file.yaml']);
    expect(r.code).toBe(1);
    expect(codes(r.stderr)).toEqual(['DI1002']);
  });
});

describe('usage and templates', () => {
  it('exits 2 on usage errors', async () => {
    expect((await cli(['--no-such-flag'], POD)).code).toBe(2);
    expect((await cli(['--image', 'nonsense'], POD)).code).toBe(2);
    expect((await cli(['--security', 'root=true'], POD)).code).toBe(2);
    expect((await cli(['--output-format', 'xml'], POD)).code).toBe(2);
  });

  it('fails on a template directory that does not exist (DI2001)', async () => {
    const r = await cli(['--templates', '/no/such/dir', '--output-format', 'json'], POD);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(codes(r.stderr)).toContain('DI2001');
  });

  it('fails on a template that breaks the schema, naming file, line and field (DI2003)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\ndescription: x\nimages: [broken]\nspec:\n  uid: 1\n  gid: 1\n  dataPath: /data\n  main:\n    serverNames: [x]\n    command: /bin/x\n');
    const r = await cli(['--templates', dir], POD);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/broken\.yaml:10:\d+: error DI2003: \/spec\/main\/command must be array$/m);
    const v = await cli(['templates', 'validate', join(dir, 'broken.yaml')]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('/spec/main/command must be array');
  });

  it('a user template overrides the built-in one of the same name', async () => {
    const dir = tmp();
    const builtin = readFileSync(join(ROOT, 'templates', 'postgres.yaml'), 'utf8');
    writeFileSync(join(dir, 'postgres.yaml'), builtin.replace('uid: 999\n  gid: 999', 'uid: 1001\n  gid: 1001'));
    const r = await cli(['--templates', dir], POD);
    expect(r.code).toBe(0);
    const main = (parse(r.stdout) as { spec: { containers: { securityContext: { runAsUser: number } }[] } }).spec.containers[0]!;
    expect(main.securityContext.runAsUser).toBe(1001);
  });
});

describe('pod fsGroup', () => {
  type Out = { spec: { securityContext?: { fsGroup?: number; fsGroupChangePolicy?: string } } };
  it('is not set for postgres (its root init step owns PGDATA; a group-writable PGDATA stops postgres)', async () => {
    const r = await cli([], POD);
    expect((parse(r.stdout) as Out).spec.securityContext?.fsGroup).toBeUndefined();
  });
  it('is set with --security fsGroup=true, and when the init step cannot run as root', async () => {
    const forced = parse((await cli(['--security', 'fsGroup=true'], POD)).stdout) as Out;
    expect(forced.spec.securityContext).toEqual({ fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch' });
    const nonRoot = parse((await cli([], POD.replace('spec:\n', 'spec:\n  securityContext:\n    runAsNonRoot: true\n'))).stdout) as Out;
    expect(nonRoot.spec.securityContext).toMatchObject({ fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch' });
  });
});

describe('the bundled binary', () => {
  it('runs as a process: stdin to stdout, diagnostics on stderr', () => {
    expect(existsSync(join(ROOT, 'dist', 'cli.cjs')), 'run npm run build first').toBe(true);
    const r = spawnCli([], POD);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: db-init');
    expect(r.stderr).toContain('warning DI3006');
    expect(spawnCli(['--version']).stdout.trim()).toBe(VERSION);
  });

  it('has one version, package.json\'s: the library, the bundle, the bin and the Helm plugin say the same', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(VERSION).toBe(version);
    expect(spawnCli(['--version']).stdout).toBe(`${version}\n`); // answered by the bin
    expect(spawnCli(['--version', '--version']).stdout).toBe(`${version}\n`); // by the bundle (commander)
    expect(readFileSync(join(ROOT, 'plugins', 'helm', 'distroless-init', 'plugin.yaml'), 'utf8')).toMatch(new RegExp(`^version: ${version.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('starts from its V8 code cache when run as an executable (the shebang\'s node flags), and compiles without it otherwise', () => {
    const env = { ...process.env, DISTROLESS_INIT_CODE_CACHE: 'report' };
    const asExecutable = spawnSync(join(ROOT, 'bin', 'distroless-init.js'), [], { input: POD, encoding: 'utf8', env });
    expect(asExecutable.status).toBe(0);
    expect(asExecutable.stderr.split('\n')[0]).toBe('code cache: used');
    // other node flags: V8 rejects the cache, and the output is the same
    const otherFlags = spawnSync(process.execPath, ['--stack-size=2000', join(ROOT, 'bin', 'distroless-init.js')], { input: POD, encoding: 'utf8', env });
    expect(otherFlags.stderr.split('\n')[0]).toBe('code cache: rejected');
    expect(otherFlags.stdout).toBe(asExecutable.stdout);
  });

  it('contains no @kubernetes/client-node or undici code', () => {
    const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'cli.meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((i) => i.includes('yaml'))).toBe(true);
    expect(inputs.filter((i) => /@kubernetes\/client-node|undici|node-fetch/.test(i))).toEqual([]);
  });
});

describe('docs/errors.md', () => {
  it('documents every diagnostic code, and only those', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^## (DI\d{4}) — (.+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(CODES).sort());
  });
});
