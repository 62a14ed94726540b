/**
 * The temporary files this process has right now (cli/safe-write.ts creates
 * them): removed on a signal or at exit. No imports, so that the stdin reader
 * can ask whether any exist.
 */
import { rmSync } from 'node:fs';

export const liveTempFiles = new Set<string>();

/** Removes every temporary file this process still has. */
export function removeTempFiles(): void {
  for (const p of liveTempFiles) {
    try {
      rmSync(p, { force: true });
    } catch {
      // nothing more can be done
    }
  }
  liveTempFiles.clear();
}

/** Whether a temporary file exists: stdin is then read asynchronously, so that a signal is handled at once. */
export function tempFilesExist(): boolean {
  return liveTempFiles.size > 0;
}
