/**
 * The package version. Its one source is package.json: the build
 * (scripts/build.mjs) writes it into the bundles as `__DISTROLESS_INIT_VERSION__`;
 * unbundled (tests, tsc, running the sources) it is read from package.json.
 * bin/distroless-init.js answers a bare `--version` from package.json too.
 */
import { readFileSync } from 'node:fs';

declare const __DISTROLESS_INIT_VERSION__: string | undefined;

export const VERSION: string =
  typeof __DISTROLESS_INIT_VERSION__ === 'string' ? __DISTROLESS_INIT_VERSION__ : packageVersion();

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
