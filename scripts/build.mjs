// Builds the two bundles: dist/cli.cjs (the command, one file: fast start-up,
// no runtime dependencies; with its V8 code cache) and dist/index.js (the
// library), plus the types and dist/THIRD-PARTY-NOTICES.md (the bundled packages'
// licences, from the build metafiles).
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { generateValidator } from './gen-validator.mjs';
import { thirdPartyNotices } from './notices.mjs';

const root = new URL('..', import.meta.url);
const validatorPath = new URL('src/catalogue/validate.gen.js', root);
const fresh = generateValidator();
let current = '';
try { current = readFileSync(validatorPath, 'utf8'); } catch {}
if (current !== fresh) writeFileSync(validatorPath, fresh);

mkdirSync(new URL('dist', root), { recursive: true });
// the version's one source (src/shared/version.ts reads it from package.json when not bundled)
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

// The built-in templates, validated now (schema + rules) and embedded in the bundles,
// so that the CLI parses no template YAML at run time.
async function builtinTemplates() {
  const out = await build({
    entryPoints: [new URL('src/catalogue/load.ts', root).pathname],
    bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'warning',
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    outfile: new URL('dist/.load.mjs', root).pathname,
  });
  const tmp = new URL('dist/.load.mjs', root);
  writeFileSync(tmp, out.outputFiles[0].text);
  const { loadCatalogue } = await import(`${tmp.href}?${Date.now()}`);
  const { catalogue, diagnostics } = loadCatalogue();
  rmSync(tmp);
  if (diagnostics.length) {
    for (const d of diagnostics) console.error(`${d.file}:${d.line ?? 0}: ${d.severity} ${d.code}: ${d.message}`);
    throw new Error('built-in templates have problems');
  }
  const base = new URL('.', root).pathname;
  return catalogue.templates.map((t) => ({ template: t.template, file: t.file.slice(base.length) }));
}
const templates = await builtinTemplates();
writeFileSync(new URL('dist/templates.json', root), JSON.stringify(templates));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: process.env.BUILD_MINIFY !== '0', // BUILD_MINIFY=0: readable bundles, for profiling
  legalComments: 'linked',
  // commander and yaml are CommonJS: give the ESM bundle a require()
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
  define: { __DISTROLESS_INIT_EMBEDDED__: 'true', __DISTROLESS_INIT_VERSION__: JSON.stringify(version) },
  // yaml's ES module build (its `default` export condition; the `node` one is CommonJS): a CommonJS
  // package is reached through esbuild's interop getters, one call per isMap/isScalar/new Scalar,
  // ~15% of a webhook review's pipeline time; the ES build is bundled as plain functions. Same source.
  alias: { yaml: new URL('node_modules/yaml/browser/index.js', root).pathname },
};
// the library: ESM, code split so that what a function loads with import() stays out of the import
rmSync(new URL('dist/chunks', root), { recursive: true, force: true });
const lib = await build({
  ...common,
  entryPoints: { index: new URL('src/index.ts', root).pathname },
  outdir: new URL('dist', root).pathname,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
// the command: one CommonJS file that bin/distroless-init.js compiles with V8's code cache
// (what a subcommand loads with import() is still initialised only when it runs)
// commander loads node:child_process (and with it net and dgram) for executable subcommands,
// which this command has none of: ~6 ms of every start-up. It gets it on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'lazy' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};
const cli = await build({
  ...common,
  plugins: [lazyChildProcess],
  format: 'cjs',
  entryPoints: [new URL('src/cli/main.ts', root).pathname],
  outfile: new URL('dist/cli.cjs', root).pathname,
  banner: { js: "var __importMetaUrl=require('node:url').pathToFileURL(__filename).href;" },
  define: { ...common.define, 'import.meta.url': '__importMetaUrl' },
});
writeFileSync(new URL('dist/cli.meta.json', root), JSON.stringify(cli.metafile));
writeFileSync(new URL('dist/index.meta.json', root), JSON.stringify(lib.metafile));
// what the bundles contain of other packages: name, version, licence and licence text of each
writeFileSync(new URL('dist/THIRD-PARTY-NOTICES.md', root), thirdPartyNotices([cli.metafile, lib.metafile], new URL('.', root).pathname).text);
// declarations for library users
execFileSync(process.execPath, [new URL('node_modules/typescript/bin/tsc', root).pathname, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// V8 code cache of the command (bin/distroless-init.js), from a warm-up run under the bin's
// own node flags (V8 rejects a cache made under other flags): a generated Helm-style stream,
// not the benchmark's (another seed)
const bin = new URL('bin/distroless-init.js', root).pathname;
const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0];
const nodeFlags = shebang.slice(shebang.indexOf(' node') + 5).trim().split(/\s+/).filter(Boolean);
rmSync(new URL('dist/cli.cjs.cache', root), { force: true });
const { generate } = await import(new URL('bench/gen-manifests.mjs', root).href);
execFileSync(process.execPath, [...nodeFlags, bin], {
  input: generate(100, { seed: 'code-cache' }),
  env: { ...process.env, DISTROLESS_INIT_CODE_CACHE: 'write' },
  stdio: ['pipe', 'ignore', 'ignore'],
});
