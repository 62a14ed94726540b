/** Errors that are not bugs, recognised at the top-level catch. */
/**
 * Failures that are the machine's or the input's, not a bug, when no code path
 * caught them: a full disk or an I/O error (DI1014), a nesting deep enough to
 * exhaust the stack where no depth check ran (DI1011). Printed without a stack.
 */
export function knownFailure(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    const what = code === 'ENOSPC' ? 'no space left on the device' : code === 'EDQUOT' ? 'disk quota exceeded' : (e as Error).message;
    return `error ${['ENOSPC', 'EDQUOT', 'EROFS', 'EFBIG'].includes(code) ? 'DI1014' : 'DI1002'}: ${what} (${code})`;
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'error DI1011: the input nests too deep to be processed';
  return undefined;
}
