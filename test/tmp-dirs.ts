/** Temporary directories for tests, removed after each test file by test/setup.ts. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Directories made by tmp() in the current test file and not yet removed. */
export const TMP_DIRS: string[] = [];

/** A new empty directory under the system's temporary directory, removed after the test file. */
export function tmp(prefix = 'di-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  TMP_DIRS.push(dir);
  return dir;
}
