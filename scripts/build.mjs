// Builds the two bundles: dist/cli.js (the command, one file: fast start-up,
// no runtime dependencies) and dist/index.js (the library), plus the types.
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { generateValidator } from './gen-validator.mjs';

const root = new URL('..', import.meta.url);
const validatorPath = new URL('src/catalogue/validate.gen.js', root);
const fresh = generateValidator();
let current = '';
try { current = readFileSync(validatorPath, 'utf8'); } catch {}
if (current !== fresh) writeFileSync(validatorPath, fresh);

mkdirSync(new URL('dist', root), { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  legalComments: 'linked',
  // commander and yaml are CommonJS: give the ESM bundle a require()
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
};
const cli = await build({ ...common, entryPoints: [new URL('src/cli/main.ts', root).pathname], outfile: new URL('dist/cli.js', root).pathname });
await build({ ...common, entryPoints: [new URL('src/index.ts', root).pathname], outfile: new URL('dist/index.js', root).pathname });
writeFileSync(new URL('dist/cli.meta.json', root), JSON.stringify(cli.metafile));
// declarations for library users
execFileSync(process.execPath, [new URL('node_modules/typescript/bin/tsc', root).pathname, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
