/**
 * Shell detection: a distroless main container has no /bin/sh, so anything
 * that starts one (exec probes, lifecycle hooks, commands, Compose
 * `CMD-SHELL` healthchecks) fails there.
 */
import { SHELL_NAMES } from '../shared/shells.js';

const SHELLS = new Set(SHELL_NAMES);

/** True when argv starts a shell: `sh -c …`, `/bin/bash …`, `busybox sh`, `env sh …`. */
export function isShellCommand(argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === undefined) return false;
  const name = first.slice(first.lastIndexOf('/') + 1);
  if (name === 'env') return argv.slice(1).some((a) => !a.includes('=') && !a.startsWith('-') && isShellCommand([a]));
  return SHELLS.has(name) || /\.(sh|bash)$/.test(name);
}
