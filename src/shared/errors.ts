/**
 * The error classes that stop a run. Library code returns diagnostics; these are
 * thrown only for what ends the command, and the CLI's one top-level catch
 * (src/cli/main.ts) turns them into an exit code: a usage error exits 2, an
 * input error exits 1, anything else is an internal error (a bug report).
 */

/** A wrong invocation: exit 2. */
export class UsageError extends Error {}

/** Bad input that stops the run: exit 1, message on stderr. */
export class InputError extends Error {}
