/**
 * The names of shells, one list for both places that need it:
 *
 * - the shell lint of the main container (src/core/lint.ts): a command, probe
 *   or hook whose program has one of these names needs a shell, which a
 *   distroless image does not have;
 * - the runtime-image recipe (src/recipe/dockerfile.ts): a binary with one of
 *   these names must not be in the shell-free image, and its build fails if one is.
 *
 * The list is the union of what each place had: the POSIX-style shells (sh,
 * ash, dash, bash, ksh, mksh, zsh), the C shells (csh, tcsh), fish, and the
 * multi-call binaries that are a shell under another name (busybox, toybox:
 * `busybox sh -c …`). `env` is not a shell: the lint looks through it
 * (`env sh -c …`) instead.
 */
// (in the order the recipe's Dockerfile lists them: a new name goes at the end)
export const SHELL_NAMES: readonly string[] = ['sh', 'bash', 'dash', 'ash', 'busybox', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'toybox'];
