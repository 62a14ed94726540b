/**
 * What the npm package ships (needs `npm run build`, which `npm test` runs first):
 * the third-party notices of the bundled code, and no pointer to files that only
 * the developers' checkout has (the sibling ../shared folder).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const readJson = <T>(...parts: string[]): T => JSON.parse(readFileSync(join(ROOT, ...parts), 'utf8')) as T;

/** `name@version` of every npm package an esbuild metafile's inputs come from. */
function packagesOf(metafile: string): string[] {
  const { inputs } = readJson<{ inputs: Record<string, unknown> }>('dist', metafile);
  const dirs = new Set(Object.keys(inputs).map((i) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(i)?.[1]).filter((d): d is string => !!d));
  return [...dirs].map((d) => {
    const pkg = readJson<{ name: string; version: string }>(d, 'package.json');
    return `${pkg.name}@${pkg.version}`;
  });
}

/** The files `npm pack` would put in the tarball. */
function packed(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

describe('the package', () => {
  const notices = readFileSync(join(ROOT, 'dist', 'THIRD-PARTY-NOTICES.md'), 'utf8');
  const sections = notices.split(/^## /m).slice(1);
  const section = (id: string): string | undefined => sections.find((s) => s.startsWith(`${id}\n`));

  it('has a notice, with licence and licence text, for every package bundled into the command and the library', () => {
    const bundled = new Set([...packagesOf('cli.meta.json'), ...packagesOf('index.meta.json')]);
    expect([...bundled]).toEqual(expect.arrayContaining(['yaml@' + readJson<{ version: string }>('node_modules', 'yaml', 'package.json').version]));
    for (const id of bundled) {
      const s = section(id);
      expect(s, `${id} has no entry in dist/THIRD-PARTY-NOTICES.md`).toBeDefined();
      expect(s).toMatch(/^\* Licence \(package\.json\): \S+/m);
      // the licence text itself, or the statement that the package has none
      expect(s).toMatch(/^(LICEN[CS]E|COPYING|NOTICE)[^\n]*:\n\n`{3,}text\n[\s\S]*(Permission|Redistribution|THE SOFTWARE|License)|ships no licence file/im);
    }
    // and nothing else: every entry is a bundled package
    expect(sections.map((s) => s.slice(0, s.indexOf('\n'))).sort()).toEqual([...bundled].sort());
  });

  it('ships the notices', () => {
    expect(packed()).toContain('dist/THIRD-PARTY-NOTICES.md');
  });

  it('points its users at nothing outside it (no ../shared/ in templates, docs, src, examples, plugins, README; src/shared/ is the project own leaf module)', () => {
    const offenders: string[] = [];
    const walk = (p: string): void => {
      if (statSync(p).isDirectory()) {
        for (const e of readdirSync(p)) walk(join(p, e));
      } else if (/\.(ts|js|mjs|cjs|json|ya?ml|md|sh|txt|tpl)$/.test(p) && /\.\.\/shared\/(?![a-z-]+\.js['"])/.test(readFileSync(p, 'utf8'))) {
        offenders.push(p.slice(ROOT.length + 1));
      }
    };
    for (const p of ['templates', 'docs', 'src', 'examples', 'plugins', 'bin', 'README.md']) walk(join(ROOT, p));
    expect(offenders).toEqual([]);
  });
});
