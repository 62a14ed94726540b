/**
 * The runtime-image recipe, seen the way a user sees it: `distroless-init image`
 * on the command line, and the Dockerfile's collector run for real by `sh`
 * against a directory laid out like a full image (no container engine needed;
 * test/e2e builds it with buildah).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../src/catalogue/load.js';
import { runtimeRecipe } from '../../src/recipe/dockerfile.js';
import { cli, tmp } from '../helpers.js';

const { catalogue } = loadCatalogue([]);

/** The main image name the manifests pipeline derives for a container running IMAGE, and the build command its DI3006 warning suggests. */
async function plannedMainImage(image: string, args: string[] = []): Promise<{ main: string; suggested: string }> {
  const pod = `apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;
  const r = await cli(args, pod);
  const m = /^ {2}- name: app\n {4}image: (\S+)$/m.exec(r.stdout);
  expect(m, r.stdout + r.stderr).not.toBeNull();
  const suggested = /warning DI3006 .*run `(distroless-init image [^`]*)`/.exec(r.stderr);
  expect(suggested, r.stderr).not.toBeNull();
  return { main: m![1]!, suggested: suggested![1]! };
}

describe('distroless-init image', () => {
  it('prints a two-stage Dockerfile: FROM the full image, then FROM scratch with the image config', async () => {
    const r = await cli(['image', 'postgres:16.4']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('FROM '))).toEqual(['FROM postgres:16.4 AS full', 'FROM scratch']);
    expect(lines).toContain('COPY --from=full /out /');
    expect(lines).toContain('USER 999:999');
    expect(lines).toContain('ENTRYPOINT ["/usr/lib/postgresql/16/bin/postgres"]');
    expect(lines).toContain('STOPSIGNAL SIGINT');
    expect(lines).toContain('ENV PGDATA="/var/lib/postgresql/data"');
    expect(lines).toContain('WORKDIR /var/lib/postgresql/data');
    // no heredocs or BuildKit-only syntax: docker build, buildah bud and podman build all read it
    expect(r.stdout).not.toMatch(/<<|--mount=|# syntax=/);
  });

  // one naming rule (src/catalogue/main-image.ts): what the manifest runs is what the recipe tags
  it.each([
    ['postgres:16.4', []],
    ['docker.io/library/postgres:15', []],
    ['postgres:17-alpine', []],
    ['redis:7.2', []],
    ['redis', []], // no tag: latest
    ['postgres@sha256:' + 'a'.repeat(64), []], // a digest, no tag
    ['postgres:16@sha256:' + 'b'.repeat(64), []], // a tag and a digest: the digest is not the built image's
    ['docker.io/bitnami/postgresql:17.2.0', []], // a namespace on Docker Hub, its registry written out
    ['localhost:5000/postgres:16.4', ['--mirror', 'localhost:5000']], // a registry with a port
    ['harbor.example.com/dockerhub/postgres:16', ['--mirror', 'harbor.example.com/dockerhub']], // a mirror of Docker Hub
  ] as [string, string[]][])(
    'documents a build command tagging the main image the split derives for %s %j',
    async (image, args) => {
      const { main, suggested } = await plannedMainImage(image, args);
      const r = await cli(['image', ...args, image]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`| docker build -t ${main} -\n`);
      expect(r.stdout).toContain(`buildah bud -t ${main} `);
      expect(r.stdout).toContain(`podman build -t ${main} `);
      // and the DI3006 warning's command is the one the Dockerfile documents
      expect(suggested).toBe(`distroless-init image ${[...args, image].join(' ')} | docker build -t ${main} -`);
      expect(r.stdout).toContain(`#   ${suggested}\n`);
    },
  );

  it('follows the variant: alpine paths and uid 70', async () => {
    const r = await cli(['image', 'postgres:16-alpine']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('USER 70:70');
    expect(r.stdout).toContain('ENTRYPOINT ["/usr/local/bin/postgres"]');
    expect(r.stdout).toContain('/usr/local/lib/postgresql/');
  });

  it('a data directory the template also lists under runtime.directories gets the template\'s owner, not the full image\'s (httpd logs/)', async () => {
    const r = await cli(['image', 'httpd:2.4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`d=$(canon_any /usr/local/apache2/logs); mkdir -p "$out$d"; chown 33:33 "$out$d"; chmod 0755 "$out$d"`);
    expect(r.stdout).not.toMatch(/canon_any \/usr\/local\/apache2\/logs\); mkdir -p "\$out\$d"; if \[ -d/);
    expect(r.stdout.match(/ancestors \/usr\/local\/apache2\/logs;/g)).toHaveLength(1);
    // apr-util's drivers are loaded with dlopen: copied with their closure
    expect(r.stdout).toContain('/usr/lib/*/apr-util-1/*.so');
    // postgres' data directory (not a runtime directory) keeps the full image's owner
    expect((await cli(['image', 'postgres:16'])).stdout).toContain('chown "$(stat -c %u:%g "$d")"');
  });

  it('fails with DI5001 for an image no template knows, and prints nothing', async () => {
    const r = await cli(['image', 'example.com/unknown/thing:1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('DI5001');
  });

  it('fails with DI5001 for text that is not an image reference', () => {
    expect(runtimeRecipe('Not An Image', catalogue).diagnostics.map((d) => d.code)).toEqual(['DI5001']);
  });

  it('fails with DI5002 for a template without a runtime section', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'noruntime.yaml'),
      'name: noruntime\ndescription: test\nimages: [example.com/noruntime]\nspec:\n  uid: 1000\n  gid: 1000\n  dataPath: /data\n  main:\n    serverNames: [srv]\n    command: [/usr/bin/srv]\n',
    );
    const r = await cli(['image', 'example.com/noruntime:1', '--templates', dir]);
    expect(r.stderr).toContain('DI5002');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });
});

/** The collector of stage 1, as `sh` runs it, with /out and / both moved under `root`. */
function collectorScript(dockerfile: string): string {
  const run = /^RUN ([\s\S]*?)\n\nFROM scratch/m.exec(dockerfile);
  expect(run).not.toBeNull();
  return run![1]!.replace(/ \\\n {4}/g, ' ');
}

describe('the collector (stage 1) run by sh on a fake full image', () => {
  const hasTools = ['sh', 'ldd', 'awk', 'chroot'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

  it('copies the binary, its ldd closure, dlopen modules, symlink hops, data files, owners and modes; no shell', () => {
    expect(hasTools, 'needs sh, ldd, awk and chroot on the test machine').toBe(true);
    expect(process.getuid?.(), 'needs root (chroot, chown)').toBe(0);
    const root = tmp('di-recipe-');
    // a merged-/usr rootfs: the host's /usr/lib and /usr/bin bits the collector needs
    for (const d of ['usr/bin', 'usr/lib', 'usr/lib64', 'etc', 'run', 'var', 'srv/app/lib', 'srv/share/app', 'tmp']) mkdirSync(join(root, d), { recursive: true });
    symlinkSync('usr/lib', join(root, 'lib'));
    symlinkSync('usr/lib64', join(root, 'lib64'));
    symlinkSync('usr/bin', join(root, 'bin'));
    symlinkSync('/run', join(root, 'var/run')); // absolute: must come out relative
    // tools for the collector: sh and friends with their libraries (copied from the host)
    const tools = ['sh', 'dash', 'ldd', 'awk', 'mawk', 'gawk', 'sed', 'sort', 'cp', 'mkdir', 'chown', 'chmod', 'stat', 'find', 'head', 'tr', 'grep', 'readlink', 'dirname', 'basename', 'rm', 'ln', 'cat', 'bash', 'env', 'uname'];
    // path as the loader asks for it (soname) -> real file on the host
    const files = new Map<string, string>();
    const real = (p: string): string => execFileSync('readlink', ['-f', p], { encoding: 'utf8' }).trim();
    for (const t of tools) {
      const p = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
      if (p) files.set(`/usr/bin/${t}`, real(p));
    }
    const ldso = execFileSync('sh', ['-c', "ldd /bin/ls | awk '$1 ~ /^\\// {print $1}'"], { encoding: 'utf8' }).trim();
    for (const f of [...files.values()]) {
      const out = spawnSync('ldd', [f], { encoding: 'utf8' }).stdout;
      for (const m of out.matchAll(/=> (\/\S+)/g)) files.set(m[1]!, real(m[1]!));
    }
    files.set(ldso, real(ldso));
    for (const [as, from] of files) {
      const dst = join(root, as.replace(/^\/(bin|lib|lib64|sbin)\//, '/usr/$1/'));
      mkdirSync(join(dst, '..'), { recursive: true });
      cpSync(from, dst);
    }
    if (!existsSync(join(root, 'usr/bin/sh'))) symlinkSync('dash', join(root, 'usr/bin/sh'));
    // the "server": a copy of the host's `ls` (an ELF with libraries) behind a relative symlink
    cpSync('/bin/ls', join(root, 'srv/app/server-1.0'));
    symlinkSync('server-1.0', join(root, 'srv/app/server'));
    // a "module" only loaded at run time: ldd of the server does not list it
    const libm = execFileSync('sh', ['-c', "ldconfig -p | awk '/libm.so.6 .*x86-64/ {print $NF; exit}'"], { encoding: 'utf8' }).trim() || '/lib/x86_64-linux-gnu/libm.so.6';
    cpSync(execFileSync('readlink', ['-f', libm], { encoding: 'utf8' }).trim(), join(root, 'srv/app/lib/mod_one.so'));
    writeFileSync(join(root, 'srv/share/app/data.txt'), 'data\n');
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\napp:x:4242:4343:App:/srv:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nbin:x:2:\napp:x:4343:\n');
    mkdirSync(join(root, 'srv/data'), { recursive: true });
    execFileSync('chmod', ['0750', join(root, 'srv/data')]);
    execFileSync('chown', ['4242:4343', join(root, 'srv/data')]);

    const tdir = tmp();
    writeFileSync(
      join(tdir, 'fake.yaml'),
      [
        'name: fake',
        'description: test',
        'images: [example.com/fake]',
        'spec:',
        '  uid: 4242',
        '  gid: 4343',
        '  dataPath: /srv/data',
        '  main:',
        '    serverNames: [server]',
        '    command: [/srv/app/server, --flag]',
        '    writablePaths: [/var/run/app, /tmp]',
        '  runtime:',
        '    binaries: [/srv/app/server]',
        "    modules: ['/srv/app/lib/*.so']",
        '    files: [/srv/share/app, /srv/share/missing]',
        '    directories:',
        "      - { path: /var/run/app, mode: '2770' }",
        '    stopSignal: SIGQUIT',
        '    env:',
        '      PATH: /srv/app',
        '      NOTE: "a $dollar and a \\"quote\\""',
        '',
      ].join('\n'),
    );
    const { catalogue: cat } = loadCatalogue([tdir]);
    const recipe = runtimeRecipe('example.com/fake:1.0', cat);
    expect(recipe.diagnostics).toEqual([]);
    const df = recipe.dockerfile!;
    expect(df).toContain('ENV NOTE="a \\$dollar and a \\"quote\\""');
    expect(df).toContain('ENTRYPOINT ["/srv/app/server"]\nCMD ["--flag"]');
    expect(df).toContain('STOPSIGNAL SIGQUIT');
    writeFileSync(join(root, 'collect.sh'), collectorScript(df));
    const r = spawnSync('chroot', [root, '/usr/bin/sh', '/collect.sh'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('file /srv/share/missing is not in the image; skipped');
    const out = join(root, 'out');
    // the binary as written, through its symlink, and the real file
    expect(readlinkSync(join(out, 'srv/app/server'))).toBe('server-1.0');
    expect(statSync(join(out, 'srv/app/server-1.0')).isFile()).toBe(true);
    // the ELF interpreter reachable by its written path (/lib64 -> usr/lib64 kept as a symlink)
    expect(lstatSync(join(out, ldso.split('/')[1]!)).isSymbolicLink()).toBe(true);
    expect(existsSync(join(out, ldso))).toBe(true);
    // the dlopen'd module and the data files
    expect(existsSync(join(out, 'srv/app/lib/mod_one.so'))).toBe(true);
    expect(readFileSync(join(out, 'srv/share/app/data.txt'), 'utf8')).toBe('data\n');
    // users: root and the runtime uid only, without a login shell
    expect(readFileSync(join(out, 'etc/passwd'), 'utf8')).toBe('root:x:0:0:root:/root:/sbin/nologin\napp:x:4242:4343:App:/srv:/sbin/nologin\n');
    expect(readFileSync(join(out, 'etc/group'), 'utf8')).toBe('root:x:0:\napp:x:4343:\n');
    // owned directories: through the /var/run symlink, at its canonical place, owner and mode
    expect(readlinkSync(join(out, 'var/run'))).toBe('../run');
    const run = statSync(join(out, 'run/app'));
    expect([run.uid, run.gid, (run.mode & 0o7777).toString(8)]).toEqual([4242, 4343, '2770']);
    const data = statSync(join(out, 'srv/data'));
    expect([data.uid, data.gid, (data.mode & 0o7777).toString(8)]).toEqual([4242, 4343, '750']);
    expect((statSync(join(out, 'tmp')).mode & 0o7777).toString(8)).toBe('1777');
    // the shell of the full image did not come along
    const shells = spawnSync('find', [out, '-name', 'sh', '-o', '-name', 'dash', '-o', '-name', 'bash'], { encoding: 'utf8' }).stdout;
    expect(shells).toBe('');
  });

  it('fails the build when a binary is missing from the full image', () => {
    expect(hasTools).toBe(true);
    const tdir = tmp();
    writeFileSync(
      join(tdir, 'gone.yaml'),
      'name: gone\ndescription: t\nimages: [example.com/gone]\nspec:\n  uid: 1\n  gid: 1\n  dataPath: /d\n  main:\n    serverNames: [x]\n    command: [/nonexistent/bin/x]\n  runtime:\n    binaries: [/nonexistent/bin/x]\n',
    );
    const { catalogue: cat } = loadCatalogue([tdir]);
    const df = runtimeRecipe('example.com/gone:1', cat).dockerfile!;
    const dir = tmp();
    const script = collectorScript(df).replace('out=/out', `out=${dir}/out`).replace('list=/tmp/distroless-init.list', `list=${dir}/list`);
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('binary /nonexistent/bin/x is not in the image');
  });
});
