// The third-party notices of the bundles: every npm package that esbuild put into
// dist/cli.cjs or dist/index.js (read from the builds' metafiles) with its name,
// version, licence (package.json) and the full text of its licence file(s).
// scripts/build.mjs writes the result to dist/THIRD-PARTY-NOTICES.md, which the
// package ships (package.json `files` holds dist/).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\.|-|$)/i;

/**
 * The package directories (relative to `root`, e.g. `node_modules/ajv`) that the inputs
 * of esbuild metafiles come from; a nested `node_modules` counts as its own package.
 */
export function bundledPackageDirs(metafiles) {
  const dirs = new Set();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replaceAll('\\', '/'));
      if (m) dirs.add(m[1]);
    }
  }
  return [...dirs].sort();
}

/** A package.json `license` field (string, SPDX expression, or the old object and array forms) as text. */
function licenceOf(pkg) {
  const l = pkg.license ?? pkg.licenses;
  if (typeof l === 'string') return l;
  if (Array.isArray(l)) return l.map((x) => (typeof x === 'string' ? x : x?.type)).filter(Boolean).join(' OR ') || undefined;
  if (l && typeof l === 'object' && typeof l.type === 'string') return l.type;
  return undefined;
}

/** The notices document for the packages of `metafiles`; also returns the entries, for checks. */
export function thirdPartyNotices(metafiles, root) {
  const entries = [];
  const seen = new Set();
  for (const dir of bundledPackageDirs(metafiles)) {
    const abs = resolve(root, dir);
    const pkgFile = join(abs, 'package.json');
    if (!existsSync(pkgFile)) throw new Error(`third-party notices: ${dir} has no package.json`);
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    const id = `${pkg.name}@${pkg.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const files = readdirSync(abs).filter((f) => LICENCE_FILE.test(f)).sort();
    entries.push({
      name: pkg.name,
      version: pkg.version,
      licence: licenceOf(pkg),
      homepage: typeof pkg.homepage === 'string' ? pkg.homepage : undefined,
      author: typeof pkg.author === 'string' ? pkg.author : pkg.author?.name,
      texts: files.map((f) => ({ file: f, text: readFileSync(join(abs, f), 'utf8').trimEnd() })),
    });
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const out = [
    '# Third-party notices',
    '',
    'dist/cli.cjs and dist/index.js contain code of the npm packages below (bundled by',
    'esbuild; the list is generated from the build metafiles by scripts/notices.mjs).',
    'distroless-init itself is under the Apache License 2.0.',
    '',
  ];
  for (const e of entries) {
    out.push(`## ${e.name}@${e.version}`, '');
    out.push(`* Licence (package.json): ${e.licence ?? 'not stated'}`);
    if (e.author) out.push(`* Author: ${e.author}`);
    if (e.homepage) out.push(`* Homepage: ${e.homepage}`);
    out.push('');
    if (!e.texts.length) {
      out.push(`The package ships no licence file; its package.json states the licence: ${e.licence ?? 'none'}.`, '');
    }
    for (const t of e.texts) {
      // a fence longer than any run of backticks in the text
      const fence = '`'.repeat(Math.max(3, ...(t.text.match(/`+/g) ?? []).map((r) => r.length + 1)));
      out.push(`${t.file}:`, '', `${fence}text`, t.text, fence, '');
    }
  }
  return { text: `${out.join('\n').trimEnd()}\n`, entries };
}
